"""``--hand-off``: after the Secret is written, this machine's copy of the session is removed.

Never with ``claude auth logout`` (it revokes the session for the pod too), never with
``--dry-run``, never when the Secret was not written; only a copy that still holds what was
captured; everything else in the profile stays byte for byte. The file source is tested with
the suite in a subprocess (the fake ``claude`` logs every invocation) and with
``render_secret.py`` and the real CLI; the macOS Keychain with the fake ``security`` of
tests/helpers/fake_security.py on a simulated macOS.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import privileges
from helpers.fake_claude import FakeClaude
from helpers.fake_security import FakeKeychain
from helpers.foundation import assert_no_crash
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, oauth_entry
from helpers.render_support import REAL_CLAUDE, decoded, load_secret, run_render_secret
from helpers.runner import CHECKS, ROOT, ChecksRun

from claude_session_tokens.core import atomic
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.session import handoff
from claude_session_tokens.session.handoff import (
    ALREADY_GONE,
    CHANGED,
    NOT_REMOVED,
    REMOVED,
    REPLACED,
    SHARED_CHAIN,
    hand_off,
    login_command,
    remove_file,
    remove_keychain_item,
)
from claude_session_tokens.session.keychain import (
    KeychainCredentialSource,
    KeychainLookup,
    service_name,
)
from claude_session_tokens.suite.options import NOT_WITH_DRY_RUN, Settings
from claude_session_tokens.suite.session import SessionUnderTest

RENDER_CASE = "test_render_secret"
ACCOUNT = "dev"
POSIX_ONLY = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes and shell")


def with_other_files(profile) -> None:
    """What else a real profile holds: settings, a transcript, a lock dir, the global config."""
    profile.create()
    (profile.dir / "settings.json").write_text('{"theme": "dark"}\n')
    (profile.dir / "projects" / "-home-dev-repo").mkdir(parents=True)
    (profile.dir / "projects" / "-home-dev-repo" / "t.jsonl").write_text('{"type": "user"}\n')
    (profile.dir / ".claude.json.lock").mkdir()


def without_credentials(snapshot: dict) -> dict:
    return {k: v for k, v in snapshot.items() if k != ".credentials.json"}


@pytest.fixture
def suite(checks, profile, tmp_path):
    """The whole suite on a good profile with the fake claude, the Secret outside the reports."""
    with_other_files(profile)
    fake = FakeClaude(tmp_path / "fake-bin")
    secret = tmp_path / "deploy" / "secrets" / "s.yaml"

    def run(*args, env=None, **kwargs) -> ChecksRun:
        return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                          "--secret-out", str(secret), *args, env={**fake.env(), **(env or {})}, **kwargs)

    run.fake, run.secret, run.profile = fake, secret, profile
    return run


def never_logged_out(fake: FakeClaude, prompted: bool = True) -> None:
    calls = fake.calls()
    if prompted:  # the fake logs the prompt, login and logout (not --version)
        assert fake.events("prompt"), "the fake claude logged no prompt: the test would prove nothing"
    assert fake.events("logout") == []
    assert not any("logout" in call["argv"] for call in calls)


# --- the file source, through the suite ------------------------------------------------------

def test_hand_off_removes_the_credentials_file_and_nothing_else(suite):
    captured = suite.profile.credentials.read_bytes()
    before = suite.profile.snapshot()
    run = suite("--hand-off", "-vv", "-l", "--tb=long")  # no token even at the most verbose
    assert_no_crash(run)
    assert run.ret == 0, run.stdout[-3000:]
    assert not suite.profile.credentials.exists()
    assert without_credentials(suite.profile.snapshot()) == without_credentials(before)  # .claude.json too
    assert json.loads(suite.profile.global_config.read_text())["oauthAccount"]  # no logout removed it
    assert decoded(load_secret(suite.secret))[".credentials.json"] == captured  # the Secret is intact
    never_logged_out(suite.fake)
    render = run.testcases()[RENDER_CASE]
    assert render.outcome == "passed"
    assert render.prop("hand_off") == [f"removed: credentials file {suite.profile.credentials}"]
    assert not render.prop("warning")
    summary = run.summary_path.read_text()
    assert "hand-off: removed this machine's copy of the session" in summary
    assert "claude auth logout was not run" in summary
    # spelled with the CLI that was found (--claude-bin) and the profile in use
    assert f"CLAUDE_CONFIG_DIR={shlex.quote(str(suite.profile.dir))} {shlex.quote(str(suite.fake.bin))} auth login" in summary
    assert SHARED_CHAIN not in summary
    assert_no_leak(run)


def test_without_hand_off_the_laptop_keeps_it_and_the_report_names_the_option(suite):
    before = suite.profile.snapshot()
    run = suite()
    assert run.ret == 0, run.stdout[-3000:]
    assert suite.profile.snapshot() == before
    render = run.testcases()[RENDER_CASE]
    assert render.prop("hand_off") == ["not requested (--hand-off not given)"]
    summary = run.summary_path.read_text()
    assert SHARED_CHAIN in summary and "--hand-off" in SHARED_CHAIN and "single-use" in SHARED_CHAIN
    assert_no_leak(run)


def test_a_failed_run_leaves_the_laptop_untouched(suite):
    suite.secret.parent.mkdir(parents=True)
    suite.secret.write_bytes(b"earlier secret\n")
    before = suite.profile.snapshot()
    run = suite("--hand-off", "--expected-subscription", "team")  # a check fails: the gate is closed
    assert run.ret == 1
    assert suite.profile.snapshot() == before
    assert suite.secret.read_bytes() == b"earlier secret\n"
    render = run.testcases()[RENDER_CASE]
    assert render.outcome == "failed" and not render.prop("hand_off")
    never_logged_out(suite.fake, prompted=False)
    assert_no_leak(run)


def test_a_secret_that_cannot_be_written_leaves_the_laptop_untouched(suite):
    suite.secret.parent.parent.mkdir(parents=True)
    suite.secret.parent.write_text("a file where the directory should be")
    before = suite.profile.snapshot()
    run = suite("--hand-off")
    assert run.ret == 1
    assert suite.profile.snapshot() == before
    assert "could not be written" in run.testcases()[RENDER_CASE].message


def test_dry_run_with_hand_off_is_refused_before_anything_runs(suite):
    before = suite.profile.snapshot()
    run = suite("--dry-run", "--hand-off")
    assert run.ret == 4  # pytest's usage error
    assert "--hand-off cannot be combined with --dry-run" in run.output
    assert "Traceback" not in run.output
    assert suite.profile.snapshot() == before and not suite.secret.exists()
    assert suite.fake.calls() == []  # not even the CLI was started


RESIGN_IN = """
import os, pathlib, pytest

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.name == "test_render_secret":  # the user signs in again while the suite runs
        path = pathlib.Path(os.environ["RESIGN_PATH"])
        tmp = path.with_name(".credentials.json.tmp.1")
        tmp.write_text(os.environ["RESIGN_DATA"])
        os.replace(tmp, path)  # as the CLI writes it: a new file renamed into place
