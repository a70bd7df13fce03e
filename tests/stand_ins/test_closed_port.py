"""The "unreachable API" helper refuses connections every time (review 3.3: no bind-release race)."""

from __future__ import annotations

import socket

import pytest
from helpers.real_cli import closed_port


def test_closed_port_refuses_connections_and_stays_reserved():
    port = closed_port()
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", port))  # nobody else can take it while the tests run
