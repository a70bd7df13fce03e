"""The macOS Keychain credential source, with a fake ``security`` on PATH.

Unit tests of ``claude_session_tokens.session.keychain`` and discovery, then the real ``checks/`` suite
run with a simulated macOS (inline, ``current_platform`` monkeypatched) and with
``--credentials-source keychain`` (subprocess).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from helpers.fake_security import FakeKeychain
from helpers.leaks import assert_no_leak
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, oauth_entry
from helpers.runner import CHECKS, ROOT, ChecksRun

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.session import keychain
from claude_session_tokens.session.discovery import discover
from claude_session_tokens.session.keychain import (
    KeychainCredentialSource,
    KeychainFallbackFile,
    account_name,
    keychain_source,
    service_name,
)
from claude_session_tokens.session.sources import FileCredentialSource, first_problem

ACCOUNT = "dev"
DEFAULT_SERVICE = "Claude Code-credentials"


def credentials_json(**overrides) -> str:
    return json.dumps({"claudeAiOauth": oauth_entry(**overrides)}, separators=(",", ":"))


@pytest.fixture
def fake(tmp_path) -> FakeKeychain:
    return FakeKeychain(tmp_path / "fakebin")


def mac_environ(fake: FakeKeychain, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"HOME": str(tmp_path / "home"), "USER": ACCOUNT, "PATH": fake.path_with_fake("")}
    env.update(extra)
    return env


# --- the service name and account, as the CLI builds them --------------------------------------

def node_service_hash(directory: str) -> str:
    """The CLI's own expression (its bundled JS): sha256(dir.normalize("NFC")).hex[:8], run by node."""
    node = shutil.which("node")
    assert node, "node is needed (CI installs Node 22 for the real claude CLI)"
    script = ("const c=require('crypto');process.stdout.write(c.createHash('sha256')"
              ".update(process.argv[1].normalize('NFC')).digest('hex').substring(0,8))")
    return subprocess.run([node, "-e", script, directory], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("directory", [
    "/Users/dev/.claude-work",
    "/Users/dev/.claude-work/",  # the CLI hashes the value as given: a trailing slash changes it
    "~/.claude-work",
    "/Users/Jose\u0301/.claude",  # decomposed é: NFC-normalised before hashing
])
def test_service_name_hashes_claude_config_dir_exactly_like_the_cli(directory):
    assert service_name(directory) == f"{DEFAULT_SERVICE}-{node_service_hash(directory)}"


def test_service_name_details():
    assert service_name(None) == DEFAULT_SERVICE
    assert service_name("") == DEFAULT_SERVICE  # an empty CLAUDE_CONFIG_DIR counts as unset
    assert service_name("/a/b") != service_name("/a/b/")
    composed, decomposed = "/Users/Jos\u00e9", "/Users/Jose\u0301"
    assert service_name(composed) == service_name(decomposed)
    expected = hashlib.sha256(unicodedata.normalize("NFC", composed).encode()).hexdigest()[:8]
    assert service_name(decomposed).endswith(expected)
    # CLAUDE_SECURESTORAGE_CONFIG_DIR overrides, and an empty one means the default item
    assert service_name("/a", {"CLAUDE_SECURESTORAGE_CONFIG_DIR": ""}) == DEFAULT_SERVICE
    assert service_name(None, {"CLAUDE_SECURESTORAGE_CONFIG_DIR": "/x"}) == service_name("/x")


def test_account_is_user_unless_it_has_odd_characters():
    assert account_name({"USER": "dev.ops-1_a"}) == "dev.ops-1_a"
    assert account_name({"USER": "John Doe"}) == "claude-code-user"
    assert account_name({"USER": "jörg"}) == "claude-code-user"


# --- the lookup ----------------------------------------------------------------------------------

def source_for(fake: FakeKeychain, tmp_path: Path, setting: str | None = None, fallback: bool = True,
               **env: str):
    return keychain_source(setting, mac_environ(fake, tmp_path, **env), tmp_path / "cfg" / ".credentials.json",
                           fallback=fallback)


def test_present_item_is_read_through_a_pipe_never_a_command_line(fake, tmp_path):
    data = credentials_json()
    fake.add(DEFAULT_SERVICE, ACCOUNT, data)
    source = source_for(fake, tmp_path)
    assert isinstance(source, KeychainCredentialSource)
    assert first_problem(source) is None
    assert source.read().reveal() == data.encode()  # exactly the item's bytes, newline removed
    assert source.label == f"macOS Keychain item '{DEFAULT_SERVICE}' (account '{ACCOUNT}')"
    assert fake.calls() == [["find-generic-password", "-a", ACCOUNT, "-w", "-s", DEFAULT_SERVICE]]
    assert CANARY_MARKER not in repr(source) + str(source.result)
    assert not (tmp_path / "cfg").exists()  # nothing written anywhere on the way


def test_hex_output_is_decoded(fake, tmp_path, monkeypatch):
    """``security -w`` prints non-printable data as hex; the CLI's JSON then comes back as hex."""
    data = credentials_json(subscriptionType="max")
    # store the hex text itself, which is what security prints for such an item
    fake.add(DEFAULT_SERVICE, ACCOUNT, data.encode().hex())
    assert source_for(fake, tmp_path).read().reveal() == data.encode()


def test_hashed_service_is_asked_when_claude_config_dir_is_set(fake, tmp_path):
    profile_dir = str(tmp_path / "work profile")
    fake.add(DEFAULT_SERVICE, ACCOUNT, credentials_json(accessToken="sk-ant-oat01-" + "d" * 30))
    fake.add(service_name(profile_dir), ACCOUNT, credentials_json())
    location = discover(None, mac_environ(fake, tmp_path, CLAUDE_CONFIG_DIR=profile_dir), "darwin")
    assert isinstance(location.credentials, KeychainCredentialSource)
    assert location.credentials.service == service_name(profile_dir)
    assert json.loads(location.credentials.read().reveal())["claudeAiOauth"]["accessToken"] == CANARY_ACCESS


def test_option_dir_matching_the_variable_uses_the_variable_as_given(fake, tmp_path):
    profile_dir = str(tmp_path / "p") + "/"
    env = mac_environ(fake, tmp_path, CLAUDE_CONFIG_DIR=profile_dir)
    location = discover(str(tmp_path / "p"), env, "darwin", "keychain")
    assert location.credentials.service == service_name(profile_dir)
    # the default directory given as option, no variable: the default item
    home = tmp_path / "home"
    location = discover(str(home / ".claude"), mac_environ(fake, tmp_path), "darwin", "keychain")
    assert location.credentials.service == DEFAULT_SERVICE
    # another directory given as option: the service the CLI uses with CLAUDE_CONFIG_DIR=<it>
    other = str(tmp_path / "other")
    assert discover(other, mac_environ(fake, tmp_path), "darwin", "keychain").credentials.service \
        == service_name(other)


def test_absent_item_falls_back_to_the_file_in_auto_mode(fake, tmp_path):
    source = source_for(fake, tmp_path)
    assert isinstance(source, KeychainFallbackFile)
    assert isinstance(source, FileCredentialSource)  # every file check applies, the mode check too
    assert source.path == tmp_path / "cfg" / ".credentials.json"
    assert "no macOS Keychain item 'Claude Code-credentials'" in source.label
    assert "missing" in first_problem(source).cause  # then the file's own findings


def test_absent_item_is_its_own_finding_when_the_keychain_is_asked_for(fake, tmp_path):
    source = source_for(fake, tmp_path, fallback=False)
    problem = first_problem(source)
    assert problem.cause == f"There is no Keychain item '{DEFAULT_SERVICE}' for account '{ACCOUNT}'."
    assert problem.remedy.startswith("claude auth login")
    with pytest.raises(FindingError):
        source.read()


@pytest.mark.parametrize("mode, cause_part, remedy_part", [
    ("locked", "The login Keychain is locked", "security unlock-keychain"),
    ("denied", "was refused: access was denied", "click 'Allow'"),
    ("canceled", "answered 'Deny'", "click 'Allow'"),
])
def test_locked_and_denied_keychains_fail_and_never_fall_back(fake, tmp_path, mode, cause_part, remedy_part):
    fake.add(DEFAULT_SERVICE, ACCOUNT, credentials_json()).set_mode(mode)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / ".credentials.json").write_text(credentials_json())  # a stale file
    source = source_for(fake, tmp_path)
    assert isinstance(source, KeychainCredentialSource)
    problem = source.presence_problem()
    assert cause_part in problem.cause and remedy_part in problem.remedy
    with pytest.raises(FindingError) as err:
        source.read()
    assert err.value.finding == problem


