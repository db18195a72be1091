"""Generate deterministic, Helm-shaped manifest streams for the runai-size benchmark.

A stream looks like what Helm 3 hands a post-renderer for one Run:ai release: every document starts
with ``---`` and a ``# Source: <chart>/templates/<file>.yaml`` comment, uses Helm's indentation
(``containers:`` followed by ``  - name:``), and the documents come in Helm's install order (by kind,
custom resources last). It holds exactly one copy of each resource that the ``large`` profile
targets (``TARGETS``), however many documents it has; every other document is filler whose name
ends in a number, about 2.3 KB on average. The same (documents, seed) always gives the same bytes.

``kustomize_patches()`` and ``kustomize_hpas()`` make the same changes as the ``large`` profile
with kustomize (JSON6902 patches, and the HorizontalPodAutoscalers as extra resources), for the
comparison with kustomize.
"""

from __future__ import annotations

import hashlib
import json
import random
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

VERSION = "2.19.12"
NAMESPACE = "runai-backend"
CLUSTER_NAMESPACE = "runai"
REGISTRY = "gcr.io/run-ai-prod"

# (kind, name) of every document that the large profile changes; each stream has each one once.
TARGETS: tuple[tuple[str, str], ...] = (
    ("Deployment", "runai-backend-backend"),
    ("Deployment", "runai-backend-frontend"),
    ("Deployment", "runai-backend-grafana"),
    ("Deployment", "runai-backend-thanos-query"),
    ("StatefulSet", "runai-backend-thanos-receive"),
    ("RunaiConfig", "runai"),
    ("Prometheus", "runai"),
)

# Helm 3's releaseutil.InstallOrder (the kinds that occur here); kinds it does not list go last.
_INSTALL_ORDER = (
    "ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
    "Service", "Deployment", "StatefulSet",
)  # fmt: skip
_COMPONENTS = (
    "assets-service", "audit-service", "authorization", "cluster-service", "datavolumes",
    "identity-manager", "k8s-objects-tracker", "metrics-service", "notifications-proxy",
    "org-unit-service", "policy-service", "tenants-manager", "workloads-service", "cli-exposer",
    "traefik", "keycloak", "redis-cache", "nats-streaming", "cluster-api", "scheduler", "binder",
    "podgrouper", "status-updater", "metrics-exporter", "workload-controller", "job-controller",
    "cluster-sync", "assets-sync", "agent", "node-scale-adjuster", "inference-workload-controller",
)  # fmt: skip
_SIDECARS = ("oauth-proxy", "envoy", "config-reloader", "log-shipper")
_CHARTS = ("runai-backend", "runai-cluster", "thanos", "grafana", "keycloakx", "nats", "redis")
_ENV_NAMES = (
    "LOG_LEVEL", "LOG_FORMAT", "HTTP_PORT", "GRPC_PORT", "METRICS_PORT", "DB_HOST", "DB_PORT",
    "DB_NAME", "DB_USER", "REDIS_URL", "NATS_URL", "TENANT_ID", "CLUSTER_ID", "FEATURE_FLAGS",
    "OTEL_EXPORTER_OTLP_ENDPOINT", "GOMAXPROCS", "GOMEMLIMIT", "REQUEST_TIMEOUT", "MAX_CONNECTIONS",
    "CACHE_TTL", "KEYCLOAK_URL", "AUTH_AUDIENCE", "ENABLE_TRACING",
)  # fmt: skip
_ENV_VALUES = ("info", "json", "8080", "true", "30s", "1000")
_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
_API_GROUPS = ("", "apps", "batch", "run.ai", "scheduling.run.ai", "monitoring.coreos.com")
_RESOURCES = (
    "pods", "services", "configmaps", "secrets", "deployments", "statefulsets", "jobs", "projects",
    "departments", "podgroups", "queues", "nodepools", "servicemonitors", "ingresses", "events",
)  # fmt: skip


@dataclass(frozen=True)
class Document:
    """One document of a stream: its kind, its name and its full text (from its ``---`` line on)."""

    kind: str
    name: str
    text: str


