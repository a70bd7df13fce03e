"""Verify the Claude session and render it as a Kubernetes Secret (stub until the render issue lands)."""

import sys

import pytest

if __name__ == "__main__":
    sys.exit(pytest.main(["checks", *sys.argv[1:]]))
