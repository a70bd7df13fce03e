"""The Kubernetes Secret as a dict, and its YAML and JSON text (docs/claude-cli-facts.md, The
Kubernetes Secret).

``data``, ``kind``, ``apiVersion``, ``metadata.name`` and ``metadata.namespace`` are exactly
what ``kubectl create secret generic NAME --from-file=KEY=PATH ... --namespace NS
--dry-run=client -o yaml|json`` prints for the same files: keys sorted, values standard base64,
``creationTimestamp: null``. The tool adds only ``type: Opaque``, labels and annotations that
help an operator (when it was captured, with which CLI, when it expires, until when the pod can
keep refreshing it, which sign-in it is) and reveal nothing secret.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import yaml

from claude_session_tokens.k8s.payload import Payload

TOOL = "claude-session-tokens"
ANNOTATION_PREFIX = f"{TOOL}/"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class SecretInfo:
    """Facts about the session that may be shown: times, version, a fingerprint. Never tokens."""

    captured_at: datetime
    access_token_expires_at_ms: int | None = None
    sign_in_expires_at_ms: int | None = None
    cli_version: str | None = None
    fingerprint: str | None = None
    # setup-token mode: the token states no expiry; capture + 365 days (token_mode.py)
    estimated_expires_at: datetime | None = None
    token_fingerprint: str | None = None


def iso_utc(moment: datetime | int | None) -> str | None:
    """``2026-11-28T05:07:38Z`` for a datetime or epoch milliseconds; None stays None."""
    if moment is None:
        return None
    if isinstance(moment, int):
        try:
            moment = datetime.fromtimestamp(moment / 1000, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):  # before year 1 or after 9999: no date to show
            return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_data(payload: Payload) -> dict[str, str]:
    """The ``data`` map: keys sorted, standard base64 (the one place a token may appear)."""
    return {key: base64.b64encode(payload.files[key].reveal()).decode("ascii")
            for key in sorted(payload.files)}


def annotations(info: SecretInfo) -> dict[str, str]:
    if info.token_fingerprint:  # one setup-token token: nothing is refreshed, nothing expires by the file
        values = {
            "credential-kind": "setup-token",
            "captured-at": iso_utc(info.captured_at),
            "claude-cli-version": info.cli_version,
            "estimated-expiry": iso_utc(info.estimated_expires_at),  # an estimate: capture + 365 days
            "token-fingerprint": info.token_fingerprint,
        }
        return {ANNOTATION_PREFIX + k: v for k, v in values.items() if v}
    values = {
        "captured-at": iso_utc(info.captured_at),
        "claude-cli-version": info.cli_version,
        "access-token-expires-at": iso_utc(info.access_token_expires_at_ms),
        "sign-in-expires-at": iso_utc(info.sign_in_expires_at_ms),
        "session-fingerprint": info.fingerprint,
        # the end of the sign-in, after which no refresh works; "unknown" when the credentials do
        # not state refreshTokenExpiresAt (the CLI does not say how long a sign-in lasts)
        "pod-can-refresh-until": iso_utc(info.sign_in_expires_at_ms) or UNKNOWN,
    }
    return {ANNOTATION_PREFIX + k: v for k, v in values.items() if v}


def build_secret(payload: Payload, name: str, namespace: str, info: SecretInfo) -> dict:
    """The Secret manifest, with keys in the order kubectl's JSON output uses."""
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": None,
            "labels": {
                "app.kubernetes.io/name": TOOL,
                "app.kubernetes.io/managed-by": TOOL,
            },
            "annotations": annotations(info),
        },
        "data": encode_data(payload),
        "type": "Opaque",
    }


def to_yaml(manifest: dict) -> str:
    """YAML as kubectl prints it: keys sorted at every level, block style, no line folding."""
    return yaml.safe_dump(manifest, sort_keys=True, default_flow_style=False,
                          width=2 ** 31 - 1, allow_unicode=True)


def to_json(manifest: dict) -> str:
    """JSON as kubectl prints it: 4-space indent, Go struct field order."""
    return json.dumps(manifest, indent=4, ensure_ascii=False) + "\n"


def serialise(manifest: dict, fmt: str) -> str:
    return to_json(manifest) if fmt == "json" else to_yaml(manifest)


def data_size(payload: Payload) -> int:
    """Bytes of data as Kubernetes counts them for its 1 MiB limit (before base64)."""
    return payload.total_size()