def generate_stream(documents: int, seed: int = 0) -> str:
    """Return a stream of exactly `documents` documents, the targeted ones among them."""
    if documents < len(TARGETS):
        raise ValueError(f"a stream needs at least {len(TARGETS)} documents (the targeted ones)")
    rng = random.Random(f"runai-size-bench/{seed}/{documents}")
    makers, weights = zip(*_FILLER, strict=True)
    docs = [rng.choices(makers, weights)[0](rng, index) for index in range(documents - len(TARGETS))]
    # The targeted documents are the same in every stream, wherever they land.
    for document in _targets(random.Random(f"runai-size-bench/{seed}/targets")):
        docs.insert(rng.randrange(len(docs) + 1), document)
    rank = {kind: n for n, kind in enumerate(_INSTALL_ORDER)}
    docs.sort(key=lambda doc: rank.get(doc.kind, len(rank)))  # stable, like Helm's own sort
    return "".join(doc.text for doc in docs)


def kustomize_patches() -> list[dict[str, object]]:
    """The kustomization ``patches:`` (target + JSON6902) that make the large profile's changes."""

    def resources(requests: dict[str, str], limits: dict[str, str]) -> dict[str, dict[str, str]]:
        return {"requests": requests, "limits": limits}

    def add(path: str, value: object) -> dict[str, object]:
        return {"op": "add", "path": path, "value": value}

    thanos_query = resources({"cpu": "1", "memory": "3G"}, {"cpu": "1", "memory": "3G"})
    thanos_receive = resources({"cpu": "1", "memory": "6G"}, {"cpu": "1", "memory": "6G"})
    service_group = resources({"cpu": "1", "memory": "1Gi"}, {"cpu": "2", "memory": "2Gi"})
    workload_group = resources({"cpu": "100m", "memory": "512Mi"}, {"cpu": "1000m", "memory": "1Gi"})  # small's
    queue = {"capacity": 5000, "maxSamplesPerSend": 1000, "maxShards": 100}
    # query and receive are the only containers of their pods (see _thanos), hence index 0.
    container = "/spec/template/spec/containers/0/resources"
    patches: list[tuple[str, str, list[dict[str, object]]]] = [
        ("Deployment", "runai-backend-thanos-query", [add(container, thanos_query)]),
        ("StatefulSet", "runai-backend-thanos-receive", [add(container, thanos_receive)]),
        (
            "RunaiConfig",
            "runai",
            [
                add("/spec/global/schedulingServices/resources", service_group),
                add("/spec/global/syncServices/resources", service_group),
                add("/spec/global/workloadServices/resources", workload_group),
                add("/spec/prometheus/remoteWrite/queueConfig", queue),
                add("/spec/prometheus/spec/retention", "1h"),
            ],
        ),
        (
            "Prometheus",
            "runai",
            [
                add("/spec/remoteWrite/0/queueConfig", queue),
                add("/spec/remoteWrite/1/queueConfig", queue),
                add("/spec/retention", "1h"),
            ],
        ),
    ]
    for name, _ in _AUTOSCALED:
        patches.append(("Deployment", name, [{"op": "remove", "path": "/spec/replicas"}]))
    return [{"target": {"kind": kind, "name": name}, "patch": json.dumps(ops)} for kind, name, ops in patches]


def kustomize_hpas() -> str:
    """The HorizontalPodAutoscalers that the large profile adds, as a stream for kustomize's resources."""
    return "".join(
        _block(f"""
            ---
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata:
              name: {name}
              namespace: {NAMESPACE}
            spec:
              scaleTargetRef:
                apiVersion: apps/v1
                kind: Deployment
                name: {name}
              minReplicas: 2
              maxReplicas: {max_replicas}
              metrics:
                - type: Resource
                  resource:
                    name: cpu
                    target:
                      type: Utilization
                      averageUtilization: 70
            """)
        for name, max_replicas in _AUTOSCALED
    )


