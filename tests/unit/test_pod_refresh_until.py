"""SC-005 speaks about the pod: until when the pod can keep refreshing, in the lifetime report,
the Secret's annotations and the render summary; "unknown" when the credentials do not say."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

import kubernetes_validate
import pytest
from helpers.fake_claude import FakeClaude
from helpers.leaks import assert_no_leak
from helpers.profiles import HOUR_MS, now_ms, oauth_entry

from claude_session_tokens import render_cli
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.k8s.manifest import SecretInfo, build_secret
from claude_session_tokens.k8s.payload import build_payload
from claude_session_tokens.session import lifetime as lifetime_module
from claude_session_tokens.session.credentials import parse_credentials
from claude_session_tokens.session.lifetime import assess

UNTIL = "the pod can keep refreshing until: "
END_MS = 1798000000000  # 2026-12-23T04:26:40Z
END_ISO = "2026-12-23T04:26:40Z"


def session_of(**overrides):
    return parse_credentials(Masked(json.dumps({"claudeAiOauth": oauth_entry(**overrides)}).encode()))


def test_the_report_names_the_end_of_the_sign_in_when_stated():
    at = END_MS - 30 * 24 * HOUR_MS
    lines = assess(session_of(refreshTokenExpiresAt=END_MS), at, 24).lines()
    assert f"{UNTIL}{END_ISO} (refreshTokenExpiresAt); then a new capture is needed" in lines


def test_the_report_says_unknown_plainly_when_not_stated():
    lines = assess(session_of(), now_ms(), 24).lines()
    until = [line for line in lines if line.startswith(UNTIL)]
    assert len(until) == 1
    assert until[0].startswith(UNTIL + "unknown")
    assert "about a day to 30 days" in until[0] and "the CLI does not say" in until[0]
    assert not any("not stated" in line for line in lines)  # one plain line, not two


def test_the_pod_note_is_about_a_persistent_volume_not_an_emptydir():
    note = next(line for line in assess(session_of(), now_ms(), 24).lines() if line.startswith("note: "))
    assert "emptyDir" not in note
    assert "writable persistent volume, seeded once from the Secret" in note
    assert "examples/claude-agent-statefulset.yaml" in note
    assert lifetime_module.POD_NOTE in note


def payload(profile):
    profile.create()
    return build_payload(Masked(profile.credentials.read_bytes()), profile.global_config, profile.dir, ())


@pytest.mark.parametrize("end_ms, expected", [(END_MS, END_ISO), (None, "unknown")])
def test_the_secret_carries_it_as_an_annotation_and_stays_strictly_valid(profile, end_ms, expected):
    info = SecretInfo(captured_at=datetime(2026, 11, 28, 5, 0, tzinfo=timezone.utc),
                      access_token_expires_at_ms=1795871444692, sign_in_expires_at_ms=end_ms,
                      cli_version="2.1.332", fingerprint="7a6d1592940e")
    manifest = build_secret(payload(profile), "claude-session-tokens", "agents", info)
    annotations = manifest["metadata"]["annotations"]
    assert annotations["claude-session-tokens/pod-can-refresh-until"] == expected
    for kept in ("captured-at", "claude-cli-version", "access-token-expires-at", "session-fingerprint"):
        assert f"claude-session-tokens/{kept}" in annotations
    assert ("claude-session-tokens/sign-in-expires-at" in annotations) == (end_ms is not None)
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


def result_with(end_ms, dry_run=False, hand_off=None):
    info = SecretInfo(captured_at=datetime.now(timezone.utc), access_token_expires_at_ms=now_ms() + 8 * HOUR_MS,
                      sign_in_expires_at_ms=end_ms)
    return SimpleNamespace(dry_run=dry_run, path="/x/secrets/s.yaml", name="s", fmt="yaml", kubernetes_version="1.31.0",
                           sizes={".credentials.json": 400, ".claude.json": 90}, info=info, notes=[],
                           namespace="${NAMESPACE}", hand_off=hand_off)


def test_the_render_summary_says_it_too():
    now = datetime.now(timezone.utc)
    known = render_cli.secret_lines(result_with(END_MS), now)
    assert f"  {UNTIL}{END_ISO} (refreshTokenExpiresAt); then a new capture is needed" in known
    unknown = render_cli.secret_lines(result_with(None), now)
    assert any(line.startswith(f"  {UNTIL}unknown") for line in unknown)


@pytest.mark.parametrize("windows", [False, True])
def test_the_next_step_tells_of_the_persistent_volume_and_the_example(windows):
    text = "\n".join(render_cli.next_step_lines(result_with(None), windows))
    assert "emptyDir" not in text
    assert "persistent volume, seeded once from the Secret" in text and render_cli.EXAMPLE in text


@pytest.mark.parametrize("stated", [True, False])
def test_the_check_records_it_in_the_junit_and_the_summary(checks, profile, tmp_path, stated):
    end = now_ms() + 10 * 24 * HOUR_MS
    profile.create(**({"refreshTokenExpiresAt": end} if stated else {}))
    fake = FakeClaude(tmp_path / "fake-bin")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     paths=("test_30_session_lifetime.py",), env=fake.env())
    case = run.testcases()["test_session_lasts_long_enough"]
    assert case.outcome == "passed", case.message
    expected = datetime.fromtimestamp(end / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if stated \
        else "unknown"
    assert case.prop("pod_can_refresh_until") == [expected]
    summary = run.summary_path.read_text()
    assert UNTIL + expected in summary
    assert_no_leak(run)
