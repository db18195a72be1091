"""Which edition of Run:ai's sizing guide a stream gets: the version its Run:ai charts' `helm.sh/chart`
labels name (per release), `--runai-version` over it, the newest where nothing names one; the 2.20+
control-plane replicas and what stays out of them; `recommend` by each edition's tiers.

The streams are Helm 3's output: a `# Source:` comment and the labels the charts put on their objects.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from runai_postrender.cli.group import main
from runai_postrender.pipeline import run
from runai_postrender.profiles.load import flatten_values as flatten
from runai_postrender.profiles.load import load_profile
from runai_postrender.support.errors import ProfileError
from tests.conftest import output_of


def deployment(
    name: str,
    version: str | None = "2.25.0",
    source: str = "control-plane/templates/service.yaml",
    chart: str = "control-plane",
    release: str = "runai-backend",
    volumes: str = "[]",
) -> str:
    label = f"{chart}-{version}" if version else None
    labels = f"{{app.kubernetes.io/instance: {release}" + (f", helm.sh/chart: {label}}}" if label else "}")
    return textwrap.dedent(
        f"""\
        ---
        # Source: {source}
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: runai-backend
          labels: {labels}
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: app
                  image: a
                  resources: {{requests: {{cpu: 250m}}}}
              volumes: {volumes}
        """
    )


def thanos_receive(release: str = "runai-backend") -> str:
    """The Thanos receive StatefulSet of the control-plane's thanos sub-chart (its label names thanos' version)."""
    return textwrap.dedent(
        f"""\
        ---
        # Source: control-plane/charts/thanos/templates/receive/statefulset.yaml
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: {release}-thanos-receive
          namespace: runai-backend
          labels: {{app.kubernetes.io/instance: {release}, helm.sh/chart: thanos-12.5.1}}
        spec:
          replicas: 1
          template:
            spec:
              containers:
                - name: receive
                  image: thanos
                  resources: {{requests: {{cpu: 100m, memory: 1G}}, limits: {{cpu: 100m, memory: 1G}}}}
        """
    )


def runaiconfig(version: str | None) -> str:
    labels = "{app.kubernetes.io/instance: runai-cluster" + (
        f", helm.sh/chart: runai-cluster-{version}}}" if version else "}"
    )
    return textwrap.dedent(
        f"""\
        ---
        # Source: runai-cluster/templates/runaiconfig.yaml
        apiVersion: run.ai/v1
        kind: RunaiConfig
        metadata:
          name: runai
          namespace: runai
          labels: {labels}
        spec:
          global:
            schedulingServices:
              resources: {{requests: {{cpu: 100m, memory: 512Mi}}, limits: {{cpu: 1000m, memory: 1Gi}}}}
        """
    )


def docs(data: bytes) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe", pure=True).load_all(data.decode()) if doc is not None]


def named(data: bytes, kind: str, name: str) -> dict[str, Any]:
    return next(doc for doc in docs(data) if doc["kind"] == kind and doc["metadata"]["name"] == name)


def scheduling_requests(data: bytes) -> dict[str, str]:
    config = named(data, "RunaiConfig", "runai")
    requests = config["spec"]["global"]["schedulingServices"]["resources"]["requests"]
    return {key: str(value) for key, value in requests.items()}


def receive_requests(data: bytes) -> dict[str, str]:
    container = named(data, "StatefulSet", "runai-backend-thanos-receive")["spec"]["template"]["spec"]["containers"][0]
    return {key: str(value) for key, value in container["resources"]["requests"].items()}


def replicas(data: bytes, name: str) -> Any:
    return named(data, "Deployment", name)["spec"]["replicas"]


def invoke(args: list[str], stdin: bytes = b"") -> Result:
    env = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": "", "RUNAI_SIZE_RUNAI_VERSION": ""}
    return CliRunner().invoke(main, args, input=stdin, env=env)


def one_release(version: str | None) -> bytes:
    """A control-plane release and a runai-cluster release, both of `version` (None: no chart versions)."""
    return (deployment("runai-backend-assets-service", version) + thanos_receive() + runaiconfig(version)).encode()


# The numbers of each edition, as profiles/large.yaml and xlarge.yaml give them: scheduling services'
# requests, Thanos receive's requests, the replicas of a control-plane service.
EDITIONS = {
    ("large", "scaling"): ({"cpu": "1", "memory": "1Gi"}, {"cpu": "1", "memory": "6G"}, 1),
    ("large", "at-scale-2.20"): ({"cpu": "2", "memory": "2G"}, {"cpu": "1", "memory": "6G"}, 1),
    ("large", "at-scale"): ({"cpu": "2", "memory": "2G"}, {"cpu": "2", "memory": "15G"}, 2),
    ("xlarge", "scaling"): ({"cpu": "2", "memory": "7Gi"}, {"cpu": "2", "memory": "15G"}, 1),
    ("xlarge", "at-scale-2.20"): ({"cpu": "2", "memory": "7G"}, {"cpu": "2", "memory": "15G"}, 1),
    ("xlarge", "at-scale"): ({"cpu": "2", "memory": "7G"}, {"cpu": "2", "memory": "15G"}, 2),
}


# ---------------------------------------------------------------- the version the stream names


@pytest.mark.parametrize("profile", ["large", "xlarge"])
@pytest.mark.parametrize(
    ("version", "edition"),
    [("2.18.4", "scaling"), ("2.20.0", "at-scale-2.20"), ("2.23.9", "at-scale-2.20"), ("2.25.0", "at-scale")],
)
def test_the_charts_version_label_chooses_the_edition(profile: str, version: str, edition: str) -> None:
    result = run(one_release(version), load_profile(profile))
    out = output_of(result)
    scheduling, receive, floor = EDITIONS[(profile, edition)]
    assert scheduling_requests(out) == scheduling
    assert receive_requests(out) == receive
    assert replicas(out, "runai-backend-assets-service") == floor
    assert result.report.runai == f"Run:ai {version}, edition {edition}"
    assert result.report.runai_versions == [version]
    head = result.report.to_text().splitlines()[0]
    assert head.startswith(f"runai-size: profile {profile}: 3 documents, ")
    assert head.endswith(f" added; Run:ai {version}, edition {edition}")


@pytest.mark.parametrize(("given", "edition"), [("2.18", "scaling"), ("2.22", "at-scale-2.20"), ("2.25.1", "at-scale")])
def test_runai_version_overrides_what_the_stream_says(given: str, edition: str) -> None:
    labelled = "2.25.0" if edition == "scaling" else "2.18.4"  # the other edition's version in the labels
    result = invoke(["-p", "large", "--runai-version", given], one_release(labelled))
    assert result.exit_code == 0, result.stderr
    scheduling, receive, floor = EDITIONS[("large", edition)]
    assert scheduling_requests(result.stdout_bytes) == scheduling
    assert receive_requests(result.stdout_bytes) == receive
    assert replicas(result.stdout_bytes, "runai-backend-assets-service") == floor
    assert result.stderr.splitlines()[0].endswith(f"; Run:ai {given} as given, edition {edition}")


def test_runai_version_that_is_no_version_is_one_error_line() -> None:
    result = invoke(["-p", "large", "--runai-version", "latest"], one_release("2.25.0"))
    assert result.exit_code != 0 and result.stdout_bytes == b""
    assert result.stderr.count("\n") == 1 and "'latest'" in result.stderr


def test_an_unversioned_stream_gets_the_newest_edition_and_the_report_says_so() -> None:
    result = run(one_release(None), load_profile("large"))
    out = output_of(result)
    scheduling, receive, floor = EDITIONS[("large", "at-scale")]
    assert scheduling_requests(out) == scheduling and receive_requests(out) == receive
    assert replicas(out, "runai-backend-assets-service") == floor
    head = result.report.to_text().splitlines()[0]
    assert head.startswith("runai-size: profile large: 3 documents, 3 changed, 0 added; ")
    assert head.endswith("no Run:ai version in the stream, edition at-scale, the newest")
    assert any("names no Run:ai version" in note for note in result.report.notes)


def test_two_releases_of_different_versions_each_get_their_own_edition() -> None:
    data = (deployment("runai-backend-assets-service", "2.25.0") + thanos_receive() + runaiconfig("2.18.4")).encode()
    result = run(data, load_profile("large"))
    out = output_of(result)
    assert scheduling_requests(out) == EDITIONS[("large", "scaling")][0]  # runai-cluster 2.18.4
    assert receive_requests(out) == EDITIONS[("large", "at-scale")][1]  # control-plane 2.25.0
    assert replicas(out, "runai-backend-assets-service") == 2
    assert result.report.runai_versions == ["2.25.0", "2.18.4"]
    assert result.report.runai == "Run:ai 2.25.0, 2.18.4, editions scaling, at-scale"
    assert result.report.to_text().splitlines()[0].endswith(" added; " + result.report.runai)


# ---------------------------------------------------------------- control-plane replicas from 2.20


DO_NOT_SCALE = [
    "runai-backend-redoc",
    "runai-backend-thanos-query",
    "runai-backend-keycloakx",
    "runai-backend-postgresql-proxy",
    "runai-backend-nats-box",
    "runai-backend-cluster-migrator",
    "runai-backend-settings-migrator",
    "runai-backend-identity-provider-reconciler",
]

CLAIMED = textwrap.dedent(
    """\
    ---
    # Source: control-plane/templates/datavolumes/pvc.yaml
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: datavolumes-cache
      namespace: runai-backend
      labels: {app.kubernetes.io/instance: runai-backend, helm.sh/chart: control-plane-2.25.0}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
    """
)

HPA = textwrap.dedent(
    """\
    ---
    # Source: control-plane/templates/cli-exposer/hpa.yaml
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: runai-backend-cli-exposer
      namespace: runai-backend
      labels: {app.kubernetes.io/instance: runai-backend, helm.sh/chart: control-plane-2.25.0}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: runai-backend-cli-exposer}
      minReplicas: 1
      maxReplicas: 3
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
    """
)


def control_plane(version: str) -> bytes:
    services = ["assets-service", "workloads", "backend", "frontend", *[name.split("-", 2)[2] for name in DO_NOT_SCALE]]
    text = "".join(deployment(f"runai-backend-{service}", version) for service in services)
    text += deployment("runai-backend-grafana", version, source="control-plane/charts/grafana/templates/d.yaml")
    # another chart's Deployment with a control-plane name, in a release of its own
    text += deployment("other-assets-service", "1.0.0", source="other/templates/d.yaml", chart="other", release="other")
    claim = "[{name: cache, persistentVolumeClaim: {claimName: datavolumes-cache}}]"
    text += deployment("runai-backend-datavolumes", version, volumes=claim) + CLAIMED.replace("2.25.0", version)
    text += deployment("runai-backend-cli-exposer", version) + HPA.replace("2.25.0", version)
    return text.encode()


def test_control_plane_services_get_two_replicas_from_2_20_and_only_those_that_can_run_them() -> None:
    result = run(control_plane("2.25.0"), load_profile("large"))
    out = output_of(result)
    assert replicas(out, "runai-backend-assets-service") == 2
    assert replicas(out, "runai-backend-workloads") == 2
    for name in DO_NOT_SCALE:
        assert replicas(out, name) == 1, name
    assert replicas(out, "other-assets-service") == 1  # not the control-plane chart
    assert replicas(out, "runai-backend-datavolumes") == 1  # a ReadWriteOnce claim
    assert any("runai-backend-datavolumes" in warning for warning in result.report.warnings)
    assert replicas(out, "runai-backend-cli-exposer") == 1  # its HPA decides
    hpas = {doc["metadata"]["name"]: doc for doc in docs(out) if doc["kind"] == "HorizontalPodAutoscaler"}
    assert hpas["runai-backend-cli-exposer"]["spec"]["minReplicas"] == 1
    assert hpas["runai-backend-cli-exposer"]["spec"]["maxReplicas"] == 3
    # backend, frontend and grafana: the HPAs the profile adds decide their pods (no replicas of their own)
    for name in ("runai-backend-backend", "runai-backend-frontend", "runai-backend-grafana"):
        assert "replicas" not in named(out, "Deployment", name)["spec"] and name in hpas, name
    replica_targets = {entry.target for entry in result.report.changes if entry.rule == "control-plane-replicas"}
    assert sorted(target.split("/")[-1].rstrip(")") for target in replica_targets) == [
        "runai-backend-assets-service",
        "runai-backend-workloads",
    ]


def test_no_control_plane_replicas_before_2_20() -> None:
    result = run(control_plane("2.18.4"), load_profile("large"))
    out = output_of(result)
    assert replicas(out, "runai-backend-assets-service") == 1
    assert replicas(out, "runai-backend-workloads") == 1
    assert not [entry for entry in result.report.changes if entry.rule == "control-plane-replicas"]


def test_more_replicas_than_the_floor_stay() -> None:
    data = deployment("runai-backend-assets-service").replace("replicas: 1", "replicas: 3").encode()
    result = run(data, load_profile("large"))
    assert output_of(result) == data
    assert any("kept at 3" in kept for kept in result.report.kept)


# ---------------------------------------------------------------- recommend by the edition's tiers


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "xlarge"),  # the newest edition: 2,000 workloads >= 1,600 (the Medium point)
        (["--runai-version", "2.25"], "xlarge"),
        (["--runai-version", "2.21"], "xlarge"),  # the 2.20 page's points are the same
        (["--runai-version", "2.18"], "large"),  # the older guide: nodes or GPUs; 120 >= 100, workloads unused
    ],
)
def test_recommend_for_120_nodes_and_2000_workloads_follows_the_editions_tiers(args: list[str], expected: str) -> None:
    result = invoke(["recommend", "--nodes", "120", "--workloads", "2000", *args])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_a_runai_version_on_the_profile_overrides_the_labels_in_the_pipeline() -> None:
    profile = load_profile("xlarge").replaced(runai_version="2.19")
    out = output_of(run(one_release("2.25.0"), profile))
    assert scheduling_requests(out) == EDITIONS[("xlarge", "scaling")][0]


# A stream that names no chart (no `# Source:`, no Helm 4 annotation: `kubectl get -o yaml`, a hand-made file)
UNIDENTIFIED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: NAME
  labels: LABELS
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: c
        image: x
"""


