"""``python render_secret.py``: run every check in-process, then tell the user what happened.

The options are the suite's own (``options.OPTIONS``), so ``render_secret.py --help`` and
``pytest checks --help`` document the same things; ``-o/--output`` is ``--secret-format``.
pytest's own output is kept out of the way (``--verbose`` shows it); the summary says which
requirements passed, where the Secret went, what it holds, when it expires, and what to do next.

Exit codes: 0 the Secret was rendered (written, or printed with ``--dry-run``); 1 it was not
(a check failed or the run was incomplete); 2 the command line was wrong; 130 interrupted
(Ctrl+C), 143 stopped by SIGTERM, 129 by SIGHUP.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from datetime import datetime, timezone
from typing import Any, Sequence

import pytest

from . import gate, signals
from .handoff import OPTION as HAND_OFF
from .lifetime import EXAMPLE, pod_can_refresh_until
from .manifest import iso_utc
from .options import OPTIONS
from .platforms import is_windows
from .plugin import CHECKS_DIR, PROJECT_ROOT, Ledger, ledger
from .spent_session import FRESH_LOGIN_RUN, SESSION_SPENT, SPENT_LINE

AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
EPILOG = """\
exit codes: 0 the Secret was rendered (written, or printed with --dry-run);
            1 it was not (a check failed, or the run was incomplete); 2 bad command line;
            130 interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP (terminal
            closed): nothing written, the temporary copy of the session removed, the CLI killed.

With --dry-run the manifest alone goes to stdout (pipe it into envsubst / kubectl apply -f -)
and everything else to stderr. No mode contacts a cluster.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="render_secret.py",
        description="Verify the Claude session on this machine with every check of the suite; when all "
                    "pass, render it as a Kubernetes Secret (secrets/<name>.yaml, mode 0600).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    for option in OPTIONS:
        parser.add_argument(*option.aliases, option.flag, **option.kwargs())
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Show pytest's own output of the checks as well (on stderr; always shown with "
                             "--fresh-login, whose sign-in talks to you through it).")
    return parser


def pytest_args(values: argparse.Namespace) -> list[str]:
    """The forwarded options, spelled as pytest knows them (``-o`` is pytest's ini override)."""
    args: list[str] = []
    for option in OPTIONS:
        value = getattr(values, option.dest)
        if option.action == "store_true":
            if value:
                args.append(option.flag)
        elif option.action == "append":
            for item in value or ():
                args.append(f"{option.flag}={item}")
        elif value is not None and value != option.default:
            args.append(f"{option.flag}={value}")
    return args


