"""The registry of checks (claude_session_tokens/suite/registry.py) is the one source of what each
check proves: the JUnit XML, the README table and the check files agree with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers.fake_claude import FakeClaude
from helpers.layers import imported, violations

from claude_session_tokens.core.requirements import is_known
from claude_session_tokens.kinds.credential_kind import NO_SIGN_IN, kind_of
from claude_session_tokens.suite import gate, plugin, registry, timeouts
from claude_session_tokens.suite.registry import CHECKS, Role

ROOT = Path(__file__).resolve().parents[2]
CHECK_FILES = sorted(p.name for p in (ROOT / "checks").glob("test_*.py"))

# What the JUnit XML recorded for each check before the registry existed (the IDs came from each
# check file's own @pytest.mark.requirement): the requirement properties of each testcase, in
# order, and first among its properties. The registry must reproduce them exactly.
JUNIT_REQUIREMENTS = {
    "test_fresh_login": ("FR-001", "FR-002", "SC-001", "US1.1", "US1.3"),
    "test_session_directory_exists": ("FR-003", "SC-003"),
    "test_credentials_are_present": ("SC-003", "FR-003", "US1.1", "US2.1"),
    "test_credentials_are_a_regular_file": ("SC-003", "US2.1"),
    "test_credentials_are_not_empty": ("SC-003", "US2.2"),
    "test_credentials_are_readable": ("SC-003", "US2.3"),
    "test_credentials_hold_a_claude_max_session": ("SC-003", "US1.1"),
    "test_claude_cli_can_log_out_and_in": ("FR-001", "FR-002"),
    "test_session_lasts_long_enough": ("SC-005",),
    "test_secret_cannot_be_committed": ("FR-008", "SC-006"),
    "test_secret_preview_builds_and_validates_offline": ("FR-007", "SC-004", "US3.1", "US3.2", "US3.3"),
    "test_prompt_answers_on_what_ships": ("FR-004", "SC-002", "US1.2"),
    "test_session_directory_can_be_listed": ("FR-005", "US2.1"),
    "test_render_secret": ("FR-006", "SC-004", "FR-008", "SC-006"),
}


def test_junit_requirement_properties_are_exactly_as_before(checks, profile, tmp_path):
    profile.create()
    fake = FakeClaude(tmp_path / "fake-bin")
    run = checks.run("--claude-config-dir", str(profile.dir), "--claude-bin", str(fake.bin), "--dry-run",
                     env=fake.env())
    cases = run.testcases()
    assert set(cases) == set(JUNIT_REQUIREMENTS), run.output
    for name, ids in JUNIT_REQUIREMENTS.items():
        properties = cases[name].properties
        assert tuple(cases[name].requirements()) == ids, name
        assert properties[:len(ids)] == [("requirement", rid) for rid in ids], name


# What the gate named for a check file the run did not collect, before the registry existed (it
# read the FR/SC IDs from the file's marker, sorted, without the acceptance scenarios).
UNCOLLECTED_IDS = {
    "test_00_fresh_login.py": "FR-001, FR-002, SC-001",
    "test_10_session_directory.py": "FR-003, SC-003",
    "test_12_credentials_present.py": "FR-003, SC-003",
    "test_13_credentials_regular_file.py": "SC-003",
    "test_14_credentials_not_empty.py": "SC-003",
    "test_15_credentials_readable.py": "SC-003",
    "test_16_credentials_valid.py": "SC-003",
    "test_20_claude_cli.py": "FR-001, FR-002",
    "test_30_session_lifetime.py": "SC-005",
    "test_35_secret_not_committed.py": "FR-008, SC-006",
    "test_38_secret_preview.py": "FR-007, SC-004",
    "test_40_test_prompt.py": "FR-004, SC-002",
    "test_60_directory_listing.py": "FR-005",
    "test_90_render_secret.py": "FR-006, FR-008, SC-004, SC-006",
}


def test_the_gate_names_an_uncollected_file_as_before():
    from claude_session_tokens.core.remedy import RUN_AGAIN
    from claude_session_tokens.suite.gate import blocking_reasons
    from claude_session_tokens.suite.plugin import Ledger

    for name, ids in UNCOLLECTED_IDS.items():
        assert [str(b) for b in blocking_reasons(Ledger(), "render", [name])] == [
            (f"{ids}: {name} was not part of the run (a single file or a subset was given); "
             f"run the whole suite: {RUN_AGAIN}")], name


def test_every_check_file_is_in_the_registry_and_every_entry_is_a_file():
    assert [check.file for check in CHECKS] == CHECK_FILES  # and in the order the checks run


def test_the_registry_names_only_ids_of_the_spec_once_each():
    for check in CHECKS:
        assert check.requirements, check.file
        assert all(is_known(rid) for rid in check.requirements), check.file
        assert len(set(check.requirements)) == len(check.requirements), check.file


def test_the_registry_reproduces_the_golden_records():
    functions = {check.file: _test_functions(ROOT / "checks" / check.file) for check in CHECKS}
    for check in CHECKS:
        (function,) = functions[check.file]  # one check per file
        assert JUNIT_REQUIREMENTS[function] == check.requirements, check.file
        assert gate.declared_requirements(check.file) == UNCOLLECTED_IDS[check.file]


def test_the_roles_name_the_checks_the_suite_treats_specially():
    assert gate.RENDER_PREREQUISITES == ("test_35_secret_not_committed.py", "test_38_secret_preview.py")
    assert plugin.RENDER_CHECK_FILE == "test_90_render_secret.py" == CHECKS[-1].file
    assert (timeouts.LOGIN_CHECK, timeouts.PROMPT_CHECK) == ("test_00_fresh_login.py", "test_40_test_prompt.py")
    assert registry.files_with(Role.NEEDS_TERMINAL) == ("test_00_fresh_login.py",)
    assert registry.files_with(Role.RUNS_CLI) == ("test_00_fresh_login.py", "test_20_claude_cli.py",
                                                  "test_40_test_prompt.py")
    assert registry.by_file("test_99_unknown.py") is None


SESSION_FILE_CHECKS = {"test_10_session_directory.py", "test_12_credentials_present.py",
                       "test_13_credentials_regular_file.py", "test_14_credentials_not_empty.py",
                       "test_15_credentials_readable.py", "test_16_credentials_valid.py",
                       "test_20_claude_cli.py", "test_60_directory_listing.py"}


@pytest.mark.parametrize("token_file, setup_token, expected", [
    (None, False, set()),
    ("token.txt", False, SESSION_FILE_CHECKS | {"test_00_fresh_login.py"}),
    (None, True, SESSION_FILE_CHECKS),  # --setup-token: the sign-in runs, so the login check applies
])
def test_which_checks_do_not_apply_to_a_credential_kind(token_file, setup_token, expected):
    kind = kind_of(token_file, setup_token)
    reasons = {check.file: registry.not_applicable(check.file, kind) for check in CHECKS}
    assert {name for name, reason in reasons.items() if reason} == expected
    if token_file:
        assert reasons["test_00_fresh_login.py"] == NO_SIGN_IN
    if expected:
        assert reasons["test_20_claude_cli.py"].startswith("setup-token mode does not use the CLI's logout")
        assert reasons["test_16_credentials_valid.py"].endswith("(the token's shape is judged when it is read)")
        assert reasons["test_10_session_directory.py"].startswith("setup-token mode ships one token")


def _test_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def _expand(ids: str) -> tuple[str, ...]:
    """README's IDs ("FR-007, SC-004, US3.1-3") one by one."""
    out: list[str] = []
    for part in (p.strip() for p in ids.split(",")):
        ranged = re.fullmatch(r"(US\d)\.(\d)-(\d)", part)
        if ranged:
            out += [f"{ranged[1]}.{n}" for n in range(int(ranged[2]), int(ranged[3]) + 1)]
        else:
            out.append(part)
    return tuple(out)


