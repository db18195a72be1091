"""Which writer writes each changed document, over every input the tests feed the post-renderer.

Text edits write every change they can express; the round trip writes only a change that goes through a
node the document shares or marks (an anchor with its aliases, a merge key, a tag), or a document only
ruamel reads. The writer of each document is read from the JSON report (`writers`), and the reason is
checked apart from the writers' own decision: the change's path is walked in libyaml's node tree.

`python -m tests.test_writing_decision` prints how many documents each writer wrote over that corpus.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from runai_postrender.pipeline import run
from runai_postrender.profiles.load import load_profile
from runai_postrender.reading import reader
from runai_postrender.reading.constructor import shared_nodes
from runai_postrender.support.errors import RunaiSizeError
from runai_postrender.writers.listdiff import list_opcodes
from tests.conftest import CASES, ROOT

HOSTILE = ROOT / "tests" / "hostile-round-2"
PAIRED = {"d4-anchor.yaml": "d4-profile.yaml", "d4-plain.yaml": "d4-profile.yaml", "d5.yaml": "d5-profile.yaml"}
PAIRED["anch.yaml"] = "ann-strings-profile.yaml"
PROFILES = ("small", "large", "xlarge")
# (chart, release, namespace, values files): the renderings of tests/test_helm.py
CHARTS = [
    ("control-plane", "runai-backend", "runai-backend", ()),
    ("control-plane", "acme", "acme-system", ()),
    ("control-plane", "runai-backend", "runai-backend", ("control-plane-higher.yaml",)),
    ("control-plane", "runai-backend", "runai-backend", ("control-plane-grafana-requests.yaml",)),
    ("control-plane", "runai-backend", "runai-backend", ("control-plane-grafana-persistence.yaml",)),
    ("control-plane", "runai-backend", "runai-backend", ("control-plane-pdb.yaml",)),
    ("runai-cluster", "runai-cluster", "runai", ()),
    ("kube-prometheus-stack", "runai-backend", "runai-backend", ()),
    ("thanos", "runai-backend", "runai-backend", ()),
]


def _case_profile(case: Path) -> str:
    ref = (case / "profile").read_text().strip()
    return str(case / ref) if ref.endswith((".yaml", ".yml")) else ref


def _helm() -> Path | None:
    found = ROOT / ".tools" / "bin" / "helm3"
    return found if found.exists() else None


@cache
def _rendered(chart: str, release: str, namespace: str, values: tuple[str, ...]) -> bytes:
    helm = _helm()
    assert helm is not None
    command = [str(helm), "template", release, str(ROOT / "tests" / "charts" / chart), "--namespace", namespace]
    for name in values:
        command += ["--values", str(ROOT / "tests" / "charts" / "values" / name)]
    return subprocess.run(command, capture_output=True, check=True, timeout=120).stdout


def corpus() -> Iterator[tuple[str, bytes, str]]:
    """(name, stream, profile) for each input: the golden cases, the hostile inputs, the charts by Helm."""
    for case in sorted(path for path in CASES.iterdir() if (path / "input.yaml").exists()):
        yield f"case {case.name}", (case / "input.yaml").read_bytes(), _case_profile(case)
    for path in sorted(HOSTILE.glob("*.yaml")):
        if path.name.endswith("-profile.yaml"):
            continue
        profiles = [str(HOSTILE / PAIRED[path.name])] if path.name in PAIRED else list(PROFILES)
        for profile in profiles:
            yield f"hostile {path.name} {Path(profile).name}", path.read_bytes(), profile
    if _helm() is None:
        return
    for chart, release, namespace, values in CHARTS:
        data = _rendered(chart, release, namespace, values)
        for profile in PROFILES:
            yield f"chart {chart} {release} {'+'.join(values)} {profile}", data, profile


def written(data: bytes, profile: str) -> list[tuple[str, str, bytes, bytes]]:
    """(document, writer from the JSON report, text before, text after) for each changed document."""
    result = run(data, load_profile(profile))
    writers = json.loads(result.report.to_json())["writers"]
    return [(name, writers[name], bytes(before), after) for name, before, after in result.changed if name in writers]


def through_shared(before: bytes, after: bytes) -> bool:
    """Whether the change from `before` to `after` goes through a node the text shares or marks, walked in
    libyaml's node tree (a text libyaml refuses: only ruamel reads it, which counts as shared)."""
    text = before.decode("utf-8-sig")
    try:
        node = reader.compose(text)
    except yaml.YAMLError:
        return True
    assert node is not None
    return _walk(node, reader.read(text), reader.read(after.decode("utf-8-sig")), shared_nodes(node))


def _walk(node: yaml.Node, old: Any, new: Any, special: frozenset[int]) -> bool:
    if reader.same(old, new):
        return False
    if id(node) in special:
        return True
    if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
        children = {reader.read(key.value) if key.style is None else key.value: value for key, value in node.value}
        return any(
            _walk(children[name], old[name], new[name], special) for name in old if name in new and name in children
        )
    if isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list):
        pairs: list[tuple[int, int]] = []
        for _, old_start, old_end, new_start, new_end in list_opcodes(old, new):
            pairs += zip(range(old_start, old_end), range(new_start, new_end), strict=False)
        return any(_walk(node.value[i], old[i], new[j], special) for i, j in pairs)
    return False


def count(inputs: Iterator[tuple[str, bytes, str]]) -> tuple[Counter[str], list[str]]:
    """How many documents each writer wrote, and the round trips whose change goes through nothing shared."""
    writers: Counter[str] = Counter()
    unexplained: list[str] = []
    for name, data, profile in inputs:
        try:
            changed = written(data, profile)
        except RunaiSizeError:  # an input the tests expect to be refused: nothing written
            continue
        for document, writer, before, after in changed:
            writers[writer] += 1
            if writer != "text edits" and not through_shared(before, after):
                unexplained.append(f"{name}: {document} ({writer})")
    return writers, unexplained


def test_the_round_trip_writes_only_changes_through_anchors_aliases_merge_keys_or_tags() -> None:
    writers, unexplained = count(corpus())
    assert unexplained == []
    assert writers["text edits"] > 50 and set(writers) <= {"text edits", "round trip"}


def test_the_shared_path_check_can_fail() -> None:
    assert through_shared(b"a: &x {p: 1}\nb: *x\n", b"a: {p: 2}\nb: {p: 1}\n")
    assert through_shared(b"b: &x {p: 1}\nc:\n  <<: *x\n  q: 1\n", b"b: {p: 1}\nc: {p: 1, q: 2}\n")
    assert not through_shared(b"a: &x {p: 1}\nb: *x\nc: 1\n", b"a: {p: 1}\nb: {p: 1}\nc: 2\n")
    assert not through_shared(b"a: [1, 2]\n", b"a: [1, 3]\n")


if __name__ == "__main__":
    found, unexplained_round_trips = count(corpus())
    print(dict(found), f"round trips not through a shared node: {len(unexplained_round_trips)}")
    print("\n".join(unexplained_round_trips), file=sys.stderr)
