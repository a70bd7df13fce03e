"""The render step judges SC-005 (the session's lifetime) again on the bytes that ship (review 4.4).

The lifetime check judges the profile's credentials; the test prompt may then refresh the
tokens inside the verified copy, and the Secret ships those refreshed bytes
(``SessionUnderTest.adopt_credentials``). ``render.verified_again`` must re-run
``lifetime.assess`` on them, not trust the verdict on the profile.
"""

from __future__ import annotations

import json

import pytest
from helpers.profiles import CANARY_MARKER, HOUR_MS, now_ms, oauth_entry

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked, fingerprint
from claude_session_tokens.k8s.render import prepare, verified_again
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.session import SessionUnderTest

REFRESHED_ACCESS = "sk-ant-oat01-CANARYrefreshedACCESS0123456789abcdef"
REFRESHED_REFRESH = "sk-ant-ort01-CANARYrefreshedREFRESH0123456789abcdef"


def refreshed(**overrides) -> Masked[bytes]:
    entry = oauth_entry(accessToken=REFRESHED_ACCESS, refreshToken=REFRESHED_REFRESH, **overrides)
    return Masked(json.dumps({"claudeAiOauth": entry}, separators=(",", ":")).encode())


@pytest.fixture
def session(profile, tmp_path) -> SessionUnderTest:
    profile.create()  # a good session: ~8 h access token, no end of the sign-in stated
    settings = Settings(claude_config_dir=str(profile.dir), project_root=tmp_path, min_validity=24.0)
    return SessionUnderTest(settings, environ={"HOME": str(tmp_path / "home")}, platform="linux")


def test_a_refreshed_copy_whose_sign_in_ends_inside_the_window_is_not_rendered(session):
    assert session.lifetime.problems == ()  # the profile itself lasts: SC-005 passed on it
    session.adopt_credentials(refreshed(refreshTokenExpiresAt=now_ms() + 2 * HOUR_MS))
    with pytest.raises(FindingError) as caught:
        prepare(session)
    finding = caught.value.finding
    assert "cannot stay valid for 24 h" in finding.cause and "SC-005" in finding.cause
    assert any("refreshTokenExpiresAt" in d and "inside the 24 h window" in d for d in finding.details)
    assert "--fresh-login" in finding.remedy
    assert CANARY_MARKER not in finding.message()


def test_an_expired_access_token_in_what_ships_is_refused(session):
    payload = session.payload.with_credentials(refreshed(expiresAt=now_ms() - HOUR_MS))
    with pytest.raises(FindingError) as caught:
        verified_again(payload, "max", 24.0)
    assert any("expired" in d for d in caught.value.finding.details)


def test_a_refreshed_copy_that_lasts_is_rendered_from_the_refreshed_bytes(session):
    session.adopt_credentials(refreshed())
    result = prepare(session)
    assert result.info.fingerprint == fingerprint(REFRESHED_REFRESH)
    assert session.oauth.fingerprint != fingerprint(REFRESHED_REFRESH)  # the profile is unchanged
