"""The fresh login on a simulated macOS, where the session lives in the login Keychain.

Discovery reads the Keychain item once (``keychain_source``); after ``claude auth login`` has
replaced it, the suite must look again, and decide again between the item and the
``.credentials.json`` fallback (review 2.3). The fake ``claude`` acts as the macOS CLI
(``"keychain"`` in its control file: it writes and deletes the item behind the fake
``security`` of tests/helpers/fake_security.py). No person types a code here: the fake is told
the browser's callback completed the sign-in, and the terminal is a stand-in.
"""

from __future__ import annotations

import json
import os

import pytest
from helpers.fake_claude import FakeClaude
from helpers.fake_security import FakeKeychain
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_REFRESH, oauth_entry
from helpers.runner import CHECKS, ROOT, ChecksRun
from helpers.simulate import simulate_platform

import claude_session_tokens.claude.login as login_module
from claude_session_tokens.claude.console import Console
from claude_session_tokens.claude.login import fresh_login
from claude_session_tokens.core.masked import fingerprint
from claude_session_tokens.session.keychain import (
    KeychainCredentialSource,
    KeychainFallbackFile,
    service_name,
)
from claude_session_tokens.suite.options import Settings
from claude_session_tokens.suite.session import SessionUnderTest

ACCOUNT = "dev"


@pytest.fixture
def keychain(tmp_path) -> FakeKeychain:
    return FakeKeychain(tmp_path / "security-bin")


@pytest.fixture
def mac_claude(tmp_path, keychain) -> FakeClaude:
    fake = FakeClaude(tmp_path / "fake-bin")
    fake.control(login_needs_tty=False, keychain=str(keychain.dir))
    return fake


@pytest.fixture
def mac(monkeypatch, keychain, mac_claude, tmp_path):
    """This process believes it runs on macOS, with the fake security first on PATH."""
    simulate_platform(monkeypatch, "darwin")
    monkeypatch.setenv("PATH", keychain.path_with_fake())
    monkeypatch.setenv("USER", ACCOUNT)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR", "CI"):  # CI=true refuses the login
        monkeypatch.delenv(name, raising=False)
    for name, value in mac_claude.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(login_module, "open_console", lambda: stand_in_terminal(tmp_path))


def stand_in_terminal(tmp_path) -> Console:
    return Console(open(os.devnull, "rb"), open(tmp_path / "terminal.txt", "ab"))


def profile_dir(tmp_path):
    directory = tmp_path / "claude-config"
    directory.mkdir()
    (directory / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    return directory


def credentials_json() -> str:
    return json.dumps({"claudeAiOauth": oauth_entry()}, separators=(",", ":"))


def stored_item(keychain: FakeKeychain, service: str) -> dict | None:
    state = json.loads((keychain.dir / "keychain.json").read_text())
    items = [i for i in state["items"] if i["service"] == service and i["account"] == ACCOUNT]
    return json.loads(bytes.fromhex(items[0]["hex"])) if items else None


def lookups(keychain: FakeKeychain) -> int:
    return sum(1 for call in keychain.calls() if call[:1] == ["find-generic-password"])


def session_for(directory, mac_claude) -> SessionUnderTest:
    settings = Settings(claude_config_dir=str(directory), claude_bin=str(mac_claude.bin), fresh_login=True,
                        project_root=ROOT)
    return SessionUnderTest(settings)


def test_the_login_replaces_the_keychain_item_and_the_session_reads_the_new_one(mac, keychain, mac_claude,
                                                                                tmp_path):
    directory = profile_dir(tmp_path)
    service = service_name(str(directory))
    keychain.add(service, ACCOUNT, credentials_json())
    session = session_for(directory, mac_claude)
    old = session.oauth.fingerprint
    assert isinstance(session.location.credentials, KeychainCredentialSource)

    outcome = fresh_login(session)

    new_refresh = stored_item(keychain, service)["claudeAiOauth"]["refreshToken"]
    assert new_refresh != CANARY_REFRESH  # the fake's login did replace the item
    assert outcome.fingerprint_before == old
    assert outcome.fingerprint_after == fingerprint(new_refresh) != old
    assert session.oauth.fingerprint == fingerprint(new_refresh)  # every later check sees the new item
    assert isinstance(session.location.credentials, KeychainCredentialSource)
    assert lookups(keychain) == 2  # once at discovery, once after the login
    assert not (directory / ".credentials.json").exists()


def test_a_login_that_moves_the_session_from_the_file_into_the_keychain(mac, keychain, mac_claude, tmp_path):
    """No item before: discovery fell back to the file. The login deletes the file and writes
    the item, so the suite must switch to the Keychain, as the CLI does."""
    directory = profile_dir(tmp_path)
    (directory / ".credentials.json").write_text(credentials_json())
    session = session_for(directory, mac_claude)
    old = session.oauth.fingerprint
    assert isinstance(session.location.credentials, KeychainFallbackFile)

    outcome = fresh_login(session)

    item = stored_item(keychain, service_name(str(directory)))
    assert item is not None and not (directory / ".credentials.json").exists()
    assert isinstance(session.location.credentials, KeychainCredentialSource)
    assert outcome.fingerprint_after == fingerprint(item["claudeAiOauth"]["refreshToken"]) != old


def test_the_checks_after_a_fresh_login_on_macos_judge_the_new_keychain_item(mac, keychain, mac_claude,
                                                                            pytester, tmp_path):
    directory = profile_dir(tmp_path)
    service = service_name(str(directory))
    keychain.add(service, ACCOUNT, credentials_json())
    out = tmp_path / "out"
    out.mkdir()
    junit = out / "junit.xml"
    targets = [str(CHECKS / name) for name in ("test_00_fresh_login.py", "test_12_credentials_present.py",
                                               "test_16_credentials_valid.py")]
    result = pytester.runpytest(*targets, f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                                f"--junitxml={junit}", f"--reports-dir={out}", f"--secret-out={out / 's.yaml'}",
                                "--claude-config-dir", str(directory), "--claude-bin", str(mac_claude.bin),
                                "--fresh-login")
    run = ChecksRun(result.ret, result.stdout.str(), result.stderr.str(), junit, out / "summary.md", out)
    cases = run.testcases()
    login = cases["test_fresh_login"]
    assert login.outcome == "passed", run.output
    new_refresh = stored_item(keychain, service)["claudeAiOauth"]["refreshToken"]
    assert login.prop("fingerprint_after") == [fingerprint(new_refresh)]
    assert login.prop("fingerprint_before") == [fingerprint(CANARY_REFRESH)]
    assert cases["test_credentials_are_present"].outcome == "passed"
    assert cases["test_credentials_hold_a_claude_max_session"].outcome == "passed"
    assert_no_leak(run)
