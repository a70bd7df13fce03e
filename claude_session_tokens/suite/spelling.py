"""How a run of the suite spells its remedies: its front door, platform, CLI and profile.

The plugin builds one :class:`~claude_session_tokens.core.remedy.Spelling` per run from the
session under test (the CLI that was really found, the profile it uses, the options that chose
them) and makes it current with :func:`~claude_session_tokens.core.remedy.use`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from claude_session_tokens.claude.cli import locate
from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.platforms import is_windows
from claude_session_tokens.core.remedy import Spelling, claude_as_typed, front_door

if TYPE_CHECKING:
    from claude_session_tokens.suite.session import SessionUnderTest


def spelling_for(session: SessionUnderTest, project_root: Path) -> Spelling:
    """The :class:`Spelling` of a run of the suite on ``session``."""
    try:
        path, via = locate(session.settings.claude_bin, session.environ, project_root)
    except FindingError:
        path, via = None, None
    try:
        config_dir = session.location.cli_config_dir
    except FindingError:
        config_dir = None
    settings = session.settings
    claude = claude_as_typed(path, via, settings.claude_bin)
    options = []
    if settings.claude_config_dir:
        try:
            options.append(("--claude-config-dir", str(session.location.config_dir)))
        except FindingError:
            options.append(("--claude-config-dir", settings.claude_config_dir))
    if settings.claude_bin:
        options.append(("--claude-bin", claude if via == "--claude-bin" else settings.claude_bin))
    if settings.credentials_source != "auto":
        options.append(("--credentials-source", settings.credentials_source))
    token_file = getattr(settings, "oauth_token_file", None)
    if token_file:  # setup-token mode: running again without it would judge the session files instead
        options.append(("--oauth-token-file", token_file))
    return Spelling(front_door=front_door(), windows=is_windows(session.platform), claude=claude,
                    config_dir=config_dir, suite_options=tuple(options))
