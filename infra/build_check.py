"""`make build-check`: proves that what `sam build` ships starts, not just that it builds.

1. `sam build` (the real arm64 build from template.yaml, no container) into
   .aws-sam/build-check/arm64, then every compiled file in the built layer and functions must
   be an aarch64 ELF, from a manylinux wheel (glibc <= 2.34: Amazon Linux 2023) tagged cp313
   or abi3, needing no GLIBC symbol version above 2.34; the layer must hold exactly the
   locked distributions, and the lock's hashes must match the aarch64 wheels.
2. An x86_64 twin from the same lock (pip --platform ... --require-hashes, plus the layer's
   own code and the functions exactly as sam copied them): every handler is imported in a
   fresh interpreter (`python3.13 -I -S`) whose sys.path holds only the built function, the
   layer's python/ folder and a boto3 as the Lambda runtime provides it (older than ours: the
   layer's must win), and invoked with tests/events/lambda_<Function>.json against moto
   (one process: the local stack's resources in-process, a moto server for the subprocess),
   checking the side effect its domain call leaves.
3. Prints a table (import, invoke, side effect, import time per function) and the layer's
   unzipped size with its largest packages; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / ".aws-sam" / "build-check"
LOCK = ROOT / "layers" / "common" / "requirements.txt"
EVENTS = ROOT / "tests" / "events"
LAYER = "CommonLayer"
PYTHON_VERSION = (3, 13)
MAX_GLIBC = (2, 34)  # Amazon Linux 2023, the python3.13 runtime's OS
# Stands in for the boto3 the python3.13 runtime bundles: older than the lock's on purpose, so
# an import that reached it instead of the layer's copy would show in the table.
RUNTIME_BOTO3 = "1.43.100"
# Every store secret in the check (and in tests/build/record_events.py) is this one, so the
# recorded signed webhook and unsubscribe link stay valid when replayed.
WEBHOOK_SECRET = "build-check-webhook-secret-0123456789abcdef"
UNSUBSCRIBE_KEYS = {"current": "build-check", "keys": {"build-check": "build-check-unsubscribe-key-0123456789abcdef"}}
# The store's public browser tracking key in the check (the recorded browser request names it).
TRACKING_KEY = "pk_build-check-0123456789abcdef"


def pin_store_secrets(prefix: str) -> None:
    """Give the check's store the known secrets its recorded events were signed with."""
    import boto3

    from encore.adapters import secrets

    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=secrets.secret_name(prefix, STORE_ID, secrets.WEBHOOK_SECRET), Value=WEBHOOK_SECRET, Type="SecureString", Overwrite=True)
    ssm.put_parameter(
        Name=secrets.secret_name(prefix, STORE_ID, secrets.UNSUBSCRIBE_KEYS), Value=json.dumps(UNSUBSCRIBE_KEYS), Type="SecureString", Overwrite=True
    )
    ssm.put_parameter(Name=secrets.tracking_key_name(prefix, TRACKING_KEY), Value=STORE_ID, Type="String", Overwrite=True)
    secrets.clear_cache()


STORE_ID = "demo-store"
# The virtual time tests/build/record_events.py recorded the events at (tests.conftest.START):
# the check moves every timestamp in them by (now - RECORDED_AT), so the built functions,
# which run on wall-clock time, see events that just happened.
RECORDED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")

EM_AARCH64, EM_X86_64 = 183, 62
SHT_GNU_VERNEED = 0x6FFFFFFE
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class CheckFailed(Exception):
    """An operator-facing failure: one line, no traceback."""


# ---------------------------------------------------------------------------- ELF and wheels
@dataclass
class ElfFacts:
    machine: int
    glibc: tuple[int, int] | None  # the highest GLIBC_x.y symbol version it needs


