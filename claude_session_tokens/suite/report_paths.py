"""Make sure the reports can be written before any check runs.

``--reports-dir`` (summary.md, and junit.xml unless ``--junitxml`` says otherwise) and the
directory of ``--junitxml`` are created up front and tried with a throw-away file. A path that
cannot be used is a command-line mistake: it is reported at once, with the cause and the
option to change, instead of a traceback after the checks (and the Secret) already ran.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from claude_session_tokens.core.atomic import create_parents
from claude_session_tokens.core.findings import os_reason


def directory_problem(directory: Path) -> str | None:
    """Why reports cannot be written into ``directory`` (created if missing), or None."""
    try:
        create_parents(directory, 0o755)
    except OSError as exc:
        return f"it cannot be created ({os_reason(exc)})"
    if not directory.is_dir():
        return "it is not a directory"
    try:
        with tempfile.TemporaryFile(dir=directory, prefix=".write-test-"):
            pass
    except OSError as exc:
        return f"nothing can be written into it ({os_reason(exc)})"
    return None


def _example(failing: Path) -> Path:
    """A writable-looking directory to suggest that is not the one that failed."""
    for candidate in (Path.cwd() / "reports", Path(tempfile.gettempdir()) / "claude-session-tokens-reports"):
        if candidate.absolute() != failing.absolute() and candidate.absolute() not in failing.absolute().parents:
            return candidate
    return Path(tempfile.gettempdir()) / "claude-session-tokens-reports"


def junit_location(xmlpath: str) -> Path:
    """``--junitxml`` as pytest's junitxml plugin resolves it (``~`` and variables expanded)."""
    return Path(os.path.normpath(os.path.abspath(os.path.expanduser(os.path.expandvars(xmlpath)))))


def reports_problem(reports_dir: Path, xmlpath: str | None) -> str | None:
    """The usage error for unusable report destinations (cause and exact fix), or None."""
    junit_path = junit_location(xmlpath) if xmlpath else None
    problem = directory_problem(reports_dir)
    if problem:
        return (f"--reports-dir {reports_dir} cannot be used: {problem}. The reports (summary.md, "
                f"junit.xml) go there. Fix: pass --reports-dir with a writable directory, "
                f"e.g. --reports-dir {_example(reports_dir)}")
    if junit_path is not None and junit_path.parent != reports_dir.absolute():
        problem = directory_problem(junit_path.parent)
        if problem:
            return (f"--junitxml {junit_path} cannot be written: its directory {junit_path.parent} "
                    f"cannot be used: {problem}. Fix: pass --junitxml with a path in a writable "
                    f"directory, e.g. --junitxml {reports_dir / 'junit.xml'}")
    return None
