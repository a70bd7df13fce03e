"""Fixes as data: the commands a remedy asks the user to run, spelled once for this run.

A remedy names commands, not strings: :class:`Command` is a program and its arguments, where
the program is either the suite itself (:data:`SUITE`: ``pytest checks`` or
``python render_secret.py``, whichever front door the user came through) or the claude CLI
(:data:`CLAUDE`: the executable that was really found, so ``node_modules/.bin/claude`` when
that is where it is, with ``CLAUDE_CONFIG_DIR`` set for ``claude auth ...`` when the session
is not the default ``~/.claude``). :class:`Remedy` strings commands and plain words together;
``str()`` renders it with the run's :class:`Spelling` (front door, platform, CLI, profile),
which the suite's plugin builds once per run and :func:`use` makes current.

POSIX shells and PowerShell differ: ``CLAUDE_CONFIG_DIR=DIR claude auth login`` in sh, bash
and zsh; ``$env:CLAUDE_CONFIG_DIR='DIR'; claude auth login`` in PowerShell, where a quoted
executable needs the call operator (``& 'C:\\my tools\\claude.cmd' auth login``).
"""

from __future__ import annotations

import contextlib
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUITE = "<suite>"
CLAUDE = "<claude>"
PYTEST_CHECKS = "pytest checks"
RENDER_SECRET = "python render_secret.py"

_POWERSHELL_BARE = re.compile(r"[\w./:=+\\-]+")


