"""Whether a workload can run more than one pod, and scale on utilization: claims and requests.

A CPU-utilization HPA measures each pod against its containers' CPU requests and cannot compute where
one has none ("missing request for cpu"); a pod whose claim is ReadWriteOnce cannot start on a second
node. These checks decide what a profile may do before it does anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from runai_postrender.sizing.patch import Change, set_value
from runai_postrender.sizing.selection import Resource, pod_spec_pointer
from runai_postrender.support import pointer

PVC_KIND = "PersistentVolumeClaim"
SINGLE_NODE_MODES = ("ReadWriteOnce", "ReadWriteOncePod")


class Claims:
    """The PersistentVolumeClaims of the stream, to tell whether a workload's pods can run on two nodes."""

    def __init__(self, resources: list[Resource]) -> None:
        self._by_name: dict[str, list[tuple[str | None, Any]]] = {}
        for resource in resources:
            if resource.kind == PVC_KIND and resource.name is not None:
                spec = resource.obj.get("spec")
                modes = spec.get("accessModes") if isinstance(spec, dict) else None
                self._by_name.setdefault(resource.name, []).append((resource.namespace, modes))

    def single_node(self, workload: Resource) -> list[str]:
        """Why the workload's pods must share one node: each claim it mounts that is ReadWriteOnce, or
        whose access mode this stream does not tell."""
        _, volumes = pointer.resolve(workload.obj, pod_spec_pointer(workload.kind) + "/volumes")
        reasons = []
        for volume in volumes if isinstance(volumes, list) else []:
            claim = volume.get("persistentVolumeClaim") if isinstance(volume, dict) else None
            name = claim.get("claimName") if isinstance(claim, dict) else None
            if name is None:
                continue
            found = [
                modes
                for namespace, modes in self._by_name.get(str(name), [])
                if namespace == workload.namespace or namespace is None or workload.namespace is None
            ]
            if not found:
                reasons.append(f"claim {name} (not in this release, so its access mode is unknown)")
            elif any(mode in SINGLE_NODE_MODES for mode in (found[0] if isinstance(found[0], list) else [])):
                reasons.append(f"ReadWriteOnce claim {name}")
        return reasons


def _needing(deployment: Resource, name: str, defaults: Mapping[str, Any]) -> tuple[str, list[tuple[int, Any, Any]]]:
    """The containers without a `name` request, with the first default whose glob matches each one's name
    (None where none does). A limit without a request counts as the request: Kubernetes sets the request
    to the limit."""
    base = pod_spec_pointer(deployment.kind) + "/containers"
    _, containers = pointer.resolve(deployment.obj, base)
    found = []
    for index, container in enumerate(containers if isinstance(containers, list) else []):
        if isinstance(container, dict) and all(
            pointer.resolve(container, f"/resources/{kind}/{name}")[1] is None for kind in ("requests", "limits")
        ):
            cname = str(container.get("name"))
            fitting = next((value for glob, value in defaults.items() if fnmatchcase(cname, glob)), None)
            found.append((index, container, fitting))
    return base, found


def without_requests(deployment: Resource, name: str, defaults: Mapping[str, Any]) -> list[str]:
    """The containers that have no `name` request and that no default fits."""
    _, needing = _needing(deployment, name, defaults)
    return [str(container.get("name")) for _, container, value in needing if value is None]


def supply_requests(deployment: Resource, name: str, defaults: Mapping[str, Any], where: str) -> list[Change]:
    base, needing = _needing(deployment, name, defaults)
    changes: list[Change] = []
    for index, container, value in needing:
        label = f"container {container.get('name')}: "
        changes += [
            Change(f"{base}/{index}{c.pointer}", c.old, c.new, label + c.pointer.lstrip("/"))
            for c in set_value(container, f"/resources/requests/{name}", value, where)
        ]
    return changes