def read_elf(path: Path) -> ElfFacts | None:
    """The ELF header's machine and the highest GLIBC version in `.gnu.version_r` (None when
    the file is not ELF). Parsed here so the check needs no binutils."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    bits64, endian = data[4] == 2, "<" if data[5] == 1 else ">"
    machine = struct.unpack_from(endian + "H", data, 18)[0]
    if bits64:
        shoff = struct.unpack_from(endian + "Q", data, 40)[0]
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 58)
        section_format = endian + "IIQQQQIIQQ"
    else:
        shoff = struct.unpack_from(endian + "I", data, 32)[0]
        shentsize, shnum = struct.unpack_from(endian + "HH", data, 46)
        section_format = endian + "IIIIIIIIII"
    sections = [struct.unpack_from(section_format, data, shoff + index * shentsize) for index in range(shnum)]
    glibc: tuple[int, int] | None = None
    for _name, kind, _flags, _addr, offset, _size, link, info, _align, _entsize in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strings_offset = sections[link][4]

        def string(at: int, strings_offset: int = strings_offset) -> str:
            start = strings_offset + at
            return data[start : data.index(b"\0", start)].decode("ascii", "replace")

        need = offset
        for _ in range(info):
            _version, count, _file, aux, next_need = struct.unpack_from(endian + "HHIII", data, need)
            entry = need + aux
            for _ in range(count):
                _hash, _vflags, _other, name, next_aux = struct.unpack_from(endian + "IHHII", data, entry)
                found = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", string(name))
                if found:
                    glibc = max(glibc or (0, 0), (int(found[1]), int(found[2])))
                entry += next_aux
                if not next_aux:
                    break
            need += next_need
            if not next_need:
                break
    return ElfFacts(machine, glibc)


def manylinux_glibc(platform: str, arch: str) -> tuple[int, int] | None:
    """(2, 17) for manylinux2014_aarch64 / manylinux_2_17_aarch64; None for other platforms."""
    for legacy, version in LEGACY_MANYLINUX.items():
        if platform == f"{legacy}_{arch}":
            return version
    found = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{arch}", platform)
    return (int(found[1]), int(found[2])) if found else None


def tag_fits_lambda(tag: str, arch: str = "aarch64") -> bool:
    """A wheel tag the python3.13 runtime on Amazon Linux 2023 can load: manylinux for the
    architecture with glibc <= 2.34, and the cp313 ABI or the stable ABI (abi3)."""
    python, abi, platform = tag.split("-")
    glibc = manylinux_glibc(platform, arch)
    if glibc is None or glibc > MAX_GLIBC:
        return False
    if abi == "cp313":
        return True
    found = re.fullmatch(r"cp3(\d+)", python)
    return abi == "abi3" and found is not None and int(found[1]) <= PYTHON_VERSION[1]


def wheel_tags(dist_info: Path) -> list[str]:
    tags = []
    for line in (dist_info / "WHEEL").read_text().splitlines():
        if line.startswith("Tag:"):
            python, abi, platforms = line.split(":", 1)[1].strip().split("-")
            # A compressed tag set ("py2.py3-none-any", "manylinux_2_17_x.manylinux2014_x").
            tags += [f"{p}-{a}-{pl}" for p in python.split(".") for a in abi.split(".") for pl in platforms.split(".")]
    return tags


def distributions(site: Path) -> dict[str, tuple[str, str, Path]]:
    """Normalised name -> (name, version, dist-info folder) for every distribution installed."""
    found = {}
    for dist_info in site.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(errors="replace")
        name = re.search(r"^Name: (.+)$", metadata, re.M)[1].strip()
        version = re.search(r"^Version: (.+)$", metadata, re.M)[1].strip()
        found[normalise(name)] = (name, version, dist_info)
    return found


def owners(site: Path) -> dict[Path, Path]:
    """Every installed file -> the dist-info folder whose RECORD lists it."""
    owned: dict[Path, Path] = {}
    for dist_info in site.glob("*.dist-info"):
        record = dist_info / "RECORD"
        for line in record.read_text().splitlines() if record.exists() else []:
            relative = line.rsplit(",", 2)[0]
            if relative:
                owned[(site / relative).resolve()] = dist_info
    return owned


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: Path = LOCK) -> dict[str, str]:
    """Normalised name -> version for every pin in the lock."""
    pins = {}
    for line in lock.read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if found:
            pins[normalise(found[1])] = found[2]
    return pins


@dataclass
class BinaryRow:
    path: str
    dist: str
    glibc: str
    problem: str | None


def audit_binaries(build: Path) -> list[BinaryRow]:
    """Every compiled file under the build (by content: ELF magic; and any *.so / *.pyd)."""
    site = build / LAYER / "python"
    owned = owners(site)
    rows = []
    for path in sorted(p for p in build.rglob("*") if p.is_file() and not p.is_symlink()):
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic != b"\x7fELF" and not re.search(r"\.(so(\.\d+)*|pyd)$", path.name):
            continue
        relative = str(path.relative_to(build))
        facts = read_elf(path)
        dist_info = owned.get(path.resolve())
        dist = dist_info.name.removesuffix(".dist-info") if dist_info else "-"
        glibc = ".".join(map(str, facts.glibc)) if facts and facts.glibc else "-"
        problem = None
        if facts is None:
            problem = "not an ELF file (a Windows .pyd or a broken library)"
        elif facts.machine != EM_AARCH64:
            problem = f"ELF machine {facts.machine} is not aarch64 ({EM_AARCH64})"
        elif facts.glibc and facts.glibc > MAX_GLIBC:
            problem = f"needs GLIBC_{glibc}, Amazon Linux 2023 has {MAX_GLIBC[0]}.{MAX_GLIBC[1]}"
        elif dist_info is None:
            problem = "belongs to no installed wheel (no RECORD lists it)"
        else:
            tags = wheel_tags(dist_info)
            if not any(tag_fits_lambda(tag) for tag in tags):
                problem = f"wheel tags {', '.join(tags)} are not manylinux aarch64 (glibc <= 2.34) cp313/abi3"
        rows.append(BinaryRow(relative, dist, glibc, problem))
    return rows


# ---------------------------------------------------------------------------- builds
def python313() -> str:
    """A Python 3.13 that really runs (pyenv's shim is on PATH here but answers "command not
    found"): the Makefile's PYTHON313, or the first candidate that starts."""
    candidates = [
        os.environ.get("ENCORE_PYTHON313", ""),
        "python3.13",
        *sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13"))),
        "/usr/bin/python3.13",
    ]
    for candidate in filter(None, candidates):
        found = shutil.which(candidate)
        if not found:
            continue
        probe = subprocess.run([found, "-c", "import sys; print(sys.executable, sys.version_info[:2] == (3, 13))"], capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.split()[-1:] == ["True"]:
            return probe.stdout.rsplit(" ", 1)[0].strip()
    raise CheckFailed("python3.13 is needed for sam build and the fresh interpreter: install Python 3.13")


def run(command: list[str], *, what: str, env: dict | None = None, cwd: Path = ROOT) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        noise = ("is ignored: it is neither a file nor a directory",)
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip() and not any(n in line for n in noise)]
        raise CheckFailed(f"{what} failed: " + " | ".join(lines[-6:]))
    return done.stdout


def sam_build(out: Path) -> float:
    sam = os.environ.get("ENCORE_SAM") or str(ROOT / ".venv-sam" / "bin" / "sam")
    if not Path(sam).exists():
        raise CheckFailed(f"SAM CLI not found at {sam}: run `make test` once (it creates .venv-sam) or set ENCORE_SAM")
    env = {**os.environ, "PATH": f"{Path(python313()).parent}{os.pathsep}{os.environ.get('PATH', '')}", "SAM_CLI_TELEMETRY": "0"}
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    run([sam, "build", "--template-file", str(ROOT / "template.yaml"), "--build-dir", str(out)], what="sam build", env=env)
    return time.perf_counter() - started


def pip(*args: str, what: str) -> None:
    run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], what=what)