def test_no_default_keychain_counts_as_no_item(fake, tmp_path):
    fake.set_mode("nokeychain")
    assert isinstance(source_for(fake, tmp_path), KeychainFallbackFile)
    problem = first_problem(source_for(fake, tmp_path, fallback=False))
    assert "has no default Keychain" in problem.cause


@pytest.mark.parametrize("data", [b"\xff\xfe\x00binary junk", b"not json at all", b"sk-ant-oat01-" + b"x" * 30])
def test_malformed_item(fake, tmp_path, data):
    fake.add(DEFAULT_SERVICE, ACCOUNT, data)
    source = source_for(fake, tmp_path)
    problem = first_problem(source)
    assert problem.cause.startswith(f"The Keychain item '{DEFAULT_SERVICE}' is malformed")
    assert "security delete-generic-password" in problem.remedy
    assert "sk-ant" not in problem.message() and "junk" not in problem.message()


def test_empty_item(fake, tmp_path):
    fake.add(DEFAULT_SERVICE, ACCOUNT, b"")
    problem = first_problem(source_for(fake, tmp_path))
    assert problem.cause == f"The Keychain item '{DEFAULT_SERVICE}' is empty."


def test_missing_security_tool(tmp_path):
    env = {"HOME": str(tmp_path), "USER": ACCOUNT, "PATH": str(tmp_path / "empty")}
    source = keychain_source(None, env, tmp_path / ".credentials.json", fallback=False)
    assert "'security' command was not found" in source.presence_problem().cause
    assert "--credentials-source file" in source.presence_problem().remedy