def test_a_rule_that_names_no_object_leaves_other_charts_objects_alone_in_a_stream_that_names_no_chart() -> None:
    from runai_postrender.pipeline import run
    from runai_postrender.profiles.load import load_profile

    stream = UNIDENTIFIED.replace("NAME", "ingress-nginx-controller").replace("LABELS", "{app: nginx}")
    result = run(stream.encode(), load_profile("large"))
    assert b"replicas: 1\n" in b"".join(bytes(piece) for piece in result.pieces)
    assert not any("ingress-nginx" in entry.target for entry in result.report.changes)


def test_in_a_stream_that_names_no_chart_the_chart_label_identifies_a_control_plane_deployment() -> None:
    from runai_postrender.pipeline import run
    from runai_postrender.profiles.load import load_profile

    labels = "{helm.sh/chart: control-plane-2.25.0}"
    stream = UNIDENTIFIED.replace("NAME", "runai-backend-assets-service").replace("LABELS", labels)
    result = run(stream.encode(), load_profile("large"))
    assert b"replicas: 2\n" in b"".join(bytes(piece) for piece in result.pieces)


# ---------------------------------------------------------------- Run:ai 2.20-2.23: what their page gives


def sync_resources(data: bytes) -> Any:
    return named(data, "RunaiConfig", "runai")["spec"]["global"]["syncServices"]["resources"]