class _Collector:
    """A pytest plugin that keeps the run's config so the summary can read the ledger."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[gate.PRINTS_DRY_RUN_ITSELF] = True


def _expiry_line(label: str, moment_ms: int | None, now: datetime) -> str | None:
    if not moment_ms:
        return None
    hours = (moment_ms / 1000 - now.timestamp()) / 3600
    span = f"in {hours:.1f} h" if hours >= 0 else f"{-hours:.1f} h ago"
    return f"  {label}: {iso_utc(moment_ms)} ({span})"


_OR_THIS_COMMAND = "   (or python render_secret.py)"


def as_run_here(text: str) -> str:
    """``text`` with the suite's command spelled as this script's (the options are the same)."""
    return text.replace(_OR_THIS_COMMAND, "").replace("pytest checks", "python render_secret.py")


def requirement_lines(book: Ledger) -> list[str]:
    lines = ["Requirements:"]
    for rid, title, status, note in book.table():
        lines.append(f"  {rid}  {status:<7}  {title}")
        if note and status in ("SKIP", "NOT RUN"):
            lines.append(f"           note: {as_run_here(note.splitlines()[0])}")
    problems = [v for v in book.verdicts.values() if v.outcome in ("failed", "error", "skipped", "refused")]
    if problems:
        lines += ["", "What went wrong:"]
        for verdict in problems:
            name = verdict.nodeid.split("/")[-1].split("::")[0]
            text = verdict.message.strip().splitlines() or [verdict.outcome]
            lines.append(f"  {name} ({', '.join(verdict.requirements)}): {as_run_here(text[0])}")
            if verdict.outcome != "refused":  # its first line names the checks its details list
                lines += [f"      {as_run_here(detail)}" for detail in verdict.details]
            if verdict.remedy:  # a closed gate is "blocked", not listed here: this is the render's own failure
                lines.append(f"      fix: {as_run_here(verdict.remedy)}")
    warned = [w for v in book.verdicts.values() for w in v.warnings]
    if warned:
        lines += ["", "Warnings:"] + [f"  {as_run_here(w.cause)} Fix: {as_run_here(w.remedy)}" for w in warned]
    return lines


def secret_lines(result: Any, now: datetime) -> list[str]:
    where = "printed to stdout (--dry-run), nothing written" if result.dry_run else f"written to {result.path} (mode 0600)"
    lines = ["", f"Secret {result.name} ({result.fmt}, validated for Kubernetes {result.kubernetes_version}): {where}"]
    width = max(len(k) for k in result.sizes)
    lines += [f"  {key:<{width}}  {size} bytes" for key, size in result.sizes.items()]
    for line in (_expiry_line("access token expires", result.info.access_token_expires_at_ms, now),
                 _expiry_line("sign-in expires", result.info.sign_in_expires_at_ms, now)):
        if line:
            lines.append(line)
    lines.append(f"  the pod can keep refreshing until: {pod_can_refresh_until(result.info.sign_in_expires_at_ms)}")
    lines.append("  (the pod's CLI refreshes the access token itself, as long as its copy is writable)")
    lines += [f"  note: {note}" for note in result.notes]
    hand_off = getattr(result, "hand_off", None)
    if hand_off is not None:
        lines += ["", *(as_run_here(line) for line in hand_off.lines())]
    return lines


EXAMPLE_NAMESPACE = "agents"


_POWERSHELL_BARE = re.compile(r"[\w./:=+\\-]+")


def powershell_quote(text: str) -> str:
    """``text`` as one PowerShell argument: bare when nothing in it is special, else '...'."""
    if _POWERSHELL_BARE.fullmatch(text):
        return text
    return "'" + text.replace("'", "''") + "'"


def shell_quote(text: str, windows: bool) -> str:
    return powershell_quote(text) if windows else shlex.quote(text)


# Options left out of the command shown as the next step: running it again must not sign out and
# replace the session just rendered (--fresh-login), and pytest's chatter has no place in a pipe.
NOT_REPEATED = ("--fresh-login", "-v", "--verbose")


def _not_repeated(arg: str) -> bool:
    if arg.startswith("--"):  # argparse also takes an unambiguous abbreviation (--fresh)
        return len(arg) > 2 and any(flag.startswith(arg) for flag in NOT_REPEATED if flag.startswith("--"))
    return arg.startswith("-v") and set(arg[1:]) == {"v"}  # -v, -vv


def repeatable(argv: Sequence[str]) -> list[str]:
    """``argv`` without :data:`NOT_REPEATED` (flags: they take no value)."""
    return [a for a in argv if not _not_repeated(a)]


def command_line(argv: Sequence[str], windows: bool) -> str:
    """The ``python render_secret.py ...`` command as the user can paste it again."""
    return " ".join(["python", "render_secret.py", *(shell_quote(a, windows) for a in repeatable(argv))])


def apply_command(result: Any, windows: bool, source: str) -> str:
    """The command that applies the Secret at ``source`` (a file, or - for a pipe on stdin).

    With a placeholder namespace (``${NAMESPACE}``) it is filled in on the way, with the
    example namespace ``agents``: ``envsubst '${NAMESPACE}'`` on POSIX shells (only that
    variable is substituted), ``.Replace()`` in PowerShell (no envsubst on Windows).
    """
    if not result.namespace.startswith("$"):
        target = "-" if source == "-" else shell_quote(source, windows)
        return f"kubectl apply -f {target} -n {shell_quote(result.namespace, windows)}"
    variable = result.namespace.strip("${}")
    placeholder = "'" + result.namespace.replace("'", "''") + "'"
    if windows:
        replace = f".Replace({placeholder}, '{EXAMPLE_NAMESPACE}')"
        if source == "-":
            return f"ForEach-Object {{ $_{replace} }} | kubectl apply -f -"
        return f"(Get-Content -Raw {shell_quote(source, windows)}){replace} | kubectl apply -f -"
    stdin = "" if source == "-" else f" < {shell_quote(source, windows)}"
    return f"{variable}={EXAMPLE_NAMESPACE} envsubst '${{{variable}}}'{stdin} | kubectl apply -f -"


def next_step_lines(result: Any, windows: bool, argv: Sequence[str] = ("--dry-run",)) -> list[str]:
    lines = ["", "Next:"]
    if result.dry_run:
        lines += ["  nothing was written; run again without --dry-run to write the file, or pipe the",
                  "  printed manifest into kubectl:",
                  f"    {command_line(argv, windows)} | {apply_command(result, windows, '-')}"]
    else:
        lines.append(f"  {apply_command(result, windows, str(result.path))}")
    if result.namespace.startswith("$"):
        lines.append(f"  ({EXAMPLE_NAMESPACE} is an example: use your agent's namespace, or pass --namespace)")
    lines += [
        "  In the pod, keep the session on a writable persistent volume, seeded once from the Secret",
        "  by an init container, with CLAUDE_CONFIG_DIR there (never the Secret mounted read-only or",
        f"  via subPath: the CLI rewrites its tokens). See {EXAMPLE}.",
    ]
    hand_off = getattr(result, "hand_off", None)
    if hand_off is None:
        lines += [
            "  This machine still holds the same session: refresh tokens are single-use, and whichever",
            "  side refreshes first signs the other out. Stop using Claude here once the pod has it, or",
            f"  {'write the file' if result.dry_run else 'run again'} with {HAND_OFF}: it removes this machine's copy",
            "  without a logout (a logout would end the pod's session too).",
        ]
    else:
        lines.append(f"  {as_run_here(hand_off.next_step())}")
    return lines


INTERRUPTED = "Interrupted; nothing was written."


def summary(config: pytest.Config | None, ret: int, argv: Sequence[str] = ("--dry-run",)) -> tuple[list[str], Any]:
    result = config.stash.get(gate.RESULT_KEY, None) if config is not None else None
    if int(ret) == int(pytest.ExitCode.INTERRUPTED) and (result is None or result.dry_run):
        return [INTERRUPTED], None
    if config is None:
        if int(ret) == int(pytest.ExitCode.USAGE_ERROR):
            return ["The checks did not start: the command line has a problem (the ERROR line above "
                    "says which and how to fix it). Nothing was written."], None
        return [f"The checks could not start (pytest exit code {int(ret)})."], None
    book = ledger(config)
    lines = requirement_lines(book)
    if result is None:
        lines += ["", "No Secret was rendered; any earlier Secret file was left as it was."]
        if config.stash.get(SESSION_SPENT, False):
            lines.append(SPENT_LINE[0].upper() + SPENT_LINE[1:].replace(
                FRESH_LOGIN_RUN, "python render_secret.py --fresh-login") + ".")
        return lines, None
    now = datetime.now(timezone.utc)
    return lines + secret_lines(result, now) + next_step_lines(result, is_windows(), argv), result


@contextlib.contextmanager
def only_the_suites_plugins():
    """No third-party pytest plugins in the product's run: they cost start-up time (hypothesis
    alone adds ~1 s) and could print or record things the suite does not control. The one the
    suite needs, pytest-timeout, is loaded explicitly."""
    saved = os.environ.get(AUTOLOAD)
    os.environ[AUTOLOAD] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(AUTOLOAD, None)
        else:
            os.environ[AUTOLOAD] = saved


def run(argv: Sequence[str] | None = None) -> int:
    values = build_parser().parse_args(argv)
    forwarded = pytest_args(values)
    collector = _Collector()
    args = [str(CHECKS_DIR), f"--rootdir={PROJECT_ROOT}", "-c", str(PROJECT_ROOT / "pyproject.toml"),
            *forwarded]
    if not values.verbose:
        args.append("-q")
    human = sys.stderr if values.dry_run else sys.stdout
    # pytest's own output is kept unless asked for; a fresh login talks to the user through it
    shown = values.verbose or values.fresh_login
    pytest_out: Any = sys.stderr if shown else io.StringIO()
    with contextlib.redirect_stdout(pytest_out), only_the_suites_plugins():
        ret = pytest.main([*args, "-p", "pytest_timeout"], plugins=[collector])
    stopped = signals.received()
    if stopped and int(ret) == 128 + stopped:  # SIGTERM/SIGHUP took the path of Ctrl+C (signals.py)
        ret = pytest.ExitCode.INTERRUPTED
    lines, result = summary(collector.config, ret, sys.argv[1:] if argv is None else list(argv))
    if lines == [INTERRUPTED] and stopped:
        lines = [interrupted_line(stopped)]
    said = "" if shown else pytest_out.getvalue().strip()
    if int(ret) in (int(pytest.ExitCode.USAGE_ERROR), int(pytest.ExitCode.INTERNAL_ERROR)) and said:
        lines.insert(0, said)
    print("\n".join(lines), file=human)
    rendered = result is not None and int(ret) == 0
    if rendered and result.dry_run:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    if rendered:
        return 0
    if int(ret) == int(pytest.ExitCode.INTERRUPTED):
        # a Secret written before the interrupt is reported above; the run is still incomplete
        return signals.exit_code(default=130)
    return 2 if int(ret) == int(pytest.ExitCode.USAGE_ERROR) else 1


def interrupted_line(signum: int | None) -> str:
    if not signum:
        return INTERRUPTED
    return f"Stopped by {signals.signal_name(signum)}; nothing was written."


def main(argv: Sequence[str] | None = None) -> int:
    """Exit 130 after Ctrl+C, 143 after SIGTERM, 129 after SIGHUP (the terminal was closed)."""
    signals.install()
    try:
        try:
            return run(argv)
        except KeyboardInterrupt as exc:  # signals.Terminated is one too
            code = signals.exit_code(exc, default=130)
            try:
                print(interrupted_line(code - 128 if code != 130 else None), file=sys.stderr)
            except OSError:
                pass
            return code
        except OSError as exc:
            if signals.received():  # the terminal went away (SIGHUP) while the summary was printed
                return signals.exit_code(exc)
            raise
    finally:
        signals.uninstall()
