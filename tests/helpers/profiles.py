"""Build Claude Code profiles (config dirs) the way the real CLI writes them
(docs/claude-cli-facts.md: Where the session lives, The credentials file).

Every token here is a recognisable canary, so a test can grep all output for it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

# Canaries: fake tokens of the real shapes, unique enough to grep for in any output.
CANARY_ACCESS = "sk-ant-oat01-CANARYaccessTOKEN0123456789abcdefXYZ"
CANARY_REFRESH = "sk-ant-ort01-CANARYrefreshTOKEN0123456789abcdefXYZ"
CANARY_MARKER = "CANARY"
HOUR_MS = 3600 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


def oauth_entry(**overrides: Any) -> dict:
    """A valid ``claudeAiOauth`` entry: Max, inference scope, access token valid ~8 h."""
    entry = {
        "accessToken": CANARY_ACCESS,
        "refreshToken": CANARY_REFRESH,
        "expiresAt": now_ms() + 8 * HOUR_MS,
        "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
        "subscriptionType": "max",
        "rateLimitTier": "default_claude_max_20x",
    }
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not _DROP}


_DROP = object()
DROP = _DROP  # pass as a value to remove a field: oauth_entry(scopes=DROP)


class ProfileBuilder:
    """A config dir in a temporary place; methods write the files a test needs."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.credentials = directory / ".credentials.json"
        self.global_config = directory / ".claude.json"

    def create(self, **oauth_overrides: Any) -> ProfileBuilder:
        """A complete, valid profile: credentials (mode 0600) and a global config."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.write_credentials({"claudeAiOauth": oauth_entry(**oauth_overrides)})
        self.write_global_config({
            "hasCompletedOnboarding": True,
            "userID": "u" * 64,
            "machineID": "m" * 32,
            "oauthAccount": {"accountUuid": "00000000-0000-4000-8000-000000000001",
                             "emailAddress": "dev@example.com",
                             "organizationUuid": "00000000-0000-4000-8000-000000000002"},
            "projects": {"/home/dev/repo": {"hasTrustDialogAccepted": True}},
        })
        return self

    def write_credentials(self, content: Any, mode: int = 0o600) -> Path:
        """Write the credentials file; ``content`` is JSON-encoded unless it is str/bytes."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            data = content
        elif isinstance(content, str):
            data = content.encode()
        else:
            data = json.dumps(content, separators=(",", ":")).encode()
        self.credentials.write_bytes(data)
        if os.name != "nt":
            self.credentials.chmod(mode)
        return self.credentials

    def write_global_config(self, content: dict) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.global_config.write_text(json.dumps(content))
        return self.global_config

    def add_transcripts(self, count: int, size: int = 64, hard_links: bool = False) -> None:
        """``count`` transcript files under projects/, as heavy users have.

        ``hard_links=True``: the files of one project dir are hard links of its first file. The
        listing still sees ``count`` regular files of ``size`` bytes each (one directory entry
        and one stat apiece), but building and deleting 100,000 of them takes about a second
        instead of half a minute on a busy disk, since no inode or data block is allocated.
        """
        per_dir = 1000
        blob = b"x" * size
        first = None
        for i in range(count):
            sub = self.dir / "projects" / f"-home-dev-repo{i // per_dir}"
            path = sub / f"{i:08d}.jsonl"
            if i % per_dir == 0:
                sub.mkdir(parents=True, exist_ok=True)
                path.write_bytes(blob)
                first = path
            elif hard_links:
                os.link(first, path)
            else:
                path.write_bytes(blob)

    def snapshot(self) -> dict[str, bytes | None]:
        """Every path below the profile with its bytes (None for dirs): to prove nothing changed."""
        result: dict[str, bytes | None] = {}
        for path in sorted(self.dir.rglob("*")):
            rel = path.relative_to(self.dir).as_posix()
            result[rel] = None if path.is_dir() else path.read_bytes()
        return result
