"""The README is the user's manual: it must stay true to the code and to CI."""

import re
from pathlib import Path

from claude_session_tokens.suite.options import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _first_screen_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_the_first_screen_gives_the_two_commands():
    main_job, tests = _first_screen_commands()
    assert main_job.endswith("python render_secret.py") and "pip install -e ." in main_job
    assert tests.endswith("python -m pytest tests -n auto --dist worksteal") and "npm install" in tests
    assert 'pip install -e ".[test]"' in tests  # the test extra brings pytest-xdist, which -n needs
    assert README.index(tests) < 1500, "the two commands must be on the first screen"


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert ci_lines[-1] == _first_screen_commands()[1]


def test_every_option_is_documented():
    missing = [o.flag for o in OPTIONS if f"`{o.flag}" not in README]
    assert missing == []


def test_every_check_is_documented():
    checks = sorted(p.stem for p in (ROOT / "checks").glob("test_*.py"))
    missing = [name for name in checks if f"`{name}`" not in README]
    assert checks and missing == []
