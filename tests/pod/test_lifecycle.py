"""The pod life cycle with real parts: does the agent stay signed in across pods?

The examples' init commands are parsed from the YAML and run by the real busybox ``sh`` in a
private mount namespace, with the Secret volume (laid out and updated as the kubelet does,
helpers/kubelet_volume.py) and the config volume mounted where the manifest says, as the pod's
user (helpers/pod.py). The agent is the real ``claude -p`` with the manifest's env, against the
local Messages API and an OAuth stand-in whose refresh tokens work exactly once
(``TokenChain`` in helpers/oauth_proxy.py). Tokens are compared by name ("login1 R2"), never
printed. See docs/pod-lifecycle.md for the facts this relies on.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import pod
from helpers.kubelet_volume import KubeletSecretVolume
from helpers.leaks import assert_no_leak
from helpers.messages_api import MessagesAPI
from helpers.oauth_proxy import OAuthRefreshProxy, TokenChain
from helpers.profiles import now_ms, oauth_entry
from helpers.real_cli import QUIET, real_claude
from helpers.throwaway_ca import mint

pytestmark = [pytest.mark.pod, pytest.mark.realcli]

TOKEN_HOST = "platform.claude.com"
STATEFULSET = "claude-agent-statefulset.yaml"
EMPTYDIR = "claude-agent-emptydir.yaml"
MARKER = ".seeded-from-secret.sha256"
RECAPTURE = "python render_secret.py --fresh-login"
SOON = 60 * 1000  # expiresAt one minute ahead: the CLI refreshes before its first request


class Files(dict):
    """A Secret's files (key -> bytes); its repr hides the contents (tokens), even under ``-l``."""

    def __repr__(self) -> str:
        return f"<Secret files {sorted(self)}: contents masked>"


class Tokens(tuple):
    """(access, refresh) of a capture; its repr hides the values."""

    def __repr__(self) -> str:
        return "<tokens masked>"


@dataclass
class AgentRun:
    run: pod.Run
    result: dict
    api: list[str]  # "login1 A2 -> 200" per Messages call of this run
    refreshes: list[str]  # the refresh tokens presented, by name

    @property
    def ok(self) -> bool:
        return self.run.returncode == 0 and self.result.get("is_error") is False and self.result.get("result") == "ok"

    def seen(self) -> tuple:
        return self.api, self.refreshes, self.result.get("result")


