"""The Secret's content: identical to kubectl's for the same files, strictly valid, within limits."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import kubernetes_validate
import pytest
import yaml
from helpers.profiles import CANARY_ACCESS, CANARY_REFRESH, ProfileBuilder
from helpers.render_support import comparable, decoded, kubectl_secret
from helpers.runner import ROOT

from claude_session_tokens.core.findings import FindingError
from claude_session_tokens.core.masked import Masked
from claude_session_tokens.k8s.manifest import (
    SecretInfo,
    build_secret,
    serialise,
    to_json,
    to_yaml,
)
from claude_session_tokens.k8s.payload import SECRET_DATA_LIMIT, Payload, build_payload
from claude_session_tokens.k8s.validation import (
    known_versions,
    resolve_version,
    validate_secret,
)

INFO = SecretInfo(captured_at=datetime(2026, 11, 28, 5, 0, tzinfo=timezone.utc),
                  access_token_expires_at_ms=1795871444692, sign_in_expires_at_ms=1798000000000,
                  cli_version="2.1.332", fingerprint="7a6d1592940e")


def payload_of(profile: ProfileBuilder, *includes: str) -> Payload:
    return build_payload(Masked(profile.credentials.read_bytes()), profile.global_config, profile.dir, includes)


@pytest.fixture
def made(profile) -> ProfileBuilder:
    return profile.create()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("namespace", ["${NAMESPACE}", "agents"])
def test_output_matches_real_kubectl(made, tmp_path, fmt, namespace):
    (made.dir / "settings.json").write_text('{"theme": "dark"}\n')
    payload = payload_of(made, "settings.json")
    ours = serialise(build_secret(payload, "claude-session-tokens", namespace, INFO), fmt)
    files = {k: v.reveal() for k, v in payload.files.items()}
    theirs = kubectl_secret(files, "claude-session-tokens", namespace, fmt, tmp_path / "kubectl")
    parse = json.loads if fmt == "json" else yaml.safe_load
    assert comparable(parse(ours)) == parse(theirs)
    assert list(parse(ours)["data"]) == sorted(files) == list(parse(theirs)["data"])
    if fmt == "json":  # same field order as kubectl's JSON
        assert list(json.loads(ours))[:4] == list(json.loads(theirs))[:4] == ["kind", "apiVersion", "metadata", "data"]


def test_yaml_text_differs_from_kubectl_only_by_added_lines(made, tmp_path):
    payload = payload_of(made)
    ours = to_yaml(build_secret(payload, "s", "${NAMESPACE}", INFO)).splitlines()
    theirs = kubectl_secret({k: v.reveal() for k, v in payload.files.items()}, "s", "${NAMESPACE}", "yaml",
                            tmp_path / "k").splitlines()
    assert [line for line in ours if line in theirs] == theirs  # every kubectl line, in kubectl's order
    added = [line for line in ours if line not in theirs]
    assert added[0] == "  annotations:" and added[-1] == "type: Opaque"


def test_what_the_tool_adds_reveals_nothing_secret(made):
    manifest = build_secret(payload_of(made), "s", "ns", INFO)
    assert manifest["type"] == "Opaque"
    added = json.dumps([manifest["metadata"]["labels"], manifest["metadata"]["annotations"]])
    for token in (CANARY_ACCESS, CANARY_REFRESH):
        assert token not in added and token[:20] not in added
    ann = manifest["metadata"]["annotations"]
    assert ann["claude-session-tokens/captured-at"] == "2026-11-28T05:00:00Z"
    assert ann["claude-session-tokens/access-token-expires-at"] == "2026-11-28T13:10:44Z"
    assert ann["claude-session-tokens/claude-cli-version"] == "2.1.332"
    assert ann["claude-session-tokens/session-fingerprint"] == "7a6d1592940e"
    assert "claude-session-tokens/sign-in-expires-at" in ann


def test_data_decodes_to_the_payload_bytes(made):
    payload = payload_of(made)
    manifest = yaml.safe_load(to_yaml(build_secret(payload, "s", "ns", INFO)))
    assert decoded(manifest) == {k: v.reveal() for k, v in payload.files.items()}
    assert json.loads(decoded(manifest)[".credentials.json"])["claudeAiOauth"]["accessToken"] == CANARY_ACCESS
    assert "userID" not in json.loads(decoded(manifest)[".claude.json"])


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_output_passes_kubernetes_validate_strict_for_every_known_version(made, fmt):
    text = serialise(build_secret(payload_of(made), "claude-session-tokens", "${NAMESPACE}", INFO), fmt)
    manifest = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    versions = known_versions()
    assert len(versions) >= 5, versions  # kubernetes-validate ships many schema versions; none means no check
    for version in versions:
        kubernetes_validate.validate(manifest, version, strict=True)


def test_default_version_is_the_newest_the_package_knows():
    assert resolve_version(None) == kubernetes_validate.latest_version()
    assert resolve_version("1.30").startswith("1.30.")
    with pytest.raises(FindingError) as err:
        resolve_version("0.1")
    assert "--kubernetes-version 0.1" in err.value.finding.cause


def test_unknown_field_is_rejected_without_showing_values(made):
    manifest = build_secret(payload_of(made), "s", "ns", INFO)
    manifest["stringdata"] = {"x": CANARY_ACCESS}
    with pytest.raises(FindingError) as err:
        validate_secret(manifest, 10, None)
    text = err.value.finding.message()
    assert "stringdata" in text and "additionalProperties" in text
    assert CANARY_ACCESS not in text


def test_bad_name_and_namespace_are_refused(made):
    manifest = build_secret(payload_of(made), "Not_Valid", "Bad Namespace", INFO)
    with pytest.raises(FindingError) as err:
        validate_secret(manifest, 10, None)
    details = "\n".join(err.value.finding.details)
    assert "--secret-name 'Not_Valid'" in details and "--namespace 'Bad Namespace'" in details


def test_one_mebibyte_limit(made):
    manifest = build_secret(payload_of(made), "s", "ns", INFO)
    assert validate_secret(manifest, SECRET_DATA_LIMIT, None)  # exactly 1 MiB is what Kubernetes accepts
    with pytest.raises(FindingError) as err:
        validate_secret(manifest, SECRET_DATA_LIMIT + 1, None)
    assert "at most 1048576 bytes (1 MiB)" in "\n".join(err.value.finding.details)


def test_payload_over_the_limit_never_validates(made):
    big = made.dir / "big.json"
    big.write_bytes(b"x" * (SECRET_DATA_LIMIT - 100))  # alone it fits; with the session files it does not
    payload = payload_of(made, "big.json")
    assert payload.total_size() > SECRET_DATA_LIMIT
    with pytest.raises(FindingError):
        validate_secret(build_secret(payload, "s", "ns", INFO), payload.total_size(), None)


@pytest.mark.parametrize("name, reason", [
    ("projects", "transcripts"), ("projects/x.jsonl", "transcripts"), ("telemetry", "telemetry"),
    ("backups", "old copies"), ("debug", "debug logs"), (".claude.json.lock", "lock"),
    ("../.ssh/id_rsa", "top-level"), ("/etc/passwd", "top-level"), ("missing.json", "no such file"),
    ("huge.bin", "larger than a Secret"),
])
def test_refused_includes_name_the_reason(made, name, reason):
    for sub in ("projects", "telemetry", "backups", "debug", ".claude.json.lock"):
        (made.dir / sub).mkdir(exist_ok=True)
    (made.dir / "huge.bin").write_bytes(b"x" * (SECRET_DATA_LIMIT + 1))
    with pytest.raises(FindingError) as err:
        payload_of(made, name)
    detail = "\n".join(err.value.finding.details)
    assert name in detail and reason in detail


def _example(name: str) -> tuple[list[dict], str]:
    path = ROOT / "examples" / name
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert docs
    for doc in docs:
        for version in (known_versions()[0], kubernetes_validate.latest_version()):
            kubernetes_validate.validate(doc, version, strict=True)
    return docs, path.read_text()


def _config_dir_mount(spec: dict) -> tuple[str, dict, str]:
    """(the Secret's volume name, the agent's config-dir mount, CLAUDE_CONFIG_DIR)."""
    volumes = {v["name"]: v for v in spec["volumes"]}
    secret_volume = next(n for n, v in volumes.items() if "secret" in v)
    assert volumes[secret_volume]["secret"]["secretName"] == "claude-session-tokens"
    agent = spec["containers"][0]
    config_dir = next(e["value"] for e in agent["env"] if e["name"] == "CLAUDE_CONFIG_DIR")
    mount = next(m for m in agent["volumeMounts"] if m["mountPath"] == config_dir)
    assert not mount.get("readOnly") and "subPath" not in mount
    assert all(m["name"] != secret_volume for m in agent["volumeMounts"])  # never the Secret in place
    init = spec["initContainers"][0]
    assert {m["name"] for m in init["volumeMounts"]} == {secret_volume, mount["name"]}
    return secret_volume, mount, config_dir


def test_example_emptydir_is_strictly_valid_and_marked_as_losing_the_session():
    docs, text = _example("claude-agent-emptydir.yaml")
    spec = docs[0]["spec"]["template"]["spec"]
    _, mount, _ = _config_dir_mount(spec)
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "emptyDir" in volumes[mount["name"]]
    assert docs[0]["spec"]["replicas"] == 1 and docs[0]["spec"]["strategy"]["type"] == "Recreate"
    assert "subPath" in text and "read-only" in text and "single-use" in text  # the comments explain why
    assert text.startswith("# WARNING: THIS DESIGN LOSES THE SESSION WHEN THE POD IS REPLACED.")
    assert "examples/claude-agent-statefulset.yaml" in text.split("\n\n")[0][:400]


def test_example_statefulset_keeps_the_session_on_a_persistent_volume():
    docs, text = _example("claude-agent-statefulset.yaml")
    assert len(docs) == 1 and docs[0]["kind"] == "StatefulSet"
    sts = docs[0]["spec"]
    assert sts["replicas"] == 1
    spec = sts["template"]["spec"]
    secret_volume, mount, _ = _config_dir_mount(spec)
    # the config dir is the claim of the volumeClaimTemplate, ReadWriteOnce, not a pod volume
    claims = {c["metadata"]["name"]: c["spec"] for c in sts["volumeClaimTemplates"]}
    assert mount["name"] in claims and mount["name"] not in {v["name"] for v in spec["volumes"]}
    assert claims[mount["name"]]["accessModes"] == ["ReadWriteOnce"]
    assert sts["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    # the pod's user owns the files; the kubelet does not re-walk the volume on every mount
    security = spec["securityContext"]
    assert security["runAsUser"] == 1000 and security["fsGroup"] == 1000 and security["runAsNonRoot"]
    assert security["fsGroupChangePolicy"] == "OnRootMismatch"
    # the init script runs under sh -c, mounts the Secret read-only
    init = spec["initContainers"][0]
    assert init["image"].startswith("busybox") and init["command"][:2] == ["sh", "-c"]
    assert len(init["command"]) == 3
    assert all(m.get("readOnly") for m in init["volumeMounts"] if m["name"] == secret_volume)
    script = init["command"][2]
    assert "sha256sum" in script and "python render_secret.py --fresh-login" in script
    assert "cp -L" in script and "mv -f" in script and "chmod 600" in script
    # the comments tell the user what they must know
    for needed in ("encrypt", "storage class", "ReadWriteOnce", "Terminating", "--force", "two writers",
                   "Never share this volume", "python render_secret.py --hand-off",
                   "python render_secret.py --fresh-login", "kubectl rollout restart statefulset/claude-agent",
                   "docs/pod-lifecycle.md", "single-use", "subPath", "read-only"):
        assert needed in text, needed


def test_to_json_is_kubectl_style_indentation():
    assert to_json({"a": 1}) == '{\n    "a": 1\n}\n'


def test_example_oauth_token_deployment_reads_the_key_from_the_environment():
    docs, text = _example("claude-agent-oauth-token.yaml")
    assert len(docs) == 1 and docs[0]["kind"] == "Deployment"
    deployment = docs[0]["spec"]
    assert deployment["replicas"] > 1  # one token serves any number of pods
    spec = deployment["template"]["spec"]
    assert "initContainers" not in spec  # no copy: the token is never rewritten
    assert all("secret" not in v for v in spec["volumes"])  # the Secret is not mounted at all
    agent = spec["containers"][0]
    env = {e["name"]: e for e in agent["env"]}
    ref = env["CLAUDE_CODE_OAUTH_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "claude-oauth-token", "key": "CLAUDE_CODE_OAUTH_TOKEN"}
    assert agent["securityContext"]["readOnlyRootFilesystem"] is True
    for needed in ("only from the", "replicas may be more than one", "inference-only", "secretKeyRef",
                   "python render_secret.py --setup-token", "estimate"):
        assert needed in text.replace("\n# ", " "), needed
