"""A fake ``claude`` CLI for what the real one cannot do offline: sign-in, and injected faults.

It behaves as ``/work/shared/domain.md`` describes Claude Code 2.1.332, not as a test would
find convenient:

- the profile is ``$CLAUDE_CONFIG_DIR``, else ``$HOME/.claude`` (``%USERPROFILE%`` on Windows);
  credentials in ``<profile>/.credentials.json``, the global config in
  ``$CLAUDE_CONFIG_DIR/.claude.json`` or ``$HOME/.claude.json``;
- ``-p`` writes a transcript into ``<profile>/projects/`` on every run (logged in or not) and
  rewrites the global config, as the real CLI does;
- authentication precedence: ``ANTHROPIC_AUTH_TOKEN``, ``ANTHROPIC_API_KEY``,
  ``CLAUDE_CODE_OAUTH_TOKEN``, then the stored session; a session counts only with a non-empty
  ``accessToken`` and the ``user:inference`` scope, else ``Not logged in · Please run /login``;
- errors go to stdout as a JSON result with ``"subtype": "success"`` and ``"is_error": true``,
  exit 1; stderr stays empty;
- fewer than 5 minutes left on the access token: refresh with rotation (new access and refresh
  token, written atomically, mode 0600), or, when the refresh fails, tokens wiped to empty;
- without ``CLAUDE_CODE_MAX_RETRIES=0`` an unreachable network takes ~185 s (10 retries);
- ``auth login`` prints the authorize URL and ``Paste code here if prompted >``; on a terminal
  it reads the pasted code (one line) and then writes new credentials; without a terminal it
  waits forever, as the real one does, unless the control file says ``"login_needs_tty": false``
  (the browser's callback completed the sign-in; then nothing is read);
- a login stopped with SIGINT (Ctrl+C, or the suite at ``--login-timeout``) exits 130 without a
  traceback, as the real one does; ``"login": "hang_raw"`` stands for a CLI that put the terminal
  into raw mode (as Ink does) and does not answer SIGINT: only the kill stops it, and the terminal
  stays raw unless the caller restores it;
- with ``"keychain": DIR`` (the directory of tests/helpers/fake_security.py's fake ``security``)
  it acts as the macOS CLI: the session lives in the Keychain item ``Claude Code-credentials``
  (``-<8 hex of sha256(CLAUDE_CONFIG_DIR)>``), account ``$USER``, and the file is used only when
  no item exists; logout deletes both.

Faults come from a JSON control file named by ``FAKE_CLAUDE_CONTROL`` (or ``FAKE_CLAUDE_MODE``):
``{"mode": "ok|hang|slow|crash|garbage|empty|401|network|rotate|refresh_fails|old|say|rotate_then_remove|
rotate_then_garble|rotate_then_fifo|rotate_then_half",
"delay": s, "orphan": true (``-p`` first starts a setsid'd grandchild that holds stdout and
outlives it), "stdout_hex": hex, "exit": n (``say``: write these raw bytes, exit n), "login": "new|restore|nothing|hang|hang_raw|fail", "login_tokens": {...}, "logout": "ok|fail",
"login_needs_tty": true, "keychain": dir, "log": path}``. Each invocation appends one JSON line to ``log``: argv, profile, cwd, the names
of credential variables it saw, ``CLAUDE_CODE_MAX_RETRIES``, and which credential it used
(as a fingerprint, never the token).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

VERSION = "2.1.332"
INFERENCE = "user:inference"
REFRESH_MARGIN_MS = 5 * 60 * 1000
AUTH_VARIABLES = ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN")
NOT_LOGGED_IN = "Not logged in · Please run /login"

AUTH_HELP = """Usage: claude auth [options] [command]

Manage authentication

Options:
  -h, --help        Display help for command

Commands:
  help [command]    display help for command
  login [options]   Sign in to your Anthropic account
  logout [options]  Log out from your Anthropic account
  status [options]  Show authentication status
"""
OLD_HELP = """Usage: claude [options] [command] [prompt]

Options:
  -p, --print       Print response and exit

Commands:
  config            Manage configuration
  mcp               Configure and manage MCP servers
  doctor            Check the health of your Claude Code auto-updater
  update            Check for updates and install if available
