"""Large targeted documents for the bounds on targeted documents: a `kind: List` and a `RunaiConfig` of any size,
without anchors, with one anchor away from what the large profile changes, or with the changed path
going through an aliased node.

    python -m tests.big_documents KIND ANCHOR MEGABYTES > doc.yaml   # KIND: list | runaiconfig
                                                                     # ANCHOR: none | elsewhere | changed
    /usr/bin/time -v runai-size -p large < doc.yaml > /dev/null

The bulk is what `kubectl get ... -o yaml` writes (a List of ConfigMaps with labels, annotations and a
block scalar) or what a large RunaiConfig holds (many node pools); the large profile changes a few
values deep in one place: the thanos-query container's resources, or the Prometheus queue and retention.
"""

from __future__ import annotations

import sys

KINDS = ("list", "runaiconfig")
ANCHORS = ("none", "elsewhere", "changed")


def _config_map(i: int, anchor: bytes = b"") -> bytes:
    return (
        b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-%d\n    namespace: runai\n"
        b"    labels:%s\n      app.kubernetes.io/name: runai-cluster\n      app.kubernetes.io/instance: runai\n"
        b'    annotations:\n      checksum/config: "%032x"\n'
        b"  data:\n    key: value-%d\n    enabled: 'true'\n    script: |\n      echo one\n      echo two\n"
    ) % (i, anchor, i * 7919, i)


def big_list(megabytes: float, anchor: str = "none") -> bytes:
    """A List whose items are ConfigMaps and, in the middle, the thanos-query Deployment."""
    items = max(int(megabytes * 1_000_000) // len(_config_map(0)), 2)
    parts = [b"apiVersion: v1\nkind: List\nitems:\n"]
    for i in range(items):
        parts.append(_config_map(i, b" &labels" if anchor == "elsewhere" and i == 0 else b""))
        if i == items // 2:
            template = b" &template" if anchor == "changed" else b""
            parts.append(
                b"- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: r-thanos-query\n"
                b"  spec:\n    template:%s\n      spec:\n        containers:\n          - name: query\n"
                b"            image: thanos\n" % template
            )
    if anchor == "elsewhere":
        parts.append(b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: copy\n    labels: *labels\n")
    elif anchor == "changed":
        parts.append(b"- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: copy\n")
        parts.append(b"  spec:\n    template: *template\n")
    return b"".join(parts)


def _pool(i: int, anchor: bytes = b"") -> bytes:
    return (
        b"    - name: pool-%d\n      labels:%s\n        run.ai/pool: pool-%d\n        tier: 'gpu'\n"
        b"      resources:\n        gpu: %d\n        cpu: 500m\n        memory: 2Gi\n"
        b"      # nodes are picked by this selector\n      selector: {run.ai/node-pool: pool-%d}\n"
    ) % (i, anchor, i, i % 8, i)


def big_runaiconfig(megabytes: float, anchor: str = "none") -> bytes:
    """A RunaiConfig with many node pools, and the Prometheus settings the large profile changes."""
    pools = max(int(megabytes * 1_000_000) // len(_pool(0)), 2)
    shared = b" &prometheus" if anchor == "changed" else b""
    parts = [
        b"apiVersion: run.ai/v1\nkind: RunaiConfig\nmetadata:\n  name: runai\n  namespace: runai\nspec:\n"
        b"  prometheus:\n    remoteWrite:\n      url: https://runai.example.com/api/v1/write\n"
        b"    spec:%s\n      retention: 2h\n  nodePools:\n    pools:\n" % shared
    ]
    parts += [_pool(i, b" &labels" if anchor == "elsewhere" and i == 0 else b"") for i in range(pools)]
    if anchor == "elsewhere":
        parts.append(b"  defaultLabels: *labels\n")
    elif anchor == "changed":
        parts.append(b"  backupPrometheus: *prometheus\n")
    return b"".join(parts)


def big(kind: str, anchor: str, megabytes: float) -> bytes:
    return (big_list if kind == "list" else big_runaiconfig)(megabytes, anchor)


if __name__ == "__main__":
    kind, anchor, size = sys.argv[1:4]
    if kind not in KINDS or anchor not in ANCHORS:
        sys.exit(__doc__)
    sys.stdout.buffer.write(big(kind, anchor, float(size)))
