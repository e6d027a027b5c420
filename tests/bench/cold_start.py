"""Cold start: how long each function's handler module takes to import, as a ratio to
``import boto3`` alone (DESIGN.md's budget: at most 1.3×).

    make bench

Each import runs in a fresh interpreter, several times; the median is compared. Ratios
within one run, not absolute timings: the machine may be busy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
RUNS = 5
BUDGET = 1.3


def _seconds(code: str, path: list[Path]) -> float:
    program = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    env = {"PYTHONPATH": ":".join(str(p) for p in path), "TZ": "UTC", "PATH": "/usr/bin:/bin"}
    runs = [float(subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True).stdout) for _ in range(RUNS)]
    return statistics.median(runs)


def main() -> int:
    layer = ROOT / "layers" / "common"
    baseline = _seconds("import boto3", [layer])
    print(f"import boto3 alone: {baseline * 1000:.0f} ms (median of {RUNS})")
    print(f"{'function':24} {'ms':>6} {'ratio':>6}")
    over = 0
    for function in sorted(p for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file()):
        seconds = _seconds("import boto3, app", [function, layer])
        ratio = seconds / baseline
        over += ratio > BUDGET
        print(f"{function.name:24} {seconds * 1000:6.0f} {ratio:6.2f}{'  over budget' if ratio > BUDGET else ''}")
    print(f"{over} function(s) over the {BUDGET}× budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
