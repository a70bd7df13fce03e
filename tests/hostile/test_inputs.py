"""Hostile inputs: files the run reads that are not what they seem, destinations that are the
session itself, numbers JSON can write but a double cannot hold.

Each defect has its own test (it failed before the fix), and one table of hostile inputs runs
the whole suite on each, asserting the general properties: it ends in bounded time, without a
traceback or "unexpected" error, with no canary in any output, report or file left behind,
the home directory and the profile byte-identical, and an earlier Secret byte-identical.
Special files are real: FIFOs (``os.mkfifo``), symlinks to ``/dev/zero`` and ``/dev/urandom``,
a 300 MB sparse file (``truncate``).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers.foundation import assert_no_crash
from helpers.leaks import assert_no_leak
from helpers.profiles import ProfileBuilder, oauth_entry
from helpers.render_support import run_render_secret

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.k8s.destination import secret_out_problem
from claude_session_tokens.k8s.manifest import SecretInfo, annotations, iso_utc
from claude_session_tokens.k8s.payload import (
    build_payload,
    credentials_to_ship,
    include_problem,
    minimal_global_config,
)
from claude_session_tokens.session.credentials import (
    FAR_FUTURE_MS,
    parse_credentials,
    session_problems,
)
from claude_session_tokens.session.discovery import discover
from claude_session_tokens.session.files import read_bounded
from claude_session_tokens.session.lifetime import assess, now_ms

posix_only = pytest.mark.skipif(os.name == "nt", reason="FIFOs and /dev exist on POSIX only")
EARLIER_SECRET = b"# an earlier Secret, to be left as it was\n"


def tree(root: Path) -> dict[str, tuple]:
    """Every entry below ``root``: kind and bytes of regular files, link targets; never follows links
    or opens special files (a snapshot must not hang on the FIFOs these tests create)."""
    found: dict[str, tuple] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            found[rel] = ("dir",)
        elif path.is_file():
            found[rel] = ("file", path.stat().st_size, path.read_bytes() if path.stat().st_size < 10**7 else b"")
        else:
            found[rel] = ("special",)
    return found


def sparse(path: Path, size: int = 300 * 1024 * 1024) -> Path:
    subprocess.run(["truncate", "-s", str(size), str(path)], check=True)
    return path


def make_special(path: Path, kind: str) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dev-urandom":
        path.symlink_to("/dev/urandom")
    elif kind == "sparse-300MB":
        sparse(path)
    else:
        raise AssertionError(kind)
    return path


SPECIALS = ("fifo", "dev-zero", "dev-urandom", "sparse-300MB")


# --- 2: one bounded reader, for every file the tool reads ---------------------------------------

@posix_only
@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", SPECIALS)
def test_the_bounded_reader_refuses_special_and_huge_files_at_once(tmp_path, kind):
    path = make_special(tmp_path / "file", kind)
    start = time.monotonic()
    with pytest.raises(FindingError) as info:
        read_bounded(path, "global config", "claude auth login", limit=32 * 1024 * 1024)
    assert time.monotonic() - start < 5
    cause = info.value.finding.cause
    if kind == "sparse-300MB":
        assert "larger than 33554432 bytes (32 MiB)" in cause and "it has 314572800 bytes" in cause
    else:
        assert "is a special file (a FIFO, socket or device), not a regular file" in cause
    assert info.value.finding.remedy.startswith('mv "')


@posix_only
@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", SPECIALS)
def test_a_special_or_huge_global_config_is_a_finding_not_a_hang(tmp_path, kind):
    """Before: open() of a FIFO hung, /dev/zero and /dev/urandom were read until memory ran out,
    a 300 MB file was read whole."""
    path = make_special(tmp_path / ".claude.json", kind)
    with pytest.raises(FindingError) as info:
        minimal_global_config(path)
    assert "global config" in info.value.finding.cause


@posix_only
@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", SPECIALS)
def test_a_special_or_huge_include_is_refused_saying_what_it_is(tmp_path, kind):
    """Before: a FIFO (or a link to a device) was refused as "no such file in the config dir"."""
    make_special(tmp_path / "extra.json", kind)
    why = include_problem(tmp_path, "extra.json")
    if kind == "sparse-300MB":
        assert "larger than a Secret can hold" in why
    else:
        assert why.startswith("it is a special file (a FIFO, socket or device")
        assert "not a regular file" in why and "no such file" not in why
    with pytest.raises(FindingError) as info:
        build_payload(Masked(json.dumps({"claudeAiOauth": oauth_entry()}).encode()), tmp_path / "none.json",
                      tmp_path, ("extra.json",))
    assert any(d.startswith("extra.json: it is") for d in info.value.finding.details)


@posix_only
@pytest.mark.timeout(30)
def test_a_file_swapped_for_a_fifo_after_the_look_is_still_refused(tmp_path, monkeypatch):
    """The opened descriptor is checked again (fstat): a race cannot turn the read into a hang."""
    from claude_session_tokens.session import files as session_files

    path = tmp_path / ".credentials.json"
    path.write_text("{}")
    real_inspect = session_files.inspect_file

    def then_swap(p):
        state = real_inspect(p)
        path.unlink()
        os.mkfifo(path)
        return state

    monkeypatch.setattr(session_files, "inspect_file", then_swap)
    with pytest.raises(FindingError) as info:
        session_files.read_secret_file(path, "credentials file", "claude auth login")
    assert "not a regular file" in info.value.finding.cause


# --- 5: numbers and strings a double or UTF-8 cannot hold ---------------------------------------

def credentials_text(**raw: str) -> bytes:
    """A credentials file with fields replaced by raw JSON text (``1e400``, ``NaN``, ``"\\ud800"``)."""
    entry = oauth_entry(**{k: f"@@{k}@@" for k in raw})
    text = json.dumps({"claudeAiOauth": entry})
    for key, value in raw.items():
        text = text.replace(f'"@@{key}@@"', value)
    return text.encode()


@pytest.mark.parametrize("field, raw, outcome", [
    ("expiresAt", "1e400", "accepted, no moment"),
    ("expiresAt", "9" * 400, "accepted, no moment"),
    ("expiresAt", "9" * 5000, "accepted, no moment"),  # more digits than Python's int() converts
    ("expiresAt", '"0x' + "f" * 400 + '"', "accepted, no moment"),  # Number() reads Infinity
    ("refreshTokenExpiresAt", '"0b' + "1" * 2000 + '"', "accepted"),
    ("expiresAt", "-1e400", "expired"),
    ("expiresAt", "NaN", "NaN"),
    ("expiresAt", "Infinity", "Infinity"),
    ("expiresAt", "-Infinity", "-Infinity"),
    ("refreshTokenExpiresAt", "1e400", "accepted"),
    ("refreshTokenExpiresAt", "9" * 400, "accepted"),
    ("refreshTokenExpiresAt", "-" + "9" * 400, "sign-in ended"),
    ("refreshTokenExpiresAt", "9" * 5000, "accepted"),
    ("refreshTokenExpiresAt", "-" + "9" * 5000, "sign-in ended"),
    ("rateLimitTier", "9" * 5000, "accepted"),
    ("refreshTokenExpiresAt", "NaN", "NaN"),
    ("rateLimitTier", "Infinity", "Infinity"),
    ("rateLimitTier", '"\\ud800"', "accepted"),
    ("subscriptionType", '"\\udfff"', "wrong plan"),
    ("accessToken", '"sk-ant-oat01-\\ud800CANARY"', "surrogate"),
    ("refreshToken", '"sk-ant-ort01-\\udc00CANARY"', "surrogate"),
])
def test_numbers_and_surrogates_are_named_findings_everywhere(field, raw, outcome):
    """Before: OverflowError, ValueError or UnicodeEncodeError ("unexpected ..., open an issue")."""
    blob = Masked(credentials_text(**{field: raw}))
    if outcome in ("NaN", "Infinity", "-Infinity", "surrogate"):
        with pytest.raises(FindingError) as info:
            parse_credentials(blob)
        message = info.value.finding.message()
        if outcome == "surrogate":
            assert f"{field} holds a lone surrogate escape" in message
        else:
            assert f"holds {outcome}, which is not JSON" in message and "Not logged in" in message
        assert "claude auth logout && claude auth login" in info.value.finding.remedy
        assert "CANARY" not in message
        return
    session = parse_credentials(blob)
    problems = session_problems(session, "max")
    lifetime = assess(session, now_ms(), 24)
    lines = "\n".join(lifetime.lines())  # the report: must not raise either
    info = SecretInfo(captured_at=datetime.now(timezone.utc), cli_version="2.1.332",
                      access_token_expires_at_ms=None if session.expiry_unknown else session.expires_at_ms,
                      sign_in_expires_at_ms=session.refresh_token_expires_at_ms)
    shown = annotations(info)  # the manifest's annotations: must not raise
    assert all(isinstance(v, str) for v in shown.values())
    if outcome == "accepted, no moment":
        assert session.expiry_unknown and problems == [] and lifetime.finding() is None
        assert "no usable expiresAt" in lines
        assert any("beyond any date" in n for n in session.form_notes)
    elif outcome == "expired":
        assert problems and lifetime.finding() is not None and lifetime.access_too_short
    elif outcome == "sign-in ended":
        assert "the sign-in itself has ended" in " ".join(lifetime.finding().details)
    elif outcome == "wrong plan":
        assert problems == [('subscriptionType is a 1-character string, expected "max" (sign in with the Claude '
                             'Max account, or pass --expected-subscription with the intended value)')]
    else:
        assert problems == [] and lifetime.finding() is None


@pytest.mark.parametrize("raw", ["1e400", "-1e400", "9" * 400, "9" * 5000, "-" + "9" * 5000],
                         ids=["1e400", "-1e400", "400 digits", "5000 digits", "-5000 digits"])
def test_a_number_beyond_a_double_is_shipped_as_json_the_cli_reads_back(tmp_path, raw):
    """Before: the filtered credentials (and the minimal .claude.json) were re-encoded with
    Python's ``Infinity``, which is not JSON: the pod's CLI could not read its own session."""
    text = json.dumps({"claudeAiOauth": oauth_entry(expiresAt="@@"), "mcpOAuth": {"n": ["@@"]}})
    shipped, _ = credentials_to_ship(Masked(text.replace('"@@"', raw).encode()), keep_other_keys=False)
    config = tmp_path / ".claude.json"
    config.write_text(json.dumps({"oauthAccount": {"emailAddress": "a@example.com", "n": "@@"}}).replace('"@@"', raw))
    minimal, _ = minimal_global_config(config)
    for blob, path in ((shipped.reveal(), ".claudeAiOauth.expiresAt"), (minimal.reveal(), ".oauthAccount.n")):
        assert b"Infinity" not in blob
        script = f"let d=JSON.parse(require('fs').readFileSync(0,'utf8')); process.stdout.write(String(d{path}))"
        read = subprocess.run(["node", "-e", script],
                              input=blob, capture_output=True, check=False)
        assert read.returncode == 0, read.stderr
        assert read.stdout.decode() == ("-Infinity" if raw.startswith("-") else "Infinity")


def test_iso_utc_of_a_moment_no_calendar_holds_is_none():
    assert iso_utc(10 ** 400) is None and iso_utc(-(10 ** 20)) is None
    assert iso_utc(FAR_FUTURE_MS) == "9999-12-31T23:59:59Z"


# --- 1 and 7c: --secret-out must not replace what the run reads, nor a symlink -----------------

@pytest.fixture
def stand_in_home(tmp_path):
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    return home


def render_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update(HOME=str(home), USERPROFILE=str(home), ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    return env


def destination(case: str, profile: ProfileBuilder, home: Path, tmp_path: Path) -> tuple[Path, str]:
    """(the --secret-out path, words the refusal must say) for each way to name a read file."""
    if case == "credentials file":
        return profile.credentials, "is the credentials file"
    if case == "global config":
        return profile.global_config, "is the global config"
    if case == "home global config":
        return home / ".claude.json", "is the global config"
    if case == "new file in the session dir":
        return profile.dir / "settings.json", "is inside the session directory"
    if case == "include file":
        return profile.dir / "extra.json", "is the --include file extra.json"
    if case == "path through a symlinked directory":
        (tmp_path / "alias").symlink_to(profile.dir)
        return tmp_path / "alias" / ".credentials.json", "is the credentials file"
    if case == "new file through a symlinked directory":
        (tmp_path / "alias").symlink_to(profile.dir)
        return tmp_path / "alias" / "secret.yaml", "is inside the session directory"
    if case == "hard link to the credentials":
        os.link(profile.credentials, tmp_path / "hard.json")
        return tmp_path / "hard.json", "is a hard link to the credentials file"
    if case == "symlink to the credentials":
        (tmp_path / "link.yaml").symlink_to(profile.credentials)
        return tmp_path / "link.yaml", "is a symlink"
    raise AssertionError(case)


DESTINATIONS = ("credentials file", "global config", "home global config", "new file in the session dir",
                "include file", "path through a symlinked directory",
                "new file through a symlinked directory", "hard link to the credentials",
                "symlink to the credentials")


@pytest.mark.parametrize("case", DESTINATIONS)
def test_render_refuses_a_destination_the_run_reads_with_exit_2(tmp_path, stand_in_home, case):
    """Before: the Secret replaced the credentials (or the global config) and the run exited 0."""
    if os.name == "nt" and "link" in case:
        pytest.skip("symlinks and hard links need privileges on Windows")
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    (profile.dir / "extra.json").write_text("{}")
    (stand_in_home / ".claude.json").write_text('{"hasCompletedOnboarding": true}')
    out, says = destination(case, profile, stand_in_home, tmp_path)
    # named with the option, the profile's global config is DIR/.claude.json; by default ~/.claude.json
    named = ("--claude-config-dir", str(profile.dir)) if case == "global config" else ()
    before = tree(stand_in_home)
    result = run_render_secret(*named, "--claude-bin", str(tmp_path / "no-cli"), "--include", "extra.json",
                               "--reports-dir", str(tmp_path / "reports"), "--secret-out", str(out),
                               env=render_env(stand_in_home), timeout=60)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert f"--secret-out {out.absolute()} {says}" in text
    assert "Fix: pass --secret-out with a path outside the session directory" in text or "Fix: pass the path" in text
    assert "Traceback" not in text
    assert tree(stand_in_home) == before  # the profile and the home, byte for byte
    assert_no_leak(text)


def test_pytest_checks_refuses_it_as_a_usage_error_before_any_check(checks, profile, tmp_path):
    profile.create()
    before = profile.snapshot()
    run = checks.run("--claude-config-dir", str(profile.dir), f"--secret-out={profile.credentials}",
                     env={"CLAUDE_CONFIG_DIR": None})
    assert run.ret == 4, run.output  # pytest's usage error
    assert f"--secret-out {profile.credentials} is the credentials file, which the run reads" in run.output
    assert "PASSED" not in run.output and "FAILED" not in run.output  # no check ran
    assert profile.snapshot() == before


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_symlink_destination_is_refused_not_silently_replaced(tmp_path, stand_in_home):
    """Before: the link was replaced by a regular file and the file it pointed to was left stale."""
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    target = tmp_path / "deploy" / "secret.yaml"
    target.parent.mkdir()
    target.write_bytes(EARLIER_SECRET)
    link = tmp_path / "secret.yaml"
    link.symlink_to(target)
    result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(tmp_path / "no-cli"),
                               "--reports-dir", str(tmp_path / "reports"), "--secret-out", str(link),
                               env=render_env(stand_in_home), timeout=60)
    assert result.returncode == 2
    assert f"--secret-out {link} is a symlink (to {target})" in result.stdout + result.stderr
    assert f"--secret-out {target}" in result.stdout + result.stderr  # the fix names the real path
    assert link.is_symlink() and target.read_bytes() == EARLIER_SECRET


# --- the table: the whole suite on each hostile input --------------------------------------------

def _special_global(kind: str):
    def build(p: ProfileBuilder, home: Path) -> tuple:
        p.global_config.unlink()
        make_special(p.global_config, kind)
        if kind == "sparse-300MB":
            return (), f"The global config at {p.global_config} is larger than 33554432 bytes (32 MiB)"
        return (), f"The global config at {p.global_config} is a special file (a FIFO, socket or device)"
    return build


def _special_include(kind: str):
    def build(p: ProfileBuilder, home: Path) -> tuple:
        make_special(p.dir / "extra.json", kind)
        return ("--include", "extra.json"), "extra.json: it is"
    return build


def _credentials(raw: bytes, says: str):
    def build(p: ProfileBuilder, home: Path) -> tuple:
        p.write_credentials(raw)
        return (), says
    return build


def _env(value: str, says: str):
    def build(p: ProfileBuilder, home: Path) -> tuple:
        return ("@env", value), says
    return build


HOSTILE = {
    **{f"global config {k}": _special_global(k) for k in SPECIALS},
    **{f"include {k}": _special_include(k) for k in SPECIALS},
    "expiresAt NaN": _credentials(credentials_text(expiresAt="NaN"), "holds NaN, which is not JSON"),
    "expiresAt Infinity": _credentials(credentials_text(expiresAt="Infinity"), "holds Infinity, which is not JSON"),
    "NaN in another field": _credentials(credentials_text(rateLimitTier="NaN"), "holds NaN, which is not JSON"),
    "refreshTokenExpiresAt 400 digits in the past": _credentials(
        credentials_text(refreshTokenExpiresAt="-" + "9" * 400), "the sign-in itself has ended"),
    "lone surrogate in the access token": _credentials(
        credentials_text(accessToken='"sk-ant-oat01-\\ud800CANARYaccess"'), "accessToken holds a lone surrogate"),
    "CLAUDE_CONFIG_DIR empty": _env("", "CLAUDE_CONFIG_DIR is set but empty"),
    "CLAUDE_CONFIG_DIR ~ unexpanded": _env("~/.claude", 'with the "~" not expanded'),
}


@posix_only
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_input_table(checks, tmp_path, stand_in_home, case):
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    (stand_in_home / ".claude.json").write_text('{"hasCompletedOnboarding": true}')
    args, says = HOSTILE[case](profile, stand_in_home)
    secret = tmp_path / "secrets" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_bytes(EARLIER_SECRET)
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update(HOME=str(stand_in_home), USERPROFILE=str(stand_in_home), ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    where = ("--claude-config-dir", str(profile.dir))
    if args[:1] == ("@env",):
        env["CLAUDE_CONFIG_DIR"], args, where = args[1], (), ()
    private_tmp = tmp_path / "tmp"  # the run's own temporary directory: what is left there, it left
    private_tmp.mkdir()
    env.update(TMPDIR=str(private_tmp), TEMP=str(private_tmp), TMP=str(private_tmp))
    before = tree(stand_in_home)
    start = time.monotonic()
    run = checks.run(*where, "--claude-bin", str(tmp_path / "no-cli"), f"--secret-out={secret}", *args,
                     env=env, timeout=120)
    assert time.monotonic() - start < 90, "bounded time"
    assert run.ret == 1, run.output
    assert_no_crash(run)
    assert says in run.output
    assert_no_leak(run.every_text(), "the output or a report")
    assert tree(stand_in_home) == before, "the home directory and the profile are byte-identical"
    assert secret.read_bytes() == EARLIER_SECRET, "the earlier Secret is untouched"
    assert sorted(secret.parent.iterdir()) == [secret], "no temporary file beside it"
    assert not [n for n in os.listdir(private_tmp) if n.startswith("claude-session-tokens")], \
        "no temporary profile left behind"


def test_a_lone_surrogate_survives_the_filtered_credentials_and_the_minimal_config(tmp_path):
    """Before: UnicodeEncodeError when the Secret's .credentials.json (only claudeAiOauth) or its
    .claude.json was re-encoded; now the escape is kept as the file had it."""
    from claude_session_tokens.k8s.payload import credentials_to_ship

    raw = json.dumps({"claudeAiOauth": oauth_entry(rateLimitTier="@@"), "mcpOAuth": {}}).replace('"@@"', '"\\ud800"')
    shipped, notes = credentials_to_ship(Masked(raw.encode()), keep_other_keys=False)
    assert json.loads(shipped.reveal()) == {"claudeAiOauth": json.loads(raw)["claudeAiOauth"]}
    shipped.reveal().decode("utf-8")  # valid UTF-8: the CLI in the pod can read it
    assert notes and "mcpOAuth" in notes[0]
    config = tmp_path / ".claude.json"
    config.write_text('{"oauthAccount": {"displayName": "\\udc00"}}')
    minimal, _ = minimal_global_config(config)
    assert json.loads(minimal.reveal())["oauthAccount"] == {"displayName": "\udc00"}


@posix_only
@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", SPECIALS)
def test_credentials_the_cli_rewrote_into_a_special_or_huge_file_are_read_bounded(tmp_path, kind):
    """The test prompt reads back the copy's credentials (the CLI may have refreshed them). Before:
    read unbounded (a 300 MB file there was read whole and adopted; special files were only
    skipped by a look before the read). Now it goes through the bounded reader: nothing of the
    kind is adopted, in bounded time."""
    from claude_session_tokens.claude.prompt import run_test_prompt
    from claude_session_tokens.k8s.payload import build_payload

    cli = tmp_path / "claude"
    make = {"fifo": 'mkfifo "$F"', "dev-zero": 'ln -s /dev/zero "$F"', "dev-urandom": 'ln -s /dev/urandom "$F"',
            "sparse-300MB": 'truncate -s 300M "$F"'}[kind]
    cli.write_text("#!/bin/sh\nF=\"$CLAUDE_CONFIG_DIR/.credentials.json\"\nrm -f \"$F\"\n" + make + "\n"
                   'echo \'{"type":"result","subtype":"success","is_error":false,"result":"ok"}\'\n')
    cli.chmod(0o755)
    payload = build_payload(Masked(json.dumps({"claudeAiOauth": oauth_entry()}).encode()), tmp_path / "none.json",
                            tmp_path)
    start = time.monotonic()
    run = run_test_prompt(cli, payload, "ok", 20, {"PATH": os.environ["PATH"]}, "linux")
    assert time.monotonic() - start < 20
    assert run.credentials_after is None and run.cleanup_problem is None


@posix_only
@pytest.mark.timeout(30)
def test_a_tracked_name_that_is_now_a_fifo_does_not_hang_the_git_scan(tmp_path):
    from claude_session_tokens.k8s.git_safety import _working_copy

    os.mkfifo(tmp_path / "secret.yaml")
    assert _working_copy(tmp_path, "secret.yaml") is None


def _bind_mount(source: Path, target: Path) -> bool:
    """Bind-mount ``source`` on ``target`` (Linux, root); False where that is impossible."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    target.mkdir()
    return subprocess.run(["mount", "--bind", str(source), str(target)], check=False,
                          capture_output=True).returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bind mounts: Linux only")
