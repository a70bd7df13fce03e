"""The next steps ``render_secret.py`` prints are commands that work when pasted (review 2.5).

POSIX commands are run for real in ``bash`` with ``envsubst`` and a recording ``kubectl`` first
on PATH (no cluster here). PowerShell cannot run on this machine: its commands are checked for
the shapes PowerShell accepts (an expression only as the first pipeline element, ``$_`` inside
a ``ForEach-Object`` script block, single-quoted literals).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from claude_session_tokens.render_cli import (
    apply_command,
    command_line,
    next_step_lines,
    powershell_quote,
    summary,
)

PLACEHOLDER = "${NAMESPACE}"
MANIFEST = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ${NAMESPACE}\n" \
           "  annotations:\n    note: 'keep $HOME and ${OTHER} as they are'\ndata: {}\n"

# bash and envsubst (gettext-base) are required, not optional: .ci/run installs them.
posix_only = pytest.mark.skipif(os.name == "nt", reason="runs the POSIX commands in bash with envsubst")


def result(namespace=PLACEHOLDER, dry_run=False, path=None):
    return SimpleNamespace(namespace=namespace, dry_run=dry_run, path=path)


@pytest.fixture
def recording_kubectl(tmp_path):
    """A ``kubectl`` on PATH that records its arguments and stdin (the real one needs a cluster)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/args"\ncat > "{tmp_path}/stdin"\n')
    script.chmod(0o755)
    python = bin_dir / "python"  # the printed commands start with "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NAMESPACE", None)
    env["OTHER"] = "must-not-be-substituted"

    def run(command: str, cwd: Path = tmp_path) -> tuple[list[str], str]:
        done = subprocess.run(["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr
        return (tmp_path / "args").read_text().splitlines(), (tmp_path / "stdin").read_text()

    return run


@posix_only
@pytest.mark.parametrize("name", ["s.yaml", "with space.yaml", "it's.yaml"])
def test_posix_apply_of_a_file_substitutes_only_the_namespace(recording_kubectl, tmp_path, name):
    secret = tmp_path / "out dir" / name
    secret.parent.mkdir()
    secret.write_text(MANIFEST)
    command = apply_command(result(), windows=False, source=str(secret))
    assert "<" + "namespace>" not in command and command.startswith("NAMESPACE=agents envsubst '${NAMESPACE}' < ")
    args, stdin = recording_kubectl(command)
    assert args == ["apply", "-f", "-"]
    manifest = yaml.safe_load(stdin)
    assert manifest["metadata"]["namespace"] == "agents"
    assert manifest["metadata"]["annotations"]["note"] == "keep $HOME and ${OTHER} as they are"


@posix_only
def test_posix_explicit_namespace_is_a_plain_apply(recording_kubectl, tmp_path):
    secret = tmp_path / "a b.yaml"
    secret.write_text(MANIFEST.replace("${NAMESPACE}", "prod"))
    args, _ = recording_kubectl(apply_command(result("prod"), windows=False, source=str(secret)))
    assert args == ["apply", "-f", str(secret), "-n", "prod"]


@posix_only
def test_posix_dry_run_pipe_runs_as_printed(recording_kubectl, tmp_path):
    """The printed dry-run line, with render_secret.py swapped for a script printing a manifest."""
    (tmp_path / "render_secret.py").write_text(f"import sys\nassert sys.argv[1:] == ['--dry-run', '--secret-name', "
                                               f"'x y']\nprint({MANIFEST!r})\n")
    lines = next_step_lines(result(dry_run=True), windows=False, argv=["--dry-run", "--secret-name", "x y"])
    command = next(line.strip() for line in lines if "kubectl apply" in line)
    assert command.startswith("python render_secret.py --dry-run --secret-name 'x y' | ")
    _, stdin = recording_kubectl(command)
    assert yaml.safe_load(stdin)["metadata"]["namespace"] == "agents"
    assert any("agents is an example" in line for line in lines)


def test_command_line_round_trips_through_a_posix_shell():
    argv = ["--dry-run", "--claude-config-dir", "/home/me/my profile", "--namespace", "${NAMESPACE}", "-o", "json",
            "--include", "it's"]
    assert shlex.split(command_line(argv, windows=False)) == ["python", "render_secret.py", *argv]


# --- PowerShell --------------------------------------------------------------------------------

def powershell_pipeline_elements(command: str) -> list[str]:
    """Split at top-level pipes (outside quotes and braces), as PowerShell's parser does."""
    parts, depth, quote, current = [], 0, None, ""
    for char in command:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    assert quote is None and depth == 0, command
    return parts + [current.strip()]


def assert_valid_powershell_pipeline(command: str) -> list[str]:
    elements = powershell_pipeline_elements(command)
    assert "$input" not in command and "%" not in command and "<" not in command.replace("-lt", "")
    for later in elements[1:]:  # "Expressions are only allowed as the first element of a pipeline"
        assert re.match(r"^[A-Za-z][\w-]*( |$)", later), later
    assert elements[-1] == "kubectl apply -f -"
    return elements


def test_windows_dry_run_pipe_is_a_valid_powershell_pipeline():
    lines = next_step_lines(result(dry_run=True), windows=True, argv=["--dry-run", "--namespace", "${NAMESPACE}"])
    command = next(line.strip() for line in lines if "kubectl apply" in line)
    elements = assert_valid_powershell_pipeline(command)
    assert elements[0] == "python render_secret.py --dry-run --namespace '${NAMESPACE}'"
    assert elements[1] == "ForEach-Object { $_.Replace('${NAMESPACE}', 'agents') }"


def test_windows_file_apply_is_a_valid_powershell_pipeline():
    command = apply_command(result(), windows=True, source=r"C:\Users\me\it's here\s.yaml")
    elements = assert_valid_powershell_pipeline(command)
    assert elements[0] == r"(Get-Content -Raw 'C:\Users\me\it''s here\s.yaml').Replace('${NAMESPACE}', 'agents')"
    plain = apply_command(result("prod"), windows=True, source=r"C:\work\secrets\s.yaml")
    assert plain == r"kubectl apply -f C:\work\secrets\s.yaml -n prod"


@pytest.mark.parametrize("text, quoted", [
    ("--dry-run", "--dry-run"), (r"C:\a\b.yaml", r"C:\a\b.yaml"), ("a b", "'a b'"), ("it's", "'it''s'"),
    ("${NAMESPACE}", "'${NAMESPACE}'"), ("@x", "'@x'"), ("a,b", "'a,b'"), ("", "''"), ("$(calc)", "'$(calc)'"),
])
def test_powershell_quoting(text, quoted):
    assert powershell_quote(text) == quoted


# --- exit paths of the summary ------------------------------------------------------------------

def test_interrupted_run_says_nothing_was_written():
    import pytest as _pytest

    lines, rendered = summary(None, _pytest.ExitCode.INTERRUPTED)
    assert lines == ["Interrupted; nothing was written."] and rendered is None


def test_main_maps_an_interrupted_pytest_run_to_130(monkeypatch, capsys):
    from claude_session_tokens import render_cli

    monkeypatch.setattr(render_cli.pytest, "main", lambda *a, **k: render_cli.pytest.ExitCode.INTERRUPTED)
    assert render_cli.main(["--claude-config-dir", "/nonexistent"]) == 130
    assert "Interrupted; nothing was written." in capsys.readouterr().out


@pytest.mark.parametrize("windows", [False, True])
def test_the_next_step_never_repeats_a_fresh_login_or_verbose_output(windows):
    """Running the printed pipeline again must not sign out and replace the session just shown."""
    argv = ["--fresh-login", "--dry-run", "-v", "--namespace", "agents", "--verbose", "-vv", "--fresh",
            "--secret-name=x"]
    line = command_line(argv, windows=windows)
    assert line == "python render_secret.py --dry-run --namespace agents --secret-name=x"
    result = SimpleNamespace(dry_run=True, namespace="agents", path=None)
    pipeline = next(line for line in next_step_lines(result, windows, argv) if "render_secret.py" in line)
    assert "--fresh" not in pipeline and " -v" not in pipeline and "--verbose" not in pipeline
    assert "--dry-run --namespace agents" in pipeline


def test_session_mode_success_points_to_the_setup_token_mode():
    lines = next_step_lines(result(path="/x/s.yaml"), windows=False, argv=[])
    hint = [line for line in lines if "--setup-token" in line]
    assert len(hint) == 1 and "examples/claude-agent-oauth-token.yaml" in hint[0]


def test_setup_token_success_names_the_env_example_and_no_session_hand_off():
    token_result = SimpleNamespace(namespace=PLACEHOLDER, dry_run=False, path="/x/t.yaml", credential_kind="setup-token")
    text = "\n".join(next_step_lines(token_result, windows=False, argv=[]))
    assert "secretKeyRef" in text and "examples/claude-agent-oauth-token.yaml" in text
    assert "--hand-off" not in text and "single-use" not in text and "persistent volume" not in text


def test_setup_token_dry_run_does_not_offer_a_command_that_makes_another_token():
    token_result = SimpleNamespace(namespace=PLACEHOLDER, dry_run=True, path=None, credential_kind="setup-token")
    text = "\n".join(next_step_lines(token_result, windows=False, argv=["--setup-token", "--dry-run"]))
    assert "python render_secret.py" not in text and "a new token" in text
    text = "\n".join(next_step_lines(token_result, windows=False, argv=["--oauth-token-file", "t", "--dry-run"]))
    assert "python render_secret.py --oauth-token-file t --dry-run | " in text