def powershell_quote(text: str) -> str:
    """``text`` as one PowerShell argument: bare when nothing in it is special, else '...'."""
    if _POWERSHELL_BARE.fullmatch(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def shell_quote(text: str, windows: bool) -> str:
    return powershell_quote(text) if windows else shlex.quote(text)


class _Spelled:
    """A piece of a remedy; ``str()`` spells it for the current run (:meth:`Spelling.render`)."""

    def __str__(self) -> str:
        return current().render(self)


@dataclass(frozen=True, init=False)
class Command(_Spelled):
    """One command: ``program`` (:data:`SUITE`, :data:`CLAUDE` or a plain program) and its arguments."""

    program: str
    args: tuple[str, ...] = ()

    def __init__(self, program: str, *args: str) -> None:
        object.__setattr__(self, "program", program)
        object.__setattr__(self, "args", tuple(args))


@dataclass(frozen=True, init=False)
class Chain(_Spelled):
    """Commands run one after the other, each only when the one before succeeded (``&&``)."""

    commands: tuple[Command, ...]

    def __init__(self, *commands: Command) -> None:
        object.__setattr__(self, "commands", tuple(commands))


Part = str | Command | Chain


@dataclass(frozen=True, init=False)
class Remedy(_Spelled):
    """Plain words and commands; ``str()`` spells it for the current run."""

    parts: tuple[Part, ...]

    def __init__(self, *parts: Part) -> None:
        object.__setattr__(self, "parts", tuple(parts))

    def __add__(self, other: Part | Remedy) -> Remedy:
        more = other.parts if isinstance(other, Remedy) else (other,)
        return Remedy(*self.parts, *more)

    def __radd__(self, other: Part) -> Remedy:
        return Remedy(other, *self.parts)


@dataclass(frozen=True)
class Spelling:
    """How this run spells commands: its front door, its platform, its CLI and profile."""

    front_door: str = PYTEST_CHECKS
    windows: bool = False
    claude: str = "claude"  # the executable as the user can type it (a path when not on PATH)
    config_dir: str | None = None  # CLAUDE_CONFIG_DIR for ``claude auth ...``; None: the default profile
    # the options of this run that chose the session and the CLI (``--claude-config-dir DIR``, ...):
    # the suite's own remedies repeat them, so they judge (or log out) the same session, not ~/.claude
    suite_options: tuple[tuple[str, str], ...] = ()

    def _claude(self) -> str:
        if self.claude == "claude":
            return "claude"
        quoted = shell_quote(self.claude, self.windows)
        if self.windows and quoted.startswith("'"):
            return f"& {quoted}"  # PowerShell runs a quoted path only through the call operator
        return quoted

    def _needs_profile(self, command: Command) -> bool:
        """``claude auth ...``, ``claude -p ...`` and the interactive ``claude`` use (and write) the
        profile of ``CLAUDE_CONFIG_DIR``; ``claude --version`` needs none."""
        return command.program == CLAUDE and bool(self.config_dir) and command.args[:1] in (("auth",), ("-p",), ())

    def _bare(self, command: Command) -> str:
        args = [shell_quote(a, self.windows) if _needs_quoting(a) else a for a in command.args]
        if command.program == SUITE:
            head = self.front_door
            given = {a.split("=")[0] for a in command.args}
            # after the remedy's own arguments ('... --fresh-login --claude-config-dir DIR')
            args += [f"{flag} {shell_quote(value, self.windows)}"
                     for flag, value in self.suite_options if flag not in given]
        elif command.program == CLAUDE:
            head = self._claude()
        else:
            head = command.program
        return " ".join([head, *args])

    def _profile_prefix(self) -> str:
        if self.windows:
            return f"$env:CLAUDE_CONFIG_DIR={powershell_quote_always(self.config_dir or '')}; "
        return f"CLAUDE_CONFIG_DIR={shlex.quote(self.config_dir or '')} "

    def command(self, command: Command) -> str:
        if self._needs_profile(command):
            return self._profile_prefix() + self._bare(command)
        return self._bare(command)

    def chain(self, chain: Chain) -> str:
        if self.windows and any(self._needs_profile(c) for c in chain.commands):
            # the variable stays set for the rest of the PowerShell session: set it once
            return self._profile_prefix() + " && ".join(self._bare(c) for c in chain.commands)
        return " && ".join(self.command(c) for c in chain.commands)

    def render(self, remedy: Remedy | Part) -> str:
        if isinstance(remedy, Command):
            return self.command(remedy)
        if isinstance(remedy, Chain):
            return self.chain(remedy)
        if isinstance(remedy, Remedy):
            return "".join(self.render(part) for part in remedy.parts)
        return str(remedy)


def powershell_quote_always(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _needs_quoting(arg: str) -> bool:
    """Placeholders such as ``PATH`` or ``<dir>`` are shown as they are; real values are quoted."""
    return not (arg.startswith("<") and arg.endswith(">")) and not re.fullmatch(r"[\w./:=,+@%-]+", arg)


_CURRENT: list[Spelling] = [Spelling()]
_FRONT_DOOR: list[str] = [PYTEST_CHECKS]


@contextlib.contextmanager
def _pushed(stack: list, value: object) -> Iterator[None]:
    """``value`` on top of ``stack`` inside the block."""
    stack.append(value)
    try:
        yield
    finally:
        stack.pop()


def using(spelling: Spelling) -> contextlib.AbstractContextManager[None]:
    """Render with ``spelling`` inside the block (the summary ``render_secret.py`` prints after the run)."""
    return _pushed(_CURRENT, spelling)


def entered_through(name: str) -> contextlib.AbstractContextManager[None]:
    """The run inside the block was started by ``name`` (``python render_secret.py``)."""
    return _pushed(_FRONT_DOOR, name)


def current() -> Spelling:
    return _CURRENT[-1]


def use(spelling: Spelling) -> None:
    """Make ``spelling`` the one remedies are rendered with from now on (set once per run)."""
    _CURRENT[-1] = spelling


def front_door() -> str:
    return _FRONT_DOOR[-1]


def claude_as_typed(path: Path | None, found_via: str | None, given: str | None = None) -> str:
    """How the user runs the CLI that was found: ``claude`` when it is on PATH under that name,
    the path given with ``--claude-bin`` as given (made absolute, links not resolved), else its path."""
    if path is None or found_via == "PATH" and path.stem.lower() == "claude":
        return "claude"
    if found_via == "--claude-bin" and given and (Path(given).parent != Path(".") or Path(given).exists()):
        return str(Path(given).expanduser().absolute())
    return str(path)


def quoted(text: object) -> str:
    """``text`` (a path, a name) as one word of this run's shell: POSIX or PowerShell quoting."""
    return shell_quote(str(text), current().windows)


def icacls_grant(path: object, rights: str) -> str:
    """The Windows fix for a permission problem: grant the current user ``rights`` on ``path``
    (``R`` read, ``RX`` read and search, ``(OI)(CI)M`` modify, inherited). For PowerShell, where
    ``${env:USERNAME}`` expands (``%USERNAME%`` does not)."""
    return f'icacls "{path}" /grant "${{env:USERNAME}}:{rights}"'


# The remedies the suite gives most often.
def suite(*args: str) -> Command:
    return Command(SUITE, *args)


def claude(*args: str) -> Command:
    return Command(CLAUDE, *args)


LOG_IN = claude("auth", "login")
RELOGIN = Chain(claude("auth", "logout"), claude("auth", "login"))
FRESH_LOGIN = suite("--fresh-login")
RUN_AGAIN = suite()
