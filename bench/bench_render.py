"""Benchmark: how long ``python render_secret.py`` takes, against kubectl on the same files.

    python bench/bench_render.py [--runs 5] [--transcripts 100000]

Prints figures; asserts nothing (speed targets live here, not in the tests):

1. wall time of a full ``render_secret.py`` run (every check, then the Secret written) on a
   small profile, with a fake ``claude`` that answers instantly (tests/fakes/claude, mode ok);
2. wall time of ``kubectl create secret generic ... --from-file ... --dry-run=client -o yaml``
   on the same files in the same run, and the ratio;
3. the tool's own overhead: its wall time minus the time the fake CLI itself took
   (each invocation of the fake is timed separately and multiplied by the calls it got);
4. the same run on a profile with ``--transcripts`` files under ``projects/``, and what they add.

Targets (issue 4): own overhead under 1 s on this machine; the large profile adds under 10 %.
Nothing here touches your real ``~/.claude`` or contacts a cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers.profiles import ProfileBuilder  # noqa: E402  (a test helper: canary tokens, real file shapes)

FAKE = ROOT / "tests" / "fakes" / ("claude.cmd" if os.name == "nt" else "claude")


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                            stdin=subprocess.DEVNULL)
    return time.perf_counter() - start, result


def median_of(runs: int, cmd: list[str], env: dict[str, str], must_succeed: str) -> float:
    times = []
    for _ in range(runs):
        seconds, result = timed(cmd, env)
        if result.returncode != 0:
            sys.exit(f"{must_succeed} failed (exit {result.returncode}):\n"
                     f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        times.append(seconds)
    return statistics.median(times)


def render_cmd(profile: Path, work: Path) -> list[str]:
    return [sys.executable, str(ROOT / "render_secret.py"), "--claude-config-dir", str(profile),
            "--claude-bin", str(FAKE), "--secret-out", str(work / "secrets" / "s.yaml"),
            "--reports-dir", str(work / "reports")]


def kubectl_cmd(kubectl: str, files: dict[str, Path]) -> list[str]:
    return [kubectl, "create", "secret", "generic", "claude-session-tokens", "--namespace", "${NAMESPACE}",
            "--dry-run=client", "-o", "yaml", *[f"--from-file={k}={p}" for k, p in sorted(files.items())]]


def counting_shim(directory: Path, log: Path) -> Path:
    """A thin wrapper around the fake that notes each call's arguments (a shell, not Python)."""
    if os.name == "nt":
        shim = directory / "claude-counting.cmd"
        shim.write_text(f'@echo %*>>"{log}"\r\n@call "{FAKE}" %*\r\n')
    else:
        shim = directory / "claude-counting"
        shim.write_text(f'#!/bin/sh\nprintf \'%s\\n\' "$*" >> "{log}"\nexec "{FAKE}" "$@"\n')
        shim.chmod(0o755)
    return shim


def fake_cli_seconds(calls: list[str], env: dict[str, str], profile: Path, tmp: Path) -> float:
    """Seconds the fake CLI itself needs for ``calls`` (each replayed directly, median of 5)."""
    total = 0.0
    for call in calls:
        run_env = dict(env)
        if call.startswith("-p"):
            copy = tmp / "replay-profile"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(profile, copy, ignore=shutil.ignore_patterns("projects"))
            run_env["CLAUDE_CONFIG_DIR"] = str(copy)
            argv = [str(FAKE), "-p", "Reply with the single word: ok", "--output-format", "json"]
        else:
            argv = [str(FAKE), *call.split()]
        total += statistics.median(timed(argv, run_env)[0] for _ in range(5))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median is shown)")
    parser.add_argument("--transcripts", type=int, default=100_000, help="files under projects/ for the large profile")
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if not kubectl:
        sys.exit("kubectl is not on PATH; it is the reference this benchmark compares against")

    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        tmp_path = Path(tmp)
        profile = ProfileBuilder(tmp_path / "profile").create()
        log = tmp_path / "claude-calls.txt"
        (tmp_path / "control.json").write_text(json.dumps({"mode": "ok"}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
        env.update(FAKE_CLAUDE_CONTROL=str(tmp_path / "control.json"), FAKE_CLAUDE_PYTHON=sys.executable,
                   KUBECONFIG=str(tmp_path / "no-kubeconfig"), HOME=str(tmp_path / "home"))
        (tmp_path / "home").mkdir()

        shim = counting_shim(tmp_path, log)
        counted = render_cmd(profile.dir, tmp_path / "count")
        counted[counted.index(str(FAKE))] = str(shim)
        median_of(1, counted, env, "render_secret.py")  # also warms the caches
        calls = [line.strip() for line in log.read_text().splitlines() if line.strip()]
        cli_seconds = fake_cli_seconds(calls, env, profile.dir, tmp_path)

        import base64

        import yaml  # the files kubectl gets are the ones the tool put into the Secret
        secret = yaml.safe_load((tmp_path / "count" / "secrets" / "s.yaml").read_text())
        files = {}
        for key, value in secret["data"].items():
            path = tmp_path / "kubectl-input" / key
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(base64.b64decode(value))
            files[key] = path
        ref = median_of(args.runs, kubectl_cmd(kubectl, files), env, "kubectl")

        start = time.perf_counter()
        big = ProfileBuilder(tmp_path / "big-profile")
        shutil.copytree(profile.dir, big.dir)
        big.add_transcripts(args.transcripts)
        built = time.perf_counter() - start
        # small and large alternate, so a busy machine slows both alike
        small_times, large_times = [], []
        for _ in range(args.runs):
            small_times.append(median_of(1, render_cmd(profile.dir, tmp_path / "small"), env, "render_secret.py"))
            large_times.append(median_of(1, render_cmd(big.dir, tmp_path / "large"), env, "render_secret.py"))
        tool, large = statistics.median(small_times), statistics.median(large_times)

    overhead = tool - cli_seconds
    print(f"render_secret.py, small profile, instant fake CLI : {tool:6.3f} s  (median of {args.runs})")
    print(f"kubectl create secret --dry-run=client -o yaml     : {ref:6.3f} s  (median of {args.runs})")
    print(f"ratio tool / kubectl                               : {tool / ref:6.1f} x")
    print(f"fake CLI calls per run, their own time             : {len(calls)} calls "
          f"({', '.join(c.split()[0] for c in calls)}), "
          f"{cli_seconds:.3f} s")
    print(f"tool's own overhead (wall - fake CLI time)         : {overhead:6.3f} s  (target < 1 s: "
          f"{'met' if overhead < 1 else 'MISSED'})")
    print(f"render_secret.py, {args.transcripts:>7} transcripts          : {large:6.3f} s  "
          f"(profile built in {built:.1f} s)")
    added = (large - tool) / tool * 100
    print(f"added by the large profile                         : {added:+6.1f} %  (target < 10 %: "
          f"{'met' if added < 10 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
