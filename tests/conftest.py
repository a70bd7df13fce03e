"""Fixtures for the project's own tests: throw-away profiles and a runner for the real checks."""

from __future__ import annotations

import pytest

from helpers.profiles import ProfileBuilder
from helpers.runner import ChecksRunner

pytest_plugins = ["pytester"]


@pytest.fixture
def profile(tmp_path) -> ProfileBuilder:
    """A fresh, valid Claude Max profile in a temporary directory (see helpers/profiles.py)."""
    return ProfileBuilder(tmp_path / "claude-config")


@pytest.fixture
def checks(pytester, monkeypatch, tmp_path) -> ChecksRunner:
    """Runs the real ``checks/`` suite in a subprocess, its reports in a temporary directory."""
    return ChecksRunner(pytester, monkeypatch, tmp_path / "out")