# The Deployments that the large profile gives an HPA, with its maxReplicas.
_AUTOSCALED = (("runai-backend-backend", 4), ("runai-backend-frontend", 4), ("runai-backend-grafana", 3))


# --- pieces shared by the documents -------------------------------------------------------------------


def _block(text: str, indent: int = 0) -> str:
    """A YAML fragment written as an indented literal, dedented and shifted right by `indent` spaces."""
    return textwrap.indent(textwrap.dedent(text).lstrip("\n"), " " * indent)


def _header(chart: str, template: str, api_version: str, kind: str, name: str, namespace: str | None) -> str:
    component = template.split("/")[0]
    namespace_line = f"\n  namespace: {namespace}" if namespace else ""
    header = _block(f"""
        ---
        # Source: {chart}/templates/{template}.yaml
        apiVersion: {api_version}
        kind: {kind}
        metadata:
          name: {name}{{namespace}}
          labels:
            app.kubernetes.io/name: {component}
            app.kubernetes.io/instance: {chart}
            app.kubernetes.io/version: "{VERSION}"
            app.kubernetes.io/managed-by: Helm
            helm.sh/chart: {chart}-{VERSION}
        """)
    return header.replace("{namespace}", namespace_line)


def _filler_name(rng: random.Random, index: int) -> tuple[str, str, str]:
    """(chart, component, name): filler names end in a number, targeted ones never do."""
    chart, component = rng.choice(_CHARTS), rng.choice(_COMPONENTS)
    return chart, component, f"{chart}-{component}-{index}"


def _env(rng: random.Random, count: int) -> str:
    """A container's ``env:`` list: plain values, secret references and the downward API."""
    entries = []
    for name in rng.sample(_ENV_NAMES, count):
        style = rng.random()
        if style < 0.6:
            entries.append(f'  - name: {name}\n    value: "{rng.choice(_ENV_VALUES)}"\n')
        elif style < 0.8:
            secret = name.lower().replace("_", "-")
            reference = f"      secretKeyRef:\n        name: {secret}\n        key: value\n"
            entries.append(f"  - name: {name}\n    valueFrom:\n{reference}")
        else:
            entries.append(
                f"  - name: {name}\n    valueFrom:\n      fieldRef:\n        fieldPath: metadata.namespace\n"
            )
    return "env:\n" + "".join(entries)


def _container(rng: random.Random, name: str, image: str, port: int, env: str, resources: tuple[str, str, str]) -> str:
    """One entry of a ``containers:`` list, indented as in spec.template.spec (Helm 3 style)."""
    cpu, memory, memory_limit = resources
    body = _block(f"""
        image: "{image}"
        imagePullPolicy: IfNotPresent
        args:
          - --port={port}
          - --log-level=info
        ports:
          - name: http
            containerPort: {port}
            protocol: TCP
        {{env}}livenessProbe:
          httpGet:
            path: /healthz
            port: http
          initialDelaySeconds: {rng.choice((5, 10, 30))}
          periodSeconds: 10
          timeoutSeconds: 5
        readinessProbe:
          httpGet:
            path: /readyz
            port: http
          initialDelaySeconds: 5
          periodSeconds: 10
        resources:
          requests:
            cpu: {cpu}
            memory: {memory}
          limits:
            memory: {memory_limit}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
        volumeMounts:
          - name: config
            mountPath: /etc/{name}
            readOnly: true
        """).replace("{env}", env)
    return f"        - name: {name}\n" + textwrap.indent(body, " " * 10)


def _random_container(rng: random.Random, name: str, component: str, port: int) -> str:
    memory = rng.randrange(4)  # the limit is never below the request
    resources = (
        rng.choice(("50m", "100m", "250m", "500m")),
        ("64Mi", "128Mi", "256Mi", "512Mi")[memory],
        ("256Mi", "512Mi", "1Gi", "2Gi")[rng.randint(memory, 3)],
    )
    env = _env(rng, rng.randint(4, 12))
    return _container(rng, name, f"{REGISTRY}/{component}:{VERSION}", port, env, resources)


