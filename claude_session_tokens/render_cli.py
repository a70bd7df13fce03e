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
import gc
import io
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import pytest

from claude_session_tokens import __version__
from claude_session_tokens.core import redaction, remedy, signals
from claude_session_tokens.core.platforms import is_windows
from claude_session_tokens.core.remedy import powershell_quote, shell_quote  # noqa: F401 - also used by the tests
from claude_session_tokens.core.shown_values import shown as shown_value
from claude_session_tokens.k8s.earlier_secret import (
    EarlierSecret,
    read_earlier,
    sibling,
)
from claude_session_tokens.k8s.manifest import iso_utc
from claude_session_tokens.kinds.credential_kind import TOKEN_MODE_HINT
from claude_session_tokens.session.handoff import OPTION as HAND_OFF
from claude_session_tokens.session.lifetime import EXAMPLE, pod_can_refresh_until
from claude_session_tokens.suite.ledger import Outcome, Status
from claude_session_tokens.suite.options import OPTIONS, Settings
from claude_session_tokens.suite.plugin import (
    CHECKS_DIR,
    PROJECT_ROOT,
    Ledger,
    Verdict,
    ledger,
    run_state,
)
from claude_session_tokens.suite.spent_session import spent_line

if TYPE_CHECKING:
    from claude_session_tokens.k8s.render import RenderResult
    from claude_session_tokens.suite.session import SessionUnderTest

AUTOLOAD = "PYTEST_DISABLE_PLUGIN_AUTOLOAD"
EPILOG = """\
exit codes: 0 the Secret was rendered (written, or printed with --dry-run);
            1 it was not (a check failed, or the run was incomplete); 2 bad command line;
            130 interrupted (Ctrl-C), 143 stopped by SIGTERM, 129 by SIGHUP (terminal
            closed): nothing written, the temporary copy of the session removed, the CLI killed.

With --dry-run the manifest alone goes to stdout (pipe it into envsubst / kubectl apply -f -)
and everything else to stderr. No mode contacts a cluster.
"""


def front_door(argv0: str | None = None) -> str:
    """The command as the user typed it: ``python render_secret.py`` or ``claude-session-tokens``."""
    name = Path(argv0 if argv0 is not None else (sys.argv[0] if sys.argv and sys.argv[0] else "")).name
    if not name or name.endswith(".py") or name in ("-c", "-m"):
        return remedy.RENDER_SECRET
    return name.removesuffix(".exe")


def build_parser(prog: str = "render_secret.py") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Verify the Claude session on this machine with every check of the suite; when all "
                    "pass, render it as a Kubernetes Secret (secrets/<name>.yaml, mode 0600).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    for option in OPTIONS:
        parser.add_argument(*option.aliases, option.flag, **option.kwargs())
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="Show pytest's own output of the checks as well (on stderr; always shown with "
                             "--fresh-login, whose sign-in talks to you through it). (default: off)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="Print only the result line and, when it failed, the fix. (default: off)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
    """A pytest plugin that keeps the run's config so the summary can read its RunState."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        run_state(config).prints_dry_run_itself = True

    def pytest_collection_finish(self) -> None:
        gc.freeze()  # the checks and their modules, loaded by now: see run()


def _expiry_line(label: str, moment_ms: int | None, now: datetime) -> str | None:
    if not moment_ms:
        return None
    hours = (moment_ms / 1000 - now.timestamp()) / 3600
    span = f"in {hours:.1f} h" if hours >= 0 else f"{-hours:.1f} h ago"
    return f"  {label}: {iso_utc(moment_ms)} ({span})"


def table_lines(book: Ledger) -> list[str]:
    lines = ["Requirements:"]
    for rid, title, status, note in book.table():
        lines.append(f"  {rid}  {status:<7}  {title}")
        if note and status in (Status.SKIP, Status.NOT_RUN, Status.READY, Status.NOT_APPLICABLE):
            lines.append(f"           note: {note.splitlines()[0]}")
    legend = book.legend()
    if legend:
        lines += ["", *legend]
    return lines


# Prefixes a check puts before a cause it shares with the check that found it.
_PASSED_ON = ("The test prompt was not run: ",)


def root_cause(verdict: Verdict) -> str:
    """The verdict's first line without the prefix a dependent check adds (its shared cause)."""
    first = (verdict.message.strip().splitlines() or [verdict.outcome])[0]
    for prefix in _PASSED_ON:
        if first.startswith(prefix):
            rest = first[len(prefix):]
            return rest[:1].upper() + rest[1:]
    return first