def platform_args(arch: str) -> list[str]:
    platforms = [f"manylinux2014_{arch}", f"manylinux_2_28_{arch}", f"manylinux_2_34_{arch}"]
    return [arg for platform in platforms for arg in ("--platform", platform)] + [
        "--only-binary=:all:",
        "--python-version",
        "3.13",
        "--implementation",
        "cp",
        "--abi",
        "cp313",
        "--no-deps",
        "--require-hashes",
    ]


def check_layer_matches_lock(build: Path) -> None:
    """sam build installs the lock: the layer holds exactly the locked distributions."""
    installed = {name: version for name, (_, version, _) in distributions(build / LAYER / "python").items()}
    pins = locked()
    missing = {name: version for name, version in pins.items() if installed.get(name) != version}
    extra = sorted(set(installed) - set(pins))
    if missing or extra:
        raise CheckFailed(f"the built layer differs from {LOCK.relative_to(ROOT)}: missing or other version {missing}, not locked {extra}")


def verify_aarch64_hashes() -> None:
    """The lock's hashes must match the aarch64 wheels, not only the ones this x86_64 host
    would pick: download them all for the target with --require-hashes."""
    pip(
        "download",
        *platform_args("aarch64"),
        "--quiet",
        "-r",
        str(LOCK),
        "-d",
        str(WORK / "wheels-aarch64"),
        what="downloading the lock's aarch64 wheels (hash check)",
    )