def _readme_rows() -> list[tuple[str, tuple[str, ...]]]:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("| check | requirements | passes when | usual fix |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        rows.append((cells[0].strip("`"), _expand(cells[1])))
    return rows


def test_the_readme_table_lists_the_registry():
    assert _readme_rows() == [(check.name, check.requirements) for check in CHECKS]


def test_the_readme_row_parser_sees_a_difference():
    assert _expand("FR-007, SC-004, US3.1-3") == ("FR-007", "SC-004", "US3.1", "US3.2", "US3.3")
    assert _readme_rows()[0] != ("test_00_fresh_login", ("FR-001", "FR-002", "SC-001", "US1.1"))


def test_each_check_docstring_names_the_registry_ids():
    for check in CHECKS:
        doc = ast.get_docstring(ast.parse((ROOT / "checks" / check.file).read_text(encoding="utf-8"))) or ""
        line = next((ln for ln in doc.splitlines() if ln.startswith("Requirements: ")), "")
        assert line == f"Requirements: {', '.join(check.requirements)}.", check.file


class _Item:
    """What plugin.pytest_itemcollected reads of a collected check."""

    def __init__(self, name: str, marker: bool = False) -> None:
        self.path = plugin.CHECKS_DIR / name
        self.nodeid = f"checks/{name}::test_x"
        self.markers = [pytest.mark.requirement("FR-001").mark] if marker else []

    def get_closest_marker(self, name):
        return next((m for m in self.markers if m.name == name), None)

    def add_marker(self, marker):
        self.markers.append(marker.mark)


def test_the_plugin_tags_a_check_with_the_registry_ids():
    item = _Item("test_38_secret_preview.py")
    plugin.pytest_itemcollected(item)
    assert [(m.name, m.args) for m in item.markers] == [
        ("requirement", ("FR-007", "SC-004", "US3.1", "US3.2", "US3.3"))]


def test_a_check_file_missing_from_the_registry_is_a_usage_error():
    with pytest.raises(pytest.UsageError, match=r"test_99_new\.py is not in the registry of checks.*Fix: add "
                       r"Check\(\"test_99_new\.py\""):
        plugin.pytest_itemcollected(_Item("test_99_new.py"))


def test_a_check_with_its_own_requirement_marker_is_a_usage_error():
    item = _Item("test_10_session_directory.py", marker=True)
    with pytest.raises(pytest.UsageError, match=r"not from its own @pytest\.mark\.requirement.*Fix: remove"):
        plugin.pytest_itemcollected(item)
    assert len(item.markers) == 1  # nothing added


def test_a_test_outside_checks_is_left_alone():
    item = SimpleNamespace(path=ROOT / "tests" / "test_x.py")
    plugin.pytest_itemcollected(item)  # no marker methods: any use would raise
    assert vars(item) == {"path": ROOT / "tests" / "test_x.py"}


def test_the_lower_layers_do_not_import_the_suite():
    """The registry lives in suite/ and reads kinds/; kinds/ and the layers below never read suite/."""
    package = ROOT / "claude_session_tokens"
    offenders = [v for v in violations(package) if "never imports suite/" in v]
    assert offenders == []
    assert ("claude_session_tokens.kinds.credential_kind"
            in {name for _, name in imported(ast.parse((package / "suite" / "registry.py").read_text()),
                                             "claude_session_tokens.suite.registry")})
