"""The build check's own parts on small inputs: the ELF reader, the wheel-tag rule, the binary
audit's verdicts and the event replay. `make build-check` runs the check itself."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pydantic_core
import pytest

from infra.build_check import (
    EM_AARCH64,
    EM_X86_64,
    EVENTS,
    LAYER,
    RECORDED_AT,
    SIDE_EFFECTS,
    _template_functions,
    audit_binaries,
    read_elf,
    shift_moments,
    tag_fits_lambda,
)
from tests.conftest import START

NATIVE = next(Path(pydantic_core.__file__).parent.glob("_pydantic_core*.so"))  # an x86_64 ELF here


def _as_aarch64(data: bytes) -> bytes:
    return data[:18] + EM_AARCH64.to_bytes(2, "little") + data[20:]


def test_reads_machine_and_highest_glibc_of_a_real_library(tmp_path):
    facts = read_elf(NATIVE)
    assert facts.machine == EM_X86_64
    needed = {tuple(map(int, v.split(b".")[:2])) for v in re.findall(rb"GLIBC_(2\.\d+(?:\.\d+)?)", NATIVE.read_bytes())}
    assert facts.glibc == max(needed)
    (tmp_path / "x.py").write_text("print()")
    assert read_elf(tmp_path / "x.py") is None


@pytest.mark.parametrize(
    ("tag", "fits"),
    [
        ("cp313-cp313-manylinux_2_17_aarch64", True),
        ("cp313-cp313-manylinux2014_aarch64", True),
        ("cp313-cp313-manylinux_2_34_aarch64", True),
        ("cp38-abi3-manylinux_2_28_aarch64", True),
        ("cp313-cp313-manylinux_2_35_aarch64", False),  # newer glibc than Amazon Linux 2023
        ("cp313-cp313-musllinux_1_2_aarch64", False),
        ("cp312-cp312-manylinux_2_17_aarch64", False),
        ("cp313-cp313-manylinux_2_17_x86_64", False),
        ("cp314-abi3-manylinux_2_17_aarch64", False),
        ("py3-none-any", False),
    ],
)
def test_wheel_tags_the_arm64_runtime_loads(tag, fits):
    assert tag_fits_lambda(tag) is fits


def _fake_build(tmp_path: Path, data: bytes, tag: str, *, recorded: bool = True) -> Path:
    site = tmp_path / LAYER / "python"
    (site / "native").mkdir(parents=True)
    (site / "native" / "_native.so").write_bytes(data)
    dist_info = site / "native-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Name: native\nVersion: 1.0\n")
    (dist_info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
    (dist_info / "RECORD").write_text("native/_native.so,sha256=x,1\n" if recorded else "")
    return tmp_path


def test_an_aarch64_manylinux_cp313_library_passes(tmp_path):
    build = _fake_build(tmp_path, _as_aarch64(NATIVE.read_bytes()), "cp313-cp313-manylinux_2_17_aarch64")
    [row] = audit_binaries(build)
    assert (row.dist, row.problem) == ("native-1.0", None)


@pytest.mark.parametrize(
    ("mutate", "tag", "recorded", "says"),
    [
        (lambda d: d, "cp313-cp313-manylinux_2_17_aarch64", True, "is not aarch64"),
        (lambda d: re.sub(rb"GLIBC_2\.14", b"GLIBC_2.99", _as_aarch64(d)), "cp313-cp313-manylinux_2_17_aarch64", True, "needs GLIBC_2.99"),
        (_as_aarch64, "cp312-cp312-manylinux_2_17_aarch64", True, "are not manylinux aarch64"),
        (_as_aarch64, "cp313-cp313-manylinux_2_17_aarch64", False, "belongs to no installed wheel"),
        (lambda d: b"MZ" + d[2:], "cp313-cp313-win_arm64", True, "not an ELF file"),
    ],
)
def test_every_other_library_fails_naming_the_file(tmp_path, mutate, tag, recorded, says):
    build = _fake_build(tmp_path, mutate(NATIVE.read_bytes()), tag, recorded=recorded)
    [row] = audit_binaries(build)
    assert row.path == f"{LAYER}/python/native/_native.so"
    assert says in row.problem


def test_recorded_moments_move_to_now_and_signed_bodies_stay():
    event = {
        "time": "2026-11-02T09:00:00Z",
        "detail": {"occurred_at": "2026-11-02T09:00:01+00:00", "n": 3},
        "body": '{"created_at": "2026-11-02T09:00:00+00:00"}',
    }
    moved = shift_moments(event, timedelta(days=31, hours=1))
    assert moved == {"time": "2026-12-03T10:00:00Z", "detail": {"occurred_at": "2026-12-03T10:00:01+00:00", "n": 3}, "body": event["body"]}


def test_every_function_in_the_template_has_an_event_and_an_expected_side_effect():
    assert RECORDED_AT == START  # tests/build/record_events.py records at the tests' start
    functions = _template_functions()
    assert {logical for logical, _ in SIDE_EFFECTS} == functions
    for logical in functions:
        json.loads((EVENTS / f"lambda_{logical}.json").read_text())
