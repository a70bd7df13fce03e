"""Run the real ``checks/`` suite as a user would, and read what it reported."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from .in_process import run_main

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ROOT / "checks"
# pytest plugins this machine happens to have that are no part of the product: importing
# hypothesis alone costs ~1 s per run of the checks. Blocking an absent plugin is harmless.
UNRELATED_PLUGINS_OFF = ("-p", "no:hypothesispytest", "-p", "no:benchmark")


@dataclass
class Testcase:
    name: str
    file: str
    outcome: str  # passed, failed, error, skipped
    message: str
    properties: list[tuple[str, str]]

    def requirements(self) -> list[str]:
        return [v for k, v in self.properties if k == "requirement"]

    def prop(self, name: str) -> list[str]:
        return [v for k, v in self.properties if k == name]


@dataclass
class ChecksRun:
    ret: int
    stdout: str
    stderr: str
    junit_path: Path
    summary_path: Path
    out_dir: Path

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def testcases(self) -> dict[str, Testcase]:
        """Testcases of the JUnit XML by function name."""
        root = ET.parse(self.junit_path).getroot()
        cases = {}
        for case in root.iter("testcase"):
            outcome, message = "passed", ""
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = {"failure": "failed"}.get(tag, tag)
                    message = (node.get("message") or "") + "\n" + (node.text or "")
            props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
            cases[case.get("name")] = Testcase(case.get("name"), case.get("file", ""), outcome, message, props)
        return cases

    def suite_properties(self) -> dict[str, str]:
        root = ET.parse(self.junit_path).getroot()
        suite = root if root.tag == "testsuite" else root.find("testsuite")
        props = suite.find("properties")
        return {p.get("name"): p.get("value") for p in (props if props is not None else [])}

    def every_text(self) -> str:
        """All output and every report file the run wrote, for leak checks."""
        parts = [self.stdout, self.stderr]
        for path in sorted(self.out_dir.rglob("*")):
            if path.is_file():
                parts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(parts)


class ChecksRunner:
    """``checks.run(*args)`` runs ``pytest <ROOT>/checks *args``, in this process unless told."""

    def __init__(self, pytester, monkeypatch, out_dir: Path) -> None:
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        self.out_dir = out_dir

    def run(self, *args: str, paths: tuple[str, ...] = (), env: dict[str, str | None] | None = None,
            timeout: float = 120, modes_apply: bool = False, inline: bool = True) -> ChecksRun:
        """``inline=True`` (the default): ``pytest.main`` in this process (helpers/in_process.py),
        which saves starting Python and importing pytest for every run, and a test's
        monkeypatching (e.g. helpers/simulate.py's simulated platform) applies to the checks.
        ``inline=False``: a ``pytest`` child (``timeout`` limits it), for a test about the process:
        its exit by a signal, what reaches its file descriptors (the CLI's children included),
        its interpreter's exit. ``modes_apply=True``: a child that cannot bypass file modes,
        even as root (helpers/privileges.py)."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        junit = self.out_dir / "junit.xml"
        targets = [str(CHECKS / p) for p in paths] or [str(CHECKS)]
        argv = [*targets, f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"), *UNRELATED_PLUGINS_OFF,
                f"--junitxml={junit}", f"--reports-dir={self.out_dir}", *args]
        for key, value in (env or {}).items():  # None removes a variable
            if value is None:
                self.monkeypatch.delenv(key, raising=False)
            else:
                self.monkeypatch.setenv(key, value)
        if modes_apply:
            return self._run_with_modes_applying(argv, timeout)
        if inline:
            done = run_main(pytest.main, argv, "pytest", cwd=self.pytester.path, path0=self.pytester.path)
            return ChecksRun(done.returncode, done.stdout, done.stderr, junit, self.out_dir / "summary.md",
                             self.out_dir)
        result = self.pytester.runpytest_subprocess(*argv, timeout=timeout)
        return ChecksRun(result.ret, result.stdout.str(), result.stderr.str(), junit,
                         self.out_dir / "summary.md", self.out_dir)

    def _run_with_modes_applying(self, argv: list[str], timeout: float) -> ChecksRun:
        from .privileges import drop_file_permission_override

        basetemp = self.pytester.path / "basetemp-modes-apply"
        cmd = [sys.executable, "-m", "pytest", f"--basetemp={basetemp}", *argv]
        proc = subprocess.run(cmd, cwd=self.pytester.path, capture_output=True, text=True,
                              errors="replace", timeout=timeout,
                              preexec_fn=drop_file_permission_override)
        return ChecksRun(proc.returncode, proc.stdout, proc.stderr, self.out_dir / "junit.xml",
                         self.out_dir / "summary.md", self.out_dir)
