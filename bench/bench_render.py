"""Benchmark: how long ``python render_secret.py`` takes, against the manual pipeline on the same files.

    python bench/bench_render.py [--runs 7] [--transcripts 100000]

Prints figures; asserts nothing (speed targets live here, not in the tests):

1. the main job, ``render_secret.py --dry-run`` on a small profile with a fake ``claude`` that
   answers instantly (tests/fakes/claude, mode ok), side by side with the bare manual pipeline
   a user would type instead: ``ls`` of the session directory, ``claude -p`` (the same fake CLI),
   ``kubectl create secret generic --dry-run=client -o yaml --from-file ...`` and
   ``kubernetes-validate --strict`` of that output. Both figures leave the CLI out: the tool's
   own work is its wall time minus the time the fake CLI itself took (each call the tool made is
   replayed and timed on its own), the pipeline's is ``ls`` + ``kubectl`` + ``kubernetes-validate``.
   Then the ratio of the two (target: at most 2x). The tool and the pipeline alternate, run by
   run, so a busy machine slows both alike; each figure is the median of ``--runs``;
2. wall time of a full ``render_secret.py`` run (every check, then the Secret written) on the
   same profile, and ``kubectl create secret ...`` alone on the files of that Secret, and the ratio;
3. that run's own overhead: its wall time minus the time the fake CLI itself took;
4. the same run on a profile with ``--transcripts`` files under ``projects/``, and what they add.

Targets: the main job's own work within 2x the manual pipeline's; a full run's own overhead
under 1 s on this machine; the large profile adds under 10 %. The tool runs with its bytecode
cached, as on a user's machine (``PYTHONDONTWRITEBYTECODE`` is dropped for the runs measured).
The machine's load weighs on both sides alike, but not equally: take the median of a few runs.
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
    result = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True, errors="replace",
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


def fake_cli_seconds(calls: list[str], env: dict[str, str], profile: Path, tmp: Path, repeats: int = 5) -> float:
    """Seconds the fake CLI itself needs for ``calls`` (each replayed directly, median of ``repeats``)."""
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
        total += statistics.median(timed(argv, run_env)[0] for _ in range(repeats))
    return total


def dry_run_cmd(profile: Path, work: Path) -> list[str]:
    """The main job: every check, then the Secret printed (``--dry-run``), nothing written."""
    return [sys.executable, str(ROOT / "render_secret.py"), "--claude-config-dir", str(profile),
            "--claude-bin", str(FAKE), "--dry-run", "--reports-dir", str(work / "reports")]


def kubernetes_validate_executable() -> str | None:
    """The ``kubernetes-validate`` of the interpreter the tool runs on (no pyenv-style shim in
    front of it, which would only make the manual pipeline look slower), else the one on PATH."""
    scripts = Path(sys.executable).parent
    for name in ("kubernetes-validate.exe", "kubernetes-validate") if os.name == "nt" else ("kubernetes-validate",):
        if (scripts / name).is_file():
            return str(scripts / name)
    return shutil.which("kubernetes-validate")


def checked(seconds_result: tuple[float, subprocess.CompletedProcess], what: str) -> float:
    seconds, result = seconds_result
    if result.returncode != 0:
        sys.exit(f"{what} failed (exit {result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def manual_pipeline(session_dir: Path, keys: list[str], kubectl: str, validate: str, env: dict[str, str],
                    out: Path) -> tuple[float, float]:
    """One run of the pipeline a user would type by hand: (its own seconds without the CLI, the CLI's)."""
    run_env = dict(env, CLAUDE_CONFIG_DIR=str(session_dir))
    listing = ["cmd", "/c", "dir", "/a", str(session_dir)] if os.name == "nt" else ["ls", "-la", str(session_dir)]
    own = checked(timed(listing, run_env), "ls")
    cli = checked(timed([str(FAKE), "-p", "Reply with the single word: ok", "--output-format", "json"], run_env),
                  "claude -p")
    seconds, result = timed(kubectl_cmd(kubectl, {key: session_dir / key for key in keys}), run_env)
    own += checked((seconds, result), "kubectl create secret")
    out.write_text(result.stdout)
    own += checked(timed([validate, "--strict", str(out)], run_env), "kubernetes-validate --strict")
    return own, cli


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (median is shown)")
    parser.add_argument("--transcripts", type=int, default=100_000, help="files under projects/ for the large profile")
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    if not kubectl:
        sys.exit("kubectl is not on PATH; it is the reference this benchmark compares against")
    validate = kubernetes_validate_executable()
    if not validate:
        sys.exit("kubernetes-validate is not installed; the manual pipeline validates with it "
                 "(python -m pip install kubernetes-validate)")

    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        tmp_path = Path(tmp)
        profile = ProfileBuilder(tmp_path / "profile").create()
        log = tmp_path / "claude-calls.txt"
        (tmp_path / "control.json").write_text(json.dumps({"mode": "ok"}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
        # bytecode cached, as on a user's machine (pip compiles what it installs; a checkout's
        # __pycache__ is written by the first run): else every run compiles the tool's modules
        env.pop("PYTHONDONTWRITEBYTECODE", None)
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

        # the main job (--dry-run) against the manual pipeline, alternating run by run
        log.write_text("")
        counted = dry_run_cmd(profile.dir, tmp_path / "count-dry")
        counted[counted.index(str(FAKE))] = str(shim)
        median_of(1, counted, env, "render_secret.py --dry-run")
        dry_calls = [line.strip() for line in log.read_text().splitlines() if line.strip()]
        by_hand = tmp_path / "by-hand-profile"
        shutil.copytree(profile.dir, by_hand)
        # per run: the tool, the replay of its CLI calls, the pipeline; a figure is the median of the runs
        dry_times, dry_cli_times, dry_own_times, hand_times, hand_cli_times = [], [], [], [], []
        for _ in range(args.runs):
            wall = median_of(1, dry_run_cmd(profile.dir, tmp_path / "dry"), env, "render_secret.py --dry-run")
            cli = fake_cli_seconds(dry_calls, env, profile.dir, tmp_path, repeats=1)
            dry_times.append(wall)
            dry_cli_times.append(cli)
            dry_own_times.append(wall - cli)
            own, cli = manual_pipeline(by_hand, sorted(files), kubectl, validate, env, tmp_path / "by-hand.yaml")
            hand_times.append(own)
            hand_cli_times.append(cli)
        dry_own, dry_cli_seconds = statistics.median(dry_own_times), statistics.median(dry_cli_times)
        hand_own, hand_cli = statistics.median(hand_times), statistics.median(hand_cli_times)

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
    ratio = dry_own / hand_own
    print(f"main job: render_secret.py --dry-run, own work      : {dry_own:6.3f} s  (wall "
          f"{statistics.median(dry_times):.3f} s minus {len(dry_calls)} fake CLI calls, {dry_cli_seconds:.3f} s; "
          f"median of {args.runs})")
    print(f"manual pipeline (ls, kubectl, kubernetes-validate)  : {hand_own:6.3f} s  (claude -p left out: "
          f"{hand_cli:.3f} s; median of {args.runs})")
    print(f"ratio main job / manual pipeline                    : {ratio:6.2f} x  (target <= 2 x: "
          f"{'met' if ratio <= 2 else 'MISSED'})")
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