def build_twin(arm64: Path, twin: Path) -> None:
    """The arm64 build with every third-party file swapped for the same lock's x86_64 wheels:
    the functions and the layer's own code stay exactly as sam build copied them."""
    shutil.rmtree(twin, ignore_errors=True)
    shutil.copytree(arm64, twin, symlinks=True)
    site = twin / LAYER / "python"
    for path in owners(site):
        if path.is_file():
            path.unlink()
    for dist_info in site.glob("*.dist-info"):
        shutil.rmtree(dist_info)
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
    pip(
        "install",
        *platform_args("x86_64"),
        "--quiet",
        "--no-compile",
        "--target",
        str(site),
        "-r",
        str(LOCK),
        what="installing the lock's x86_64 wheels into the twin (hash check)",
    )


def runtime_boto3() -> Path:
    """boto3 as the Lambda runtime provides it, outside the layer (cached across runs)."""
    folder = WORK / f"runtime-boto3-{RUNTIME_BOTO3}"
    if not (folder / "boto3").is_dir():
        shutil.rmtree(folder, ignore_errors=True)
        pip("install", "--quiet", "--no-compile", "--target", str(folder), f"boto3=={RUNTIME_BOTO3}", what="installing the runtime's boto3")
    return folder


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def largest_packages(site: Path, count: int = 8) -> list[tuple[str, int]]:
    """Size per distribution (its RECORD's files), plus the layer's own top-level folders."""
    sizes: dict[str, int] = {}
    owned = owners(site)
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        dist_info = owned.get(path.resolve())
        name = dist_info.name.split("-")[0] if dist_info else f"{path.relative_to(site).parts[0]} (layer's own)"
        sizes[name] = sizes.get(name, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: -item[1])[:count]


# ---------------------------------------------------------------------------- the fresh interpreter
# Runs in `python3.13 -I -S -B`: no site-packages, no PYTHON* variables, no current folder; the
# only imports are the standard library and the three folders given. -B: no .pyc written, as
# on Lambda's read-only file system (sam build ships none), so each import time is a cold one.
RUNNER = r"""
import importlib, json, sys, time, traceback, uuid
spec = json.loads(sys.stdin.read())
sys.path[:0] = spec["path"]
out = {"import_ok": False, "invoke_ok": False}

class Context:
    def __init__(self, name):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["arn"]
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "build-check"
    def get_remaining_time_in_millis(self):
        return 10000

started = time.perf_counter()
try:
    module_name, _, attribute = spec["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    out["import_ok"] = True
except BaseException as error:
    out["error"] = "import: " + "".join(traceback.format_exception_only(error)).strip()
out["import_ms"] = (time.perf_counter() - started) * 1000
if out["import_ok"]:
    import boto3, botocore
    out["boto3"] = [boto3.__version__, boto3.__file__, botocore.__version__, botocore.__file__]
    try:
        out["result"] = handler(spec["event"], Context(spec["name"]))
        out["invoke_ok"] = True
    except BaseException as error:
        out["error"] = "invoke: " + "".join(traceback.format_exception(error)[-3:]).strip()
with open(spec["out"], "w") as handle:
    json.dump(out, handle, default=str)
"""


@dataclass
class Row:
    function: str
    import_ok: bool = False
    invoke_ok: bool = False
    side_effect: str | None = None
    import_ms: float = 0.0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.import_ok and self.invoke_ok and self.side_effect is not None and self.problem is None