"""


def control() -> dict:
    path = os.environ.get("FAKE_CLAUDE_CONTROL")
    data = {}
    if path and Path(path).is_file():
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    if os.environ.get("FAKE_CLAUDE_MODE"):
        data["mode"] = os.environ["FAKE_CLAUDE_MODE"]
    return data


CONTROL = control()


def fp(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def home() -> Path:
    if sys.platform.startswith("win") and os.environ.get("USERPROFILE"):
        return Path(os.environ["USERPROFILE"])
    return Path(os.environ.get("HOME") or Path.home())


def profile() -> Path:
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        return Path(os.environ["CLAUDE_CONFIG_DIR"])
    return home() / ".claude"


def global_config() -> Path:
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        return Path(os.environ["CLAUDE_CONFIG_DIR"]) / ".claude.json"
    return home() / ".claude.json"


def log(**fields) -> None:
    path = CONTROL.get("log")
    if not path:
        return
    entry = {"argv": sys.argv[1:], "profile": str(profile()), "cwd": os.getcwd(), "pid": os.getpid(),
             "auth_variables": sorted(v for v in os.environ if v in AUTH_VARIABLES or "TOKEN" in v),
             "max_retries": os.environ.get("CLAUDE_CODE_MAX_RETRIES"),
             "home": os.environ.get("HOME"), **fields}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}")
    tmp.write_bytes(data)
    if os.name != "nt":
        tmp.chmod(0o600)
    os.replace(tmp, path)


# --- the macOS Keychain (only with "keychain" in the control file) -----------------------------

def keychain_file() -> Path | None:
    return Path(CONTROL["keychain"]) / "keychain.json" if CONTROL.get("keychain") else None


def keychain_item_key() -> tuple[str, str]:
    service = "Claude Code-credentials"
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        import unicodedata
        value = unicodedata.normalize("NFC", os.environ["CLAUDE_CONFIG_DIR"])
        service += "-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    user = os.environ.get("USER") or ""
    ok = user and all(c.isascii() and (c.isalnum() or c in "._-") for c in user)
    return service, user if ok else "claude-code-user"


def keychain_items() -> tuple[dict, list]:
    state = json.loads(keychain_file().read_text(encoding="utf-8"))
    return state, state.setdefault("items", [])


def keychain_read() -> bytes | None:
    service, account = keychain_item_key()
    for item in keychain_items()[1]:
        if item["service"] == service and item["account"] == account:
            return bytes.fromhex(item["hex"])
    return None


def keychain_store(data: bytes | None) -> None:
    """Replace (or, with None, delete) this profile's item."""
    service, account = keychain_item_key()
    state, items = keychain_items()
    items[:] = [i for i in items if not (i["service"] == service and i["account"] == account)]
    if data is not None:
        items.append({"service": service, "account": account, "hex": data.hex()})
    write_atomically(keychain_file(), json.dumps(state).encode())


def read_credentials() -> dict | None:
    raw = keychain_read() if keychain_file() else None
    try:
        if raw is None:
            raw = (profile() / ".credentials.json").read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_credentials(data: dict) -> None:
    blob = json.dumps(data, separators=(",", ":")).encode()
    if keychain_file():
        keychain_store(blob)
    else:
        write_atomically(profile() / ".credentials.json", blob)


def new_tokens(tag: str) -> dict:
    salt = secrets.token_hex(12)
    return {"accessToken": f"sk-ant-oat01-CANARY{tag}access{salt}",
            "refreshToken": f"sk-ant-ort01-CANARY{tag}refresh{salt}"}


def now_ms() -> int:
    return int(time.time() * 1000)


# --- -p --------------------------------------------------------------------------------------

def result(text: str, is_error: bool, status: int | None = None) -> int:
    print(json.dumps({"type": "result", "subtype": "success", "is_error": is_error, "result": text,
                      "api_error_status": status, "duration_ms": 12, "num_turns": 1,
                      "session_id": str(uuid.uuid4())}))
    return 1 if is_error else 0


def transcript(prompt: str) -> None:
    slug = "".join(c if c.isalnum() else "-" for c in os.getcwd())
    target = profile() / "projects" / slug / f"{uuid.uuid4()}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"type": "user", "message": {"content": prompt}}) + "\n", encoding="utf-8")
    config = global_config()
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data["numStartups"] = int(data.get("numStartups", 0)) + 1
    write_atomically(config, json.dumps(data, indent=2).encode())


def hang() -> int:
    """Hang, with a helper process that holds stdout open too (the whole tree must be killed)."""
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    log(event="hang", helper_pid=helper.pid)
    time.sleep(3600)
    return 0


