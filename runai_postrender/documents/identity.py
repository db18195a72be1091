"""Where an object comes from: the Helm chart and the release that rendered it.

Helm says it in its output: Helm 3 writes a `# Source: <chart>/charts/<sub-chart>/templates/...` comment
above every document, Helm 4 puts the same path in the `postrenderer.helm.sh/postrender-filename`
annotation (and takes it off again after the post-renderer), and charts label their objects with the
release (`app.kubernetes.io/instance`, or the older `release`). Built-in profiles use this to size only
Run:ai's objects: a kube-prometheus-stack Grafana is not Run:ai's, whatever its name ends with.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from runai_postrender.support.record import Frozen

HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"
RELEASE_LABELS = ("app.kubernetes.io/instance", "release")
# A byte-order mark may start any document of a stream (two files joined), before its `# Source:` line.
_SOURCE = re.compile(r"^\ufeff?# Source: (\S+)", re.M)
# The first line of content: not a comment, a blank line or a marker.
_CONTENT = re.compile(r"^\ufeff?(?!---|\.\.\.)[ \t]*[^ \t\r\n#%\ufeff]", re.M)
# What names the chart of each object: labels alone (`helm.sh/chart` names the sub-chart, not the release's
# chart) do not, so a stream with only labels (`kubectl get -o yaml`) is matched by names.
_STREAM_MARKS = (b"# Source: ", HELM4_FILENAME.encode())
_STREAM_CHARTS = re.compile(
    rb"^(?:\xef\xbb\xbf)?# Source: ([^/\s]+)/|"
    + re.escape(HELM4_FILENAME.encode())
    + rb"""['"]?:[ \t]*['"]?([^/\s'"]+)/""",
    re.M,
)


# The charts whose own objects name the Run:ai version (`helm.sh/chart: control-plane-2.18.4`); a sub-chart's
# objects (thanos, grafana) name their own chart's version and say nothing of Run:ai's.
RUNAI_CHARTS = ("control-plane", "runai-cluster")
CHART_LABEL = "helm.sh/chart"
_RUNAI_CHART = re.compile(r"^(" + "|".join(map(re.escape, RUNAI_CHARTS)) + r")-(v?\d+\.\d+(?:\.\d+)?(?:[-+]\S*)?)$")
_STREAM_VERSIONS = re.compile(
    rb"""helm\.sh/chart['"]?[ \t]*:[ \t]*['"]?("""
    + rb"|".join(c.encode() for c in RUNAI_CHARTS)
    + rb""")-v?(\d+\.\d+(?:\.\d+)?)"""
)


def runai_version(metadata: dict[str, Any]) -> str | None:
    """The Run:ai version an object of Run:ai's own charts names in its `helm.sh/chart` label, or None."""
    labels = metadata.get("labels")
    chart = labels.get(CHART_LABEL) if isinstance(labels, dict) else None
    found = _RUNAI_CHART.match(chart) if isinstance(chart, str) else None
    return found.group(2) if found else None


def versions_in(data: bytes | bytearray) -> list[str]:
    """The Run:ai versions the stream's `helm.sh/chart` labels name, from its bytes, in order."""
    found = (match.group(2).decode() for match in _STREAM_VERSIONS.finditer(data))
    return list(dict.fromkeys(found))


class Origin(Frozen):
    """The chart that rendered an object (None: the stream does not say)."""

    __slots__ = ("chart", "release")

    def __init__(self, chart: str | None, release: str | None) -> None:
        self.chart = chart  # the release's chart: the first part of the template's path
        self.release = release  # from the release labels


def origin(metadata: dict[str, Any], head: str) -> Origin:
    """The origin of an object with this `metadata`, in a document whose text begins with `head`."""
    annotations = metadata.get("annotations")
    path = annotations.get(HELM4_FILENAME) if isinstance(annotations, dict) else None
    if not isinstance(path, str):
        path = _source(head)
    labels = metadata.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    release = next((str(labels[key]) for key in RELEASE_LABELS if labels.get(key) not in (None, "")), None)
    # A sub-chart's template is `<chart>/charts/<sub-chart>/templates/...`: the release's chart comes first.
    return Origin(path.split("/")[0] if path is not None else None, release)


@lru_cache(maxsize=16)  # the same head for every item of a `kind: List`
def _source(text: str) -> str | None:
    """The path in Helm 3's `# Source:` comment, among the comments above the document's content."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # YAML reads a lone CR as a line break too
    content = _CONTENT.search(text)
    found = _SOURCE.search(text, 0, content.start() if content else len(text))
    return found.group(1) if found else None


def stream_says(data: bytes | bytearray) -> bool:
    """Whether the stream carries any chart identity at all (else rules fall back to names)."""
    return any(data.find(mark) >= 0 for mark in _STREAM_MARKS)


def charts_in(data: bytes | bytearray) -> list[str]:
    """The charts whose templates the stream holds, by Helm's comments and annotations, in order."""
    found = (match.group(1) or match.group(2) for match in _STREAM_CHARTS.finditer(data))
    return list(dict.fromkeys(name.decode("utf-8", "replace") for name in found))