class AudienceReceiver:
    """The store's retargeting-audience webhook: counts the signed POSTs it receives."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append({"headers": dict(self.headers), "body": body.decode()})
                self.send_response(204)
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/audiences"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Observation:
    items: dict[tuple[str, str], str]
    executions: set[str]
    emails: int
    exports: set[str]
    audience_posts: int
    bus_deliveries: int
    extra: dict = field(default_factory=dict)


def changed_items(before: Observation, after: Observation, *needles: str) -> list[tuple[str, str]]:
    """Items written or changed between two observations, whose key or content holds every needle."""
    return [key for key, text in after.items.items() if before.items.get(key) != text and all(str(needle) in text for needle in needles)]


def _expect_item(*needles_of: Callable[[dict], str], execution: str | None = None) -> Callable:
    def expect(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
        needles = [needle(event) for needle in needles_of]
        items = changed_items(before, after, *needles)
        if not items:
            return None
        seen = f"item {items[0][0]} {items[0][1]}"
        if execution:
            started = [arn for arn in after.executions - before.executions if f":{execution}:" in arn]
            if not started:
                return None
            seen += f"; execution {started[0].rsplit(':', 1)[-1][:48]}"
        return seen

    return expect


def _detail(*keys: str) -> Callable[[dict], str]:
    def get(event: dict) -> str:
        value: Any = event["detail"]
        for key in keys:
            value = value[key]
        return str(value)

    return get


def _http_ok(status: int, then: Callable) -> Callable:
    def expect(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
        if not isinstance(result, dict) or result.get("statusCode") != status:
            return None
        return then(event, result, before, after)

    return expect


def _email_sent(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
    return f"SES accepted {after.emails - before.emails} email" if after.emails > before.emails else None


def _export_written(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
    new = sorted(after.exports - before.exports)
    return f"s3 object {new[0]}" if new else None


def _audience_posted(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
    return "signed POST to the audience webhook" if after.audience_posts > before.audience_posts else None


def _shop_told(operation: str) -> Callable:
    """The store's (fake) Shopify Admin API ran ``operation`` during the invocation."""

    def expect(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
        new = after.extra.get("shop_operations", [])[len(before.extra.get("shop_operations", [])) :]
        return f"Shopify Admin API: {operation}" if operation in new else None

    return expect


def _published(event: dict, result: Any, before: Observation, after: Observation) -> str | None:
    delivered = after.bus_deliveries - before.bus_deliveries
    dedupe = changed_items(before, after, "record-customers/create")
    return f"event on the bus, delivered to {delivered} rule target(s); item {dedupe[0][0]}" if delivered and dedupe else None


def shift_moments(value: Any, delta: timedelta) -> Any:
    """Every ISO-8601 moment in a JSON value moved by ``delta``, in the format it had (a
    signed body is a string holding JSON, not a moment: it stays as signed)."""
    if isinstance(value, dict):
        return {key: shift_moments(item, delta) for key, item in value.items()}
    if isinstance(value, list):
        return [shift_moments(item, delta) for item in value]
    if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        shifted = (moment + delta).isoformat()
        return shifted.replace("+00:00", "Z") if value.endswith("Z") else shifted
    return value


# In order: a story on one fresh stack (a profile before its cart, a cart before its wait,
# an order before its status), the ingest last (its events reach the in-process handlers).
SIDE_EFFECTS: list[tuple[str, Callable]] = [
    ("CustomerUpdatedFunction", _expect_item(_detail("customer", "customer_id"), lambda e: "PROFILE")),
    # The task input browse_abandonment.asl.json passes when the visit ends ("add").
    ("RetargetingAudienceFunction", _audience_posted),
    ("ProductUpdatedFunction", _expect_item(_detail("product_id"), _detail("title"))),
    ("ProductViewedFunction", _expect_item(_detail("anonymous_id"))),
    ("CartUpdatedFunction", _expect_item(_detail("cart_id"), execution="encore-local-cart-abandonment")),
    ("WaitForOrderFunction", _expect_item(lambda e: e["task_token"], lambda e: e["cart_id"])),
    ("OrderPlacedFunction", _expect_item(_detail("order_id"), execution="encore-local-post-purchase")),
    ("OrderStatusFunction", _expect_item(_detail("order_id"), lambda e: "fulfilled")),
    ("WaitForEventFunction", _expect_item(lambda e: e["task_token"])),
    ("ReviewSubmittedFunction", _expect_item(_detail("product_id"), _detail("rating"))),
    ("SendMessageFunction", _email_sent),
    ("MessageEventsFunction", _expect_item(lambda e: e["detail"]["mail"]["tags"]["customer"][0], lambda e: "hard_bounce")),
    ("SmsRepliesFunction", _expect_item(lambda e: json.loads(e["Records"][0]["Sns"]["Message"])["originationNumber"], lambda e: "stop")),
    ("PrivacyRequestFunction", _export_written),
    ("UnsubscribeFunction", _http_ok(200, _expect_item(lambda e: "PROFILE", lambda e: "unsubscribe"))),
    # The opt-out the unsubscribe published, written back to the store's Shopify.
    ("ConsentSyncFunction", _shop_told("customerEmailMarketingConsentUpdate")),
    # A browser's product view on the public key: its dedupe record names the visitor.
    ("TrackFunction", _http_ok(202, _expect_item(lambda e: json.loads(e["body"])["batch"][0]["anonymousId"]))),
    ("IngestFunction", _http_ok(202, _published)),
    # The hourly schedule's input: the store reconciled through its (fake) shop leaves its mark.
    ("ScheduledJobsFunction", _expect_item(lambda e: "RECONCILE", lambda e: "SCHEDULED")),
]


def smoke(twin: Path, boto3_folder: Path, interpreter: str) -> list[Row]:
    import logging

    import boto3
    from moto import mock_aws
    from moto.server import ThreadedMotoServer

    from infra.local.stack import LOCAL_ENVIRONMENT, LocalStack
    from infra.local.template import ACCOUNT_ID, REGION

    # The moto server's request log and the ASL engine's report of journeys whose Lambda tasks
    # are echoed (see below) are not this check's findings.
    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    receiver = AudienceReceiver()
    # Lambda tasks of journeys the functions start are not run here (moto's simple Lambda
    # echoes them): each function's own effect is all the table shows.
    outer = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
    outer.start()
    server = None
    try:
        # The stack's virtual clock starts at the wall-clock minute: the subprocess's time.
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        stack = LocalStack(start=now, log_level="ERROR")
        stack.start()
        try:
            stack.add_store(STORE_ID, settings={"browse_abandonment": {"retargeting_webhook_url": receiver.url}})
            prefix = stack.resolver.parameters["ParametersPrefix"]
            pin_store_secrets(prefix)
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            table = stack.physical("EncoreTable")
            bucket = stack.resolver.ref("PrivacyExportsBucket")

            def observe() -> Observation:
                stack.clock.settle()
                items = {}
                for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=table):
                    for item in page["Items"]:
                        items[(item["pk"]["S"], item["sk"]["S"])] = json.dumps(item, sort_keys=True)
                sfn = boto3.client("stepfunctions")
                executions = {
                    execution["executionArn"]
                    for machine in sfn.list_state_machines()["stateMachines"]
                    for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
                }
                exports = {obj["Key"] for obj in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])}
                shop_operations = list(stack.shops[STORE_ID].operations) if STORE_ID in stack.shops else []
                return Observation(
                    items,
                    executions,
                    len(stack.sent_emails()),
                    exports,
                    len(receiver.received),
                    len(stack.lambdas.invocations),
                    {"shop_operations": shop_operations},
                )

            base_env = {
                **{key: value for key, value in LOCAL_ENVIRONMENT.items()},
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
            }
            rows = []
            for logical, expect in SIDE_EFFECTS:
                rows.append(_invoke(stack, logical, expect, twin, boto3_folder, interpreter, base_env, observe, ACCOUNT_ID, now - RECORDED_AT))
            return rows
        finally:
            if server:
                server.stop()
            stack.stop()
    finally:
        outer.stop()
        receiver.stop()


