"""The Secret can be previewed offline: built from the files that ship and validated, nothing written.

Requirements: FR-007, SC-004, US3.1, US3.2, US3.3.

The manifest is built in memory from exactly the files that will ship (``.credentials.json``,
a minimal ``.claude.json`` and any ``--include``), with the ``--secret-name`` and
``--namespace`` (default: the placeholder ``${NAMESPACE}``) of the run, then validated with
``kubernetes-validate`` in strict mode for ``--kubernetes-version`` (default: the newest it
knows), and its data must stay within Kubernetes' 1 MiB limit. No cluster, no ``kubectl`` and
no kube-config are involved. ``--dry-run`` prints this preview at the end of the run.

It runs before the test prompt, on the files as they are then. If the prompt makes the CLI
refresh the tokens, the render step builds and validates the Secret again from the refreshed
files before it writes anything.

Why: a Secret the cluster rejects leaves the agent pod without its session; better to know
before anything is written, and before the test prompt may have spent the session on this
machine (refresh tokens are single-use: after a refresh, only this run holds the live ones).

Fix: the failure names the field or option (``--secret-name``, ``--namespace``,
``--include``, ``--kubernetes-version``) to change.
"""

from claude_session_tokens.k8s.render import prepare
from claude_session_tokens.suite.plugin import record_section


def test_secret_preview_builds_and_validates_offline(claude_session, record_property):
    preview = prepare(claude_session)
    record_property("secret_keys", ", ".join(f"{k} ({n} bytes)" for k, n in preview.sizes.items()))
    record_property("validated_against_kubernetes", preview.kubernetes_version)
    lines = [f"name: {preview.name}", f"namespace: {preview.namespace}",
             f"validated: kubernetes-validate --strict, Kubernetes {preview.kubernetes_version}"]
    lines += [f"data {key}: {size} bytes" for key, size in preview.sizes.items()]
    lines += [f"note: {note}" for note in preview.notes]
    record_section("Secret preview (FR-007)", lines)