@pytest.mark.parametrize("profile", ["large", "xlarge"])
def test_a_2_21_stream_gets_what_the_2_20_page_gives_and_no_more(profile: str) -> None:
    stream = control_plane("2.21.4").decode() + thanos_receive() + runaiconfig("2.21.4")
    result = run(stream.encode(), load_profile(profile))
    out = output_of(result)
    assert result.report.runai == "Run:ai 2.21.4, edition at-scale-2.20"
    assert scheduling_requests(out) == EDITIONS[(profile, "at-scale-2.20")][0]  # the page's Medium / Large point
    sync = sync_resources(out)  # the page's one size: "1-2" CPU, "1GB-2GB" (request-limit)
    assert {k: str(v) for k, v in sync["requests"].items()} == {"cpu": "1", "memory": "1G"}
    assert {k: str(v) for k, v in sync["limits"].items()} == {"cpu": "2", "memory": "2G"}
    assert receive_requests(out) == EDITIONS[(profile, "at-scale-2.20")][1]  # no Thanos section: not 2.24's alone
    # no control-plane section on the page: no replicas for the control-plane services
    assert replicas(out, "runai-backend-assets-service") == 1 and replicas(out, "runai-backend-workloads") == 1
    assert not [entry for entry in result.report.changes if entry.rule == "control-plane-replicas"]