def _invoke(
    stack,
    logical: str,
    expect: Callable,
    twin: Path,
    boto3_folder: Path,
    interpreter: str,
    base_env: dict,
    observe: Callable[[], Observation],
    account: str,
    delta: timedelta,
) -> Row:
    row = Row(logical)
    name = stack.resolver.physical_name(logical)
    spec = stack.lambdas.functions[name]
    event_file = EVENTS / f"lambda_{logical}.json"
    if not event_file.exists():
        row.problem = f"no event: {event_file.relative_to(ROOT)}"
        return row
    event = shift_moments(json.loads(event_file.read_text()), delta)
    before = observe()
    out_file = WORK / f"result-{logical}.json"
    out_file.unlink(missing_ok=True)
    payload = {
        "path": [str(twin / logical), str(twin / LAYER / "python"), str(boto3_folder)],
        "handler": spec.handler,
        "name": name,
        "event": event,
        "out": str(out_file),
        "arn": f"arn:aws:lambda:{base_env['AWS_REGION']}:{account}:function:{name}",
    }
    env = {**base_env, **spec.environment, "AWS_LAMBDA_FUNCTION_NAME": name}
    done = subprocess.run([interpreter, "-I", "-S", "-B", "-c", RUNNER], input=json.dumps(payload), env=env, capture_output=True, text=True, timeout=120)
    if not out_file.exists():
        row.problem = f"interpreter exited {done.returncode}: " + " | ".join(done.stderr.strip().splitlines()[-3:])
        return row
    out = json.loads(out_file.read_text())
    row.import_ok, row.invoke_ok, row.import_ms = out["import_ok"], out["invoke_ok"], out["import_ms"]
    if out.get("error"):
        row.problem = out["error"].splitlines()[-1]
        return row
    boto3_version, boto3_file, botocore_version, botocore_file = out["boto3"]
    pins = locked()
    layer = str(twin / LAYER / "python")
    if not (boto3_file.startswith(layer) and botocore_file.startswith(layer) and boto3_version == pins["boto3"] and botocore_version == pins["botocore"]):
        row.problem = f"boto3 {boto3_version} / botocore {botocore_version} came from outside the layer ({boto3_file})"
        return row
    after = observe()
    row.side_effect = expect(event, out.get("result"), before, after)
    if row.side_effect is None:
        row.problem = f"no side effect seen; the handler returned {json.dumps(out.get('result'), default=str)[:160]}"
    return row


