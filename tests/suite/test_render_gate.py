"""The render step at the end of the real suite: renders after a complete, passing run, else nothing.

The prompt check runs the real ``claude`` CLI from node_modules against a local Messages API
(helpers/messages_api.py), so a good profile passes every check offline.
"""

from __future__ import annotations

import json
import os
import stat
import textwrap

import kubernetes_validate
import pytest
import yaml
from helpers.foundation import assert_no_crash
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.profiles import CANARY_ACCESS
from helpers.render_support import (
    REAL_CLAUDE,
    comparable,
    decoded,
    kubectl_secret,
    load_secret,
    make_repo,
)

EARLIER = b"apiVersion: v1\nkind: Secret\n# an earlier Secret that must survive byte for byte\n"
RENDER_CASE = "test_render_secret"

INJECT = textwrap.dedent('''
    """Fault injection for the Secret tests: -p inject_faults, driven by environment variables."""
    import os
    import pytest

    TARGET = os.environ.get("INJECT_TARGET", "")
    KIND = os.environ.get("INJECT_KIND", "")

    def pytest_configure(config):
        config.addinivalue_line("markers", "injected: marked by the Secret tests")

    def pytest_collection_modifyitems(items):
        for item in items:
            if KIND == "mark" and TARGET and TARGET in item.nodeid:
                item.add_marker("injected")

    @pytest.fixture(autouse=True)
    def _inject(request):
        if TARGET and TARGET in request.node.nodeid:
            if KIND == "error":
                raise RuntimeError("injected setup error")
            if KIND == "skip":
                pytest.skip("injected skip")
        yield
''')


@pytest.fixture
def api():
    with MessagesAPI(accept=CANARY_ACCESS) as server:
        yield server


@pytest.fixture
def suite(checks, profile, api, tmp_path, pytester):
    """Runs the whole suite on a good profile; the Secret goes into an ignored dir of a throw-away repo."""
    profile.create()
    repo = make_repo(tmp_path / "deploy-repo", gitignore="secrets/\n")
    secret = repo / "secrets" / "claude-session-tokens.yaml"
    pytester.makepyfile(inject_faults=INJECT)

    def run(*args, paths=(), inject=None, secret_out=secret, env=None):
        variables = {"ANTHROPIC_BASE_URL": api.url, "INJECT_TARGET": None, "INJECT_KIND": None, **(env or {})}
        if inject:
            variables.update(INJECT_TARGET=inject[0], INJECT_KIND=inject[1])
        return checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(REAL_CLAUDE),
                          "--secret-out", str(secret_out), "-p", "inject_faults", *args, paths=paths,
                          env=variables)

    run.secret = secret
    run.profile = profile
    return run


def test_complete_passing_run_renders_the_verified_files(suite, api, tmp_path):
    run = suite()
    assert_no_crash(run)
    cases = run.testcases()
    assert {c.outcome for c in cases.values()} <= {"passed", "skipped"}, run.stdout[-3000:]
    assert [n for n, c in cases.items() if c.outcome == "skipped"] == ["test_fresh_login"]  # by design
    assert run.ret == 0
    render = cases[RENDER_CASE]
    assert sorted(render.requirements()) == ["FR-006", "FR-008", "SC-004", "SC-006"]
    assert list(cases)[-1] == RENDER_CASE  # it ran last

    secret = suite.secret
    if os.name != "nt":
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert stat.S_IMODE(secret.parent.stat().st_mode) == 0o700
    manifest = load_secret(secret)
    kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)
    files = decoded(manifest)
    assert files[".credentials.json"] == suite.profile.credentials.read_bytes()  # what was verified ships
    assert json.loads(files[".claude.json"]) == {
        "hasCompletedOnboarding": True,
        "oauthAccount": json.loads(suite.profile.global_config.read_text())["oauthAccount"]}
    assert manifest["metadata"]["name"] == "claude-session-tokens"
    assert manifest["metadata"]["namespace"] == "${NAMESPACE}"
    assert manifest["metadata"]["annotations"]["claude-session-tokens/claude-cli-version"] == "2.1.332"
    oracle = yaml.safe_load(kubectl_secret(files, "claude-session-tokens", "${NAMESPACE}", "yaml", tmp_path / "k"))
    assert comparable(manifest) == oracle

    assert "FR-006  PASS" in run.stdout and "| SC-004 | PASS |" in run.summary_path.read_text()
    assert_no_leak(run)
    encoded = manifest["data"][".credentials.json"]
    assert encoded not in run.every_text()  # not even base64-encoded outside the Secret
    assert json.loads(files[".credentials.json"])["claudeAiOauth"]["accessToken"] in api.bearer_tokens()