def _workload_spec(name: str, component: str, containers: list[str], extra: str = "") -> str:
    """The ``spec:`` of a Deployment or StatefulSet; `extra` goes right after ``replicas:``."""
    spec = _block(f"""
        spec:
          replicas: 1
        {{extra}}  selector:
            matchLabels:
              app.kubernetes.io/name: {component}
              app.kubernetes.io/instance: {name}
          template:
            metadata:
              labels:
                app.kubernetes.io/name: {component}
                app.kubernetes.io/instance: {name}
              annotations:
                checksum/config: {hashlib.sha256(name.encode()).hexdigest()}
            spec:
              serviceAccountName: {name}
              securityContext:
                runAsNonRoot: true
                runAsUser: 1000
                fsGroup: 1000
              containers:
        {{containers}}      volumes:
                - name: config
                  configMap:
                    name: {name}-config
        """)
    return spec.replace("{extra}", extra).replace("{containers}", "".join(containers))


def _volume_claims(size: str) -> str:
    """The ``volumeClaimTemplates:`` of a StatefulSet's spec."""
    template = f"""
        volumeClaimTemplates:
          - metadata:
              name: data
            spec:
              accessModes:
                - ReadWriteOnce
              resources:
                requests:
                  storage: {size}
        """
    return _block(template, 2)


# --- filler documents ---------------------------------------------------------------------------------


def _deployment(rng: random.Random, index: int) -> Document:
    chart, component, name = _filler_name(rng, index)
    names = [component, *rng.sample(_SIDECARS, rng.randint(0, 2))]
    containers = [_random_container(rng, c, component, 8080 + n) for n, c in enumerate(names)]
    text = _header(chart, f"{component}/deployment", "apps/v1", "Deployment", name, NAMESPACE)
    return Document("Deployment", name, text + _workload_spec(name, component, containers))


def _statefulset(rng: random.Random, index: int) -> Document:
    chart, component, name = _filler_name(rng, index)
    containers = [_random_container(rng, component, component, 8080)]
    extra = f"  serviceName: {name}-headless\n  podManagementPolicy: Parallel\n"
    text = _header(chart, f"{component}/statefulset", "apps/v1", "StatefulSet", name, NAMESPACE)
    text += _workload_spec(name, component, containers, extra)
    return Document("StatefulSet", name, text + _volume_claims(rng.choice(("8Gi", "20Gi", "100Gi"))))


def _service(rng: random.Random, index: int) -> Document:
    chart, component, name = _filler_name(rng, index)
    text = _header(chart, f"{component}/service", "v1", "Service", name, NAMESPACE) + _block(f"""
        spec:
          type: {rng.choice(("ClusterIP", "ClusterIP", "NodePort"))}
          ports:
            - name: http
              port: 80
              targetPort: http
              protocol: TCP
            - name: metrics
              port: 9090
              targetPort: 9090
          selector:
            app.kubernetes.io/name: {component}
            app.kubernetes.io/instance: {name}
        """)
    return Document("Service", name, text)


def _configmap(rng: random.Random, index: int) -> Document:
    """Multi-line block scalars (``|`` and ``|-``) holding YAML and a shell script."""
    chart, component, name = _filler_name(rng, index)
    data = []
    for n in range(rng.randint(1, 3)):
        features = "".join(f"  feature{k}: {rng.choice(('true', 'false'))}\n" for k in range(rng.randint(5, 30)))
        upstreams = "".join(
            f"  - name: {up}\n    url: http://{chart}-{up}.{NAMESPACE}.svc.cluster.local:8080\n"
            for up in rng.sample(_COMPONENTS, rng.randint(2, 8))
        )
        config = (
            _block(f"""
            # {component} settings, generated by the chart
            server:
              port: {8080 + n}
              shutdownTimeout: 30s
            logging:
              level: info
              format: json
            """)
            + f"features:\n{features}upstreams:\n{upstreams}"
        )
        data.append(f"  config-{n}.yaml: |\n" + textwrap.indent(config, " " * 4))
    steps = "".join(f'echo "step {k}" && sleep 1\n' for k in range(rng.randint(2, 10)))
    script = textwrap.indent(f"#!/bin/sh\nset -e\n{steps}", " " * 4)
    text = _header(chart, f"{component}/configmap", "v1", "ConfigMap", name, NAMESPACE)
    text += "data:\n" + "".join(data) + f'  entrypoint.sh: |-\n{script}  VERSION: "{VERSION}"\n'
    return Document("ConfigMap", name, text)