@dataclass
class Problem:
    """One root cause: the check that found it first, and the checks it blocked."""

    first: Verdict
    cause: str
    blocked: list[str]


def _check_name(verdict: Verdict) -> str:
    return verdict.nodeid.split("/")[-1].split("::")[0]


def problems_of(book: Ledger) -> list[Problem]:
    found: dict[str, Problem] = {}
    for verdict in book.verdicts.values():
        if verdict.outcome not in (Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED, Outcome.REFUSED):
            continue
        cause = root_cause(verdict)
        if cause in found:
            found[cause].blocked.append(_check_name(verdict))
        else:
            found[cause] = Problem(verdict, cause, [])
    return list(found.values())


def _short_cause(cause: str) -> str:
    head = cause.split(": ")[0].rstrip(".")
    return head[:1].lower() + head[1:]


def problem_lines(book: Ledger) -> list[str]:
    problems = problems_of(book)
    lines: list[str] = []
    if problems:
        lines += ["", "What went wrong:"]
        for problem in problems:
            verdict = problem.first
            lines.append(f"  {_check_name(verdict)} ({', '.join(verdict.requirements)}): {problem.cause}")
            if verdict.outcome != Outcome.REFUSED:  # its first line names the checks its details list
                lines += [f"      {detail}" for detail in verdict.details]
            if verdict.remedy:  # a closed gate is "blocked", not listed here: this is the render's own failure
                lines.append(f"      fix: {verdict.remedy}")
            if problem.blocked:
                count = len(problem.blocked)
                lines.append(f"      {count} check{'s' if count > 1 else ''} blocked: {_short_cause(problem.cause)} "
                             f"({', '.join(n.removesuffix('.py') for n in problem.blocked)})")
    return lines + warning_lines(book)


def warning_lines(book: Ledger) -> list[str]:
    """The run's warnings with their fixes: they do not block the Secret, so a success shows them too."""
    warned = [w for v in book.verdicts.values() for w in v.warnings]
    if not warned:
        return []
    return ["", "Warnings:"] + [f"  {w.cause} Fix: {w.remedy}" for w in warned]


def fix_lines(book: Ledger) -> list[str]:
    """One ``fix:`` line per root cause (for ``-q``)."""
    return [f"fix: {p.first.remedy}" for p in problems_of(book) if p.first.remedy]


def requirement_lines(book: Ledger) -> list[str]:
    return table_lines(book) + problem_lines(book)


def secret_lines(result: RenderResult, now: datetime) -> list[str]:
    where = ("printed to stdout (--dry-run), nothing written" if result.dry_run
             else f"written to {result.path} (mode 0600)")
    lines = ["", f"Secret {result.name} ({result.fmt}, validated for Kubernetes {result.kubernetes_version}): {where}"]
    width = max(len(k) for k in result.sizes)
    lines += [f"  {key:<{width}}  {size} bytes" for key, size in result.sizes.items()]
    if getattr(result, "credential_kind", "") == "setup-token":
        from claude_session_tokens.kinds.token_mode import (
            secret_lines as token_secret_lines,
        )
        return lines + token_secret_lines(result)
    for line in (_expiry_line("access token expires", result.info.access_token_expires_at_ms, now),
                 _expiry_line("sign-in expires", result.info.sign_in_expires_at_ms, now)):
        if line:
            lines.append(line)
    lines.append(f"  the pod can keep refreshing until: {pod_can_refresh_until(result.info.sign_in_expires_at_ms)}")
    lines.append("  (the pod's CLI refreshes the access token itself, as long as its copy is writable)")
    lines += [f"  note: {note}" for note in result.notes]
    hand_off = getattr(result, "hand_off", None)
    if hand_off is not None:
        lines += ["", *hand_off.lines()]
    return lines


EXAMPLE_NAMESPACE = "agents"


# Options left out of the command shown as the next step: running it again must not sign out and
# replace the session just rendered (--fresh-login), and pytest's chatter has no place in a pipe.
NOT_REPEATED = ("--fresh-login", "-v", "--verbose", "-q", "--quiet")