class Cluster:
    """One throw-away "node": a base dir, the busybox image, the CA, the API and OAuth stand-ins."""

    def __init__(self, base: Path, chain: TokenChain, api: MessagesAPI, proxy: OAuthRefreshProxy,
                 image: Path) -> None:
        self.base, self.chain, self.api, self.proxy, self.image = base, chain, api, proxy, image
        self._count = 0

    def _dir(self, kind: str) -> Path:
        self._count += 1
        return self.base / f"{kind}-{self._count}"

    def capture(self, expires_in_ms: int = SOON) -> tuple[Files, Tokens]:
        """A new login, as the files a rendered Secret carries (the CLI writes one-line JSON)."""
        access, refresh = self.chain.login()
        credentials = {"claudeAiOauth": oauth_entry(accessToken=access, refreshToken=refresh,
                                                    expiresAt=now_ms() + expires_in_ms)}
        config = {"hasCompletedOnboarding": True,
                  "oauthAccount": {"accountUuid": "00000000-0000-4000-8000-000000000001",
                                   "emailAddress": "dev@example.com"}}
        files = Files({".credentials.json": json.dumps(credentials, separators=(",", ":")).encode(),
                       ".claude.json": json.dumps(config, separators=(",", ":")).encode()})
        return files, Tokens((access, refresh))

    def secret(self, manifest: pod.Manifest, files: dict[str, bytes]) -> KubeletSecretVolume:
        volume = KubeletSecretVolume(self._dir("secret"), manifest.secret_mode(), pod.user(manifest)[1])
        volume.write(files)
        return volume

    def volume(self, manifest: pod.Manifest, mode: int = 0o2775) -> Path:
        return pod.persistent_volume(self._dir("volume"), pod.user(manifest)[1], mode)

    def init(self, manifest: pod.Manifest, secret: KubeletSecretVolume, config: Path) -> pod.Run:
        names = {manifest.secret_volume(): secret.directory, "claude-config": config}
        run = pod.run_init(manifest, self.image, names)
        assert_no_leak(run.output, "the init container's output", self.chain.tokens())
        return run

    def agent(self, manifest: pod.Manifest, config: Path) -> AgentRun:
        """The real ``claude -p`` as the agent container, with a fresh /tmp (a new pod's emptyDir)."""
        tmp = self._dir("tmp")
        tmp.mkdir()
        tmp.chmod(0o1777)
        api_before, refresh_before = len(self.api.messages_calls()), len(self.proxy.refresh_tokens_seen)
        env = {**QUIET, **self.proxy.environment(), "ANTHROPIC_BASE_URL": self.api.url}
        argv = [str(real_claude()), "-p", "Reply with the single word: ok", "--output-format", "json"]
        run = pod.run_agent(manifest, {"claude-config": config, "tmp": tmp}, argv, env)
        try:
            result = json.loads(run.stdout)
        except ValueError:
            result = {}
        calls = self.api.messages_calls()[api_before:]
        api = [f"{self.chain.name(c.bearer)} -> {c.status}" for c in calls]
        refreshes = self.chain.names(self.proxy.refresh_tokens_seen[refresh_before:])
        shutil.rmtree(tmp)
        return AgentRun(run, result if isinstance(result, dict) else {}, api, refreshes)

    def tokens_on(self, config: Path) -> list[str]:
        oauth = json.loads((config / ".credentials.json").read_bytes())["claudeAiOauth"]
        return self.chain.names([oauth["accessToken"], oauth["refreshToken"]])


@pytest.fixture(scope="module")
def cluster():
    if not sys.platform.startswith("linux"):
        pytest.skip("the pod tier emulates a Linux node (busybox, mount namespaces): Linux only")
    ready, why = pod.supported()
    if not ready:
        pytest.fail(f"The pod tier cannot run here: {why}.", pytrace=False)
    # outside pytest's 0700 temporary root, so that the pod's user (uid 1000) can reach it
    base = Path(tempfile.mkdtemp(prefix="cst-pod-", dir="/var/tmp"))
    try:
        base.chmod(0o711)
        certificates = mint(base / "ca", TOKEN_HOST)
        (base / "ca").chmod(0o755)
        certificates.ca_cert.chmod(0o644)
        mounts = [m["mountPath"] for name in (STATEFULSET, EMPTYDIR) for m in pod.Manifest.load(name).init["volumeMounts"]]
        image = pod.busybox_image(base / "busybox-image", mounts)
        chain = TokenChain()
        with MessagesAPI(accepts=chain.accepts) as api, OAuthRefreshProxy(certificates, chain=chain) as proxy:
            yield Cluster(base, chain, api, proxy, image)
    finally:
        shutil.rmtree(base, ignore_errors=True)  # the volumes hold (canary) tokens: nothing stays


@pytest.fixture(scope="module")
def sts() -> pod.Manifest:
    return pod.Manifest.load(STATEFULSET)


def assert_pod_owned(config: Path, uid: int, names=(".credentials.json", ".claude.json", MARKER)) -> None:
    for name in names:
        info = (config / name).lstat()
        assert stat.S_ISREG(info.st_mode), f"{name} is not a regular file"
        assert stat.S_IMODE(info.st_mode) == 0o600, f"{name}: mode {oct(stat.S_IMODE(info.st_mode))}"
        assert info.st_uid == uid, f"{name}: owner {info.st_uid}"
    leftovers = [p.name for p in config.iterdir() if p.name.endswith(".seeding")]
    assert leftovers == []


