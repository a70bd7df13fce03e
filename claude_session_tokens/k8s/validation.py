"""Is the Secret one the cluster will accept? Checked offline, before anything is written.

- the schema of the chosen Kubernetes version, strict (unknown fields rejected), with
  ``kubernetes-validate`` (its Python API; default: the newest version it knows);
- the data under Kubernetes' limit of 1 MiB per Secret;
- a name the API server accepts, and a namespace that is either valid or an ``envsubst``
  placeholder such as ``${NAMESPACE}``.

Messages name fields and rules, never values: the manifest's data carries the tokens.
"""

from __future__ import annotations

import re
from types import ModuleType

from packaging.version import InvalidVersion, Version

from claude_session_tokens.core.findings import Finding, FindingError
from claude_session_tokens.k8s.payload import SECRET_DATA_LIMIT

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PLACEHOLDER = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$|^\$[A-Za-z_][A-Za-z0-9_]*$")


def _kv() -> tuple[ModuleType, ModuleType]:
    """kubernetes-validate and its ``utils``, imported by the first validation, not with this module:
    with jsonschema it is the largest import of a run, and most importers never validate."""
    import kubernetes_validate
    from kubernetes_validate import utils as kv_utils

    return kubernetes_validate, kv_utils


def known_versions() -> list[str]:
    """The Kubernetes versions (X.Y.Z) whose schemas the installed kubernetes-validate ships."""
    return sorted(set(_kv()[1].all_versions()), key=Version)


def resolve_version(requested: str | None) -> str:
    """The schema version to validate against: ``requested`` (X.Y or X.Y.Z) or the newest known."""
    kubernetes_validate, _ = _kv()
    known = known_versions()
    if not requested:
        return kubernetes_validate.latest_version()
    text = requested.strip().removeprefix("v")
    try:
        wanted = Version(text)
    except InvalidVersion:
        wanted = None
    matches = [v for v in known if wanted is not None and Version(v).release[:2] == wanted.release[:2]]
    if not matches:
        raise FindingError(Finding(
            cause=f"--kubernetes-version {requested} is not a version kubernetes-validate "
                  f"{kubernetes_validate.__version__} has schemas for.",
            why="the Secret is validated against that version's schema before it is written.",
            remedy=f"pass one of {', '.join(sorted({'.'.join(v.split('.')[:2]) for v in known}, key=Version))}, "
                   "or upgrade kubernetes-validate: python -m pip install -U kubernetes-validate",
        ))
    return matches[-1]


def name_problems(name: str, namespace: str) -> list[str]:
    problems = []
    if len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        problems.append(f"--secret-name {name!r} is not a valid Kubernetes name (lowercase letters, digits, "
                        "'-' and '.', starting and ending with a letter or digit, at most 253 characters)")
    if not _PLACEHOLDER.match(namespace) and (len(namespace) > 63 or not _DNS_LABEL.match(namespace)):
        problems.append(f"--namespace {namespace!r} is neither a valid namespace (lowercase letters, digits and "
                        "'-', at most 63 characters) nor an envsubst placeholder like ${NAMESPACE}")
    return problems


def size_problem(data_bytes: int) -> str | None:
    if data_bytes > SECRET_DATA_LIMIT:
        return (f"the Secret's data is {data_bytes} bytes; Kubernetes accepts at most "
                f"{SECRET_DATA_LIMIT} bytes (1 MiB) per Secret")
    return None


def schema_problem(manifest: dict, version: str) -> str | None:
    """Strict schema validation; the message names the field and the rule, never the value."""
    kubernetes_validate, kv_utils = _kv()
    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        where = ".".join(str(p) for p in err.path) or "(top level)"
        detail = ""
        if err.validator == "additionalProperties":
            unknown = sorted(set(err.instance) - set(err.schema.get("properties", {}))) \
                if isinstance(err.instance, dict) else []
            detail = f" (unknown fields: {', '.join(unknown)})" if unknown else ""
        return f"{where}: fails the schema rule '{err.validator}' of Kubernetes {err.version}{detail}"
    except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError,
            kv_utils.VersionNotSupportedError) as err:
        return f"the schema for Kubernetes {version} is unavailable: {getattr(err, 'message', type(err).__name__)}"
    return None


def validate_secret(manifest: dict, data_bytes: int, requested_version: str | None) -> str:
    """Raise :class:`FindingError` unless the Secret is valid; return the version validated against."""
    version = resolve_version(requested_version)
    meta = manifest.get("metadata", {})
    problems = name_problems(str(meta.get("name", "")), str(meta.get("namespace", "")))
    for problem in (size_problem(data_bytes), schema_problem(manifest, version)):
        if problem:
            problems.append(problem)
    if problems:
        raise FindingError(Finding(
            cause=f"The Secret would not be accepted by Kubernetes {version}:",
            why="a Secret the cluster rejects leaves the agent pod without its session (SC-004).",
            remedy="fix the options named above (--secret-name, --namespace, --include) and run again",
            details=tuple(problems),
        ))
    return _kv()[1].major_minor(version)