BLOCKED = {
    # name: (extra args, paths, injection, requirement named in the refusal)
    "failed check": (("--expected-subscription", "team"), (), None, "SC-003"),
    "error in a check": ((), (), ("test_12_credentials_present", "error"), "SC-003"),
    "skipped check": ((), (), ("test_40_test_prompt", "skip"), "FR-004"),
    "deselected with -k": (("-k", "not prompt"), (), None, "FR-004"),
    "deselected with -m": (("-m", "not injected"), (), ("test_30_session_lifetime", "mark"), "SC-005"),
    "single file": ((), ("test_90_render_secret.py",), None, "FR-003"),
}


@pytest.mark.parametrize("kind", list(BLOCKED))
def test_blocked_run_writes_nothing_and_keeps_the_earlier_secret(suite, kind):
    args, paths, inject, requirement = BLOCKED[kind]
    suite.secret.parent.mkdir(parents=True)
    suite.secret.write_bytes(EARLIER)
    if os.name != "nt":
        suite.secret.chmod(0o640)
    before = suite.secret.stat()
    run = suite(*args, paths=paths, inject=inject)
    assert run.ret != 0
    assert suite.secret.read_bytes() == EARLIER
    assert suite.secret.stat().st_mtime_ns == before.st_mtime_ns and suite.secret.stat().st_mode == before.st_mode
    assert sorted(p.name for p in suite.secret.parent.iterdir()) == [suite.secret.name]  # no temp file
    render = run.testcases()[RENDER_CASE]
    assert render.outcome == "failed"
    assert "The Secret was not rendered" in render.message
    # after "Why it matters" (pytest >= 9.2 shortens the JUnit message attribute; the text has it all)
    assert any(requirement in part for part in render.message.split("Why it matters")[1:])
    assert "FR-006  FAIL" in run.stdout
    if kind != "error in a check":  # the injected RuntimeError is reported as a bug, by design
        assert_no_crash(run)
    assert_no_leak(run)


def test_dry_run_prints_the_secret_and_writes_nothing(suite):
    run = suite("--dry-run", "--namespace", "agents", "--secret-format", "json")
    assert run.ret == 0, run.stdout[-3000:]
    assert not suite.secret.exists() and not suite.secret.parent.exists()
    marker = "Secret (--dry-run: printed, not written)"
    assert marker in run.stdout
    text = run.stdout.split(marker, 1)[1].split("\n", 1)[1]
    manifest = json.loads(text[: text.index("\n}\n") + 3])
    assert manifest["metadata"]["namespace"] == "agents"
    assert decoded(manifest)[".credentials.json"] == suite.profile.credentials.read_bytes()
    assert "FR-007  PASS" in run.stdout
    assert CANARY_ACCESS not in run.output
    junit = run.junit_path.read_text()
    assert manifest["data"][".credentials.json"] not in junit  # printed to the terminal only


def test_unignored_destination_in_a_repository_is_refused(suite, tmp_path):
    repo = make_repo(tmp_path / "app-repo", gitignore="*.log\n")
    target = repo / "k8s" / "claude.yaml"
    run = suite(secret_out=target)
    assert run.ret != 0
    assert not target.exists() and not target.parent.exists()
    cases = run.testcases()
    assert cases["test_secret_cannot_be_committed"].outcome == "failed"
    assert "/k8s/claude.yaml" in cases["test_secret_cannot_be_committed"].message
    assert "FR-008" in cases[RENDER_CASE].message
    assert_no_leak(run)


def test_refused_include_blocks_the_secret(suite):
    (suite.profile.dir / "projects").mkdir()
    run = suite("--include", "projects")
    assert run.ret != 0 and not suite.secret.exists()
    preview = run.testcases()["test_secret_preview_builds_and_validates_offline"]
    assert preview.outcome == "failed" and "projects/ holds full conversation transcripts" in preview.message
    assert_no_leak(run)



def test_refreshed_credentials_from_the_prompt_are_what_ships(checks, profile, tmp_path):
    """The CLI rotated the tokens in the verified copy (fake CLI: a refresh cannot run offline):
    the Secret carries the new, re-verified tokens, never the spent ones of the profile."""
    from helpers.fake_claude import FakeClaude

    from claude_session_tokens.core.masked import fingerprint

    profile.create()
    before = profile.snapshot()
    fake = FakeClaude(tmp_path / "fake-bin").control("rotate")
    secret = tmp_path / "out-secret" / "s.yaml"
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin),
                     "--secret-out", str(secret), env=fake.env())
    assert run.ret == 0, run.stdout[-3000:]
    manifest = load_secret(secret)
    shipped = json.loads(decoded(manifest)[".credentials.json"])["claudeAiOauth"]
    original = json.loads(profile.credentials.read_bytes())["claudeAiOauth"]
    assert shipped["refreshToken"] and shipped["refreshToken"] != original["refreshToken"]
    assert shipped["accessToken"] != original["accessToken"]
    annotations = manifest["metadata"]["annotations"]
    assert annotations["claude-session-tokens/session-fingerprint"] == fingerprint(shipped["refreshToken"])
    assert profile.snapshot() == before  # the user's profile is read, never modified
    assert_no_leak(run)
    assert shipped["refreshToken"] not in run.every_text()
