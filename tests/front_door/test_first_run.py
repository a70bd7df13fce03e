"""The first-run experience: every verdict honest, every fix runnable as printed.

Each test runs the real ``checks/`` (through ``pytest checks`` in a subprocess, or
``python render_secret.py`` as a user types it) against a throw-away profile; the fake claude
(tests/fakes/) stands in where a sign-in, a 401 or a lost test copy must be injected.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH
from helpers.render_support import REAL_CLAUDE, run_render_secret
from helpers.runner import ROOT

from claude_session_tokens import __version__
from claude_session_tokens.suite.options import OPTIONS

PROMPT = "test_prompt_answers_on_what_ships"
needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals (pty) are POSIX-only")


def _clean_env(**more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANTHROPIC_", "CLAUDE_")) and k.upper() not in ("HTTPS_PROXY", "HTTP_PROXY", "CI")}
    env.update(more)
    return env


@pytest.fixture
def render(profile, tmp_path, fake):
    """``render(*args, mode="ok", env=None)``: render_secret.py on the profile with the fake CLI."""
    profile.create()
    out = tmp_path / "out"

    def run(*args, mode="ok", env=None, secret_out=out / "secrets" / "s.yaml", cli=True):
        fake.control(mode)
        argv = ["--claude-config-dir", str(profile.dir), "--reports-dir", str(out / "reports")]
        if cli:
            argv += ["--claude-bin", str(fake.bin)]
        if secret_out is not None:
            argv += ["--secret-out", str(secret_out)]
        result = run_render_secret(*argv, *args, env=_clean_env(**fake.env(), **(env or {})))
        for stream in (result.stdout, result.stderr):
            assert "Traceback" not in stream
            assert CANARY_ACCESS not in stream and CANARY_REFRESH not in stream and CANARY_MARKER not in stream
        return result

    run.out = out
    run.secret = out / "secrets" / "s.yaml"
    run.summary = out / "reports" / "summary.md"
    return run


def _fake_checks(checks, fake, profile, *args, mode="ok", env=None):
    fake.control(mode)
    return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), *args,
                      env={**fake.env(), **(env or {})})


# --- 1. a 401 through a gateway or proxy ------------------------------------------------------------

def test_a_401_through_a_base_url_names_it_masked_and_checks_the_gateway_before_a_new_sign_in(render):
    gateway = "https://alice:s3cret-pw@llm-gateway.example.com:8443/anthropic?key=abc"
    result = render(mode="401", env={"ANTHROPIC_BASE_URL": gateway})
    assert result.returncode == 1
    err = result.stderr
    assert "ANTHROPIC_BASE_URL=https://***@llm-gateway.example.com:8443/anthropic" in err
    assert "s3cret-pw" not in result.stdout + err and "alice" not in err and "key=abc" not in err
    fix = next(line for line in err.splitlines() if line.strip().startswith("fix:"))
    assert fix.index("check the gateway/proxy") < fix.index("sign in again") < fix.index("--fresh-login")
    assert "curl -sI https://llm-gateway.example.com:8443/anthropic" in fix  # runnable: no *** in it
    assert "python render_secret.py --fresh-login" in fix


def test_a_401_through_a_proxy_names_the_proxy(checks, fake, profile):
    profile.create()
    run = _fake_checks(checks, fake, profile, mode="401",
                       env={"HTTPS_PROXY": "http://bob:pw123@proxy.corp:3128", "ANTHROPIC_BASE_URL": None})
    case = run.testcases()[PROMPT]
    assert case.outcome == "failed"
    assert "HTTPS_PROXY=http://***@proxy.corp:3128" in case.message and "pw123" not in run.every_text()
    assert case.prop("remedy")[0].startswith("check the gateway/proxy first: curl -sI http://proxy.corp:3128")


def test_a_401_without_a_gateway_still_says_sign_in_again(checks, fake, profile):
    profile.create()
    run = _fake_checks(checks, fake, profile, mode="401", env={"ANTHROPIC_BASE_URL": None, "HTTPS_PROXY": None,
                                                               "HTTP_PROXY": None})
    case = run.testcases()[PROMPT]
    assert "the Claude API rejected the session (401" in case.message
    assert case.prop("remedy")[0].startswith("pytest checks --fresh-login")


# --- 2. READY: the CLI can log out and in, but nothing was done ----------------------------------------

def test_fr_001_and_fr_002_read_ready_not_pass_without_fresh_login(checks, fake, profile, render):
    profile.create()
    run = _fake_checks(checks, fake, profile)
    assert run.ret == 0, run.output
    for rid in ("FR-001", "FR-002"):
        assert f"{rid}  READY" in run.stdout and f"{rid}  PASS" not in run.stdout
    assert "READY: not done in this run, but shown to be possible" in run.stdout  # the legend
    summary = run.summary_path.read_text()
    assert "| FR-001 | READY |" in summary and "| FR-002 | READY |" in summary
    assert not [row for row in summary.splitlines() if "| PASS |" in row and "fresh login not requested" in row]
    assert "*READY: not done in this run" in summary
    result = render()
    assert result.returncode == 0, result.stderr
    assert "  FR-001  READY" in result.stdout and "READY: not done in this run" in result.stdout


def test_fr_001_and_fr_002_do_not_pass_when_the_fresh_login_check_was_deselected(checks, fake, profile):
    profile.create()
    run = _fake_checks(checks, fake, profile, "-k", "not fresh_login")
    for rid in ("FR-001", "FR-002"):
        assert f"{rid}  NOT RUN" in run.stdout, run.stdout
    assert "deselected: test_00_fresh_login.py::test_fresh_login" in run.stdout
    assert "| FR-001 | PASS |" not in run.summary_path.read_text()


# --- 3. a refused --fresh-login never runs the prompt ------------------------------------------------------

def test_a_refused_fresh_login_does_not_run_the_prompt(checks, fake, profile):
    profile.create()
    before = profile.snapshot()
    run = _fake_checks(checks, fake, profile, "--fresh-login", env={"CI": "true"})
    cases = run.testcases()
    assert cases["test_fresh_login"].outcome == "failed"
    assert fake.events("logout") == [] and fake.events("prompt") == []  # neither logged out nor prompted
    assert "The test prompt was not run: checks before it failed" in cases[PROMPT].message
    lines = run.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("FR-004  "))
    assert lines[at].split()[1:3] == ["NOT", "RUN"], lines[at]
    assert "test_00_fresh_login.py" in lines[at + 1]
    assert profile.snapshot() == before
    assert_no_leak(run)


def test_a_refused_fresh_login_is_said_once_by_render_secret(render):
    result = render("--fresh-login", env={"CI": "true"})
    assert result.returncode == 1
    text = result.stdout + result.stderr
    assert text.count("The fresh login needs an interactive terminal") == 1, text
    assert "What went wrong:" in result.stderr and "FR-004  NOT RUN" in result.stderr  # pytest's table, once
    assert text.count("FR-003  PASS") == 1


# --- 4. rotated credentials that cannot be read back -------------------------------------------------------

@pytest.mark.parametrize("mode, said", [
    ("rotate_then_remove", "does not exist"),
    ("rotate_then_garble", "not valid JSON"),
    ("rotate_then_fifo", "not a regular file"),
    ("rotate_then_half", "only part of a session"),
])
def test_rotated_credentials_that_cannot_be_read_back_fail_loudly_and_ship_nothing(render, mode, said):
    render.secret.parent.mkdir(parents=True)
    render.secret.write_bytes(b"earlier secret\n")
    result = render(mode=mode)
    assert result.returncode == 1, result.stdout + result.stderr
    assert render.secret.read_bytes() == b"earlier secret\n"  # the old tokens were not shipped
    err = result.stderr
    assert "the credentials in the test copy could not be read back completely" in err
    assert said in err and "spent" in err
    assert "python render_secret.py --fresh-login" in err
    assert "No Secret was rendered" in err


# --- 5. and 6. the CLI that was found, the profile it signs in to ------------------------------------------

def _path_without_claude(tmp_path: Path) -> str:
    """PATH with python and git but no claude (node_modules/.bin is then where the CLI is found)."""
    bin_dir = tmp_path / "path-bin"
    bin_dir.mkdir()
    for tool in ("git", "kubectl"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True,
                               check=False).stdout.strip()
        if found:
            (bin_dir / tool).symlink_to(found)
    return os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent)])


@pytest.mark.skipif(os.name == "nt", reason="the PATH is built with POSIX symlinks")
def test_remedies_name_node_modules_claude_and_the_named_profile(checks, profile, tmp_path):
    profile.create()
    profile.credentials.unlink()
    run = checks.run("--claude-config-dir", str(profile.dir), paths=("test_12_credentials_present.py",),
                     env={"PATH": _path_without_claude(tmp_path), "CLAUDE_CONFIG_DIR": None})
    case = run.testcases()["test_credentials_are_present"]
    expected = (f"CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} {ROOT / 'node_modules' / '.bin' / 'claude'} "
                "auth login   (then run the checks again)")
    assert case.prop("remedy") == [expected]
    assert f"fix: {expected}" in run.stdout
    # the remedy runs as printed: the command exists where it says
    assert (ROOT / "node_modules" / ".bin" / "claude").exists()


@pytest.mark.skipif(os.name == "nt", reason="the PATH is built with POSIX symlinks")
def test_remedies_say_plain_claude_when_it_is_on_path_and_the_profile_is_the_default(checks, profile, tmp_path):
    home = tmp_path / "home"
    default = home / ".claude"
    default.mkdir(parents=True)  # an empty default profile: no credentials
    path_bin = tmp_path / "on-path"
    path_bin.mkdir()
    (path_bin / "claude").symlink_to(REAL_CLAUDE)
    run = checks.run(paths=("test_12_credentials_present.py",),
                     env={"HOME": str(home), "CLAUDE_CONFIG_DIR": None,
                          "PATH": os.pathsep.join([str(path_bin), _path_without_claude(tmp_path)])})
    case = run.testcases()["test_credentials_are_present"]
    assert case.prop("remedy") == ["claude auth login   (then run the checks again)"]


def test_spelling_of_commands_on_posix_and_powershell():
    from claude_session_tokens.core import remedy

    posix = remedy.Spelling(claude="/opt/my tools/claude", config_dir="/data/claude work")
    assert posix.command(remedy.LOG_IN) == "CLAUDE_CONFIG_DIR='/data/claude work' '/opt/my tools/claude' auth login"
    assert posix.chain(remedy.RELOGIN) == ("CLAUDE_CONFIG_DIR='/data/claude work' '/opt/my tools/claude' auth logout"
                                           " && CLAUDE_CONFIG_DIR='/data/claude work' '/opt/my tools/claude' auth login")
    windows = remedy.Spelling(front_door=remedy.RENDER_SECRET, windows=True,
                              claude=r"C:\proj\node_modules\.bin\claude.cmd", config_dir=r"D:\claude work")
    assert windows.command(remedy.LOG_IN) == \
        r"$env:CLAUDE_CONFIG_DIR='D:\claude work'; C:\proj\node_modules\.bin\claude.cmd auth login"
    assert windows.chain(remedy.RELOGIN) == (r"$env:CLAUDE_CONFIG_DIR='D:\claude work'; "
                                             r"C:\proj\node_modules\.bin\claude.cmd auth logout && "
                                             r"C:\proj\node_modules\.bin\claude.cmd auth login")
    assert windows.command(remedy.FRESH_LOGIN) == "python render_secret.py --fresh-login"
    spaced = remedy.Spelling(windows=True, claude=r"C:\my tools\claude.cmd")
    assert spaced.command(remedy.LOG_IN) == r"& 'C:\my tools\claude.cmd' auth login"  # the call operator
    assert remedy.Spelling().command(remedy.claude("--version")) == "claude --version"  # no profile needed


def _fix_line(stream: str) -> str:
    return next(line for line in stream.splitlines() if line.strip().startswith("fix:"))


@pytest.mark.parametrize("mode, command", [("crash", "-p hello"), ("garbage", "-p hello --output-format json")])
def test_run_it_yourself_remedies_name_the_cli_found_and_the_profile(render, profile, mode, command):
    result = render(mode=mode)
    assert result.returncode == 1
    fix = _fix_line(result.stderr)
    assert f"run CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} {render_fake_bin(render)} {command}   yourself" \
        in fix, fix
    assert "'claude -p" not in fix


def test_the_network_remedy_runs_curl_without_the_masked_credentials(render):
    result = render(mode="network", env={"ANTHROPIC_BASE_URL": "https://alice:s3cret@gw.example.com:8443/x?k=1"})
    assert result.returncode == 1
    fix = _fix_line(result.stderr)
    assert "curl -sI https://gw.example.com:8443/x   (curl.exe" in fix, fix
    assert "***" not in fix and "s3cret" not in result.stdout + result.stderr


def test_the_first_start_remedy_starts_the_cli_found_on_the_named_profile(render, profile):
    profile.global_config.unlink()  # a warning: the CLI's first start writes it, in CLAUDE_CONFIG_DIR
    result = render()
    assert result.returncode == 0, result.stderr
    assert (f"Fix: CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} {render_fake_bin(render)}   (start it once"
            in result.stdout), result.stdout
    from claude_session_tokens.core import remedy

    windows = remedy.Spelling(windows=True, claude=r"C:\my tools\claude.cmd", config_dir=r"D:\p")
    assert windows.command(remedy.claude()) == r"$env:CLAUDE_CONFIG_DIR='D:\p'; & 'C:\my tools\claude.cmd'"
    assert remedy.Spelling(config_dir="/p").command(remedy.claude("--version")) == "claude --version"


def test_the_suites_own_remedies_repeat_the_session_and_cli_the_run_judged(render, profile):
    """``--fresh-login`` without ``--claude-config-dir DIR`` would log out ~/.claude, not DIR."""
    result = render()
    assert result.returncode == 0, result.stderr
    again = (f"python render_secret.py --fresh-login --claude-config-dir {shlex.quote(str(profile.dir))} "
             f"--claude-bin {render_fake_bin(render)}")
    assert f"run: {again}" in result.stdout, result.stdout
    assert f"run: {again}" in render.summary.read_text()
    from claude_session_tokens.core import remedy

    windows = remedy.Spelling(front_door=remedy.RENDER_SECRET, windows=True,
                              suite_options=(("--claude-config-dir", r"D:\my profile"),))
    assert windows.command(remedy.FRESH_LOGIN) == r"python render_secret.py --fresh-login --claude-config-dir 'D:\my profile'"
    # a remedy that names the option itself is not given it twice
    assert windows.command(remedy.suite("--claude-config-dir", "<dir>")) == "python render_secret.py --claude-config-dir <dir>"


# --- 7. remedies built once for render_secret.py -------------------------------------------------------------

def test_render_secret_spells_every_remedy_for_itself_in_its_output_and_summary_md(render):
    result = render("--kubernetes-version", "0.1.0")  # test_38 fails; the prompt and the render are blocked
    assert result.returncode == 1
    text = result.stdout + result.stderr
    assert "(or python render_secret.py" not in text and "pytest checks" not in text
    assert "then run the whole suite again: python render_secret.py" in result.stderr
    summary = render.summary.read_text()
    assert "pytest checks" not in summary
    assert "python render_secret.py" in summary


# --- 8. the header; what was written and what it replaced ----------------------------------------------------

def test_header_names_the_session_the_account_and_the_cli(render, profile):
    result = render()
    assert result.returncode == 0, result.stderr
    head = result.stdout.split("Requirements:")[0]
    assert head.startswith(f"python render_secret.py {__version__}")
    assert f"config dir:   {profile.dir} (from --claude-config-dir)" in head
    assert f"credentials file {profile.credentials}" in head
    assert "account:      dev@example.com (subscription: max)" in head
    assert "claude CLI:   2.1.332 (Claude Code)" in head
    # the email address is personal: the reports (pasted into CI summaries) do not carry it
    for report in (render.out / "reports").iterdir():
        assert "dev@example.com" not in report.read_text()


@pytest.mark.parametrize("email, plan", [
    pytest.param(CANARY_REFRESH, "max", id="a token as the email"),
    pytest.param(f"{CANARY_ACCESS[13:40]}@example.com", "max", id="a piece of the access token as the address"),
    pytest.param("dev@example.com", CANARY_MARKER + "xyzzy", id="a secret-looking subscription"),
])
def test_the_header_never_shows_a_value_that_could_be_a_secret(render, profile, email, plan):
    """The header shows the address and plan only when they look like what they are."""
    config = json.loads(profile.global_config.read_text())
    config["oauthAccount"]["emailAddress"] = email
    profile.write_global_config(config)
    credentials = json.loads(profile.credentials.read_text())
    credentials["claudeAiOauth"]["subscriptionType"] = plan
    profile.write_credentials(credentials)
    result = render()  # asserts no canary in either stream
    head = result.stdout.split("Requirements:")[0]
    assert "account:" in head
    if email == "dev@example.com":
        assert "dev@example.com" in head and "(subscription: a " in head  # described, not shown
    else:
        assert "account:      unknown (subscription:" in head
    assert email[:20] not in head or email == "dev@example.com"


def test_summary_md_of_a_render_secret_run_names_the_session_it_judged(render, profile):
    assert render().returncode == 0
    summary = render.summary.read_text()
    assert f"- **config dir**: {profile.dir} (from --claude-config-dir)" in summary
    assert f"- **credentials**: credentials file {profile.credentials}" in summary


def test_success_says_it_replaced_the_earlier_secret_and_where_the_reports_are(render):
    first = render()
    assert first.returncode == 0, first.stderr
    assert "a new file (there was no Secret at this path before)" in first.stdout
    annotations = yaml.safe_load(render.secret.read_text())["metadata"]["annotations"]
    second = render()
    assert second.returncode == 0, second.stderr
    assert (f"replaced the earlier Secret {render.secret} (fingerprint "
            f"{annotations['claude-session-tokens/session-fingerprint']}, captured "
            f"{annotations['claude-session-tokens/captured-at']})") in second.stdout
    assert f"reports: {render.out / 'reports'}" in second.stdout


def test_an_earlier_file_that_is_no_secret_is_named_as_such(render):
    render.secret.parent.mkdir(parents=True)
    render.secret.write_text("just: some yaml\n")
    result = render()
    assert result.returncode == 0, result.stderr
    assert f"replaced the earlier Secret {render.secret} (a file not written by claude-session-tokens)" in result.stdout


def test_the_earlier_secret_is_read_bounded_and_never_from_a_special_file(tmp_path):
    from claude_session_tokens.k8s.earlier_secret import READ_LIMIT, read_earlier

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    assert read_earlier(fifo) is None  # returns at once: a FIFO is never opened
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (READ_LIMIT + 10))
    assert read_earlier(big) is None
    assert read_earlier(tmp_path / "absent.yaml") is None
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"kind": "Secret", "metadata": {"annotations": {
        "claude-session-tokens/session-fingerprint": "abc\x1b[31m", "claude-session-tokens/captured-at": "t"}}}))
    earlier = read_earlier(odd)
    assert earlier.ours and earlier.fingerprint is None and earlier.captured_at == "t"  # no control characters


# --- 9. one root cause shown once; failures on stderr; -q -----------------------------------------------------

def test_one_root_cause_is_shown_once_with_the_blocked_checks_counted(render, profile):
    profile.credentials.unlink()
    result = render()
    assert result.returncode == 1
    err = result.stderr
    assert "What went wrong:" not in result.stdout and "What went wrong:" in err
    assert err.count("The credentials file is missing") == 1
    assert "7 checks blocked: the credentials file is missing (test_13_credentials_regular_file, " in err
    assert err.count("fix: ") == 1
    assert "No Secret was rendered" in err and "No Secret was rendered" not in result.stdout


def test_a_missing_session_directory_is_the_one_root_cause(render, profile):
    """No directory at all: the credentials checks name the directory, not a missing file of it."""
    shutil.rmtree(profile.dir)
    result = render()
    assert result.returncode == 1
    err = result.stderr
    assert err.count("fix: ") == 1, err
    assert "The credentials file is missing" not in err
    assert f"9 checks blocked: the session directory {profile.dir} does not exist" in err


def test_a_successful_run_still_shows_its_warnings_and_their_fixes(render, profile):
    profile.credentials.chmod(0o644)  # readable by others: a warning, not a blocker
    result = render()
    assert result.returncode == 0, result.stderr
    assert "Warnings:" in result.stdout
    assert f"has mode 0644: group or others can read it. Fix: chmod 600 {profile.credentials}" in result.stdout


def test_quiet_prints_only_the_result_line_and_the_fix(render, profile):
    ok = render("-q")
    assert ok.returncode == 0
    assert ok.stdout.splitlines() == [f"Secret claude-session-tokens: written to {render.secret}"]
    profile.credentials.unlink()
    failed = render("-q")
    assert failed.returncode == 1 and failed.stdout == ""
    login = f"CLAUDE_CONFIG_DIR={shlex.quote(str(profile.dir))} {render_fake_bin(render)} auth login"
    assert failed.stderr.splitlines() == [
        "No Secret was rendered; any earlier Secret file was left as it was.",
        f"fix: {login}   (then run the checks again)"]


def render_fake_bin(render) -> str:
    return str(render.out.parent / "fake-bin" / "claude")


# --- 10. --fresh-login: the table once; Ctrl-C during the sign-in ----------------------------------------------

def _render_in_terminal(fake, profile, tmp_path, keys=()):
    from helpers.terminal_runs import run_in_terminal

    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "render_secret.py"), "--fresh-login", "--claude-config-dir", str(profile.dir),
           "--claude-bin", str(fake.bin), "--reports-dir", str(out / "reports"),
           "--secret-out", str(out / "secrets" / "s.yaml")]
    return run_in_terminal(cmd, out, tmp_path, env=fake.env(), keys=keys)


@needs_pty
def test_fresh_login_shows_pytests_report_then_the_summary_and_the_table_once(fake, profile, tmp_path):
    profile.create()
    fake.control()
    run = _render_in_terminal(fake, profile, tmp_path)
    assert run.ret == 0, run.stdout
    assert run.stdout.count("FR-003  PASS") == 1, run.stdout
    assert run.stdout.index("FR-003  PASS") < run.stdout.index("Secret claude-session-tokens (yaml")
    assert "Login successful." in run.stdout
    after_login = run.stdout.split("Login successful.", 1)[1]
    assert after_login.index(f"python render_secret.py {__version__}") < after_login.index("FR-003  PASS")  # header first


@needs_pty
def test_ctrl_c_during_the_sign_in_exits_130_with_one_paragraph(fake, profile, tmp_path):
    from helpers.terminal_runs import CTRL_C

    profile.create()
    fake.control(login="hang")
    run = _render_in_terminal(fake, profile, tmp_path, keys=((b"If the browser didn't open", CTRL_C),))
    assert run.ret == 130, run.stdout
    after = run.stdout.split("client_id=fake", 1)[1]
    sign_in = f"CLAUDE_CONFIG_DIR={profile.dir} {fake.bin} auth login"
    assert after.count("you are now logged out") == 1, after
    assert f"Sign in again with: {sign_in}" in after and "then run: python render_secret.py" in after
    assert "KeyboardInterrupt" not in after and "requirements" not in after and "NOT RUN" not in after
    assert len([line for line in after.splitlines() if line.strip() and line.strip() != "^C"]) == 1, after
    assert not profile.credentials.exists()  # logged out indeed


# --- 11. the other format's file is still there ----------------------------------------------------------------

def test_json_next_to_an_earlier_yaml_says_the_yaml_is_still_there(render):
    assert render().returncode == 0
    json_out = render.secret.with_suffix(".json")
    result = render("-o", "json", secret_out=json_out)
    assert result.returncode == 0, result.stderr
    assert f"note: {render.secret} (the other format, from an earlier run) is still there" in result.stdout
    again = render(secret_out=render.secret)
    assert f"note: {json_out} (the other format, from an earlier run) is still there" in again.stdout


# --- 12. numbers and Kubernetes names checked when the command line is parsed -----------------------------------

BAD_VALUES = [("--prompt-timeout", "0"), ("--prompt-timeout", "-3"), ("--prompt-timeout", "nan"),
              ("--prompt-timeout", "inf"), ("--min-validity", "nan"), ("--min-validity", "inf"),
              ("--min-validity", "0"), ("--login-timeout", "-inf"),
              ("--claude-config-dir", ""), ("--claude-config-dir", "  ")]
BAD_NAMES = [("--namespace", "Agents"), ("--namespace", "a" * 64), ("--namespace", "team_a"),
             ("--namespace", "${NAMESPACE"), ("--secret-name", "My_Secret"), ("--secret-name", "a/b"),
             ("--secret-name", "-lead"), ("--secret-name", "x" * 254)]


@pytest.mark.parametrize("flag, value", BAD_VALUES + BAD_NAMES)
def test_bad_values_exit_2_with_a_clear_message_before_any_check(render, flag, value):
    result = render(f"{flag}={value}")
    assert result.returncode == 2, result.stdout
    assert f"argument {flag}" in result.stderr and "Traceback" not in result.stderr
    assert "invalid float value" not in result.stderr and "unexpected" not in result.stderr
    assert not (render.out / "reports").exists()  # no check ran


@pytest.mark.parametrize("flag, value", [("--min-validity", "nan"), ("--prompt-timeout", "0"),
                                         ("--namespace", "Agents"), ("--secret-name", "a/b")])
def test_pytest_checks_refuses_the_same_values_as_a_usage_error(checks, profile, flag, value):
    profile.create()
    run = checks.run("--claude-config-dir", str(profile.dir), f"{flag}={value}")
    assert run.ret == 4  # pytest's UsageError
    assert f"argument {flag}" in run.stderr
    assert not run.junit_path.exists()


@pytest.mark.parametrize("flag, value", [("--namespace", "${NAMESPACE}"), ("--namespace", "agents-1"),
                                         ("--secret-name", "claude.session-tokens"), ("--min-validity", "0.5")])
def test_good_values_are_accepted(flag, value):
    option = next(o for o in OPTIONS if o.flag == flag)
    assert option.type(value) == (float(value) if flag == "--min-validity" else value)


# --- 13. --help, --version, the console command -------------------------------------------------------------------

def test_help_shows_every_default_and_the_include_metavar():
    result = run_render_secret("--help")
    text = " ".join(result.stdout.split())
    for option in OPTIONS:
        if option.default is not None or option.action:
            assert f"{option.flag}" in text
            assert "(default" in option.shown_help(), option.flag
    assert "--include FILE" in result.stdout and "INCLUDE" not in result.stdout
    assert "(default: 10)" in text and "(default: 24)" in text and "(default: yaml)" in text
    assert "(default: claude-session-tokens)" in text.replace("claude-session- tokens", "claude-session-tokens")
    pytest_help = subprocess.run([sys.executable, "-m", "pytest", "--help", "-c", str(ROOT / "pyproject.toml")],
                                 capture_output=True, text=True, cwd=ROOT, timeout=120, check=False).stdout
    assert "--include=FILE" in pytest_help and "(default: 10)" in " ".join(pytest_help.split())


def test_version():
    result = run_render_secret("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"render_secret.py {__version__}"


def test_the_console_command_is_the_same_front_door_and_says_its_own_name(tmp_path):
    from claude_session_tokens.core import remedy

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    target = project["project"]["scripts"]["claude-session-tokens"]
    module, _, function = target.partition(":")
    from importlib import import_module

    from claude_session_tokens import render_cli

    assert getattr(import_module(module), function) is render_cli.main
    # what the installed script does: call main() with argv[0] = the command's path
    launcher = tmp_path / "claude-session-tokens"
    launcher.write_text(f"import sys\nsys.argv[0] = {str(launcher)!r}\nfrom {module} import {function}\n"
                        f"sys.exit({function}())\n")
    env = _clean_env(PYTHONPATH=str(ROOT))
    bad = subprocess.run([sys.executable, str(launcher), "--bogus"], capture_output=True, text=True, env=env, check=False,
                         timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("usage: claude-session-tokens")
    assert remedy.front_door() == remedy.PYTEST_CHECKS  # nothing leaked into this process
    from claude_session_tokens.render_cli import front_door

    assert front_door("/usr/local/bin/claude-session-tokens") == "claude-session-tokens"
    assert front_door(r"C:\Python\Scripts\claude-session-tokens.exe".replace("\\", "/")) == "claude-session-tokens"
    assert front_door("render_secret.py") == "python render_secret.py"


def test_the_console_command_spells_remedies_with_its_own_name(profile, tmp_path, fake):
    profile.create()
    profile.credentials.unlink()
    launcher = tmp_path / "claude-session-tokens"
    launcher.write_text(f"import sys\nsys.argv[0] = {str(launcher)!r}\n"
                        "from claude_session_tokens.render_cli import main\nsys.exit(main())\n")
    result = subprocess.run([sys.executable, str(launcher), "--claude-config-dir", str(profile.dir),
                             "--claude-bin", str(fake.bin), "--reports-dir", str(tmp_path / "reports"),
                             "--secret-out", str(tmp_path / "s.yaml")], capture_output=True, text=True,
                            env=_clean_env(PYTHONPATH=str(ROOT), **fake.env()), timeout=120,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1
    assert "run: claude-session-tokens --fresh-login" in result.stdout
    assert "python render_secret.py" not in result.stdout + result.stderr
    assert "pytest checks" not in result.stdout + result.stderr


@pytest.mark.realcli
def test_with_the_real_cli_a_passing_render_names_its_version(profile, tmp_path):
    """The header and READY with the real claude CLI from npm (offline Messages API)."""
    profile.create()
    with MessagesAPI(accept=CANARY_ACCESS) as api:
        result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(REAL_CLAUDE),
                                   "--reports-dir", str(tmp_path / "reports"), "--secret-out",
                                   str(tmp_path / "s.yaml"), env=_clean_env(ANTHROPIC_BASE_URL=api.url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "claude CLI:   2.1.332 (Claude Code)" in result.stdout and "FR-002  READY" in result.stdout
