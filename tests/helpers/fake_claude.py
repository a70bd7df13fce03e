"""Install the fake ``claude`` (tests/fakes/) into a test's temporary directory and steer it.

``FakeClaude.bin`` is the executable to pass with ``--claude-bin`` (the POSIX shim, or the
``.cmd`` shim on Windows); ``control(mode=..., ...)`` writes the control file the fake reads;
``env()`` gives the variables a run needs (the control file, the Python that runs the fake);
``calls()`` reads what the fake logged, one dict per event.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

FAKES = Path(__file__).resolve().parents[1] / "fakes"


class FakeClaude:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        for name in ("claude_fake.py", "claude", "claude.cmd"):
            shutil.copy2(FAKES / name, directory / name)
        if os.name != "nt":
            (directory / "claude").chmod(0o755)
        self.control_file = directory / "control.json"
        self.log_file = directory / "calls.jsonl"
        self.control()

    @property
    def bin(self) -> Path:
        return self.dir / ("claude.cmd" if os.name == "nt" else "claude")

    def control(self, mode: str = "ok", **fields) -> FakeClaude:
        data = {"mode": mode, "log": str(self.log_file), **fields}
        self.control_file.write_text(json.dumps(data), encoding="utf-8")
        return self

    def env(self) -> dict[str, str]:
        return {"FAKE_CLAUDE_CONTROL": str(self.control_file), "FAKE_CLAUDE_PYTHON": sys.executable}

    def calls(self) -> list[dict]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text(encoding="utf-8").splitlines() if line]

    def events(self, name: str) -> list[dict]:
        return [c for c in self.calls() if c.get("event") == name]


def process_gone(pid: int, wait: float = 5.0) -> bool:
    """True when process ``pid`` has ended (a zombie awaiting its reaper counts as ended). POSIX."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    return True
        except OSError:
            pass  # no /proc (macOS): rely on kill(0) alone
        time.sleep(0.1)
    return False