# ---------------------------------------------------------------------------- report
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse-build", action="store_true", help="skip sam build; check the last build in .aws-sam/build-check")
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    started = time.perf_counter()
    failures: list[str] = []
    try:
        WORK.mkdir(parents=True, exist_ok=True)
        arm64, twin = WORK / "arm64", WORK / "x86_64-twin"
        interpreter = python313()
        if args.reuse_build and (arm64 / LAYER).is_dir():
            print(f"reusing {arm64.relative_to(ROOT)}")
        else:
            print(f"sam build (arm64) -> {arm64.relative_to(ROOT)}: {sam_build(arm64):.0f} s")

        rows = audit_binaries(arm64)
        print(f"\ncompiled files in the arm64 build: {len(rows)}")
        print(f"  {'file':<78} {'wheel':<28} {'glibc':>6}  verdict")
        for row in rows:
            print(f"  {row.path:<78} {row.dist:<28} {row.glibc:>6}  {row.problem or 'ok'}")
            if row.problem:
                failures.append(f"{row.path}: {row.problem}")
        if not rows:
            failures.append("the arm64 build holds no compiled file at all (pydantic_core is one): is the layer built?")
        check_layer_matches_lock(arm64)
        verify_aarch64_hashes()
        print(f"layer == lock ({len(locked())} distributions); lock hashes match the aarch64 wheels")

        build_twin(arm64, twin)
        boto3_folder = runtime_boto3()
        print(f"x86_64 twin from the same lock -> {twin.relative_to(ROOT)}; runtime boto3 {RUNTIME_BOTO3} beside it\n")
        results = smoke(twin, boto3_folder, interpreter)
        print(f"  {'function':<30} {'import':<7} {'invoke':<7} {'import ms':>9}  side effect")
        for row in results:
            verdict = row.side_effect or f"FAILED: {row.problem}"
            print(
                f"  {row.function:<30} {'ok' if row.import_ok else 'FAIL':<7} {'ok' if row.invoke_ok else ('FAIL' if row.import_ok else '-'):<7} {row.import_ms:>9.0f}  {verdict}"
            )
            if not row.ok:
                failures.append(f"{row.function}: {row.problem}")
        template_functions = _template_functions()
        unchecked = sorted(template_functions - {logical for logical, _ in SIDE_EFFECTS})
        if unchecked:
            failures.append(f"functions in template.yaml the check does not invoke: {', '.join(unchecked)}")
        print(f"\n{sum(r.ok for r in results)} of {len(template_functions)} handlers import, run and leave their side effect")

        site = arm64 / LAYER / "python"
        print(f"arm64 layer unzipped: {tree_size(site) / 1e6:.1f} MB (Lambda's limit: 250 MB with the function); largest:")
        for name, size in largest_packages(site):
            print(f"  {name:<40} {size / 1e6:6.1f} MB")
    except CheckFailed as error:
        failures.append(str(error))
    print(f"\nbuild check: {time.perf_counter() - started:.0f} s")
    if failures:
        print(f"BUILD CHECK FAILED ({len(failures)}):", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("build check passed")
    return 0


def _template_functions() -> set[str]:
    from infra.local.template import load_template

    return {logical for logical, spec in load_template(ROOT / "template.yaml")["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"}


if __name__ == "__main__":
    sys.exit(main())
