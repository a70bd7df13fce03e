"""A fake macOS ``security`` command for the Keychain tests
(docs/claude-cli-facts.md, Where the session lives).

``FakeKeychain(directory)`` puts an executable ``security`` (and ``security.cmd`` for Windows
runners) into ``directory``; prepend that directory to PATH. It answers
``security find-generic-password -a ACCOUNT [-w] -s SERVICE`` and
``security delete-generic-password -a ACCOUNT -s SERVICE`` like the real one:

- the item (matched by service *and* account) exists: its data on stdout and a newline, exit 0
  (``delete-generic-password``: the item is removed, its attributes and "password has been
  deleted." on stdout, never its data, exit 0);
- no such item: ``security: SecKeychainSearchCopyNext: The specified item could not be found
  in the keychain.`` on stderr, exit 44;
- state ``locked``: "User interaction is not allowed.", exit 36;
- state ``denied``: "The user name or passphrase you entered is not correct.", exit 51;
- state ``canceled``: "User canceled the operation.", exit 128;
- state ``deny-delete``: lookups answer, deletions fail as for an item whose access control
  does not let ``security`` change it ("The user name or passphrase you entered is not
  correct.", exit 51).

Every call's argv is appended to ``calls.jsonl`` so a test can prove what was asked and that
no token was on the command line.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

_SCRIPT = r'''
import json, sys
from pathlib import Path
HERE = Path(__file__).resolve().parent
state = json.loads((HERE / "keychain.json").read_text())
with open(HERE / "calls.jsonl", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if not args or args[0] not in ("find-generic-password", "delete-generic-password"):
    sys.stderr.write("security: unknown command in this fake\n"); sys.exit(2)
delete = args[0] == "delete-generic-password"
opts, i, show = {}, 1, False
while i < len(args):
    if args[i] == "-w" and not delete:
        show = True; i += 1
    elif args[i] in ("-a", "-s") and i + 1 < len(args):
        opts[args[i]] = args[i + 1]; i += 2
    else:
        sys.stderr.write("security: bad option " + args[i] + "\n"); sys.exit(2)
mode = state.get("mode", "normal")
ERRORS = {
    "locked": (36, "User interaction is not allowed."),
    "denied": (51, "The user name or passphrase you entered is not correct."),
    "canceled": (128, "User canceled the operation."),
    "nokeychain": (37, "A default keychain could not be found."),
}
if mode == "deny-delete" and delete:
    mode = "denied"
if mode in ERRORS:
    code, text = ERRORS[mode]
    sys.stderr.write("security: SecKeychainSearchCopyNext: " + text + "\n"); sys.exit(code)
for item in state.get("items", []):
    if item["service"] == opts.get("-s") and item["account"] == opts.get("-a"):
        if delete:
            state["items"].remove(item)
            tmp = HERE / "keychain.json.tmp"
            tmp.write_text(json.dumps(state)); tmp.replace(HERE / "keychain.json")
            sys.stdout.write('keychain: "/Users/dev/Library/Keychains/login.keychain-db"\nclass: "genp"\n'
                             'attributes:\n    "acct"<blob>="' + item["account"] + '"\n'
                             '    "svce"<blob>="' + item["service"] + '"\npassword has been deleted.\n')
            sys.exit(0)
        if show:
            data = bytes.fromhex(item["hex"])
            sys.stdout.buffer.write(data + b"\n")
        else:
            sys.stdout.write('keychain: "/Users/dev/Library/Keychains/login.keychain-db"\n')
        sys.exit(0)
sys.stderr.write("security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n")
sys.exit(44)
'''


class FakeKeychain:
    """A login Keychain behind a fake ``security`` executable in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.items: list[dict] = []
        self.mode = "normal"
        script = self.dir / "fake_security.py"
        script.write_text(_SCRIPT)
        posix = self.dir / "security"
        posix.write_text(f"#!{sys.executable}\n" + _SCRIPT)
        posix.chmod(posix.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        # Windows runners find security.cmd through PATHEXT
        (self.dir / "security.cmd").write_text(f'@"{sys.executable}" "{script}" %*\r\n')
        self._save()

    @property
    def executable(self) -> str:
        return str(self.dir / ("security.cmd" if os.name == "nt" else "security"))

    def add(self, service: str, account: str, data: bytes | str) -> FakeKeychain:
        raw = data.encode() if isinstance(data, str) else data
        self.items.append({"service": service, "account": account, "hex": raw.hex()})
        self._save()
        return self

    def set_mode(self, mode: str) -> FakeKeychain:
        """``normal``, ``locked``, ``denied``, ``canceled``, ``nokeychain`` or ``deny-delete``."""
        self.mode = mode
        self._save()
        return self

    def calls(self) -> list[list[str]]:
        log = self.dir / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line]

    def stored(self) -> list[dict]:
        """The items as the fake holds them now (``service``, ``account``, ``hex`` of the data)."""
        return json.loads((self.dir / "keychain.json").read_text())["items"]

    def path_with_fake(self, path: str | None = None) -> str:
        """PATH with this fake first."""
        rest = os.environ.get("PATH", "") if path is None else path
        return str(self.dir) + (os.pathsep + rest if rest else "")

    def _save(self) -> None:
        (self.dir / "keychain.json").write_text(json.dumps({"mode": self.mode, "items": self.items}))
