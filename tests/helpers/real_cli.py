"""The real ``claude`` CLI from npm (``npm install`` in the project), for the real-CLI tier.

A missing CLI fails the tier instead of skipping it: CI installs it, so a skip would hide a
broken install (a test must be able to fail).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from .runner import ROOT

NODE_BIN = ROOT / "node_modules" / ".bin"
# As the checks run the CLI (no retries), and no call home: no telemetry, no auto-update, no
# other non-essential traffic.
QUIET = {"CLAUDE_CODE_MAX_RETRIES": "0", "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}


def real_claude() -> Path:
    """``node_modules/.bin/claude`` (``claude.cmd`` on Windows), or the test fails."""
    found = shutil.which("claude", path=str(NODE_BIN))
    if not found:
        pytest.fail(f"The real claude CLI is not installed in {NODE_BIN}: run 'npm install' in {ROOT} "
                    "(package.json pins @anthropic-ai/claude-code).", pytrace=False)
    return Path(found)


_HELD_PORTS: list[socket.socket] = []  # kept bound for the whole test run


def closed_port() -> int:
    """A local TCP port that refuses connections: bound by this process and never listening,
    so no other program can take it meanwhile (no bind-release-hope race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(sock)
    return sock.getsockname()[1]


def offline() -> dict[str, str]:
    """QUIET plus a dead proxy for everything but 127.0.0.1: whatever the CLI would send elsewhere
    (the OAuth refresh after a 401, telemetry) fails locally, so no canary token leaves the
    machine even on a CI runner with network access."""
    dead = f"http://127.0.0.1:{closed_port()}"
    proxies = {name: dead for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")}
    return {**QUIET, **proxies, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


def clean_environment(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any Claude/Anthropic setting, home moved to ``home``."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("ANTHROPIC_", "CLAUDE_")) and k.upper() not in ("HOME", "USERPROFILE")}
    env.update(HOME=str(home), USERPROFILE=str(home), **offline())
    env.update(extra)
    return env


@dataclass
class PromptRun:
    returncode: int
    stdout: str
    stderr: str
    result: dict

    @property
    def text(self) -> str:
        return str(self.result.get("result", ""))


def run_prompt(config_dir: Path, env: Mapping[str, str], cwd: Path, timeout: float = 120) -> PromptRun:
    """``claude -p ok --output-format json`` with ``CLAUDE_CONFIG_DIR=config_dir``."""
    import json

    full = dict(env, CLAUDE_CONFIG_DIR=str(config_dir))
    done = subprocess.run([str(real_claude()), "-p", "Reply with the single word: ok", "--output-format", "json"],
                          env=full, cwd=str(cwd), capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        result = {}
    return PromptRun(done.returncode, done.stdout, done.stderr, result if isinstance(result, dict) else {})
