"""Build the inputs of scripts/bench, as its child process (which keeps the benchmark's own memory small).

bench_inputs.py stream N                   N documents that Helm renders from tests/charts (the same bytes
                                           for the same N): the TARGETS once, the others numbered copies
bench_inputs.py large list|runaiconfig MB [--anchor]    one targeted document of MB megabytes
bench_inputs.py kustomization DIR STREAM REPORT OUTPUT  the same changes for kustomize, from the report
bench_inputs.py hostile [NAME]             one of HOSTILE: hostile input (for profile-*, a profile file);
                                           without NAME, HOSTILE as JSON
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonpointer import JsonPointer, resolve_pointer

ROOT = Path(__file__).resolve().parent.parent
CHARTS = (("runai-backend", "control-plane"), ("runai-cluster", "runai-cluster"))  # (release, chart)
TARGETS = (  # (kind, metadata.name) of every rendered document that `runai-size --profile large` changes
    ("Deployment", "runai-backend-backend"),
    ("Deployment", "runai-backend-frontend"),
    ("Deployment", "runai-backend-grafana"),
    ("Deployment", "runai-backend-thanos-query"),
    ("RunaiConfig", "runai"),
    ("StatefulSet", "runai-backend-thanos-receive"),
    ("Prometheus", "runai-cluster-prometheus"),
)
# Hostile input, timed by `scripts/bench --hostile` (the tests check what runai-size answers, not how fast): the
# exit status runai-size must give. The targeted document is the chart's thanos-query; profile-* is a profile file,
# run on that document alone.
HOSTILE = {
    "query": 0,  # the targeted document alone: the baseline
    "alias-bomb": 1,  # 9 levels of 9 aliases in the targeted document
    "deep-nesting": 1,  # 100,000 nested [ in the targeted document
    "untouched-alias-bomb": 0,  # the same bomb in a ConfigMap no rule targets, then the targeted document
    "secret-6mb": 0,  # a 6 MB base64 Secret on one line on each side of the targeted document
    "empty-documents": 0,  # 200,000 empty documents
    "too-many-documents": 1,  # 1,000,001 empty documents
    "profile-alias-bomb": 2,  # 8 levels of 9 aliases in a profile's values
}
CONFIGMAP = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: runai-backend-config\ndata:\n  key: value\n"
NAME = re.compile(r"^  name: (\S+)$", re.MULTILINE)  # the first one is metadata.name in Helm's output


def identity(document: dict[str, Any]) -> tuple[str, str]:
    return document.get("kind", ""), document.get("metadata", {}).get("name", "")


def by_identity(text: str) -> dict[tuple[str, str], Any]:
    return {identity(document): document for document in yaml.safe_load_all(text) if document}


def rendered() -> dict[tuple[str, str], str]:
    """The documents of the test charts as Helm renders them (each from its `---` line on), by identity."""
    helm = os.environ.get("HELM") or shutil.which(str(ROOT / ".tools/bin/helm3")) or shutil.which("helm")
    if helm is None:
        sys.exit("bench_inputs: no helm ($HELM, .tools/bin/helm3, PATH): run scripts/setup")
    commands = ([helm, "template", release, str(ROOT / "tests/charts" / chart)] for release, chart in CHARTS)
    text = "".join(subprocess.run(argv, check=True, capture_output=True, text=True).stdout for argv in commands)
    documents = ["---\n" + part for part in re.split(r"^---\n", text, flags=re.MULTILINE)[1:]]
    return {identity(yaml.safe_load(document)): document for document in documents}


def renamed(document: str, copy: int) -> str:
    """The document with metadata.name suffixed by `copy` (copy 0 is the document itself)."""
    return NAME.sub(rf"  name: \1-{copy}", document, count=1) if copy else document


def stream(documents: int) -> str:
    """`documents` documents: the targets once, spread out, and copies of the others around them."""
    charts = rendered()
    targets = [doc for key, doc in charts.items() if key in TARGETS]
    others = [doc for key, doc in charts.items() if key not in TARGETS]
    if len(targets) != len(TARGETS) or documents < len(targets):
        sys.exit(f"bench_inputs: need {len(TARGETS)} targets in the charts and at least that many documents")
    out = [renamed(others[i % len(others)], i // len(others)) for i in range(documents - len(targets))]
    step = len(out) // len(targets) + 1
    for index, target in enumerate(targets):
        out.insert(index * step, target)
    return "".join(out)


def entries(items: Iterator[str], size: int, anchor: bool) -> str:
    """Block-sequence entries of `items` up to `size` bytes; with `anchor`, the second one is anchored and aliased."""
    parts, total = [], 0
    for index, item in enumerate(items):
        lines = item.rstrip("\n").split("\n")
        first = f"  - &first\n    {lines[0]}" if anchor and index == 1 else f"  - {lines[0]}"
        parts.append("\n".join([first, *("    " + line for line in lines[1:])]) + "\n")
        total += len(parts[-1])
        if total >= size and index >= 1:
            break
    return "".join(parts) + ("  - *first\n" if anchor else "")


def large(kind: str, megabytes: float, anchor: bool) -> str:
    """A List: the targeted thanos-query, then copies of an untouched Deployment; or the RunaiConfig, long status."""
    charts, size = rendered(), int(megabytes * 1e6)
    if kind == "list":
        query, agent = charts["Deployment", "runai-backend-thanos-query"], charts["Deployment", "runai-cluster-agent"]
        bare = (re.sub(r"\A---\n(# Source: .*\n)?", "", renamed(agent, n) if n else query) for n in range(sys.maxsize))
        return "---\napiVersion: v1\nkind: List\nitems:\n" + entries(bare, size, anchor)
    conditions = (
        f'type: Reconciled-{n}\nstatus: "True"\nreason: ReconcileSucceeded\n'
        f'message: component {n} of the Run:ai cluster is up to date\nlastTransitionTime: "2026-11-30T00:00:00Z"'
        for n in range(sys.maxsize)
    )
    return charts["RunaiConfig", "runai"] + "status:\n  conditions:\n" + entries(conditions, size, anchor)


def bomb(levels: int, width: int = 9) -> str:
    """A "billion laughs" mapping: each level an anchored list of `width` aliases of the one before."""
    lines = [f"lol0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def hostile(name: str) -> str:
    if name == "profile-alias-bomb":
        return "values:\n" + "".join("  " + line + "\n" for line in bomb(8).splitlines())
    if name in ("empty-documents", "too-many-documents"):
        return "---\n" * (200_000 if name == "empty-documents" else 1_000_001)
    query = rendered()["Deployment", "runai-backend-thanos-query"]
    secret = "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: big\ndata:\n  blob: " + "QUJD" * 1_500_000 + "\n"
    return {
        "query": query,
        "alias-bomb": query + bomb(9),
        "deep-nesting": query + "deep: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "untouched-alias-bomb": CONFIGMAP + bomb(9) + query,
        "secret-6mb": secret + query + secret,
    }[name]


def write_kustomization(folder: Path, stream_file: Path, report_file: Path, output_file: Path) -> None:
    """kustomization.yaml and added.yaml in `folder` (where the caller puts stream.yaml): a JSON6902 operation per
    change in runai-size's report, adding a missing parent whole, and the objects runai-size added as resources."""
    report = json.loads(report_file.read_text())
    before, after = (by_identity(file.read_text()) for file in (stream_file, output_file))
    operations: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for change in report["changes"]:
        target = tuple(re.search(r"\((\w+)/([^)]+)\)$", change["target"]).groups())  # type: ignore[union-attr]
        operation = {"op": "remove", "path": change["pointer"]}
        if change["new"] is not None:
            parts = JsonPointer(change["pointer"]).parts
            prefixes = (JsonPointer.from_parts(parts[:n]).path for n in range(1, len(parts)))
            missing = (path for path in prefixes if resolve_pointer(before[target], path, None) is None)
            path = next(missing, change["pointer"])  # the first missing parent, or the value itself
            operation = {"op": "add", "path": path, "value": resolve_pointer(after[target], path)}
        if operation not in (ops := operations.setdefault(target, [])):
            ops.append(operation)
    patches = [{"target": {"kind": k, "name": n}, "patch": json.dumps(ops)} for (k, n), ops in operations.items()]
    added = {tuple(entry.split(",")[0].split("/", 1)) for entry in report["added"]}  # "Kind/name, filed with ..."
    (folder / "added.yaml").write_text(yaml.safe_dump_all([after[key] for key in sorted(added)], sort_keys=False))
    content = {"resources": ["stream.yaml", "added.yaml"], "patches": patches}
    (folder / "kustomization.yaml").write_text(json.dumps(content, indent=2))  # JSON is YAML


def main(argv: list[str]) -> None:
    match argv:
        case ["stream", documents]:
            sys.stdout.write(stream(int(documents)))
        case ["large", "list" | "runaiconfig" as kind, megabytes, *anchor] if anchor in ([], ["--anchor"]):
            sys.stdout.write(large(kind, float(megabytes), bool(anchor)))
        case ["kustomization", *paths] if len(paths) == 4:
            write_kustomization(*map(Path, paths))
        case ["hostile"]:
            json.dump(HOSTILE, sys.stdout)
        case ["hostile", name] if name in HOSTILE:
            sys.stdout.write(hostile(name))
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
