"""Helpers for the Secret tests: the real kubectl as an oracle, payloads, throw-away git repos.

A passing run of the whole suite needs a test prompt that answers: the real ``claude`` CLI from
``node_modules`` talks to :class:`helpers.messages_api.MessagesAPI` through
``ANTHROPIC_BASE_URL`` (docs/claude-cli-facts.md), so nothing here needs the network.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from helpers.in_process import run_main
from helpers.runner import ROOT

REAL_CLAUDE = ROOT / "node_modules" / ".bin" / ("claude.cmd" if os.name == "nt" else "claude")
RENDER_SECRET = ROOT / "render_secret.py"


def kubectl() -> str:
    path = shutil.which("kubectl")
    assert path, "the Secret tests need the real kubectl on PATH (the oracle for the output)"
    return path


def kubectl_secret(files: dict[str, bytes], name: str, namespace: str, fmt: str, workdir: Path) -> str:
    """What ``kubectl create secret generic --from-file ... --dry-run=client -o FMT`` prints."""
    workdir.mkdir(parents=True, exist_ok=True)
    args = [kubectl(), "create", "secret", "generic", name, "--namespace", namespace,
            "--dry-run=client", "-o", fmt]
    for i, (key, data) in enumerate(sorted(files.items())):
        source = workdir / f"file{i}"
        source.write_bytes(data)
        args.append(f"--from-file={key}={source}")
    env = dict(os.environ, KUBECONFIG=str(workdir / "no-such-kubeconfig"))  # no cluster, ever
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def comparable(manifest: dict) -> dict:
    """The parts kubectl also prints: everything but type, labels and annotations."""
    meta = {k: v for k, v in manifest["metadata"].items() if k not in ("labels", "annotations")}
    return {"apiVersion": manifest["apiVersion"], "kind": manifest["kind"], "metadata": meta,
            "data": manifest["data"]}


def decoded(manifest: dict) -> dict[str, bytes]:
    return {k: base64.b64decode(v, validate=True) for k, v in manifest["data"].items()}


def load_secret(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60,
                          check=True)


def make_repo(path: Path, gitignore: str | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    git(path, "config", "user.email", "test@example.com")
    git(path, "config", "user.name", "test")
    if gitignore is not None:
        (path / ".gitignore").write_text(gitignore)
    return path


def run_render_secret(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                      timeout: float = 180, in_process: bool = True) -> subprocess.CompletedProcess:
    """``python render_secret.py ARGS`` as a user runs it, stdout and stderr apart.

    By default ``render_cli.main(ARGS)`` runs in this process, as the child would (helpers/
    in_process.py: its environment, cwd and stdin; the output captured at the file descriptors).
    ``in_process=False`` starts ``render_secret.py`` as a child, for a test about the process
    itself; ``timeout`` limits only such a child."""
    if in_process:
        from claude_session_tokens import render_cli

        return run_main(render_cli.main, args, str(RENDER_SECRET), env=env, cwd=cwd or ROOT, path0=ROOT)
    return subprocess.run([sys.executable, str(RENDER_SECRET), *args], capture_output=True, text=True,
                          errors="replace", timeout=timeout, env=env, cwd=cwd or ROOT,
                          stdin=subprocess.DEVNULL)