def _service_account(rng: random.Random, index: int) -> Document:
    chart, component, name = _filler_name(rng, index)
    text = _header(chart, f"{component}/serviceaccount", "v1", "ServiceAccount", name, NAMESPACE)
    return Document("ServiceAccount", name, text + "automountServiceAccountToken: true\n")


def _role(rng: random.Random, index: int, kind: str) -> Document:
    chart, component, name = _filler_name(rng, index)
    rules = []
    for _ in range(rng.randint(1, 5)):
        groups = "".join(f'      - "{g}"\n' for g in rng.sample(_API_GROUPS, rng.randint(1, 2)))
        resources = "".join(f"      - {r}\n" for r in rng.sample(_RESOURCES, rng.randint(1, 4)))
        verbs = "".join(f"      - {v}\n" for v in rng.sample(_VERBS, rng.randint(1, 5)))
        rules.append(f"  - apiGroups:\n{groups}    resources:\n{resources}    verbs:\n{verbs}")
    namespace = NAMESPACE if kind == "Role" else None
    text = _header(chart, f"{component}/{kind.lower()}", "rbac.authorization.k8s.io/v1", kind, name, namespace)
    return Document(kind, name, text + "rules:\n" + "".join(rules))


def _binding(rng: random.Random, index: int, kind: str) -> Document:
    chart, component, name = _filler_name(rng, index)
    namespace = NAMESPACE if kind == "RoleBinding" else None
    text = _header(chart, f"{component}/{kind.lower()}", "rbac.authorization.k8s.io/v1", kind, name, namespace)
    text += _block(f"""
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: {kind.removesuffix("Binding")}
          name: {name}
        subjects:
          - kind: ServiceAccount
            name: {name}
            namespace: {NAMESPACE}
        """)
    return Document(kind, name, text)


def _project(rng: random.Random, index: int) -> Document:
    """A Run:ai custom resource of a kind that no profile targets."""
    name = f"team-{index}"
    text = _header("runai-cluster", "projects/project", "run.ai/v2", "Project", name, None) + _block(f"""
        spec:
          department: {rng.choice(("default", "research", "platform", "vision"))}
          deservedGpus: {rng.randint(0, 16)}
          interactiveJobTimeLimitSecs: 0
          nodeAffinity:
            train:
              affinityType: no_limit
            interactive:
              affinityType: no_limit
          resources:
            gpu:
              deserved: {rng.randint(0, 16)}
              limit: -1
            cpu:
              deserved: 0
              limit: -1
        """)
    return Document("Project", name, text)


def _service_monitor(rng: random.Random, index: int) -> Document:
    chart, component, name = _filler_name(rng, index)
    kind, api_version = "ServiceMonitor", "monitoring.coreos.com/v1"
    text = _header(chart, f"{component}/servicemonitor", api_version, kind, name, NAMESPACE) + _block(f"""
        spec:
          endpoints:
            - port: metrics
              interval: 30s
              path: /metrics
          selector:
            matchLabels:
              app.kubernetes.io/name: {component}
          namespaceSelector:
            matchNames:
              - {NAMESPACE}
        """)
    return Document(kind, name, text)


# The filler documents and their weights (the mix sets the average size, about 2.3 KB).
_FILLER: tuple[tuple[Callable[[random.Random, int], Document], int], ...] = (
    (_deployment, 30),
    (_statefulset, 4),
    (_service, 13),
    (_configmap, 18),
    (_service_account, 5),
    (lambda rng, index: _role(rng, index, "Role"), 5),
    (lambda rng, index: _binding(rng, index, "RoleBinding"), 5),
    (lambda rng, index: _role(rng, index, "ClusterRole"), 4),
    (lambda rng, index: _binding(rng, index, "ClusterRoleBinding"), 3),
    (_project, 10),
    (_service_monitor, 5),
)


