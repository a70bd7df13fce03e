"""Find the ``claude`` CLI, read its version, and prove it can log out and log in (FR-001, FR-002).

The executable is ``--claude-bin`` when given, else ``claude`` on the ``PATH`` of the session
(``shutil.which`` also finds ``claude.cmd``/``claude.exe`` on Windows), else the project's own
``node_modules/.bin/claude`` (``npm install`` in the project puts it there).

Both probes run against an empty throw-away profile with the scrubbed environment, so even a
CLI that writes files on start cannot touch the user's profile:

- ``claude --version`` prints ``2.1.332 (Claude Code)``;
- ``claude auth --help`` lists the sub-commands; today's CLI names ``login``, ``logout`` and
  ``status`` under ``Commands:`` and writes nothing. (An unknown ``claude auth X --help``
  prints the same list with exit 0, so the list, not the exit code, is the proof.)
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from claude_session_tokens.claude.child_env import profile_home, prompt_environment
from claude_session_tokens.claude.processes import Completed, LaunchError, run_captured
from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.core.redaction import environment_secrets, redact
from claude_session_tokens.core.remedy import suite

INSTALL = "npm install -g @anthropic-ai/claude-code@latest"
PROBE_LIMIT = 30.0  # seconds; a first start from a cold disk can take ~10 s
_VERSION = re.compile(r"(\d+\.\d+\.\d+)")
REQUIRED_AUTH_COMMANDS = ("logout", "login")


@dataclass(frozen=True)
class ClaudeCli:
    """A ``claude`` executable that answered ``--version``."""

    path: Path
    found_via: str  # "--claude-bin", "PATH", "node_modules/.bin"
    version: str  # "2.1.332"
    version_line: str  # "2.1.332 (Claude Code)"
    auth_commands: tuple[str, ...]  # what `claude auth --help` lists

    def capability_problem(self) -> Finding | None:
        """Why this CLI cannot log out and log in, or None (FR-001, FR-002)."""
        missing = [c for c in REQUIRED_AUTH_COMMANDS if c not in self.auth_commands]
        if not missing:
            return None
        shown = ", ".join(self.auth_commands) or "none"
        return Finding(
            cause=f"The claude CLI {self.version_line} at {self.path} has no "
                  f"'claude auth {' / '.join(missing)}' command (its 'claude auth' lists: {shown}).",
            why="the suite logs out and in with 'claude auth logout' and 'claude auth login'; "
                "a CLI without them is too old to capture a fresh session.",
            remedy=f"{INSTALL}   (or point the suite at a current CLI: --claude-bin PATH)",
        )

    def describe(self) -> str:
        return f"{self.version_line} at {self.path} (via {self.found_via})"


def _missing(cause: str) -> FindingError:
    return FindingError(Finding(
        cause=cause,
        why="the suite needs the claude CLI to log in and to prove the session with a test prompt.",
        remedy=f"{INSTALL}   (or pass the executable: {suite('--claude-bin', 'PATH')})",
    ))


def locate(claude_bin: str | None, environ: Mapping[str, str], project_root: Path) -> tuple[Path, str]:
    """The executable to run and how it was found; raises :class:`FindingError` when there is none."""
    search_path = environ.get("PATH", os.defpath)
    if claude_bin:
        given = Path(claude_bin).expanduser()
        if given.parent == Path(".") and not given.exists():  # a bare name: look it up
            found = shutil.which(claude_bin, path=search_path)
            if found:
                return Path(found), "--claude-bin"
        if given.is_file():
            return given.resolve(), "--claude-bin"
        raise _missing(f"The claude CLI given with --claude-bin ({claude_bin}) does not exist or is not a file.")
    found = shutil.which("claude", path=search_path)
    if found:
        return Path(found), "PATH"
    local_bin = project_root / "node_modules" / ".bin"
    found = shutil.which("claude", path=str(local_bin))
    if found:
        return Path(found), "node_modules/.bin"
    raise _missing("The claude CLI is not installed: 'claude' is not on PATH "
                   f"(nor in {local_bin}).")


def parse_auth_commands(help_text: str) -> tuple[str, ...]:
    """The sub-command names under ``Commands:`` in ``claude auth --help``."""
    names: list[str] = []
    in_commands = False
    for line in help_text.splitlines():
        if re.match(r"^\s*Commands:\s*$", line):
            in_commands = True
            continue
        if in_commands:
            match = re.match(r"^\s{2,}([a-z][\w-]*)\b", line)
            if match:
                names.append(match.group(1))
            elif line.strip() and not line.startswith(" "):
                in_commands = False
    return tuple(n for n in names if n != "help")


def _stdout(done: Completed) -> bytes | str:
    return done.raw_stdout if done.raw_stdout is not None else done.stdout


def probe(path: Path, found_via: str, environ: Mapping[str, str], platform: str,
          limit: float = PROBE_LIMIT) -> ClaudeCli:
    """Run ``--version`` and ``auth --help``; raises :class:`FindingError` when the CLI does not run."""
    with tempfile.TemporaryDirectory(prefix="claude-session-tokens-probe-") as root:
        home = profile_home(Path(root))
        (home / ".claude").mkdir(parents=True)
        env = prompt_environment(environ, home, platform).env
        try:
            version = run_captured([str(path), "--version"], env=env, limit=limit, cwd=home, platform=platform)
        except LaunchError as err:
            raise _missing(f"The claude CLI at {path} cannot be started ({err.reason}).") from None
        known = environment_secrets(environ)  # a hostile or broken CLI may echo any of them
        said = redact(_stdout(version), known, limit=None)
        line = next((ln.strip() for ln in said.splitlines() if ln.strip()), "")
        match = _VERSION.search(line)
        if version.timed_out or version.returncode != 0 or not match or "claude" not in line.lower():
            if version.timed_out:
                what = f"did not answer 'claude --version' within {limit:.0f} s"
            elif version.returncode != 0:
                what = f"exited with code {version.returncode} on 'claude --version'"
            else:
                what = "does not answer 'claude --version' like Claude Code (expected e.g. '2.1.332 (Claude Code)')"
            raise _missing(f"The program at {path} {what}.")
        helped = run_captured([str(path), "auth", "--help"], env=env, limit=limit, cwd=home, platform=platform)
        commands = () if helped.timed_out else parse_auth_commands(redact(_stdout(helped), known, limit=None))
    return ClaudeCli(path=path, found_via=found_via, version=match.group(1), version_line=line[:80],
                     auth_commands=commands)


def find_cli(claude_bin: str | None, environ: Mapping[str, str], platform: str, project_root: Path) -> ClaudeCli:
    path, found_via = locate(claude_bin, environ, project_root)
    return probe(path, found_via, environ, platform)