# ---------------------------------------------------------------- where each number comes from


BUILTINS = ("small", "large", "xlarge")


def edition_of(profile: str, name: str) -> Any:
    return next(edition for edition in load_profile(profile).editions if edition.name == name)


def test_every_number_of_the_builtin_profiles_names_a_guide_page_or_runai_size_and_why() -> None:
    pages = {edition.source for edition in load_profile("small").editions}
    assert len(pages) == 3 and all(page.startswith("https://") for page in pages)
    for profile in BUILTINS:
        for edition in load_profile(profile).editions:
            for name in flatten(edition.values):
                source = edition.sources.get(name, "")
                where = f"{profile}, {edition.name}, {name}: {source!r}"
                if source.startswith("runai-size: "):
                    assert len(source) > len("runai-size: ") + 20, where  # with its reason
                else:
                    assert source in pages or any(source.startswith(f"{page} (") for page in pages), where


@pytest.mark.parametrize(
    ("profile", "edition", "names", "source"),
    [
        # xlarge's own numbers, beyond the only tier of "Scaling the Run:ai system": not the 2.17 page's
        ("xlarge", "scaling", ["thanos.query.cpu", "thanos.query.memory"], "runai-size: twice large's"),
        ("xlarge", "scaling", ["thanos.receive.memory"], "runai-size: the 2.24+ page's receive"),
        ("xlarge", "scaling", ["prometheus.queueConfig.capacity", "prometheus.queueConfig.maxShards"], "runai-size"),
        ("xlarge", "scaling", ["serviceGroups.sync.requests.memory"], "runai-size: the 2.24+ page's Large point"),
        ("xlarge", "scaling", ["serviceGroups.scheduling.limits.cpu"], "runai-size: limits above the requests"),
        # the guide's own
        ("large", "scaling", ["thanos.query.cpu", "thanos.receive.memory"], "https://docs.run.ai/v2.17/"),
        ("xlarge", "scaling", ["grafana.minReplicas"], "https://docs.run.ai/v2.17/"),
        # limits the 2.20+ pages do not give
        ("large", "at-scale", ["serviceGroups.sync.limits.memory"], "runai-size: limits at least the requests"),
        ("large", "at-scale", ["serviceGroups.sync.requests.memory"], "https://docs.nvidia.com/run-ai/"),
        # where the 2.20-2.23 page is silent
        ("large", "at-scale-2.20", ["thanos.receive.memory"], "https://docs.run.ai/v2.17/"),
        ("xlarge", "at-scale-2.20", ["thanos.receive.memory"], "runai-size: as xlarge up to 2.19"),
        ("large", "at-scale-2.20", ["serviceGroups.workload.limits.cpu"], "https://github.com/run-ai/docs/"),
        # runai-size's own for every version
        ("xlarge", "at-scale", ["controlPlane.maxReplicas"], "runai-size: up to 8"),
        ("xlarge", "at-scale", ["controlPlane.minReplicas"], "runai-size: HPA bounds"),
        ("small", "at-scale", ["serviceGroups.workload.requests.cpu"], "https://docs.run.ai/v2.17/"),
    ],
    ids=lambda value: value if isinstance(value, str) else "+".join(value)[:60],
)
def test_a_number_is_credited_to_its_own_source(profile: str, edition: str, names: list[str], source: str) -> None:
    sources = edition_of(profile, edition).sources
    for name in names:
        assert sources[name].startswith(source), (name, sources[name])


