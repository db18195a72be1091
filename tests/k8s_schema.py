"""Validate one Kubernetes object strictly against the Kubernetes JSON schemas, offline (tests only).

The schemas come from the `kubernetes-validate` package (a `dev` dependency), in their strict form:
an unknown field anywhere fails, as `kubectl apply --validate=strict` would fail. Custom resources
(RunaiConfig, Prometheus, ...) have no schema there: they are skipped, and the return value says so.
The package's own `validate()` re-reads its 1.5 MB definitions file on every call; this module reads
the same files once per Kubernetes version and keeps one validator per kind, so that a test can check
every object of every rendering.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

DEFAULT_VERSION = "1.35"  # the Kubernetes client version Helm 4.1 is built against
_PACKAGE = "kubernetes_validate"


@dataclass(frozen=True)
class Outcome:
    """What `validate` did: checked against a schema, or skipped as a custom resource."""

    validated: bool
    reason: str


def _schema_dir(k8s_version: str) -> Any:
    """The package's strict schema folder for this Kubernetes major.minor."""
    wanted = ".".join(k8s_version.lstrip("v").split(".")[:2])
    folder = resources.files(_PACKAGE).joinpath("kubernetes-json-schema", f"v{wanted}.0-local-strict")
    if not folder.is_dir():
        shipped = sorted(
            entry.name[1:].removesuffix(".0-local-strict")
            for entry in resources.files(_PACKAGE).joinpath("kubernetes-json-schema").iterdir()
            if entry.name.endswith("-local-strict")
        )
        raise AssertionError(f"kubernetes-validate has no schemas for Kubernetes {wanted} (it has {shipped})")
    return folder


@cache
def _registry(k8s_version: str) -> Registry[Any]:
    folder = _schema_dir(k8s_version)
    definitions = json.loads(folder.joinpath("_definitions.json").read_text(encoding="utf-8"))
    return Resource.from_contents(definitions) @ Registry()


@cache
def _validator(k8s_version: str, kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    """The strict validator of one kind, or None when the package has no schema for it."""
    group_version = api_version.split("/")
    # The package names files `<kind>-<group's first label>-<version>.json`: apps/v1 -> apps-v1,
    # rbac.authorization.k8s.io/v1 -> rbac-v1, core v1 -> v1.
    suffix = api_version if len(group_version) == 1 else f"{group_version[0].split('.')[0]}-{group_version[1]}"
    path = _schema_dir(k8s_version).joinpath(f"{kind.lower()}-{suffix}.json")
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, registry=_registry(k8s_version))


def is_builtin(api_version: str) -> bool:
    """True for the API groups without a dot (core `v1`, apps, policy, autoscaling, batch, ...).

    Custom resource groups always have a dot, but so do some built-in ones (rbac.authorization.k8s.io,
    networking.k8s.io): `validate` tells those apart by whether the package has a schema for them.
    """
    return "/" not in api_version or "." not in api_version.split("/", 1)[0]


def validate(obj: dict[str, Any], k8s_version: str = DEFAULT_VERSION) -> Outcome:
    """Check `obj` strictly; an invalid object raises AssertionError with a one-line message."""
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    metadata = obj.get("metadata") or {}
    name = f"{kind}/{metadata.get('name')}" if isinstance(metadata, dict) else f"{kind}/?"
    if not isinstance(kind, str) or not isinstance(api_version, str):
        raise AssertionError(f"{name}: an object needs string `kind` and `apiVersion` fields")
    validator = _validator(k8s_version, kind, api_version)
    if validator is None and not is_builtin(api_version):
        return Outcome(False, f"{name} ({api_version}) is a custom resource: no schema, not validated")
    if validator is None:
        raise AssertionError(f"{name}: Kubernetes {k8s_version} has no kind {kind} in {api_version}")
    error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
    if error is not None:
        where = "/" + "/".join(str(part) for part in error.absolute_path)
        message = " ".join(error.message.split())
        if len(message) > 300:
            message = message[:297] + "..."
        raise AssertionError(
            f"{name} is not a valid {api_version} {kind} (Kubernetes {k8s_version}) at {where}: {message}"
        )
    return Outcome(True, f"{name} is a valid {api_version} {kind} (Kubernetes {k8s_version})")