def uid(manifest: pod.Manifest) -> int:
    return pod.user(manifest)[0]


def sha256(data: bytes) -> str:
    """Files with tokens are compared by digest: a failed comparison never shows their bytes."""
    return hashlib.sha256(data).hexdigest()


def digest(path: Path) -> str:
    return sha256(path.read_bytes())


def capture_id(credentials: bytes) -> str:
    """How the init names a capture in its marker: the sha256 of its refresh token."""
    return sha256(json.loads(credentials)["claudeAiOauth"]["refreshToken"].encode())


class Content:
    """A test's credentials file content; its repr hides the (canary) tokens, even under ``-l``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __repr__(self) -> str:
        return f"<{len(self.data)} bytes, masked>"


@dataclass
class FirstPod:
    secret: KubeletSecretVolume
    files: dict[str, bytes]
    config: Path
    run: AgentRun


@pytest.fixture
def first_pod(cluster, sts) -> FirstPod:
    """A capture applied, the first pod started: its init seeds the PV, its agent refreshes."""
    files, _ = cluster.capture()
    secret = cluster.secret(sts, files)
    config = cluster.volume(sts)
    init = cluster.init(sts, secret, config)
    assert init.returncode == 0, init.output
    assert "from the capture in the Secret" in init.stdout
    assert (config / MARKER).read_text().split() == [capture_id(files[".credentials.json"])]
    assert digest(config / ".credentials.json") == sha256(files[".credentials.json"])
    assert_pod_owned(config, uid(sts))
    agent = cluster.agent(sts, config)
    assert agent.ok, agent.seen()
    return FirstPod(secret, files, config, agent)


# --- the StatefulSet example --------------------------------------------------------------------

def test_first_pod_refreshes_and_the_volume_holds_the_new_tokens(cluster, sts, first_pod):
    assert len(first_pod.run.refreshes) == 1 and first_pod.run.refreshes[0].endswith(" R1"), first_pod.run.seen()
    login = first_pod.run.refreshes[0].split()[0]
    assert first_pod.run.api == [f"{login} A2 -> 200"], first_pod.run.seen()
    assert cluster.tokens_on(first_pod.config) == [f"{login} A2", f"{login} R2"]
    # the CLI's own rewrite is a regular 0600 file of the pod's user too; the marker is unchanged
    assert_pod_owned(first_pod.config, uid(sts))
    assert (first_pod.config / MARKER).read_text().split() == [capture_id(first_pod.files[".credentials.json"])]


def test_init_rerun_in_the_same_pod_keeps_the_refreshed_tokens(cluster, sts, first_pod):
    refreshed = digest(first_pod.config / ".credentials.json")
    again = cluster.init(sts, first_pod.secret, first_pod.config)
    assert again.returncode == 0, again.output
    assert "kept the session on the volume" in again.stdout
    assert digest(first_pod.config / ".credentials.json") == refreshed
    assert_pod_owned(first_pod.config, uid(sts))
    agent = cluster.agent(sts, first_pod.config)
    login = first_pod.run.refreshes[0].split()[0]
    assert agent.ok and agent.api == [f"{login} A2 -> 200"] and agent.refreshes == [], agent.seen()


def test_replacement_pod_keeps_working(cluster, sts, first_pod):
    login = first_pod.run.refreshes[0].split()[0]
    # a new pod: the StatefulSet's claim comes back, init runs again, fresh /tmp and HOME
    init = cluster.init(sts, first_pod.secret, first_pod.config)
    assert init.returncode == 0 and "kept the session on the volume" in init.stdout, init.output
    agent = cluster.agent(sts, first_pod.config)
    assert agent.ok, agent.seen()
    assert agent.api == [f"{login} A2 -> 200"] and agent.refreshes == [], agent.seen()
    assert cluster.tokens_on(first_pod.config) == [f"{login} A2", f"{login} R2"]


def test_eight_hours_later_a_replacement_pod_refreshes_again(cluster, sts, first_pod):
    login = first_pod.run.refreshes[0].split()[0]
    cluster.chain.expire_access_tokens()  # the service no longer accepts A2 (its ~8 h are over)
    init = cluster.init(sts, first_pod.secret, first_pod.config)
    assert init.returncode == 0 and "kept the session on the volume" in init.stdout, init.output
    agent = cluster.agent(sts, first_pod.config)
    assert agent.ok, agent.seen()
    # the 401 on A2 made the CLI refresh with R2 (live, from the volume), never with the spent R1
    assert agent.refreshes == [f"{login} R2"], agent.seen()
    assert agent.api == [f"{login} A2 -> 401", f"{login} A3 -> 200"], agent.seen()
    assert cluster.tokens_on(first_pod.config) == [f"{login} A3", f"{login} R3"]
    assert_pod_owned(first_pod.config, uid(sts))


def test_a_new_capture_applied_to_the_secret_is_used_by_the_next_pod(cluster, sts, first_pod):
    old_login = first_pod.run.refreshes[0].split()[0]
    files, tokens = cluster.capture()
    first_pod.secret.write(files)  # kubectl apply of the new Secret: the kubelet swaps ..data
    new_login = cluster.chain.name(tokens[1]).split()[0]
    assert new_login != old_login
    init = cluster.init(sts, first_pod.secret, first_pod.config)
    assert init.returncode == 0 and "from the capture in the Secret" in init.stdout, init.output
    # the marker now lists both captures, the new one last
    assert (first_pod.config / MARKER).read_text().split() == [capture_id(first_pod.files[".credentials.json"]),
                                                               capture_id(files[".credentials.json"])]
    assert digest(first_pod.config / ".credentials.json") == sha256(files[".credentials.json"])
    assert_pod_owned(first_pod.config, uid(sts))
    agent = cluster.agent(sts, first_pod.config)
    assert agent.ok, agent.seen()
    assert agent.refreshes == [f"{new_login} R1"] and agent.api == [f"{new_login} A2 -> 200"], agent.seen()
    assert not any(name.startswith(old_login) for name in agent.api + agent.refreshes)
    assert cluster.tokens_on(first_pod.config) == [f"{new_login} A2", f"{new_login} R2"]

    # the older Secret applied again (a GitOps rollback): never seeded again, its tokens are spent
    first_pod.secret.write(first_pod.files)
    rollback = cluster.init(sts, first_pod.secret, first_pod.config)
    assert rollback.returncode == 0 and "kept the session on the volume" in rollback.stdout, rollback.output
    assert cluster.tokens_on(first_pod.config) == [f"{new_login} A2", f"{new_login} R2"]
    assert cluster.agent(sts, first_pod.config).ok


def test_a_dead_session_without_a_newer_capture_stops_the_init_with_the_recapture_command(cluster, sts):
    files, tokens = cluster.capture()
    secret = cluster.secret(sts, files)
    config = cluster.volume(sts)
    assert cluster.init(sts, secret, config).returncode == 0
    # the laptop refreshed first (no hand-off): the capture's R1 is spent before the pod uses it
    assert cluster.chain.refresh(tokens[1]) is not None
    agent = cluster.agent(sts, config)
    assert not agent.ok and "OAuth session expired and could not be refreshed" in str(agent.result.get("result"))
    assert len(agent.refreshes) == 1 and agent.refreshes[0].endswith(" R1"), agent.seen()
    wiped = json.loads((config / ".credentials.json").read_bytes())["claudeAiOauth"]
    assert (wiped["accessToken"], wiped["refreshToken"], wiped["expiresAt"]) == ("", "", 0)  # the CLI's wipe
    before = digest(config / ".credentials.json")

    stopped = cluster.init(sts, secret, config)  # the next pod, with no newer capture in the Secret
    assert stopped.returncode != 0
    assert "is spent" in stopped.stdout and "the Secret holds no newer capture" in stopped.stdout
    assert RECAPTURE in stopped.stdout
    assert digest(config / ".credentials.json") == before  # the init changed nothing

    fresh, _ = cluster.capture()  # recapture, applied: the next pod starts again
    secret.write(fresh)
    recovered = cluster.init(sts, secret, config)
    assert recovered.returncode == 0 and "seeded" in recovered.stdout, recovered.output
    assert cluster.agent(sts, config).ok


# --- the emptyDir baseline: shown to lose the session ----------------------------------------------

def test_the_emptydir_example_loses_the_session_on_replacement(cluster):
    manifest = pod.Manifest.load(EMPTYDIR)
    files, _ = cluster.capture()
    secret = cluster.secret(manifest, files)
    first = cluster.volume(manifest, 0o2777)  # an emptyDir as the kubelet makes it
    assert cluster.init(manifest, secret, first).returncode == 0
    agent = cluster.agent(manifest, first)
    assert agent.ok, agent.seen()
    login = agent.refreshes[0].split()[0]
    assert cluster.tokens_on(first) == [f"{login} A2", f"{login} R2"]

    # its init re-run in the same pod copies the spent capture over the refreshed tokens
    rerun = cluster.init(manifest, secret, first)
    assert rerun.returncode == 0
    assert cluster.tokens_on(first) == [f"{login} A1", f"{login} R1"]

    replacement = cluster.volume(manifest, 0o2777)  # a new pod: a new, empty emptyDir
    assert cluster.init(manifest, secret, replacement).returncode == 0
    lost = cluster.agent(manifest, replacement)
    assert not lost.ok, lost.seen()
    assert lost.refreshes == [f"{login} R1"], lost.seen()  # the spent one: invalid_grant
    assert "OAuth session expired and could not be refreshed" in str(lost.result.get("result"))
    wiped = json.loads((replacement / ".credentials.json").read_bytes())["claudeAiOauth"]
    assert (wiped["accessToken"], wiped["refreshToken"]) == ("", "")


# --- the init script's edge cases (busybox only, no CLI) ------------------------------------------

ALIVE = {"accessToken": "", "refreshToken": "sk-ant-ort01-CANARYnotissuedREFRESH0123456789", "expiresAt": 0}
DEAD = {"accessToken": "", "refreshToken": "", "expiresAt": 0}
MCP_DEAD = {"mcpOAuth": {"srv|1": {"accessToken": "", "refreshToken": "", "expiresAt": 0}}}
MCP_ALIVE = {"mcpOAuth": {"srv|1": {"accessToken": "x", "refreshToken": "sk-ant-ort01-CANARYmcp0123", "expiresAt": 1}}}


def one_line(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


@pytest.mark.parametrize("content, alive", [
    pytest.param(Content(one_line({"claudeAiOauth": ALIVE})), True, id="alive, one line"),
    pytest.param(Content(json.dumps({"claudeAiOauth": ALIVE}, indent=2).encode()), True, id="alive, pretty-printed"),
    pytest.param(Content(json.dumps({"claudeAiOauth": ALIVE}, indent=2).replace("\n", "\r\n").encode()), True, id="alive, CRLF"),
    pytest.param(Content(one_line({**MCP_DEAD, "claudeAiOauth": ALIVE})), True, id="alive, a dead MCP entry before"),
    pytest.param(Content(one_line({"claudeAiOauth": ALIVE, **MCP_DEAD})), True, id="alive, a dead MCP entry after"),
    pytest.param(Content(one_line({"claudeAiOauth": DEAD})), False, id="wiped by the CLI"),
    pytest.param(Content(json.dumps({"claudeAiOauth": DEAD}).encode()), False, id="wiped, with spaces"),
    pytest.param(Content(json.dumps({"claudeAiOauth": DEAD}, indent=2).encode()), False, id="wiped, pretty-printed"),
    pytest.param(Content(one_line({"claudeAiOauth": {**DEAD, "refreshToken": None}})), False, id="refreshToken null"),
    pytest.param(Content(one_line({"claudeAiOauth": {"accessToken": "a"}})), False, id="no refreshToken"),
    pytest.param(Content(one_line({"claudeAiOauth": DEAD, **MCP_ALIVE})), False, id="wiped, a live MCP entry after"),
    pytest.param(Content(one_line({**MCP_ALIVE, "claudeAiOauth": DEAD})), False, id="wiped, a live MCP entry before"),
    pytest.param(Content(one_line(MCP_ALIVE)), False, id="no claudeAiOauth"),
    pytest.param(Content(b"{}"), False, id="empty object"),
    pytest.param(Content(b""), False, id="empty file"),
])
def test_init_tells_a_live_session_on_the_volume_from_a_spent_one(cluster, sts, content, alive):
    files, _ = cluster.capture()
    secret = cluster.secret(sts, files)
    config = cluster.volume(sts)
    assert cluster.init(sts, secret, config).returncode == 0
    target = config / ".credentials.json"
    target.write_bytes(content.data)  # what the CLI left on the volume
    os.chown(target, *pod.user(sts))
    again = cluster.init(sts, secret, config)
    assert (again.returncode == 0) == alive, again.output
    assert (RECAPTURE in again.stdout) == (not alive)
    assert digest(target) == sha256(content.data)  # never re-seeded from the (same) capture
    assert_no_leak(again.output, "the init container's output", [ALIVE["refreshToken"], MCP_ALIVE["mcpOAuth"]["srv|1"]["refreshToken"]])


def test_init_refuses_a_secret_whose_own_capture_has_no_refresh_token(cluster, sts):
    secret = cluster.secret(sts, {".credentials.json": one_line({"claudeAiOauth": DEAD})})
    config = cluster.volume(sts)
    run = cluster.init(sts, secret, config)
    assert run.returncode != 0 and "the Secret's own capture has no refresh token" in run.stdout
    assert RECAPTURE in run.stdout


def test_init_refuses_a_secret_volume_without_credentials(cluster, sts):
    secret = cluster.secret(sts, {".claude.json": b"{}"})
    config = cluster.volume(sts)
    run = cluster.init(sts, secret, config)
    assert run.returncode != 0 and "has no readable .credentials.json" in run.stdout
    assert sorted(p.name for p in config.iterdir()) == []  # nothing seeded


def test_seeding_replaces_symlinks_and_leftovers_with_regular_files(cluster, sts):
    files, _ = cluster.capture()
    files["settings.json"] = b'{"theme":"dark"}'
    secret = cluster.secret(sts, files)
    config = cluster.volume(sts)
    elsewhere = cluster.base / "elsewhere.json"
    elsewhere.write_bytes(b"untouched")
    os.symlink(elsewhere, config / ".credentials.json")  # e.g. an old design's link
    (config / ".claude.json.seeding").write_bytes(b"half a file from a crashed seed")
    run = cluster.init(sts, secret, config)
    assert run.returncode == 0, run.output
    assert_pod_owned(config, uid(sts), names=(".credentials.json", ".claude.json", "settings.json", MARKER))
    for key in files:
        assert digest(config / key) == sha256(files[key]), key
    assert elsewhere.read_bytes() == b"untouched"
    assert stat.S_IMODE(config.stat().st_mode) & 0o070 == 0o070  # the config dir stays group-writable


@pytest.mark.skipif(not pod.namespaces(), reason="path substitution: there are no mounts to check without root")
def test_the_init_runs_as_the_pod_user_on_a_read_only_root_with_the_manifest_mounts(cluster, sts):
    """The harness itself: what the init container sees is what the manifest gives it."""
    secret = cluster.secret(sts, {".credentials.json": b"x"})
    config = cluster.volume(sts)
    probe = {**sts.init, "command": ["sh", "-c", "id -u; id -G; touch /claude/w && echo wrote-volume; "
                                     "touch /oops 2>/dev/null || echo root-read-only; "
                                     "touch /secret/oops 2>/dev/null || echo secret-read-only; "
                                     "readlink /secret/.credentials.json"]}
    run = pod.run_init(sts, cluster.image, {sts.secret_volume(): secret.directory, "claude-config": config},
                       container=probe)
    assert run.stdout.split() == [str(sts.uid), str(sts.fs_group), "wrote-volume", "root-read-only",
                                  "secret-read-only", "..data/.credentials.json"], run.output
    assert (config / "w").stat().st_uid == sts.uid and (config / "w").stat().st_gid == sts.fs_group



@pytest.mark.parametrize("name", [STATEFULSET, EMPTYDIR])
def test_a_secret_key_that_starts_with_a_dash_is_copied_not_taken_for_an_option(cluster, name):
    """Secret keys may start with "-" (``--include=-notes.md``): ``cp`` must not read it as an option."""
    manifest = pod.Manifest.load(name)
    files, _ = cluster.capture()
    files["-notes.md"] = b"notes\n"
    secret = cluster.secret(manifest, files)
    config = cluster.volume(manifest)
    run = cluster.init(manifest, secret, config)
    assert run.returncode == 0, run.output
    assert (config / "-notes.md").read_bytes() == b"notes\n"
    assert_pod_owned(config, uid(manifest), names=(".credentials.json", ".claude.json", "-notes.md"))


def test_the_same_session_rendered_again_with_other_bytes_is_not_a_new_capture(cluster, sts, first_pod):
    """Re-rendering the captured session (same refresh token, other bytes: e.g. with
    --keep-credential-keys) must not seed its spent refresh token over the pod's refreshed one."""
    original = json.loads(first_pod.files[".credentials.json"])
    rerendered = Files(first_pod.files)
    rerendered[".credentials.json"] = one_line({**original, "mcpOAuth": {}})
    assert sha256(rerendered[".credentials.json"]) != sha256(first_pod.files[".credentials.json"])
    first_pod.secret.write(rerendered)
    refreshed = cluster.tokens_on(first_pod.config)
    run = cluster.init(sts, first_pod.secret, first_pod.config)
    assert run.returncode == 0 and "kept the session on the volume" in run.stdout, run.output
    assert cluster.tokens_on(first_pod.config) == refreshed
    assert cluster.agent(sts, first_pod.config).ok


