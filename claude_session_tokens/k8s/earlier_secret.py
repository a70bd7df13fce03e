"""What an earlier Secret file at the destination was: read before a run may replace it.

``render_secret.py`` says on success whether it replaced a Secret, and which one (its session
fingerprint and capture time, from the annotations this tool writes). The file is read
bounded (a Secret is at most 1 MiB of data, so a few MiB of text), only when it is a regular
file (a FIFO or device at the destination is never opened for reading), and parsed as YAML or
JSON without ever keeping or showing its ``data``.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from claude_session_tokens.k8s.manifest import ANNOTATION_PREFIX

READ_LIMIT = 4 * 1024 * 1024


@dataclass(frozen=True)
class EarlierSecret:
    path: Path
    fingerprint: str | None = None
    captured_at: str | None = None
    ours: bool = False  # a Secret with this tool's annotations

    def described(self) -> str:
        if not self.ours:
            return f"{self.path} (a file not written by claude-session-tokens)"
        facts = [f"fingerprint {self.fingerprint or 'unknown'}", f"captured {self.captured_at or 'at an unknown time'}"]
        return f"{self.path} ({', '.join(facts)})"


def _read_bounded(path: Path) -> bytes | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the two looks
            return None
        chunks, size = [], 0
        while size <= READ_LIMIT:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return None if size > READ_LIMIT else b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def _parse(raw: bytes) -> object:
    text = raw.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return None
    try:
        import yaml

        return yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - any YAML problem means "not one of ours"
        return None


def read_earlier(path: Path) -> EarlierSecret | None:
    """The file at ``path`` before this run, or None when there is none (or it cannot be read)."""
    raw = _read_bounded(path)
    if raw is None:
        return None
    manifest = _parse(raw)
    metadata = manifest.get("metadata") if isinstance(manifest, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or manifest.get("kind") != "Secret":
        return EarlierSecret(path)

    def shown(key: str) -> str | None:
        value = annotations.get(ANNOTATION_PREFIX + key)
        return value[:64] if isinstance(value, str) and value.isprintable() else None

    return EarlierSecret(path, fingerprint=shown("session-fingerprint"), captured_at=shown("captured-at"),
                         ours=any(str(k).startswith(ANNOTATION_PREFIX) for k in annotations))


def sibling(path: Path) -> Path | None:
    """The same Secret in the other format (``s.yaml`` <-> ``s.json``), when that file exists."""
    other = {".yaml": ".json", ".yml": ".json", ".json": ".yaml"}.get(path.suffix.lower())
    if other is None:
        return None
    candidates = [path.with_suffix(other)] + ([path.with_suffix(".yml")] if other == ".yaml" else [])
    return next((c for c in candidates if c.exists() or c.is_symlink()), None)