"""


def test_a_copy_that_changed_during_the_run_is_left_and_said(suite, pytester):
    captured = suite.profile.credentials.read_bytes()
    newer = json.dumps({"claudeAiOauth": oauth_entry(refreshToken="sk-ant-ort01-CANARYnewSIGNIN0123456789abc")})
    pytester.makepyfile(resign_in=RESIGN_IN)
    run = suite("--hand-off", "-p", "resign_in",
                env={"RESIGN_PATH": str(suite.profile.credentials), "RESIGN_DATA": newer})
    assert run.ret == 0, run.stdout[-3000:]
    assert suite.profile.credentials.read_text() == newer  # the newer sign-in is kept
    assert decoded(load_secret(suite.secret))[".credentials.json"] == captured
    render = run.testcases()[RENDER_CASE]
    assert render.prop("hand_off")[0].startswith("replaced: credentials file")
    assert any("The hand-off left this machine's credentials" in w for w in render.prop("warning"))
    summary = run.summary_path.read_text()
    assert "hand-off: NOT done: this machine's credentials were left as they are" in summary
    assert "holds another session than the one captured" in summary
    assert "capture again with pytest checks --fresh-login --hand-off" in summary
    never_logged_out(suite.fake)
    assert_no_leak(run)


# --- the pieces, one by one -------------------------------------------------------------------

@pytest.fixture
def credentials(tmp_path) -> Path:
    path = tmp_path / "profile" / ".credentials.json"
    path.parent.mkdir()
    path.write_bytes(json.dumps({"claudeAiOauth": oauth_entry()}).encode())
    return path


def test_remove_file_removes_exactly_the_captured_copy_and_syncs_the_directory(credentials, monkeypatch):
    synced = []
    monkeypatch.setattr(handoff, "fsync_directory", lambda d: synced.append(d) or True)
    result = remove_file(credentials, Masked(credentials.read_bytes()), "linux")
    assert result.outcome == REMOVED and not result.laptop_still_holds_it
    assert not credentials.exists() and synced == [credentials.parent]


@POSIX_ONLY
def test_a_fifo_swapped_in_after_the_look_is_left_and_never_blocks(credentials, monkeypatch):
    """Between the hand-off's look (lstat) and its read, the copy is replaced by a FIFO: the read
    must not hang waiting for a writer, and nothing is removed."""
    captured = Masked(credentials.read_bytes())
    regular = os.lstat(credentials)
    credentials.unlink()
    os.mkfifo(credentials)
    looks = []

    def lstat_as_before(path, *args, **kwargs):
        looks.append(path)
        return regular if len(looks) == 1 else os.stat(path, follow_symlinks=False)

    monkeypatch.setattr(handoff.os, "lstat", lstat_as_before)
    result = remove_file(credentials, captured, "linux")  # pytest-timeout ends a hang
    assert result.outcome == CHANGED and result.laptop_still_holds_it
    assert stat.S_ISFIFO(os.stat(credentials, follow_symlinks=False).st_mode)


MCP = {"srv|0123": {"serverName": "srv", "serverUrl": "https://mcp.example.com", "accessToken": "mcp-a",
                    "refreshToken": "mcp-r", "expiresAt": 1}}


def test_other_entries_with_a_number_beyond_a_double_stay_json(credentials):
    """Before: 1e400 in an MCP sign-in was rewritten as Python's ``Infinity``, which is not JSON:
    the CLI could read no entry of the file any more."""
    text = json.dumps({"claudeAiOauth": oauth_entry(), "mcpOAuth": {"srv": {"expiresAt": "@@"}}})
    credentials.write_text(text.replace('"@@"', "1e400"))
    assert remove_file(credentials, Masked(credentials.read_bytes()), "linux").outcome == REMOVED
    left = credentials.read_bytes()
    assert b"Infinity" not in left and b'"expiresAt":1e400' in left
    script = "process.stdout.write(String(JSON.parse(require('fs').readFileSync(0, 'utf8')).mcpOAuth.srv.expiresAt))"
    read = subprocess.run(["node", "-e", script],
                          input=left, capture_output=True, check=False)
    assert (read.returncode, read.stdout) == (0, b"Infinity"), read.stderr


@POSIX_ONLY
@pytest.mark.realcli
def test_other_entries_of_the_credentials_file_stay_and_the_real_cli_is_signed_out(credentials):
    """mcpOAuth (MCP server sign-ins) and pluginSecrets are not the captured session: they stay."""
    others = {"mcpOAuth": MCP, "pluginSecrets": {"p": {"k": "v"}}}
    credentials.write_text(json.dumps({"claudeAiOauth": oauth_entry(), **others}))  # no local holds the session
    result = remove_file(credentials, Masked(credentials.read_bytes()), "linux")
    assert result.outcome == REMOVED and not result.laptop_still_holds_it
    left = json.loads(credentials.read_bytes())
    assert "claudeAiOauth" not in left
    assert left == others
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert any("mcpOAuth" in note and "pluginSecrets" in note for note in result.notes)
    assert list(credentials.parent.iterdir()) == [credentials]  # no temporary copy left
    # the real CLI counts this machine as signed out with what is left
    (credentials.parent / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True}))
    status = subprocess.run([str(REAL_CLAUDE), "auth", "status"], check=False, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CLAUDE_CONFIG_DIR": str(credentials.parent),
                                 "HOME": str(credentials.parent), "DISABLE_AUTOUPDATER": "1",
                                 "DISABLE_TELEMETRY": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"})
    assert json.loads(status.stdout)["loggedIn"] is False, status.returncode
    assert json.loads(credentials.read_bytes()) == left  # and it did not touch what stayed


def test_a_copy_holding_another_session_is_left_alone_byte_for_byte(credentials):
    captured = Masked(credentials.read_bytes())
    newer = json.dumps({"claudeAiOauth": oauth_entry(refreshToken="sk-ant-ort01-CANARYnewer0123456789abcdefg")})
    credentials.write_text(newer)
    result = remove_file(credentials, captured, "linux")
    assert result.outcome == REPLACED and not result.laptop_still_holds_it
    assert credentials.read_text() == newer
    assert "a new sign-in, or the CLI here refreshed" in result.reason
    assert "--fresh-login --hand-off" in result.warning().remedy and "--fresh-login" in result.next_step()


def test_a_copy_rewritten_with_the_same_session_is_left_and_still_shared(credentials):
    captured = Masked(credentials.read_bytes())
    data = json.loads(captured.reveal())
    data["mcpOAuth"] = {}  # the CLI rewrote the file: same tokens, other bytes
    credentials.write_text(json.dumps(data))
    result = remove_file(credentials, captured, "linux")
    assert result.outcome == CHANGED and result.laptop_still_holds_it
    assert json.loads(credentials.read_text()) == data
    assert "same session" in result.reason
    assert result.remove_by_hand == f"rm {shlex.quote(str(credentials))}"
    assert "not claude auth logout" in result.warning().remedy
    assert_no_leak(" ".join([*result.lines(), result.warning().message(), result.summary()]), "the report")


def test_a_copy_already_gone_is_said(credentials):
    captured = Masked(credentials.read_bytes())
    credentials.unlink()
    assert remove_file(credentials, captured, "linux").outcome == ALREADY_GONE


@POSIX_ONLY
def test_a_symlinked_copy_is_not_followed(credentials, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_bytes(credentials.read_bytes())
    captured = Masked(target.read_bytes())
    credentials.unlink()
    credentials.symlink_to(target)
    result = remove_file(credentials, captured, "linux")
    assert result.outcome == NOT_REMOVED and "symlink" in result.reason
    assert credentials.is_symlink() and target.read_bytes() == captured.reveal()
    assert str(target) in result.remove_by_hand


def test_a_removal_refused_by_the_system_is_reported_with_the_command(credentials, monkeypatch):
    def refuse(path, *a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(handoff.os, "unlink", refuse)
    result = remove_file(credentials, Masked(credentials.read_bytes()), "linux")
    assert result.outcome == NOT_REMOVED and "Permission denied" in result.reason
    assert credentials.exists()
    assert result.remove_by_hand == (f"chmod u+w {shlex.quote(str(credentials.parent))} && "
                                     f"rm {shlex.quote(str(credentials))}")
    windows = remove_file(credentials, Masked(credentials.read_bytes()), "win32")
    assert windows.remove_by_hand.startswith(f"Remove-Item -LiteralPath '{credentials}'")


def test_the_login_command_names_the_config_dir_in_use():
    assert login_command(None, "linux") == "claude auth login"
    assert login_command(None, "win32") == "claude auth login"
    assert login_command("/home/dev/my claude", "linux") == "CLAUDE_CONFIG_DIR='/home/dev/my claude' claude auth login"
    assert login_command(r"D:\it's claude", "win32") == \
        r"$env:CLAUDE_CONFIG_DIR='D:\it''s claude'; claude auth login"


@POSIX_ONLY
def test_the_login_command_runs_as_printed(tmp_path):
    """Through a real shell, the printed command starts the CLI on the named profile."""
    fake = FakeClaude(tmp_path / "bin").control(login="nothing", login_needs_tty=False)
    directory = tmp_path / "my claude"
    env = {**os.environ, **fake.env(), "PATH": f"{fake.dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("CLAUDE_CONFIG_DIR", None)
    done = subprocess.run(["sh", "-c", login_command(str(directory), "linux")], env=env, capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (login,) = fake.events("login")
    assert login["argv"] == ["auth", "login"] and login["profile"] == str(directory)


# --- the Keychain -----------------------------------------------------------------------------

@pytest.fixture
def keychain(tmp_path) -> FakeKeychain:
    return FakeKeychain(tmp_path / "security-bin")


ITEM = json.dumps({"claudeAiOauth": oauth_entry()}).encode()  # once: oauth_entry's expiresAt follows the clock


def item_data() -> bytes:
    return ITEM


def source_of(service: str, data: bytes) -> KeychainCredentialSource:
    return KeychainCredentialSource(service, ACCOUNT, KeychainLookup("found", 0, Masked(data)))


def test_the_keychain_item_is_deleted_and_no_other(keychain):
    service = service_name("/Users/dev/claude-work")
    other = service_name(None)
    keychain.add(service, ACCOUNT, item_data()).add(other, ACCOUNT, b'{"other": 1}').add(service, "ci", b"{}")
    result = remove_keychain_item(source_of(service, item_data()), Masked(item_data()), {},
                                  security=keychain.executable)
    assert result.outcome == REMOVED
    assert [(i["service"], i["account"]) for i in keychain.stored()] == [(other, ACCOUNT), (service, "ci")]
    finds, deletes = ([c for c in keychain.calls() if c[0] == kind]
                      for kind in ("find-generic-password", "delete-generic-password"))
    assert deletes == [["delete-generic-password", "-a", ACCOUNT, "-s", service]]
    assert len(finds) == 1  # looked again, compared, then deleted
    assert_no_leak(json.dumps(keychain.calls()), "security's command lines")


ITEM_WITH_MCP = json.dumps({"claudeAiOauth": oauth_entry(), "mcpOAuth": MCP}).encode()


def test_a_keychain_item_with_other_entries_is_deleted_and_the_report_names_what_went_with_it(keychain):
    """One Keychain item holds the whole file: its mcpOAuth (MCP server sign-ins) goes with it, said plainly."""
    service = service_name(None)
    keychain.add(service, ACCOUNT, ITEM_WITH_MCP)
    result = remove_keychain_item(source_of(service, ITEM_WITH_MCP), Masked(ITEM_WITH_MCP), {},
                                  security=keychain.executable)
    assert result.outcome == REMOVED and keychain.stored() == []
    assert any("mcpOAuth" in note and "sign" in note for note in result.notes), result.notes
    assert_no_leak(" ".join(result.lines()), "the report")


def test_a_locked_keychain_is_a_clear_message_and_the_item_stays(keychain):
    service = service_name(None)
    keychain.add(service, ACCOUNT, item_data()).set_mode("locked")
    result = remove_keychain_item(source_of(service, item_data()), Masked(item_data()), {},
                                  security=keychain.executable)
    assert result.outcome == NOT_REMOVED and "locked" in result.reason
    assert result.remove_by_hand == ("security unlock-keychain ~/Library/Keychains/login.keychain-db && "
                                     f"security delete-generic-password -a dev -s '{service}'")
    assert len(keychain.stored()) == 1
    assert not [c for c in keychain.calls() if c[0] == "delete-generic-password"]


def test_a_refused_deletion_keeps_the_item_and_says_so(keychain):
    service = service_name(None)
    keychain.add(service, ACCOUNT, item_data()).set_mode("deny-delete")
    result = remove_keychain_item(source_of(service, item_data()), Masked(item_data()), {},
                                  security=keychain.executable)
    assert result.outcome == NOT_REMOVED and "refused" in result.reason
    assert len(keychain.stored()) == 1


def test_a_changed_keychain_item_is_left(keychain):
    service = service_name(None)
    keychain.add(service, ACCOUNT, b'{"claudeAiOauth": {"refreshToken": "newer"}}')
    result = remove_keychain_item(source_of(service, item_data()), Masked(item_data()), {},
                                  security=keychain.executable)
    assert result.outcome == REPLACED and len(keychain.stored()) == 1


def test_the_fake_security_deletes_as_the_real_one(keychain):
    """``security delete-generic-password``: exit 0 and the attributes, never the data; exit 44 when missing."""
    keychain.add("svc", ACCOUNT, b"secret-data")
    argv = [keychain.executable, "delete-generic-password", "-a", ACCOUNT, "-s", "svc"]
    first = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    assert first.returncode == 0 and b"password has been deleted." in first.stdout
    assert b"secret-data" not in first.stdout + first.stderr
    again = subprocess.run(argv, capture_output=True, timeout=60, check=False)
    assert again.returncode == 44 and b"could not be found" in again.stderr


def test_the_whole_suite_hands_off_a_keychain_session(pytester, keychain, tmp_path, monkeypatch):
    """Simulated macOS: the session is in the Keychain; the suite runs in this process."""
    import claude_session_tokens.suite.session as session_module

    monkeypatch.setattr(session_module, "current_platform", lambda: "darwin")
    monkeypatch.setenv("PATH", keychain.path_with_fake())
    monkeypatch.setenv("USER", ACCOUNT)
    for name in ("CLAUDE_CONFIG_DIR", "CLAUDE_SECURESTORAGE_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    directory = tmp_path / "claude-config"
    directory.mkdir()
    (directory / ".claude.json").write_text(json.dumps({"hasCompletedOnboarding": True,
                                                        "oauthAccount": {"emailAddress": "dev@example.com"}}))
    (directory / "settings.json").write_text("{}\n")
    service = service_name(str(directory))
    keychain.add(service, ACCOUNT, item_data()).add(service_name(None), ACCOUNT, b'{"another": "profile"}')
    before = sorted((p.name, p.read_bytes()) for p in directory.iterdir())
    fake = FakeClaude(tmp_path / "fake-bin")
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "out"
    out.mkdir()
    secret = tmp_path / "deploy" / "s.yaml"
    result = pytester.runpytest(str(CHECKS), f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
                                f"--junitxml={out / 'junit.xml'}", f"--reports-dir={out}", f"--secret-out={secret}",
                                "--claude-config-dir", str(directory), "--claude-bin", str(fake.bin), "--hand-off")
    run = ChecksRun(result.ret, result.stdout.str(), result.stderr.str(), out / "junit.xml", out / "summary.md", out)
    assert run.ret == 0, run.stdout[-3000:]
    assert [(i["service"], i["account"]) for i in keychain.stored()] == [(service_name(None), ACCOUNT)]
    assert sorted((p.name, p.read_bytes()) for p in directory.iterdir()) == before  # the profile untouched
    assert decoded(load_secret(secret))[".credentials.json"] == item_data()
    never_logged_out(fake)
    render = run.testcases()[RENDER_CASE]
    assert render.prop("hand_off") == [f"removed: macOS Keychain item '{service}' (account '{ACCOUNT}')"]
    assert (f"CLAUDE_CONFIG_DIR={shlex.quote(str(directory))} {shlex.quote(str(fake.bin))} auth login"
            in run.summary_path.read_text())
    assert_no_leak(run)


# --- render_secret.py with the real CLI --------------------------------------------------------

@pytest.fixture
def render(profile, tmp_path):
    with_other_files(profile)
    secret = tmp_path / "deploy" / "s.yaml"

    def run(*args, **kwargs):
        with MessagesAPI(accept=CANARY_ACCESS) as api:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
            env["ANTHROPIC_BASE_URL"] = api.url
            done = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(REAL_CLAUDE),
                                     "--reports-dir", str(tmp_path / "reports"), "--secret-out", str(secret),
                                     *args, env=env, **kwargs)
        assert "Traceback" not in done.stdout + done.stderr
        shown = done.stderr if "--dry-run" in args else done.stdout + done.stderr  # a dry run prints the Secret
        assert_no_leak(shown, "render_secret.py's output")
        for report in (tmp_path / "reports").glob("*"):
            assert_no_leak(report.read_text(errors="replace"), report.name)
        return done

    run.secret, run.profile = secret, profile
    return run


def test_render_secret_hands_off_and_says_how_to_sign_in_again(render):
    captured = render.profile.credentials.read_bytes()
    before = without_credentials(render.profile.snapshot())
    done = render("--hand-off")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not render.profile.credentials.exists()
    assert without_credentials(render.profile.snapshot()) == before
    manifest = load_secret(render.secret)
    assert decoded(manifest)[".credentials.json"] == captured
    assert manifest["metadata"]["annotations"]["claude-session-tokens/pod-can-refresh-until"] == "unknown"
    out = done.stdout
    assert "hand-off: removed this machine's copy of the session" in out
    assert "claude auth logout was not run" in out
    login = f"CLAUDE_CONFIG_DIR={shlex.quote(str(render.profile.dir))} {shlex.quote(str(REAL_CLAUDE))} auth login"
    assert f"This machine no longer holds the session; to use Claude here again: {login}" in out
    assert "run again with --hand-off" not in out


def test_render_secret_without_hand_off_warns_of_the_shared_session(render):
    before = render.profile.snapshot()
    done = render()
    assert done.returncode == 0, done.stdout + done.stderr
    assert render.profile.snapshot() == before
    assert "This machine still holds the same session" in done.stdout
    assert "run again with --hand-off" in done.stdout


def test_render_secret_refuses_dry_run_with_hand_off(render):
    before = render.profile.snapshot()
    done = render("--dry-run", "--hand-off")
    assert done.returncode == 2
    assert NOT_WITH_DRY_RUN in " ".join((done.stdout + done.stderr).split())
    assert done.stdout == "" and render.profile.snapshot() == before and not render.secret.exists()


def test_render_secret_dry_run_alone_leaves_the_laptop_untouched(render):
    before = render.profile.snapshot()
    done = render("--dry-run")
    assert done.returncode == 0
    assert yaml.safe_load(done.stdout)["kind"] == "Secret"
    assert render.profile.snapshot() == before
    assert "write the file with --hand-off" in done.stderr


@pytest.mark.skipif(not privileges.supported()[0], reason=privileges.supported()[1])
def test_a_profile_directory_that_forbids_the_removal(suite):
    """Real permissions (root's override dropped): the Secret is written, the laptop still holds the
    session, and the run says so with the command that removes it."""
    captured = suite.profile.credentials.read_bytes()
    suite.profile.dir.chmod(0o500)
    try:
        run = suite("--hand-off", "-vv", "-l", "--tb=long", modes_apply=True)
    finally:
        suite.profile.dir.chmod(0o700)
    assert run.ret == 0, run.stdout[-3000:]
    assert suite.profile.credentials.read_bytes() == captured
    assert decoded(load_secret(suite.secret))[".credentials.json"] == captured
    render = run.testcases()[RENDER_CASE]
    assert render.prop("hand_off")[0].startswith("not removed: credentials file")
    warning = " ".join(render.prop("warning"))
    assert "did not remove this machine's copy of the session" in warning
    summary = run.summary_path.read_text()
    assert "hand-off: NOT done: this machine still holds the session" in summary
    assert f"chmod u+w {shlex.quote(str(suite.profile.dir))} && rm {shlex.quote(str(suite.profile.credentials))}" \
        in summary
    assert_no_leak(run)


# --- only after the Secret is on disk ---------------------------------------------------------

def session_on(profile) -> SessionUnderTest:
    profile.create()
    session = SessionUnderTest(Settings(claude_config_dir=str(profile.dir), credentials_source="file"),
                               environ={"HOME": str(profile.dir.parent)}, platform="linux")
    assert session.credentials_blob  # read at the start of the run, as the checks do
    return session


def test_write_atomically_says_whether_the_directory_was_synced(tmp_path, monkeypatch):
    assert atomic.write_atomically(tmp_path / "s.yaml", b"x") is True
    if os.name == "nt":
        return
    real = atomic.os.fsync
    calls = []

    def failing_for_directories(fd):
        calls.append(fd)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(5, "Input/output error")
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", failing_for_directories)
    assert atomic.write_atomically(tmp_path / "t.yaml", b"y") is False
    assert (tmp_path / "t.yaml").read_bytes() == b"y" and len(calls) == 2  # the file, then its directory


def test_no_hand_off_when_the_secret_could_not_be_synced(profile, tmp_path):
    session = session_on(profile)
    secret = tmp_path / "s.yaml"
    secret.write_text("kind: Secret\n")
    result = hand_off(session, secret, "kind: Secret\n", secret_synced=False)
    assert result.outcome == NOT_REMOVED and "could not be synced" in result.reason
    assert profile.credentials.exists()
    assert result.remove_by_hand == f"rm {shlex.quote(str(profile.credentials))}"


def test_no_hand_off_when_the_secret_does_not_read_back_as_written(profile, tmp_path):
    session = session_on(profile)
    secret = tmp_path / "s.yaml"
    secret.write_text("kind: Secret\n# changed by someone else\n")
    result = hand_off(session, secret, "kind: Secret\n", secret_synced=True)
    assert result.outcome == NOT_REMOVED and "does not read back" in result.reason
    assert profile.credentials.exists()
    assert hand_off(session, secret, secret.read_text(), secret_synced=True).outcome == REMOVED
    assert not profile.credentials.exists()


def test_a_keychain_hand_off_names_a_fallback_file_it_leaves(profile, keychain, tmp_path):
    """With the item gone the macOS CLI reads .credentials.json: the report says it is there (untouched)."""
    profile.create()
    keychain.add(service_name(str(profile.dir)), ACCOUNT, item_data())
    environ = {"PATH": keychain.path_with_fake(""), "USER": ACCOUNT, "HOME": str(tmp_path)}
    session = SessionUnderTest(Settings(claude_config_dir=str(profile.dir)), environ=environ, platform="darwin")
    assert isinstance(session.location.credentials, KeychainCredentialSource)
    assert session.credentials_blob
    before = profile.snapshot()
    secret = tmp_path / "s.yaml"
    secret.write_text("kind: Secret\n")
    result = hand_off(session, secret, "kind: Secret\n", secret_synced=True)
    assert result.outcome == REMOVED and keychain.stored() == []
    assert profile.snapshot() == before
    assert any(str(profile.credentials) in note and "reads it instead" in note for note in result.notes)
    assert result.login == f"CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} claude auth login"


def test_a_dry_run_names_the_hand_off_for_the_run_that_writes(suite):
    run = suite("--dry-run")
    assert run.ret == 0, run.stdout[-3000:]
    summary = run.summary_path.read_text()
    assert "write the file (no --dry-run) with --hand-off" in summary