def _not_repeated(arg: str) -> bool:
    if arg.startswith("--"):  # argparse also takes an unambiguous abbreviation (--fresh)
        return len(arg) > 2 and any(flag.startswith(arg) for flag in NOT_REPEATED if flag.startswith("--"))
    return arg.startswith(("-v", "-q")) and set(arg[1:]) <= {"v", "q"}  # -v, -vv, -q


def repeatable(argv: Sequence[str]) -> list[str]:
    """``argv`` without :data:`NOT_REPEATED` (flags: they take no value)."""
    return [a for a in argv if not _not_repeated(a)]


def command_line(argv: Sequence[str], windows: bool) -> str:
    """The ``python render_secret.py ...`` command (as the user typed it) to paste again."""
    door = remedy.front_door()
    door = remedy.RENDER_SECRET if door == remedy.PYTEST_CHECKS else door  # this front door's own command
    return " ".join([door, *(shell_quote(a, windows) for a in repeatable(argv))])


def apply_command(result: RenderResult, windows: bool, source: str) -> str:
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


def namespace_hint(result: RenderResult) -> list[str]:
    if result.namespace.startswith("$"):
        return [f"  ({EXAMPLE_NAMESPACE} is an example: use your agent's namespace, or pass --namespace)"]
    return []


def apply_lines(result: RenderResult, windows: bool, argv: Sequence[str]) -> list[str]:
    """How to get the Secret into the cluster: apply the file, or (--dry-run) pipe this command."""
    if result.dry_run:
        lines = ["  nothing was written; run again without --dry-run to write the file, or pipe the",
                 "  printed manifest into kubectl:",
                 f"    {command_line(argv, windows)} | {apply_command(result, windows, '-')}"]
    else:
        lines = [f"  {apply_command(result, windows, str(result.path))}"]
    return lines + namespace_hint(result)


def next_step_lines(result: RenderResult, windows: bool, argv: Sequence[str] = ("--dry-run",)) -> list[str]:
    if getattr(result, "credential_kind", "") == "setup-token":
        from claude_session_tokens.kinds.token_mode import (
            next_step_lines as token_next_steps,
        )
        return token_next_steps(result, argv, apply_lines(result, windows, argv), namespace_hint(result))
    lines = ["", "Next:", *apply_lines(result, windows, argv)]
    lines += [
        "  In the pod, keep the session on a writable persistent volume, seeded once from the Secret",
        "  by an init container, with CLAUDE_CONFIG_DIR there (never the Secret mounted read-only or",
        f"  via subPath: the CLI rewrites its tokens). See {EXAMPLE}.",
        f"  Inference only, or more than one pod? A setup-token token never rotates: {TOKEN_MODE_HINT}.",
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
        lines.append(f"  {hand_off.next_step()}")
    return lines


INTERRUPTED = "Interrupted; nothing was written."


def interrupted_login_lines(sign_in: str) -> list[str]:
    """The one paragraph after Ctrl-C stopped the sign-in (the logout had already run)."""
    return [f"Interrupted during the sign-in: you are now logged out (the fresh login logs out first), and "
            f"nothing was written. Sign in again with: {sign_in}   "
            f"then run: {remedy.current().command(remedy.RUN_AGAIN)}"]


def _account(session: SessionUnderTest | None) -> str | None:
    """The account's email address and subscription, from what ships (never a token)."""
    payload = session.known("payload") if session is not None else None
    oauth = session.known("oauth") if session is not None else None
    email = None
    if payload is not None and ".claude.json" in payload.files:
        try:
            account = json.loads(payload.files[".claude.json"].reveal()).get("oauthAccount") or {}
            email = account.get("emailAddress") if isinstance(account, dict) else None
        except (ValueError, AttributeError):
            email = None
    plan = getattr(oauth, "subscription_type", None) if oauth is not None else None
    if not email and not plan:
        return None
    secrets = [oauth.access_token, oauth.refresh_token] if oauth is not None else []
    address = str(email) if _plausible_email(email, secrets) else "unknown"
    return f"{address} (subscription: {shown_value(plan, quote=False) if plan is not None else 'unknown'})"


_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63}")


def _plausible_email(value: object, secrets: list) -> bool:
    """Shown only when it looks like an address and holds nothing token-shaped or token-like."""
    return (isinstance(value, str) and _EMAIL.fullmatch(value) is not None
            and redaction.redact(value, secrets, limit=None) == value)


