"""Benchmark: how long the project's own test suite takes, with the README's test command.

    python bench/bench_suite.py [--runs 1] [-- extra pytest arguments]

Prints figures; asserts nothing (speed targets live here, not in the tests). Runs
``python -m pytest tests -n auto --dist worksteal`` (the README's command, without the installs)
from the checkout, ``--runs`` times, and prints per run the wall time, the CPU time of pytest and
everything it started (workers, the real CLI, busybox, git ...), the number of cores, and the
outcome line pytest printed. Target: the whole suite under 2 minutes on 2 cores. A machine that
others share shows more; compare the CPU time, which load inflates less.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ["-m", "pytest", "tests", "-n", "auto", "--dist", "worksteal", "-q", "-p", "no:randomly"]
TARGET_SECONDS = 120.0


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(extra: list[str]) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the run and its children, exit code, pytest's last line)."""
    cpu_before = children_cpu()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *COMMAND, *extra], cwd=ROOT, capture_output=True, text=True,
                          errors="replace", stdin=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return wall, children_cpu() - cpu_before, done.returncode, (lines[-1] if lines else "(no output)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="how many times to run the suite")
    parser.add_argument("extra", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args()
    print(f"suite: python {' '.join(COMMAND)} {' '.join(args.extra)}".rstrip())
    print(f"cores: {os.cpu_count()}")
    worst = 0
    for n in range(1, args.runs + 1):
        wall, cpu, code, outcome = run_once(args.extra)
        worst = worst or code
        print(f"run {n}: {wall:6.1f} s wall, {cpu:6.1f} s CPU (pytest and its children); "
              f"target < {TARGET_SECONDS:.0f} s: {'met' if wall < TARGET_SECONDS else 'MISSED'}; {outcome}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
