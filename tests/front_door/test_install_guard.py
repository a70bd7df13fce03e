"""A copied (non-editable) install of the package would judge the wrong checkout: refused with the fix."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_package_imported_from_elsewhere_is_a_usage_error_with_the_install_command(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(ROOT / "claude_session_tokens", site / "claude_session_tokens",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "import claude_session_tokens as p; print(p.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == str(site / "claude_session_tokens" / "__init__.py")
    run = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "checks"), f"--rootdir={ROOT}",
                          "-c", str(ROOT / "pyproject.toml"), f"--reports-dir={tmp_path / 'reports'}"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode == 4, output  # pytest's usage error
    assert "installed as a copy" in output and "python -m pip install -e ." in output
    assert "Traceback" not in output