def test_a_secret_whose_capture_is_dead_never_overwrites_a_live_session(cluster, sts, first_pod):
    refreshed = cluster.tokens_on(first_pod.config)
    first_pod.secret.write({".credentials.json": one_line({"claudeAiOauth": DEAD})})
    run = cluster.init(sts, first_pod.secret, first_pod.config)
    assert run.returncode == 0, run.output
    assert cluster.tokens_on(first_pod.config) == refreshed


@pytest.mark.parametrize("kind", ["directory", "unreadable"])
def test_a_marker_that_cannot_be_read_stops_the_init_instead_of_seeding_again(cluster, sts, first_pod, kind):
    marker = first_pod.config / MARKER
    refreshed = cluster.tokens_on(first_pod.config)
    if kind == "directory":
        marker.unlink()
        marker.mkdir()
    else:
        marker.chmod(0)
    run = cluster.init(sts, first_pod.secret, first_pod.config)
    assert run.returncode != 0 and "not a readable regular file" in run.stdout, run.output
    assert cluster.tokens_on(first_pod.config) == refreshed


@pytest.mark.skipif(not pod.namespaces(), reason="path substitution runs as the volume's owner")
def test_a_volume_the_pod_user_cannot_write_is_explained(cluster, sts):
    files, _ = cluster.capture()
    secret = cluster.secret(sts, files)
    config = cluster.volume(sts, mode=0o755)  # owned by root: fsGroup not honoured
    run = cluster.init(sts, secret, config)
    assert run.returncode != 0 and "is not writable by uid" in run.stdout, run.output
    assert "fsGroup" in run.stdout