def test_hanging_security_times_out(tmp_path):
    """A Keychain dialog nobody answers: security never returns; the lookup gives up."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if os.name == "nt":
        hang = bin_dir / "security.cmd"
        hang.write_text(f'@"{sys.executable}" -c "import time; time.sleep(5)"\r\n')
    else:
        hang = bin_dir / "security"
        hang.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(5)\n")
        hang.chmod(0o755)
    result = keychain.lookup(str(hang), ACCOUNT, DEFAULT_SERVICE, timeout=0.5)
    assert result.outcome == "timeout"
    source = KeychainCredentialSource(DEFAULT_SERVICE, ACCOUNT, result)
    assert "no answer within" in source.presence_problem().cause


# --- discovery picks the source -----------------------------------------------------------------

def test_auto_reads_the_keychain_on_macos_only(fake, tmp_path):
    fake.add(DEFAULT_SERVICE, ACCOUNT, credentials_json())
    env = mac_environ(fake, tmp_path)
    assert isinstance(discover(None, env, "darwin").credentials, KeychainCredentialSource)
    assert isinstance(discover(None, env, "darwin", "auto").credentials, KeychainCredentialSource)
    linux = discover(None, env, "linux", "auto").credentials
    assert type(linux) is FileCredentialSource
    assert type(discover(None, env, "darwin", "file").credentials) is FileCredentialSource
    assert len(fake.calls()) == 2  # 'file' and non-macOS 'auto' never ran security
    forced = discover(None, env, "linux", "keychain").credentials
    assert isinstance(forced, KeychainCredentialSource) and len(fake.calls()) == 3


def test_the_header_names_the_source(fake, tmp_path):
    fake.add(DEFAULT_SERVICE, ACCOUNT, credentials_json())
    described = dict(discover(None, mac_environ(fake, tmp_path), "darwin").describe())
    assert described["credentials"] == f"macOS Keychain item '{DEFAULT_SERVICE}' (account '{ACCOUNT}')"


# --- through the real checks --------------------------------------------------------------------

SESSION_FILE_CHECK_FILES = tuple(sorted(p.name for p in CHECKS.glob("test_1*.py"))) + ("test_60_directory_listing.py",)


def run_checks_inline(pytester, out: Path, *args: str) -> ChecksRun:
    """The session-file checks (test_1x, the listing test_60), in this process so the simulated platform applies."""
    out.mkdir(parents=True, exist_ok=True)
    junit = out / "junit.xml"
    targets = [str(CHECKS / name) for name in SESSION_FILE_CHECK_FILES]
    result = pytester.runpytest(*targets, f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                                f"--junitxml={junit}", f"--reports-dir={out}",
                                f"--secret-out={out / 'secret.yaml'}", *args)
    return ChecksRun(result.ret, result.stdout.str(), result.stderr.str(), junit, out / "summary.md", out)


@pytest.fixture
def simulated_mac(monkeypatch, fake, tmp_path):
    """macOS as the checks see it: platform darwin, the fake security first on PATH, USER=dev."""
    import claude_session_tokens.suite.session as session_module

    monkeypatch.setattr(session_module, "current_platform", lambda: "darwin")
    monkeypatch.setenv("PATH", fake.path_with_fake())
    monkeypatch.setenv("USER", ACCOUNT)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", raising=False)
    return fake


SESSION_FILE_CHECKS = ("test_credentials_are_present", "test_credentials_are_a_regular_file",
                       "test_credentials_are_not_empty", "test_credentials_are_readable",
                       "test_credentials_hold_a_claude_max_session")


def keychain_profile(tmp_path: Path) -> Path:
    """A config dir with a global config but no credentials file: the Keychain holds them."""
    directory = tmp_path / "claude-config"
    directory.mkdir()
    (directory / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    return directory


def test_checks_pass_on_a_keychain_session_and_say_where_it_came_from(pytester, simulated_mac, tmp_path):
    directory = keychain_profile(tmp_path)
    simulated_mac.add(service_name(str(directory)), ACCOUNT, credentials_json())
    run = run_checks_inline(pytester, tmp_path / "out", "--claude-config-dir", str(directory))
    cases = run.testcases()
    for name in SESSION_FILE_CHECKS + ("test_session_directory_can_be_listed",):
        assert cases[name].outcome == "passed", (name, cases[name].message)
    label = f"macOS Keychain item '{service_name(str(directory))}' (account '{ACCOUNT}')"
    assert f"credentials: {label}" in run.stdout  # the run header
    assert f"credentials read from: {label}" in run.summary_path.read_text()  # the listing
    assert cases["test_session_directory_can_be_listed"].prop("credentials_source") == [label]
    assert run.suite_properties()["credentials"] == label
    assert_no_leak(run)
    for call in simulated_mac.calls():  # the token never on a command line
        assert not any(CANARY_MARKER in arg for arg in call)


def test_checks_fail_on_a_locked_keychain_with_the_unlock_remedy(pytester, simulated_mac, tmp_path):
    directory = keychain_profile(tmp_path)
    simulated_mac.add(service_name(str(directory)), ACCOUNT, credentials_json()).set_mode("locked")
    run = run_checks_inline(pytester, tmp_path / "out", "--claude-config-dir", str(directory))
    cases = run.testcases()
    present = cases["test_credentials_are_present"]
    assert present.outcome == "failed"
    assert "The login Keychain is locked" in present.message
    assert "security unlock-keychain ~/Library/Keychains/login.keychain-db" in present.message
    assert cases["test_credentials_hold_a_claude_max_session"].outcome == "failed"
    assert "Traceback" not in run.output
    assert not (tmp_path / "out" / "secret.yaml").exists()


def test_checks_fall_back_to_the_file_when_no_item_exists(pytester, simulated_mac, profile, tmp_path):
    profile.create()
    run = run_checks_inline(pytester, tmp_path / "out", "--claude-config-dir", str(profile.dir))
    cases = run.testcases()
    assert {cases[n].outcome for n in SESSION_FILE_CHECKS} == {"passed"}
    assert f"credentials read from: credentials file {profile.credentials} (no macOS Keychain item" \
        in run.summary_path.read_text()
    assert len(simulated_mac.calls()) == 1


def test_malformed_item_fails_through_the_checks_subprocess(checks, fake, tmp_path):
    """``--credentials-source keychain`` reads the Keychain on any OS (here: Linux, a real subprocess)."""
    directory = keychain_profile(tmp_path)
    fake.add(service_name(str(directory)), ACCOUNT, b"\x00\x01 not the CLI's JSON")
    run = checks.run("--claude-config-dir", str(directory), "--credentials-source", "keychain",
                     f"--secret-out={tmp_path / 'out' / 'secret.yaml'}",
                     paths=SESSION_FILE_CHECK_FILES,
                     env={"PATH": fake.path_with_fake(), "USER": ACCOUNT, "CLAUDE_CONFIG_DIR": None})
    cases = run.testcases()
    shape = cases["test_credentials_are_a_regular_file"]
    assert shape.outcome == "failed" and "is malformed" in shape.message
    assert cases["test_credentials_are_present"].outcome == "passed"
    assert "Traceback" not in run.output


def test_absent_item_with_keychain_forced_fails_with_login_remedy(checks, fake, tmp_path):
    directory = keychain_profile(tmp_path)
    (directory / ".credentials.json").write_text(credentials_json())  # present, but not asked for
    run = checks.run("--claude-config-dir", str(directory), "--credentials-source", "keychain",
                     f"--secret-out={tmp_path / 'out' / 'secret.yaml'}",
                     paths=SESSION_FILE_CHECK_FILES,
                     env={"PATH": fake.path_with_fake(), "USER": ACCOUNT, "CLAUDE_CONFIG_DIR": None})
    present = run.testcases()["test_credentials_are_present"]
    assert present.outcome == "failed"
    assert f"There is no Keychain item '{service_name(str(directory))}'" in present.message
    assert "claude auth login" in present.message
