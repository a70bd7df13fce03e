"""The suite's import-time work: what a run of the checks does not need is not imported."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers.runner import ROOT

# the macOS Keychain and setup-token mode: imported by the run that uses them, not by every run;
# kubernetes-validate (with jsonschema, a run's largest import) by the first validation
NOT_AT_IMPORT = (
    "claude_session_tokens.session.keychain",
    "claude_session_tokens.claude.setup_token",
    "claude_session_tokens.kinds.token_mode",
    "kubernetes_validate",
    "jsonschema",
)

LOAD_EVERYTHING = """
import importlib.util, json, sys
from pathlib import Path
root = Path(sys.argv[1])
import claude_session_tokens.render_cli  # the front door
for path in [root / "conftest.py", *sorted((root / "checks").glob("test_*.py"))]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(sys.modules)))
"""


def test_front_door_and_checks_do_not_import_what_only_other_modes_need():
    result = subprocess.run([sys.executable, "-c", LOAD_EVERYTHING, str(ROOT)], check=False,
                            capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "claude_session_tokens.k8s.render" in loaded  # the checks were imported
    assert [name for name in NOT_AT_IMPORT if name in loaded] == []