def test_show_writes_each_numbers_source_and_reads_back_the_same(tmp_path: Path) -> None:
    result = invoke(["show", "xlarge"])
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "xlarge.yaml"
    path.write_text(result.stdout)
    again = load_profile(str(path))
    for edition in load_profile("xlarge").editions:
        assert next(e for e in again.editions if e.name == edition.name).sources == edition.sources, edition.name


def test_a_teams_own_number_has_no_source_and_an_override_is_its_own(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("extends: large\nvalues:\n  thanos: {query: {memory: 8G}}\n")
    team = next(e for e in load_profile(str(path), [("thanos.query.cpu", "3")]).editions if e.name == "at-scale")
    assert "thanos.query.memory" not in team.sources  # not the guide's any more
    assert team.sources["thanos.query.cpu"] == "override thanos.query.cpu=3"
    assert team.sources["thanos.receive.cpu"].startswith("https://docs.nvidia.com/run-ai/")


def test_a_source_for_no_value_of_its_block_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text("extends: large\nvalues:\n  thanos: {query: {memory: 8G}}\nsources:\n  thanos.qeury: mine\n")
    with pytest.raises(ProfileError, match=r"team.yaml: sources: 'thanos.qeury' names no value set here"):
        load_profile(str(path))


# ---------------------------------------------------------------- app.kubernetes.io/version


APP = "app.kubernetes.io/version"
APP_VERSION = APP + ': "{}"}}'


def labelled(kind_doc: str, labels: str) -> str:
    """A document of the helpers above with other labels (the first `labels:` line)."""
    head, _, rest = kind_doc.partition("  labels: ")
    return head + f"  labels: {labels}\n" + rest.partition("\n")[2]


def test_a_chart_label_without_a_version_takes_the_app_version_label() -> None:
    service = labelled(
        deployment("runai-backend-assets-service"),
        "{app.kubernetes.io/instance: runai-backend, helm.sh/chart: control-plane, " + APP_VERSION.format("2.21.0"),
    )
    config = labelled(
        runaiconfig(None),
        "{app.kubernetes.io/instance: runai-cluster, helm.sh/chart: runai-cluster, " + APP_VERSION.format("2.21.0"),
    )
    result = run((service + thanos_receive() + config).encode(), load_profile("large"))
    out = output_of(result)
    assert result.report.runai == "Run:ai 2.21.0, edition at-scale-2.20"
    assert scheduling_requests(out) == EDITIONS[("large", "at-scale-2.20")][0]
    assert receive_requests(out) == EDITIONS[("large", "at-scale-2.20")][1]  # thanos: its release's version
    assert replicas(out, "runai-backend-assets-service") == 1


def test_an_object_of_a_runai_template_without_a_chart_label_takes_the_app_version_label() -> None:
    config = labelled(
        runaiconfig(None), '{app.kubernetes.io/instance: runai-cluster, app.kubernetes.io/version: "2.18.4"}'
    )
    result = run(config.encode(), load_profile("large"))
    assert scheduling_requests(output_of(result)) == EDITIONS[("large", "scaling")][0]
    assert result.report.runai == "Run:ai 2.18.4, edition scaling"


def test_a_sub_charts_app_version_is_not_runai_s() -> None:
    receive = labelled(
        thanos_receive(),
        "{app.kubernetes.io/instance: runai-backend, helm.sh/chart: thanos-12.5.1, " + APP_VERSION.format("2.18.0"),
    )
    result = run(receive.encode(), load_profile("large"))
    assert receive_requests(output_of(result)) == EDITIONS[("large", "at-scale")][1]  # the newest: nothing named one
    assert result.report.runai == "no Run:ai version in the stream, edition at-scale, the newest"


def test_when_the_chart_label_and_the_app_version_disagree_the_chart_label_wins_and_the_report_says_so() -> None:
    service = labelled(
        deployment("runai-backend-assets-service"),
        "{app.kubernetes.io/instance: runai-backend, helm.sh/chart: control-plane-2.25.0, "
        'app.kubernetes.io/version: "2.21.3"}',
    )
    result = run(service.encode(), load_profile("large"))
    assert replicas(output_of(result), "runai-backend-assets-service") == 2  # 2.25's edition
    assert result.report.runai == "Run:ai 2.25.0, edition at-scale"
    assert (
        "release runai-backend: helm.sh/chart names Run:ai 2.25.0, app.kubernetes.io/version 2.21.3; "
        "the chart label's version applies"
    ) in result.report.notes


def test_a_version_only_the_app_label_names_is_read_for_a_rule_only_its_edition_has(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            extends: small
            rules:
              - name: old-only
                runaiVersions: "<2.20"
                match: {kind: ConfigMap, chart: runai-cluster}
                set: {/data/old: "yes"}
            """
        )
    )
    config = textwrap.dedent(
        """\
        ---
        # Source: runai-cluster/templates/config.yaml
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: runai-settings
          labels: {app.kubernetes.io/instance: runai-cluster, app.kubernetes.io/version: "2.18.4"}
        data: {a: b}
        """
    )
    out = output_of(run(config.encode(), load_profile(str(path))))
    assert named(out, "ConfigMap", "runai-settings")["data"] == {"a": "b", "old": "yes"}


@pytest.mark.parametrize(
    ("labels", "source", "expected"),
    [
        ({"helm.sh/chart": "control-plane-2.25.0"}, "", ("2.25.0", None)),
        ({"helm.sh/chart": "control-plane-2.25.0_build.7"}, "", ("2.25.0+build.7", None)),  # Helm's `+` as `_`
        ({"helm.sh/chart": "control-plane-2.25.0", APP: "v2.25.0"}, "", ("2.25.0", None)),  # the same version
        ({"helm.sh/chart": "control-plane-2.25.0", APP: "2.24.1"}, "", ("2.25.0", "2.24.1")),
        ({"helm.sh/chart": "runai-cluster", APP: "2.22.5"}, "", ("2.22.5", None)),
        ({"helm.sh/chart": "runai-cluster", APP: "latest"}, "", (None, None)),
        ({APP: "2.22.5"}, "runai-cluster/templates/config.yaml", ("2.22.5", None)),
        ({APP: "0.35.1"}, "control-plane/charts/thanos/templates/query.yaml", (None, None)),  # a sub-chart's
        ({APP: "2.22.5"}, "", (None, None)),  # no chart label, no path: nothing says it is Run:ai's
        ({"helm.sh/chart": "thanos-12.5.1", APP: "2.22.5"}, "control-plane/templates/x.yaml", (None, None)),
    ],
    ids=lambda value: str(value)[:50] if not isinstance(value, tuple) else None,
)
def test_the_runai_version_of_an_object(labels: dict[str, str], source: str, expected: tuple[Any, Any]) -> None:
    from runai_postrender.documents import identity

    head = f"# Source: {source}\n" if source else ""
    assert identity.runai_versions({"labels": labels}, head) == expected


@pytest.mark.parametrize(
    ("stream", "elsewhere"),
    [
        (f"labels: {{helm.sh/chart: control-plane-2.25.0, {APP}: '2.25.0'}}", False),
        (f"labels: {{helm.sh/chart: control-plane, {APP}: '2.25.0'}}", True),
        (f"# Source: runai-cluster/templates/c.yaml\nlabels: {{{APP}: '2.25.0'}}", True),
        (f"# Source: runai-cluster/charts/p/templates/c.yaml\nlabels: {{{APP}: '2.25.0'}}", False),
        ("labels: {helm.sh/chart: control-plane}", False),  # nothing to take a version from
    ],
)
def test_the_prefilter_reads_every_editions_targets_only_where_the_app_label_may_name_the_version(
    stream: str, elsewhere: bool
) -> None:
    from runai_postrender.documents import identity

    assert identity.stream_versions(stream.encode())[1] is elsewhere
