"""Which chart value renders which field of a Run:ai release's objects, and for which Run:ai versions the
pages document it: what `export --format values` may write as a value rather than as a comment."""

from __future__ import annotations

from runai_postrender.support.record import Frozen
from runai_postrender.support.versions import Version


class Key(Frozen):
    """A chart value that renders a field: in `chart`, objects `kind`/`name` ({release} is the release), the
    field at `prefix` (in the containers matching `container`, or from the object's root) and below it."""

    __slots__ = ("chart", "kind", "name", "container", "prefix", "key")

    def __init__(self, chart: str, kind: str, name: str, container: str | None, prefix: str, key: str) -> None:
        self.chart = chart
        self.kind = kind
        self.name = name
        self.container = container
        self.prefix = prefix
        self.key = key


# Run:ai's documented keys ("Scaling the Run:ai system", the control-plane and cluster configuration pages)
# and the bundled grafana and thanos charts' own keys.
KEYS = (
    Key("control-plane", "Deployment", "{release}-backend", "backend", "/resources", "backend.resources"),
    Key("control-plane", "Deployment", "{release}-frontend", "frontend", "/resources", "frontend.resources"),
    Key("control-plane", "Deployment", "{release}-grafana", "grafana", "/resources", "grafana.resources"),
    Key("control-plane", "Deployment", "{release}-grafana", "grafana-sc-*", "/resources", "grafana.sidecar.resources"),
    Key("control-plane", "Deployment", "{release}-thanos-query", "query", "/resources", "thanos.query.resources"),
    Key("control-plane", "StatefulSet", "{release}-thanos-receive", "receive", "/resources",
        "thanos.receive.resources"),
    Key("control-plane", "HorizontalPodAutoscaler", "{release}-grafana", None, "/spec/minReplicas",
        "grafana.autoscaling.minReplicas"),
    Key("control-plane", "HorizontalPodAutoscaler", "{release}-grafana", None, "/spec/maxReplicas",
        "grafana.autoscaling.maxReplicas"),
    Key("runai-cluster", "RunaiConfig", "*", None, "/spec", "clusterConfig"),
    Key("runai-cluster", "Prometheus", "{release}-prometheus", None, "/spec/retention", "prometheus.retention"),
)  # fmt: skip

# A workload whose HPA the chart renders from `<key>.enabled` (and leaves spec.replicas out): `full` charts
# take the bounds and the CPU target too; the others document `enabled` alone, and only where "Scaling the
# Run:ai system" does (up to 2.19: `--set backend.autoscaling.enabled=true`); the 2.20+ pages do not.
AUTOSCALING = {
    "{release}-grafana": ("grafana.autoscaling", True),
    "{release}-backend": ("backend.autoscaling", False),
    "{release}-frontend": ("frontend.autoscaling", False),
}
AUTOSCALING_DOCUMENTED_BELOW: Version = (2, 20, 0)
BUDGETS = {"{release}-backend": "backend.podDisruptionBudget", "{release}-grafana": "grafana.podDisruptionBudget"}

# The control-plane chart's own services, `<service>` being a Deployment's name after `<release>-`:
# `<service>.resources` (the control-plane configuration page from 2.20: "`<component>` resources", one
# container's) and `<service>.replicaCount` (the 2.24+ "NVIDIA Run:ai at Scale": "`<service>.replicaCount=2`").
# That `<service>` is spelled as in the Deployment's name is read from those pages' placeholders; no page
# lists the services' keys one by one.
SERVICE_RESOURCES_FROM: Version = (2, 20, 0)
SERVICE_REPLICAS_FROM: Version = (2, 24, 0)
