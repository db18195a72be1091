"""The post-renderer's changes as kustomize patches: a kustomization folder, Flux's `postRenderers` and
helmfile's `jsonPatches`. All three are kustomize underneath, so they carry the same operations and targets."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from runai_postrender.export.changes import Changes, ObjectPatch
from runai_postrender.support.errors import OutputError

RENDERED = "rendered.yaml"
ADDED = "added.yaml"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, long strings never folded."""


def _text_block(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_block)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=10_000)


def patch_file(patch: ObjectPatch) -> str:
    target = patch.target
    return f"patches/{_UNSAFE.sub('-', target.kind.lower())}-{_UNSAFE.sub('-', target.name)}.yaml"


def write_kustomization(changes: Changes, data: bytes, folder: str) -> list[str]:
    """DIR/kustomization.yaml, the rendered stream (a copy), a JSON6902 patch file per changed object, and the
    added objects; `kubectl kustomize DIR` then gives the post-renderer's objects. Returns the files written."""
    root = Path(folder)
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [RENDERED] + ([ADDED] if changes.added else []),
        "patches": [{"path": patch_file(p), "target": p.target.selector()} for p in changes.patches],
    }
    files: dict[str, bytes] = {RENDERED: data}
    files.update({patch_file(p): dump(p.operations).encode() for p in changes.patches})
    if changes.added:
        files[ADDED] = "".join(_as_document(added.text) for added in changes.added).encode()
    header = f"# runai-size export --format kustomize, profile {changes.profile}: kubectl kustomize . gives the\n"
    header += "# objects the post-renderer gives for the rendered stream in rendered.yaml (as data).\n"
    files["kustomization.yaml"] = (header + dump(kustomization)).encode()
    try:
        for name, content in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, path)
    except OSError as exc:
        raise OutputError(f"cannot write the export to {folder}: {exc.strerror or exc}") from exc
    return sorted(files)


def _as_document(text: str) -> str:
    text = text if text.endswith("\n") else text + "\n"
    return text if text.startswith("---") else "---\n" + text


def _added_block(changes: Changes, where: str) -> str:
    if not changes.added:
        return ""
    lines = [
        "# Objects the post-renderer adds, which patches cannot add:",
        *(f"#   {line}" for line in where.splitlines()),
    ]
    return "\n".join(lines) + "\n" + "".join(_as_document(added.text) for added in changes.added)


def flux(changes: Changes) -> str:
    """A HelmRelease `spec.postRenderers` block: kustomize patches with targets (Flux 2.3+ takes `patches` and
    `images` only), then the added objects, which go next to the HelmRelease in the Flux Kustomization."""
    patches = [{"target": p.target.selector(), "patch": dump(p.operations)} for p in changes.patches]
    block = {"spec": {"postRenderers": [{"kustomize": {"patches": patches}}]}}
    head = (
        f"# runai-size export --format flux, profile {changes.profile}: merge into the HelmRelease of this release\n"
        "# (spec.postRenderers runs after Helm renders, as the post-renderer would).\n"
    )
    where = (
        "put them in the folder of the Flux Kustomization that applies this HelmRelease (with dependsOn, or\n"
        "a second Kustomization), since a HelmRelease's postRenderers can only change rendered objects."
    )
    return head + dump(block) + _added_block(changes, where)


def helmfile(changes: Changes) -> str:
    """A helmfile release's `jsonPatches` (helmfile docs, "Adhoc Kustomization of Helm charts"), then the added
    objects, which go into a release of their own. helmfile's `postRenderer` does not work with Helm 4."""
    patches = [{"target": p.target.selector(), "patch": p.operations} for p in changes.patches]
    head = (
        f"# runai-size export --format helmfile, profile {changes.profile}: merge into this release in\n"
        "# helmfile.yaml (releases[].jsonPatches; helmfile applies them with kustomize).\n"
    )
    where = (
        "jsonPatches cannot create objects: put them in a folder as a release of their own\n"
        "(releases[].chart: ./that-folder, which helmfile deploys as a kustomization or raw manifests)."
    )
    return head + dump({"jsonPatches": patches}) + _added_block(changes, where)