# --- the targeted documents ---------------------------------------------------------------------------


def _targets(rng: random.Random) -> list[Document]:
    return [
        _control_plane(rng, "backend", ["backend"]),
        _control_plane(rng, "frontend", ["frontend"]),
        # Grafana's dashboard sidecar comes first: a profile must pick containers by name, not index.
        _control_plane(rng, "grafana", ["grafana-sc-dashboard", "grafana"]),
        _thanos(rng, "query", "Deployment"),
        _thanos(rng, "receive", "StatefulSet"),
        _runai_config(),
        _prometheus(),
    ]


def _control_plane(rng: random.Random, component: str, names: list[str]) -> Document:
    name = f"runai-backend-{component}"
    containers = [_random_container(rng, c, component, 8080 + n) for n, c in enumerate(names)]
    text = _header("runai-backend", f"{component}/deployment", "apps/v1", "Deployment", name, NAMESPACE)
    return Document("Deployment", name, text + _workload_spec(name, component, containers))


def _thanos(rng: random.Random, component: str, kind: str) -> Document:
    name = f"runai-backend-thanos-{component}"
    image = "docker.io/bitnami/thanos:0.36.1"
    container = _container(rng, component, image, 10902, _env(rng, 4), ("250m", "512Mi", "1Gi"))
    text = _header("thanos", f"{component}/{kind.lower()}", "apps/v1", kind, name, NAMESPACE)
    if kind == "StatefulSet":
        extra = f"  serviceName: {name}-headless\n"
        text += _workload_spec(name, component, [container], extra) + _volume_claims("50Gi")
    else:
        text += _workload_spec(name, component, [container])
    return Document(kind, name, text)


def _runai_config() -> Document:
    groups = "".join(
        _block(
            f"""
            {group}:
              resources:
                requests:
                  cpu: {cpu}
                  memory: {memory}
                limits:
                  cpu: "1"
                  memory: 1Gi
            """,
            4,
        )
        for group, cpu, memory in (
            ("schedulingServices", "100m", "512Mi"),
            ("syncServices", "100m", "256Mi"),
            ("workloadServices", "50m", "256Mi"),
        )
    )
    text = _header("runai-cluster", "runaiconfig", "run.ai/v1", "RunaiConfig", "runai", CLUSTER_NAMESPACE)
    text += _block(f"""
        spec:
          global:
            image:
              registry: {REGISTRY}
              tag: {VERSION}
        {{groups}}  prometheus:
            remoteWrite:
              queueConfig:
                capacity: 2500
                maxSamplesPerSend: 500
                maxShards: 50
            spec:
              retention: 2h
              scrapeInterval: 30s
          scheduler:
            fullHierarchyFairness: true
        """).replace("{groups}", groups)
    return Document("RunaiConfig", "runai", text)


def _prometheus() -> Document:
    remote_writes = "".join(
        _block(
            f"""
            - url: {url}
              writeRelabelConfigs:
                - sourceLabels: [__name__]
                  regex: runai_.*
                  action: keep
              queueConfig:
                capacity: 2500
                maxSamplesPerSend: 500
                maxShards: 50
            """,
            4,
        )
        for url in (
            "https://runai.example.com/api/v1/receive",
            "https://runai-backend-thanos-receive.runai-backend.svc.cluster.local:19291/api/v1/receive",
        )
    )
    kind, api_version = "Prometheus", "monitoring.coreos.com/v1"
    text = _header("runai-cluster", "prometheus/prometheus", api_version, kind, "runai", CLUSTER_NAMESPACE)
    text += _block("""
        spec:
          replicas: 1
          retention: 2h
          scrapeInterval: 30s
          serviceAccountName: runai-prometheus
          remoteWrite:
        """)
    return Document(kind, "runai", text + remote_writes)
