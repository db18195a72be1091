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
from runai_postrender.support.versions import parse_version

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


# The charts whose own objects name the Run:ai version (`helm.sh/chart: control-plane-2.18.4`); a sub-chart's objects
# (thanos, grafana) name their own chart's version and say nothing of Run:ai's. Helm's convention writes the
# chart label as `{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}` and `app.kubernetes.io/version` as
# `{{ .Chart.AppVersion }}`; Run:ai's charts are not public, so which of the two a release carries is not known:
# the chart label decides, and `app.kubernetes.io/version` stands in where an object of Run:ai's own chart has
# no version in its chart label (a label `helm.sh/chart: control-plane`, or none on an object whose template is
# `control-plane/templates/...`).
RUNAI_CHARTS = ("control-plane", "runai-cluster")
CHART_LABEL = "helm.sh/chart"
VERSION_LABEL = "app.kubernetes.io/version"
_RUNAI_CHART = re.compile(
    r"^(" + "|".join(map(re.escape, RUNAI_CHARTS)) + r")(?:-(v?\d+\.\d+(?:\.\d+)?(?:[-+_]\S*)?))?$"
)
# A Run:ai chart label in the stream's bytes, with its version (group 2) or without one (group 2 None).
_STREAM_LABELS = re.compile(
    rb"""helm\.sh/chart['"]?[ \t]*:[ \t]*['"]?("""
    + rb"|".join(c.encode() for c in RUNAI_CHARTS)
    + rb""")(?:-v?(\d+\.\d+(?:\.\d+)?)|['"]?[ \t]*(?=[\r\n#,}]|$))""",
    re.M,
)
# The path of a Run:ai chart's own template (not a sub-chart's), in `# Source:` or Helm 4's annotation.
_STREAM_OWN_TEMPLATES = tuple(f"{chart}/templates/".encode() for chart in RUNAI_CHARTS)


def runai_version(metadata: dict[str, Any], head: str = "") -> str | None:
    """The Run:ai version of an object of Run:ai's own charts (None: not one, or it names none): its
    `helm.sh/chart` label's version, else its `app.kubernetes.io/version` (see above). `head`: the start of
    the document's text, for Helm 3's `# Source:` comment."""
    return runai_versions(metadata, head)[0]


def runai_versions(metadata: dict[str, Any], head: str = "") -> tuple[str | None, str | None]:
    """The Run:ai version of an object of Run:ai's own charts (as `runai_version`), and its
    `app.kubernetes.io/version` where that names another version than the chart label (None otherwise)."""
    labels = metadata.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    chart = labels.get(CHART_LABEL)
    found = _RUNAI_CHART.match(chart) if isinstance(chart, str) else None
    if chart is not None and found is None:
        return None, None  # another chart's object: a sub-chart's, or not Run:ai's
    if found is None and _own_template(metadata, head) is None:
        return None, None  # no chart label, and no template path of a Run:ai chart
    app = labels.get(VERSION_LABEL)
    app = app.strip() if isinstance(app, str) and parse_version(app.strip()) is not None else None
    labelled = found.group(2) if found else None
    if labelled is None:
        return app, None
    labelled = labelled.replace("_", "+")  # Helm writes a chart version's `+` as `_`
    return labelled, app if app is not None and parse_version(app) != parse_version(labelled) else None


def _own_template(metadata: dict[str, Any], head: str) -> str | None:
    """The chart of an object rendered from a Run:ai chart's own template, by Helm's path (`control-plane/
    templates/...`; a sub-chart's `control-plane/charts/thanos/...` is not)."""
    annotations = metadata.get("annotations")
    path = annotations.get(HELM4_FILENAME) if isinstance(annotations, dict) else None
    if not isinstance(path, str):
        path = _source(head) if head else None
    parts = path.split("/") if isinstance(path, str) else []
    return parts[0] if len(parts) > 2 and parts[0] in RUNAI_CHARTS and parts[1] == "templates" else None


def stream_versions(data: bytes | bytearray) -> tuple[list[str], bool]:
    """The Run:ai versions the stream's `helm.sh/chart` labels name, from its bytes, in order (one pass), and
    whether an object of Run:ai's own charts may take its version from `app.kubernetes.io/version`: the
    stream has that label, and a Run:ai chart label without a version, or a Run:ai chart's own template
    and no versioned Run:ai chart label (for what to read; `runai_version` decides per object)."""
    versions: dict[str, None] = {}
    unversioned = False
    for match in _STREAM_LABELS.finditer(data):
        if match.group(2) is None:
            unversioned = True
        else:
            versions[match.group(2).decode()] = None
    elsewhere = data.find(VERSION_LABEL.encode()) >= 0 and (
        unversioned or (not versions and any(data.find(mark) >= 0 for mark in _STREAM_OWN_TEMPLATES))
    )
    return list(versions), elsewhere


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