def header_lines(config: pytest.Config) -> list[str]:
    """Where the session came from, whose it is, and which CLI judged it. The email address is
    shown here only: it is personal, so summary.md and the JUnit XML (often pasted into CI job
    summaries) do not carry it."""
    book = ledger(config)
    session = run_state(config).session
    lines = [f"{remedy.front_door()} {__version__}"]
    for name, value in book.run_properties or (session.describe() if session is not None else []):
        if name != "global config":
            lines.append(f"  {name + ':':<14}{value}")
    account = _account(session)
    if account:
        lines.append(f"  {'account:':<14}{account}")
    cli = session.known("cli") if session is not None else None
    if cli is not None:
        lines.append(f"  {'claude CLI:':<14}{cli.describe()}")
    return lines + [""]


def written_lines(result: RenderResult, earlier: EarlierSecret | None, reports: Path | None) -> list[str]:
    lines = []
    if result.path is not None:
        if earlier is not None:
            lines.append(f"  replaced the earlier Secret {earlier.described()}")
        else:
            lines.append("  a new file (there was no Secret at this path before)")
        other = sibling(Path(result.path))
        if other is not None:
            lines.append(f"  note: {other} (the other format, from an earlier run) is still there and was not "
                         "updated; delete it if you no longer use it")
    if reports is not None:
        lines.append(f"  reports: {reports}")
    return lines


def summary(config: pytest.Config | None, ret: int, argv: Sequence[str] = ("--dry-run",),
            table: bool = True, earlier: EarlierSecret | None = None) -> tuple[list[str], RenderResult | None]:
    """(lines for stdout, the RenderResult or None); the failures are :func:`failure_lines`."""
    state = run_state(config) if config is not None else None
    result = state.result if state is not None else None
    session = state.session if state is not None else None
    if result is None:  # stopped after the Secret was written (during the hand-off): it is there
        result = getattr(session, "written", None)
    if session is not None and session.interrupted_after_logout:
        return interrupted_login_lines(session.interrupted_after_logout), None
    if int(ret) == int(pytest.ExitCode.INTERRUPTED) and (result is None or result.dry_run):
        return [INTERRUPTED], None
    if config is None:
        if int(ret) == int(pytest.ExitCode.USAGE_ERROR):
            return ["The checks did not start: the command line has a problem (the ERROR line above "
                    "says which and how to fix it). Nothing was written."], None
        return [f"The checks could not start (pytest exit code {int(ret)})."], None
    book = ledger(config)
    lines = header_lines(config) + (table_lines(book) if table else
                                     ["(the requirements table is in pytest's report above)"])
    if result is None:
        return lines, None
    now = datetime.now(timezone.utc)
    reports = Path(state.summary_path).parent if state.summary_path else None
    lines += warning_lines(book) + secret_lines(result, now) + written_lines(result, earlier, reports)
    return lines + next_step_lines(result, is_windows(), argv), result


def failure_lines(config: pytest.Config | None) -> list[str]:
    """What went wrong (each root cause once) and the result line; for standard error."""
    if config is None or run_state(config).result is not None:
        return []
    session = run_state(config).session
    if session is not None and session.interrupted_after_logout:
        return []
    if getattr(session, "written", None) is not None:  # stopped after the write: the summary says so
        return problem_lines(ledger(config))
    lines = problem_lines(ledger(config)) + ["", NOT_RENDERED]
    if run_state(config).session_spent:
        lines.append(spent_line())
    return lines


NOT_RENDERED = "No Secret was rendered; any earlier Secret file was left as it was."


def quiet_lines(config: pytest.Config | None, ret: int, result: RenderResult | None) -> list[str]:
    """``-q``: the result line and, when it failed, the fix."""
    if result is not None and int(ret) == 0:
        where = "printed to stdout (--dry-run)" if result.dry_run else f"written to {result.path}"
        return [f"Secret {result.name}: {where}"]
    if config is None:
        return []
    session = run_state(config).session
    if session is not None and session.interrupted_after_logout:
        return interrupted_login_lines(session.interrupted_after_logout)
    lines = [NOT_RENDERED] + fix_lines(ledger(config))
    if run_state(config).session_spent:
        lines.append(spent_line())
    return lines


@contextlib.contextmanager
def only_the_suites_plugins() -> Iterator[None]:
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


def destination(values: argparse.Namespace) -> Path | None:
    """Where this run would write the Secret (None with --dry-run): read before the run."""
    if values.dry_run:
        return None
    settings = Settings(secret_name=values.secret_name, secret_out=values.secret_out,
                        secret_format=values.secret_format, project_root=PROJECT_ROOT)
    return settings.secret_path()


