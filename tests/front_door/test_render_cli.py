"""``python render_secret.py`` end to end: options, summary, next step, exit codes, no leaks."""

from __future__ import annotations

import base64
import json
import os
import shlex
import stat

import kubernetes_validate
import pytest
import yaml
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS, CANARY_MARKER, CANARY_REFRESH
from helpers.render_support import (
    REAL_CLAUDE,
    comparable,
    decoded,
    kubectl_secret,
    run_render_secret,
)

from claude_session_tokens import render_cli
from claude_session_tokens.suite.options import OPTIONS


@pytest.fixture
def cli(profile, tmp_path):
    """Runs render_secret.py on a good profile, reports and Secret in tmp_path, prompt answered offline."""
    profile.create()
    out = tmp_path / "out"

    def run(*args, secret_out=out / "secrets" / "s.yaml"):
        with MessagesAPI(accept=CANARY_ACCESS) as api:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
            env["ANTHROPIC_BASE_URL"] = api.url
            result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(REAL_CLAUDE),
                                       "--reports-dir", str(out / "reports"), "--secret-out", str(secret_out),
                                       *args, env=env)
        for stream in (result.stdout, result.stderr):
            assert "Traceback" not in stream
            assert CANARY_ACCESS not in stream and CANARY_REFRESH not in stream and CANARY_MARKER not in stream
        for report in (out / "reports").glob("*"):
            assert CANARY_MARKER not in report.read_text(errors="replace")
        return result

    run.out = out
    run.secret = out / "secrets" / "s.yaml"
    run.profile = profile
    return run


def test_help_documents_every_option():
    result = run_render_secret("--help")
    assert result.returncode == 0
    for option in OPTIONS:
        assert option.flag in result.stdout
        first_words = " ".join(option.help.split()[:3])
        assert first_words in " ".join(result.stdout.split()), option.flag
    assert "-o {yaml,json}" in result.stdout and "exit codes" in result.stdout


@pytest.mark.parametrize("args", [["--bogus"], ["-o", "xml"], ["--prompt-timeout", "-1"]])
def test_bad_command_line_exits_2_without_traceback(args):
    result = run_render_secret(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "usage: render_secret.py" in result.stderr


def test_passing_run_writes_the_secret_and_says_what_next(cli):
    result = cli()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "FR-006  PASS" in out and "SC-006  PASS" in out and "SC-001  SKIP" in out
    assert f"written to {cli.secret} (mode 0600)" in out
    sizes = {k: len(v) for k, v in decoded(yaml.safe_load(cli.secret.read_text())).items()}
    for key, size in sizes.items():
        assert f"{key}" in out and f"{size} bytes" in out
    assert "access token expires:" in out
    assert f"NAMESPACE=agents envsubst '${{NAMESPACE}}' < {shlex.quote(str(cli.secret))} | kubectl apply -f -" in out
    assert "persistent volume" in out and "CLAUDE_CONFIG_DIR" in out and render_cli.EXAMPLE in out
    assert "emptyDir" not in out
    if os.name != "nt":
        assert stat.S_IMODE(cli.secret.stat().st_mode) == 0o600
    assert (cli.out / "reports" / "junit.xml").exists() and (cli.out / "reports" / "summary.md").exists()


def test_explicit_namespace_gives_a_plain_kubectl_apply(cli):
    result = cli("--namespace", "agents", "--secret-name", "claude-agent-session")
    assert result.returncode == 0
    assert f"kubectl apply -f {cli.secret} -n agents" in result.stdout
    manifest = yaml.safe_load(cli.secret.read_text())
    assert manifest["metadata"]["name"] == "claude-agent-session"


def test_dry_run_stdout_is_the_manifest_alone_and_nothing_is_written(cli, tmp_path):
    result = cli("--dry-run")
    assert result.returncode == 0, result.stderr
    assert not cli.secret.exists() and not cli.secret.parent.exists()
    manifest = yaml.safe_load(result.stdout)  # stdout parses as one YAML document: nothing else is on it
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)
    files = decoded(manifest)
    assert files[".credentials.json"] == cli.profile.credentials.read_bytes()
    oracle = yaml.safe_load(kubectl_secret(files, "claude-session-tokens", "${NAMESPACE}", "yaml", tmp_path / "k"))
    assert comparable(manifest) == oracle
    assert "printed to stdout (--dry-run), nothing written" in result.stderr
    assert "FR-007  PASS" in result.stderr
    # the canary may be on stdout only inside the base64 data
    encoded = base64.b64encode(files[".credentials.json"]).decode()
    assert encoded not in result.stderr
    stdout_without_data = result.stdout.replace(encoded, "")
    assert base64.b64encode(files[".claude.json"]).decode() in stdout_without_data
    assert "data:" in stdout_without_data and CANARY_MARKER not in stdout_without_data


def test_dry_run_json(cli):
    result = cli("--dry-run", "-o", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["kind"] == "Secret"


def test_failing_run_exits_1_writes_nothing_and_keeps_the_earlier_secret(cli):
    cli.secret.parent.mkdir(parents=True)
    cli.secret.write_bytes(b"earlier secret\n")
    cli.profile.write_credentials({"claudeAiOauth": {"accessToken": "", "refreshToken": "", "expiresAt": 0,
                                                     "scopes": [], "subscriptionType": None}})
    result = cli()
    assert result.returncode == 1
    assert cli.secret.read_bytes() == b"earlier secret\n"
    assert "SC-003  FAIL" in result.stdout and "FR-006  FAIL" in result.stdout
    assert "What went wrong:" in result.stderr and "What went wrong:" not in result.stdout  # failures: stderr
    # the fix names the CLI that was found and the profile it must sign in to (POSIX spelling)
    profile_cli = f"CLAUDE_CONFIG_DIR={cli.profile.dir} {REAL_CLAUDE}"
    assert f"fix: {profile_cli} auth logout && {profile_cli} auth login" in result.stderr
    assert "No Secret was rendered; any earlier Secret file was left as it was." in result.stderr


def test_failing_dry_run_prints_no_manifest(cli):
    cli.profile.write_credentials(b"{not json")
    result = cli("--dry-run")
    assert result.returncode == 1 and result.stdout == ""
    assert not cli.secret.exists()
