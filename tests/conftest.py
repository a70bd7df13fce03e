"""Fixtures for the project's own tests: throw-away profiles and a runner for the real checks."""

from __future__ import annotations

import os
import sys

import pytest
from helpers.fake_claude import FakeClaude
from helpers.profiles import ProfileBuilder
from helpers.runner import ChecksRunner

pytest_plugins = ["pytester"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: two workers per core. Much of this suite waits rather than computes (child
    processes at their time limits, the real CLI, pseudo-terminals), so a second worker per core
    fills that time; more than two made the pod tier's real CLI miss its refresh answer under load."""
    return 2 * (os.cpu_count() or 1)


@pytest.fixture
def profile(tmp_path) -> ProfileBuilder:
    """A fresh, valid Claude Max profile in a temporary directory (see helpers/profiles.py)."""
    return ProfileBuilder(tmp_path / "claude-config")


@pytest.fixture
def fake(tmp_path) -> FakeClaude:
    """The fake ``claude`` CLI (tests/fakes/) in a temporary bin directory; ``fake.control(mode)``
    picks how it behaves, ``fake.env()`` points a run at it (see helpers/fake_claude.py)."""
    return FakeClaude(tmp_path / "fake-bin")


@pytest.fixture
def checks(pytester, monkeypatch, tmp_path) -> ChecksRunner:
    """Runs the real ``checks/`` suite in a subprocess, its reports in a temporary directory."""
    return ChecksRunner(pytester, monkeypatch, tmp_path / "out")


@pytest.fixture(autouse=True)
def _never_the_real_keychain(tmp_path_factory, monkeypatch):
    """On a developer's Mac, checks run by the tests would ask the real login Keychain (the
    default --credentials-source is auto). An empty fake ``security`` first on PATH answers
    "no such item" instead; tests that need items put their own fake in front of it."""
    if sys.platform != "darwin":
        return
    from helpers.fake_security import FakeKeychain

    empty = FakeKeychain(tmp_path_factory.mktemp("empty-keychain"))
    monkeypatch.setenv("PATH", empty.path_with_fake())