def test_a_new_file_in_a_bind_mount_of_the_session_directory_is_refused(tmp_path, stand_in_home):
    """Before: a path through a bind mount of the profile passed both the string and the realpath
    comparison, so the Secret was written into the session directory."""
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    mounted = tmp_path / "mounted-profile"
    if not _bind_mount(profile.dir, mounted):
        pytest.skip("bind mounts need root")  # the inode comparison below is what matters
    try:
        location = discover(str(profile.dir), {"HOME": str(stand_in_home)}, "linux")
        for out in (mounted / "settings.json", mounted / "new" / "secret.yaml"):
            problem = secret_out_problem(out, location, (), stand_in_home)
            assert problem is not None, out
            assert f"--secret-out {out} is inside the session directory {profile.dir}" in problem
        assert secret_out_problem(tmp_path / "secret.yaml", location, (), stand_in_home) is None
    finally:
        subprocess.run(["umount", str(mounted)], check=True)


def test_a_directory_destination_is_refused_before_any_check_with_a_file_in_it(tmp_path, stand_in_home):
    """Before: every check ran (the test prompt included), then the write failed with "Is a
    directory" and the remedy "free disk space"."""
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(tmp_path / "no-cli"),
                               "--reports-dir", str(tmp_path / "reports"), "--secret-out", str(deploy),
                               env=render_env(stand_in_home), timeout=60)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert f"--secret-out {deploy} is a directory" in text
    assert f"--secret-out {deploy / 'claude-session-tokens.yaml'}" in text
    assert "Traceback" not in text and list(deploy.iterdir()) == []


@posix_only
@pytest.mark.parametrize("kind", ["fifo", "character device"])
def test_a_special_file_destination_is_refused_not_replaced_by_the_tokens(tmp_path, stand_in_home, kind):
    """Before: --secret-out /dev/null (or a FIFO) was replaced by a regular file holding the Secret
    (as root, the system's own /dev/null). A copy of /dev/null (mknod, root) stands in for it."""
    profile = ProfileBuilder(stand_in_home / ".claude").create()
    out = tmp_path / "null"
    if kind == "fifo":
        os.mkfifo(out)
    elif os.geteuid() == 0:
        os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        pytest.skip("mknod needs root")
    result = run_render_secret("--claude-config-dir", str(profile.dir), "--claude-bin", str(tmp_path / "no-cli"),
                               "--reports-dir", str(tmp_path / "reports"), "--secret-out", str(out),
                               env=render_env(stand_in_home), timeout=60)
    text = result.stdout + result.stderr
    assert result.returncode == 2, text
    assert f"--secret-out {out} is a special file (a device, FIFO or socket)" in text
    assert "--dry-run" in text and "Traceback" not in text
    assert not stat.S_ISREG(os.lstat(out).st_mode)