def run(argv: Sequence[str] | None = None) -> int:
    door = front_door(None if argv is None else remedy.RENDER_SECRET)
    values = build_parser(door.removeprefix("python ")).parse_args(argv)
    forwarded = pytest_args(values)
    collector = _Collector()
    args = [str(CHECKS_DIR), f"--rootdir={PROJECT_ROOT}", "-c", str(PROJECT_ROOT / "pyproject.toml"),
            *forwarded]
    if not values.verbose:
        args.append("-q")
        if values.fresh_login:  # its report is shown after the sign-in: the failures are said once, below it
            args += ["--tb=no", "-rN"]
    human = sys.stderr if values.dry_run else sys.stdout
    # pytest's own output is kept unless asked for (-v shows it as it comes). The fresh login talks
    # to the user through the terminal itself (console.py), so its run's report is shown after it.
    shown = values.verbose
    pytest_out: TextIO = sys.stderr if shown else io.StringIO()
    target = destination(values)
    earlier = read_earlier(target) if target is not None else None
    with remedy.entered_through(door):
        with contextlib.redirect_stdout(pytest_out), only_the_suites_plugins():
            # What is loaded before the checks run (pytest, the checks, their modules) lives as long
            # as the run: it is kept out of the garbage collector's passes (pytest makes five at its
            # end), then handed back, so an in-process caller's collector is as it was.
            gc.freeze()
            try:
                ret = pytest.main([*args, "-p", "pytest_timeout"], plugins=[collector])
            finally:
                gc.unfreeze()
        stopped = signals.received()
        if stopped and int(ret) == 128 + stopped:  # SIGTERM/SIGHUP took the path of Ctrl+C (signals.py)
            ret = pytest.ExitCode.INTERRUPTED
        config = collector.config
        spelling = run_state(config).spelling if config is not None else None
        with remedy.using(spelling or remedy.Spelling(front_door=door, windows=is_windows())):
            argv_shown = sys.argv[1:] if argv is None else list(argv)
            lines, result = summary(config, ret, argv_shown, table=not (shown or values.fresh_login),
                                    earlier=earlier)
            if lines == [INTERRUPTED] and stopped:
                lines = [interrupted_line(stopped)]
            elif int(ret) == int(pytest.ExitCode.INTERRUPTED) and result is not None and not result.dry_run:
                lines.append(written_then_stopped_line(stopped, getattr(values, "hand_off", False)
                                                       and result.hand_off is None))
            failures = failure_lines(config)
            quiet = quiet_lines(config, ret, result)
            head = header_lines(config) if config is not None else []
    said = "" if shown else pytest_out.getvalue().strip()
    signed_out = config is not None and getattr(run_state(config).session, "interrupted_after_logout", None)
    if int(ret) in (int(pytest.ExitCode.USAGE_ERROR), int(pytest.ExitCode.INTERNAL_ERROR)) and said:
        lines.insert(0, said)
        quiet.insert(0, said)
    elif values.fresh_login and said and not signed_out and not values.quiet:
        if head and lines[:len(head)] == head:  # the header first, as in every run
            print("\n".join(head), file=human)
            human.flush()
            lines = lines[len(head):]
        print(said, file=sys.stderr)  # pytest's report (its table included), then the summary below
        sys.stderr.flush()
    rendered = result is not None and int(ret) == 0
    if values.quiet:
        print("\n".join(quiet), file=human if rendered else sys.stderr)
    else:
        print("\n".join(lines), file=human)
        if failures:
            human.flush()
            print("\n".join(failures), file=sys.stderr)
    if rendered and result.dry_run:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    if rendered:
        return 0
    if int(ret) == int(pytest.ExitCode.INTERRUPTED):
        # a Secret written before the interrupt is reported above; the run is still incomplete
        return signals.exit_code(default=130)
    return 2 if int(ret) == int(pytest.ExitCode.USAGE_ERROR) else 1


def written_then_stopped_line(signum: int | None, hand_off_cut: bool) -> str:
    """The last line of a run stopped after its Secret was written (the summary above shows it)."""
    what = signals.signal_name(signum) if signum else "Ctrl+C"
    cut = ("; the hand-off did not run: this machine still holds the session" if hand_off_cut else "")
    return f"Stopped by {what} after the Secret above was written{cut}."


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