def orphan() -> None:
    """A grandchild in a session of its own (setsid) that keeps stdout and stderr open and outlives
    this process: killing the CLI's process group does not reach it."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"], start_new_session=True)
    log(event="orphan", orphan_pid=child.pid)


def say() -> int:
    """Write the control file's ``stdout_hex`` bytes as they are (a hostile or broken CLI's message)."""
    sys.stdout.flush()
    os.write(1, bytes.fromhex(CONTROL.get("stdout_hex", "")))
    return int(CONTROL.get("exit", 1))


def prompt_run(prompt: str) -> int:
    mode = CONTROL.get("mode", "ok")
    transcript(prompt)
    if CONTROL.get("orphan"):
        orphan()
    if mode == "hang":
        return hang()
    if mode == "say":
        return say()
    if mode == "slow":
        time.sleep(float(CONTROL.get("delay", 3)))
    if mode == "crash":
        sys.stderr.write("file:///$bunfs/root/claude:1234\nTypeError: Cannot read properties of undefined "
                         "(reading 'map')\n    at run (file:///$bunfs/root/claude:1234:56)\n")
        return 134
    if mode == "empty":
        return 0
    for variable in AUTH_VARIABLES:  # precedence: these win over the stored session
        if os.environ.get(variable):
            log(used=variable)
            if mode == "network":
                return network()
            return result("ok", False)
    creds = read_credentials()
    oauth = creds.get("claudeAiOauth") if creds else None
    if (not isinstance(oauth, dict) or not oauth.get("accessToken")
            or INFERENCE not in (oauth.get("scopes") or [])):
        log(used=None)
        return result(NOT_LOGGED_IN, True)
    if mode == "network":
        return network()
    expires = oauth.get("expiresAt") if isinstance(oauth.get("expiresAt"), int) else 0
    needs_refresh = expires - now_ms() < REFRESH_MARGIN_MS or mode in ("rotate", "refresh_fails", *LOST_COPY)
    if needs_refresh:
        if mode == "refresh_fails" or not oauth.get("refreshToken"):
            oauth.update(accessToken="", refreshToken="", expiresAt=0)
            write_credentials(creds)
            log(used="session", refresh="failed")
            return result("Failed to authenticate: OAuth session expired and could not be refreshed", True)
        oauth.update(new_tokens("rotated"), expiresAt=now_ms() + 8 * 3600 * 1000)
        write_credentials(creds)
        log(used="session", refresh="rotated")
    else:
        log(used="session", session=fp(oauth["accessToken"]))
    if mode in LOST_COPY:  # injected faults: the rotated credentials are not there to be read back
        LOST_COPY[mode](profile() / ".credentials.json", oauth)
        log(lost_copy=mode)
        return result("ok", False)
    if mode == "401":
        return result('Failed to authenticate. API Error: 401 {"type":"error","error":{"type":'
                      '"authentication_error","message":"OAuth token has been revoked."}}', True, 401)
    if mode == "garbage":
        sys.stdout.write("<html><body>502 Bad Gateway</body></html>\x1b[31m\n"
                         f"debug: Authorization: Bearer {oauth['accessToken']} refresh={oauth.get('refreshToken')}\n")
        return 0
    return result("ok", False)


def _replace_with(path: Path, data: bytes | None, fifo: bool = False) -> None:
    path.unlink()
    if fifo:
        os.mkfifo(path)
    elif data is not None:
        path.write_bytes(data)


# After a refresh with rotation (mode "rotate" first), the copy's credentials are then: gone, not JSON,
# a FIFO (a reader that does not check would hang), or only half a session.
LOST_COPY = {
    "rotate_then_remove": lambda path, oauth: _replace_with(path, None),
    "rotate_then_garble": lambda path, oauth: _replace_with(path, b'{"claudeAiOauth": {"accessT'),
    "rotate_then_fifo": lambda path, oauth: _replace_with(path, None, fifo=True),
    "rotate_then_half": lambda path, oauth: _replace_with(path, json.dumps(
        {"claudeAiOauth": {**oauth, "refreshToken": ""}}).encode()),
}


def network() -> int:
    if os.environ.get("CLAUDE_CODE_MAX_RETRIES") != "0":
        time.sleep(185)  # ten retries with back-off, as the real CLI does
    return result("API Error: Can't reach the API server — check your internet or DNS (ENOTFOUND)", True)


# --- auth ------------------------------------------------------------------------------------

def auth(args: list[str]) -> int:
    if not args or args[0] not in ("login", "logout", "status"):
        print(AUTH_HELP, end="")  # like the real CLI: unknown sub-commands show this list, exit 0
        return 0
    command = args[0]
    if "--help" in args or "-h" in args:
        print(f"Usage: claude auth {command} [options]")
        return 0
    if command == "status":
        creds = read_credentials()
        oauth = creds.get("claudeAiOauth") if creds else None
        logged_in = isinstance(oauth, dict) and bool(oauth.get("accessToken"))
        print(json.dumps({"loggedIn": logged_in, "authMethod": "claude.ai" if logged_in else "none"}))
        return 0 if logged_in else 1
    if command == "logout":
        log(event="logout")
        if CONTROL.get("logout") == "fail":
            print("Failed to log out: EACCES")
            return 1
        (profile() / ".credentials.json").unlink(missing_ok=True)
        if keychain_file():
            keychain_store(None)
        config = global_config()
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.pop("oauthAccount", None) is not None:
                write_atomically(config, json.dumps(data, indent=2).encode())
        except (OSError, ValueError):
            pass
        print("Successfully logged out from your Anthropic account.")
        return 0
    if command == "login":
        how = CONTROL.get("login", "new")
        tty = stdin_is_tty()
        log(event="login", login=how, tty=tty)
        print("Opening browser to sign in…")
        print("If the browser didn't open, visit: https://claude.ai/oauth/authorize?code=true&client_id=fake")
        if how == "hang":  # the user never finishes the sign-in
            try:
                time.sleep(3600)
            except KeyboardInterrupt:
                log(event="login_interrupted")
                return 130
        if how == "hang_raw":  # raw mode, SIGINT ignored: killed, it cannot restore the terminal
            import signal
            import tty
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            tty.setraw(sys.stdin.fileno())
            log(event="login_raw")
            time.sleep(3600)
        if tty:
            sys.stdout.write("Paste code here if prompted > ")
            sys.stdout.flush()
            code = sys.stdin.readline().strip()
            log(event="login_code", received=bool(code))
            if not code:
                print("Login failed: no authorization code was entered")
                return 1
        elif CONTROL.get("login_needs_tty", True):
            log(event="login_waits", reason="no terminal to read the code from")
            time.sleep(3600)  # the real login without a terminal waits forever (docs/claude-cli-facts.md, Commands)
            return 1
        if how == "fail":
            print("Login failed: OAuth error: invalid_request")
            return 1
        if how == "nothing":
            return 0
        tokens = CONTROL.get("login_tokens") if how == "restore" else new_tokens("login")
        write_credentials({"claudeAiOauth": {
            **tokens, "expiresAt": now_ms() + 8 * 3600 * 1000,
            "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
            "subscriptionType": "max", "rateLimitTier": "default_claude_max_20x"}})
        config = global_config()
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data["oauthAccount"] = {"accountUuid": "00000000-0000-4000-8000-000000000001",
                                "emailAddress": "dev@example.com"}
        write_atomically(config, json.dumps(data, indent=2).encode())
        print("Login successful.")
        return 0
    return 0


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (OSError, ValueError):
        return False


def main(argv: list[str]) -> int:
    mode = CONTROL.get("mode", "ok")
    if argv[:1] in (["--version"], ["-v"]):
        print(f"{CONTROL.get('version', '0.2.9' if mode == 'old' else VERSION)} (Claude Code)")
        return 0
    if argv[:1] == ["auth"]:
        if mode == "old":  # before `claude auth`: the word is taken as a prompt, --help shows the top level
            print(OLD_HELP, end="")
            return 0
        return auth(argv[1:])
    if argv[:1] in (["login"], ["logout"]):
        print(f"{argv[0]} isn't a Claude Code command. To sign in, run claude auth login")
        return 1
    if "-p" in argv or "--print" in argv:
        flag = "-p" if "-p" in argv else "--print"
        index = argv.index(flag)
        prompt = argv[index + 1] if index + 1 < len(argv) else ""
        log(event="prompt")
        return prompt_run(prompt)
    print("fake claude: interactive sessions are not simulated")
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:  # as the real CLI: Ctrl+C at any moment ends it with 130, no traceback
        sys.exit(130)
