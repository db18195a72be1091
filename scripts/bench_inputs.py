"""Build the inputs of scripts/bench: streams, 5 MB targeted documents and the kustomize comparison.

Run as a child of the benchmark, so that the benchmark's own memory stays small (a child started from
a large process reports that process's memory as its own peak):

    bench_inputs.py stream N                    N documents rendered from tests/charts
    bench_inputs.py large list|runaiconfig MB [--anchor]
    bench_inputs.py kustomization DIR STREAM REPORT OUTPUT

A stream is what `helm template` renders for the two test charts (Helm 3, .tools/bin/helm3 or $HELM),
with the documents that the `large` profile changes (TARGETS) exactly once, as in one Run:ai release,
and the other documents repeated, each copy with a numbered metadata.name, up to N documents. The same
N always gives the same bytes.
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

ROOT = Path(__file__).resolve().parent.parent
CHARTS = (("runai-backend", "control-plane"), ("runai-cluster", "runai-cluster"))  # (release, chart)
# (kind, metadata.name) of every rendered document that `runai-size --profile large` changes.
TARGETS = (
    ("Deployment", "runai-backend-backend"),
    ("Deployment", "runai-backend-frontend"),
    ("Deployment", "runai-backend-grafana"),
    ("Deployment", "runai-backend-thanos-query"),
    ("StatefulSet", "runai-backend-thanos-receive"),
    ("Prometheus", "runai-cluster-prometheus"),
    ("RunaiConfig", "runai"),
)
NAME = re.compile(r"^  name: (\S+)$", re.MULTILINE)  # the first one is metadata.name in Helm's output


def identity(document: dict[str, Any]) -> tuple[str, str]:
    return document.get("kind", ""), document.get("metadata", {}).get("name", "")


def rendered() -> dict[tuple[str, str], str]:
    """The documents of the test charts as Helm renders them (each from its `---` line on), by identity."""
    helm = os.environ.get("HELM") or shutil.which(str(ROOT / ".tools/bin/helm3")) or shutil.which("helm")
    if helm is None:
        sys.exit("bench_inputs: no helm ($HELM, .tools/bin/helm3, PATH): run scripts/setup")
    text = "".join(
        subprocess.run(
            [helm, "template", release, str(ROOT / "tests/charts" / chart)], check=True, capture_output=True, text=True
        ).stdout
        for release, chart in CHARTS
    )
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
    """Block-sequence entries (at indent 2) of `items` until `size` bytes; with `anchor`, the second
    entry is anchored and one more entry is its alias."""
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
    """One targeted document of about `megabytes` MB: a List of Deployments (the targeted thanos-query
    first, then renamed copies of an untouched one), or the RunaiConfig with a long status."""
    charts = rendered()
    size = int(megabytes * 1e6)
    if kind == "list":
        query, agent = charts["Deployment", "runai-backend-thanos-query"], charts["Deployment", "runai-cluster-agent"]
        body = (renamed(agent, n) if n else query for n in range(sys.maxsize))
        bare = (re.sub(r"\A---\n(# Source: .*\n)?", "", doc) for doc in body)
        return "---\napiVersion: v1\nkind: List\nitems:\n" + entries(bare, size, anchor)
    conditions = (
        f'type: Reconciled-{n}\nstatus: "True"\nreason: ReconcileSucceeded\n'
        f'message: component {n} of the Run:ai cluster is up to date\nlastTransitionTime: "2026-11-30T00:00:00Z"'
        for n in range(sys.maxsize)
    )
    return charts["RunaiConfig", "runai"] + "status:\n  conditions:\n" + entries(conditions, size, anchor)


def at(data: Any, keys: list[str]) -> Any:
    """The value at `keys` in `data`, or None where there is none."""
    for key in keys:
        try:
            data = data[int(key)] if isinstance(data, list) else data[key]
        except (KeyError, IndexError, TypeError, ValueError):
            return None
    return data


def write_kustomization(folder: Path, stream_file: Path, report_file: Path, output_file: Path) -> None:
    """kustomization.yaml and added.yaml in `folder` (the caller puts the stream there as stream.yaml),
    made from runai-size's report: one JSON6902 operation per change (a missing parent is added whole,
    as runai-size wrote it), and the objects it added as resources, taken from its output."""
    report = json.loads(report_file.read_text())
    before = {identity(doc): doc for doc in yaml.safe_load_all(stream_file.read_text()) if doc}
    after = {identity(doc): doc for doc in yaml.safe_load_all(output_file.read_text()) if doc}
    operations: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for change in report["changes"]:
        target = tuple(re.search(r"\((\w+)/([^)]+)\)$", change["target"]).groups())  # type: ignore[union-attr]
        keys = [key.replace("~1", "/").replace("~0", "~") for key in change["pointer"].split("/")[1:]]
        if change["new"] is None:
            operation = {"op": "remove", "path": change["pointer"]}
        else:
            depth = next(n for n in range(1, len(keys) + 1) if n == len(keys) or at(before[target], keys[:n]) is None)
            path = "/" + "/".join(key.replace("~", "~0").replace("/", "~1") for key in keys[:depth])
            value = change["new"] if depth == len(keys) else at(after[target], keys[:depth])
            operation = {"op": "add", "path": path, "value": value}
        if operation not in (ops := operations.setdefault(target, [])):
            ops.append(operation)
    patches = [
        {"target": {"kind": kind, "name": name}, "patch": json.dumps(ops)} for (kind, name), ops in operations.items()
    ]
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
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
