"""`runai-size recommend` from the real nodes: `kubectl get nodes -o json` from a file, stdin or kubectl itself."""

from __future__ import annotations

import copy
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result

from runai_postrender.recommend import nodes
from runai_postrender.recommend import workloads as workloads_module
from runai_postrender.recommend.nodes import count_nodes
from tests.conftest import invoke

NODES = Path(__file__).parent / "nodes"
# Six nodes as kubectl prints them: a control plane, a system node, two A100 nodes, one whose device plugin
# is not ready (capacity 8 GPUs, allocatable 0) and a CPU worker.
SAMPLE = NODES / "kubectl-get-nodes.json"
SYSTEM = "node-role.kubernetes.io/runai-system"


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE.read_text())
    return data


def template(name: str) -> dict[str, Any]:
    return copy.deepcopy(next(item for item in sample()["items"] if item["metadata"]["name"] == name))


def node(name: str, *, like: str = "cpu-1", gpus: Any = None, system: str | None = None) -> dict[str, Any]:
    """A node shaped as the sample's `like`, renamed; `gpus` sets its allocatable GPUs, `system` its label."""
    item = template(like)
    item["metadata"]["name"] = name
    item["metadata"]["labels"]["kubernetes.io/hostname"] = name
    item["metadata"]["labels"].pop(SYSTEM, None)
    if system is not None:
        item["metadata"]["labels"][SYSTEM] = system
    if gpus is not None:
        item["status"]["allocatable"]["nvidia.com/gpu"] = gpus
    return item


def cluster(*, cpu: int = 0, gpu: int = 0, gpus_each: int = 8, system: int = 0) -> dict[str, Any]:
    """A List: `system` system nodes (CPU), `cpu` CPU workers, `gpu` nodes of `gpus_each` GPUs."""
    items = [node(f"sys-{i}", system="true") for i in range(system)]
    items += [node(f"cpu-{i}") for i in range(cpu)]
    items += [node(f"gpu-{i}", like="gpu-a100-1", gpus=str(gpus_each)) for i in range(gpu)]
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def as_json(data: Any) -> bytes:
    return (json.dumps(data, indent=4) + "\n").encode()


def write(tmp_path: Path, data: Any, name: str = "nodes.json") -> str:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else as_json(data))
    return str(path)


def assert_one_error_line(result: Result, status: int, *parts: str) -> str:
    """Exactly one error line, the last on stderr, holding each of `parts`; no traceback."""
    assert result.exit_code == status, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("runai-size: error: ")]
    assert len(errors) == 1 and result.stderr.endswith(errors[0] + "\n"), result.stderr
    for part in parts:
        assert part in errors[0], errors[0]
    return errors[0]


# ---------------------------------------------------------------- counting


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(sample()["items"], (6, 16, 2, ("sys-1",)), id="the sample: mixed GPU and CPU nodes"),
        pytest.param(
            [node("a"), node("b", like="cp-1"), node("c")], (3, 0, 0, ()), id="no nvidia.com/gpu, no system label"
        ),
        pytest.param(
            [node("g", like="gpu-a100-1", gpus=4), node("h", like="gpu-a100-1", gpus="2")],
            (2, 6, 2, ()),
            id="GPUs as a number and as a quantity string",
        ),
        pytest.param(
            [node("g", like="gpu-a100-1", gpus="0"), node("s", like="gpu-a100-1", gpus="8", system="true")],
            (2, 8, 1, ("s",)),
            id="zero allocatable GPUs is no GPU node; a GPU node may be a system node",
        ),
        pytest.param(
            [node("a", system=""), node("b", system="false"), node("c", system="true")],
            (3, 0, 0, ("a", "b", "c")),
            id="the system label counts with any value",
        ),
    ],
)
def test_counts_nodes_gpus_gpu_nodes_and_system_nodes(
    items: list[dict[str, Any]], expected: tuple[int, int, int, tuple[str, ...]]
) -> None:
    counts = count_nodes({"apiVersion": "v1", "kind": "List", "items": items}, "nodes.json")
    assert (counts.nodes, counts.gpus, counts.gpu_nodes, counts.system_nodes) == expected


def test_a_node_without_status_or_labels_counts_as_a_plain_node() -> None:
    bare = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "bare"}}
    counts = count_nodes({"kind": "NodeList", "items": [bare, node("g", like="gpu-a100-1", gpus="8")]}, "x")
    assert (counts.nodes, counts.gpus, counts.gpu_nodes, counts.system_nodes) == (2, 8, 1, ())


# ---------------------------------------------------------------- --from-file


def test_from_file_prints_the_profile_alone_and_the_counts_and_reason_on_stderr() -> None:
    result = invoke(["recommend", "--runai-version", "2.19", "--from-file", str(SAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "small\n"
    assert f"  counted {SAMPLE}: 6 nodes, 16 GPUs on 2 GPU nodes, 1 system node (labelled {SYSTEM})\n" in result.stderr
    assert "here 6 nodes < 100 and 16 GPUs < 1,500" in result.stderr
    assert "WARNING" not in result.stderr  # a small cluster needs no system nodes for high availability


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        pytest.param(dict(cpu=120, system=3), "large", id="large by nodes"),
        pytest.param(dict(cpu=2, gpu=188, system=3), "large", id="large by GPUs (1,504)"),
        pytest.param(dict(cpu=400, gpu=100, system=4), "xlarge", id="xlarge by nodes"),
        pytest.param(dict(cpu=40, gpu=40, system=3), "small", id="small"),
    ],
)
def test_from_file_follows_the_guidance(tmp_path: Path, shape: dict[str, int], expected: str) -> None:
    result = invoke(
        ["recommend", "--runai-version", "2.19", "--from-file", write(tmp_path, cluster(**shape)), "--strict"]
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"
    assert "WARNING" not in result.stderr
    if shape.get("gpu") == 188:
        assert "  counted " + str(tmp_path / "nodes.json") + ": 193 nodes, 1,504 GPUs on 188 GPU nodes" in result.stderr


def test_stdin_takes_json_and_yaml(tmp_path: Path) -> None:
    for text in (SAMPLE.read_bytes(), yaml.safe_dump(sample()).encode()):
        result = invoke(["recommend", "--from-file", "-"], text)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "small\n"
        assert "  counted stdin: 6 nodes, 16 GPUs on 2 GPU nodes, 1 system node" in result.stderr


# ---------------------------------------------------------------- system nodes for high availability


@pytest.mark.parametrize(
    ("shape", "profile", "have", "named"),
    [
        pytest.param(dict(cpu=2, gpu=188, system=1), "large", "1 system node (sys-0)", "label 2 more", id="large, 1"),
        pytest.param(dict(cpu=120), "large", "0 system nodes", "label 3 more", id="large, none"),
        pytest.param(dict(cpu=498, system=2), "xlarge", "2 system nodes (sys-0, sys-1)", "label 1 more", id="xlarge"),
    ],
)
def test_a_large_cluster_with_fewer_than_three_system_nodes_is_warned_and_fails_with_strict(
    tmp_path: Path, shape: dict[str, int], profile: str, have: str, named: str
) -> None:
    file = write(tmp_path, cluster(**shape))
    label = f"kubectl label node NAME {SYSTEM}=true"
    warned = invoke(["recommend", "--runai-version", "2.19", "--from-file", file])
    assert warned.exit_code == 0, warned.stderr
    assert warned.stdout == f"{profile}\n"
    warning = [line for line in warned.stderr.splitlines() if "WARNING" in line]
    assert warning == [
        f"  WARNING: profile {profile} on {have}: Run:ai's services prefer nodes labelled {SYSTEM} "
        f"(a node affinity) and high availability needs at least 3; {named} with: {label}"
    ]
    strict = invoke(["recommend", "--runai-version", "2.19", "--from-file", file, "--strict"])
    assert strict.stdout == f"{profile}\n"  # still there for a script that reads it
    assert_one_error_line(strict, 3, f"profile {profile} on {have}", label)
    assert "WARNING" not in strict.stderr


def test_strict_needs_a_node_list() -> None:
    result = invoke(["recommend", "--nodes", "200", "--strict"])
    assert_one_error_line(result, 64, "--strict checks the system nodes of a node list")
    assert result.stdout == ""


# ---------------------------------------------------------------- what to give, and bad node lists


def test_no_arguments_say_what_to_give() -> None:
    result = invoke(["recommend"])
    assert_one_error_line(
        result, 64, "--nodes", "--gpus", "--from-file FILE", "kubectl get nodes -o json", "--from-cluster"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--from-file", str(SAMPLE), "--nodes", "3"], id="file and nodes"),
        pytest.param(["--from-file", str(SAMPLE), "--from-cluster"], id="file and cluster"),
        pytest.param(["--from-cluster", "--gpus", "8"], id="cluster and gpus"),
    ],
)
def test_one_source_of_counts_at_a_time(args: list[str]) -> None:
    assert_one_error_line(invoke(["recommend", *args]), 64, "give one of --from-file, --from-cluster or --nodes/--gpus")


def test_an_empty_file_name_is_a_usage_error() -> None:
    assert_one_error_line(invoke(["recommend", "--from-file", ""]), 64, "--from-file needs a file name")


def single_node() -> bytes:
    return as_json(template("gpu-a100-1"))


def pod_list() -> bytes:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "runai-backend-backend-5d9c7b7f9-x2x8q"}}
    return as_json({"apiVersion": "v1", "kind": "List", "items": [pod], "metadata": {"resourceVersion": ""}})


def gpus_as(value: Any) -> bytes:
    return as_json(cluster() | {"items": [node("gpu-9", like="gpu-a100-1", gpus=value)]})


def bad_gpus() -> bytes:
    return gpus_as("eight")


def labels_as(value: Any) -> bytes:
    item = node("gpu-9", like="gpu-a100-1")
    item["metadata"]["labels"] = value
    return as_json(cluster() | {"items": [item]})


ASK = "; give the output of kubectl get nodes -o json"
BAD = {
    "malformed JSON": (SAMPLE.read_bytes()[:300], ("nodes.json: not JSON: ", ASK)),
    "malformed YAML": (b"items: [\n  - kind: Node\n", ("nodes.json: neither JSON nor YAML: ", ASK)),
    "a single Node": (single_node(), ("nodes.json: a Node, not a List of nodes", ASK)),
    "a JSON array": (b"[1, 2]\n", ("nodes.json: not a List of nodes", ASK)),
    "a List of Pods": (pod_list(), ("nodes.json: item 1 is a Pod, not a Node", ASK)),
    "an empty List": (as_json(cluster()), ("nodes.json: the List holds no nodes", ASK)),
    "an empty file": (b"", ("nodes.json: empty", ASK)),
    "two YAML documents": (b"kind: List\nitems: []\n---\nkind: List\n", ("nodes.json: 2 YAML documents", ASK)),
    "not UTF-8": (b'{"kind": "List", "items": ["\xff"]}', ("nodes.json: not UTF-8 text", ASK)),
    "GPUs not a number": (bad_gpus(), ('nodes.json: node gpu-9: status.allocatable.nvidia.com/gpu is "eight", not a',)),
    "GPUs a boolean": (gpus_as(True), ("nodes.json: node gpu-9: status.allocatable.nvidia.com/gpu is true, not a",)),
    "GPUs a fraction": (gpus_as("1.5"), ('nodes.json: node gpu-9: status.allocatable.nvidia.com/gpu is "1.5", not a',)),
    "GPUs below zero": (gpus_as(-1), ("nodes.json: node gpu-9: status.allocatable.nvidia.com/gpu is -1, below zero",)),
    "a List without items": (b'{"kind": "List"}', ("nodes.json: a List without items", ASK)),
    "an item not a mapping": (b'{"kind": "List", "items": ["x"]}', ("nodes.json: item 1 is not a Node;", ASK)),
    "labels not a mapping": (labels_as([]), ("nodes.json: node gpu-9: metadata.labels is not a mapping", ASK)),
    "YAML with a control character": (b"kind: List\nitems: [\x07]\n", ("nodes.json: not text: ", ASK)),
}


@pytest.mark.parametrize(("text", "parts"), list(BAD.values()), ids=list(BAD))
def test_a_bad_node_list_is_one_line_and_status_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: bytes, parts: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nodes.json").write_bytes(text)
    result = invoke(["recommend", "--from-file", "nodes.json"])
    assert_one_error_line(result, 1, *parts)
    assert result.stdout == ""


def test_a_missing_file_is_one_line() -> None:
    result = invoke(["recommend", "--from-file", "no-such-nodes.json"])
    assert_one_error_line(result, 1, "cannot read no-such-nodes.json: No such file or directory")


# ---------------------------------------------------------------- --from-cluster: kubectl run here


def fake_kubectl(folder: Path, body: str, name: str = "kubectl") -> Path:
    """A kubectl that records its arguments next to itself (a line per call) and then runs `body` (Python)."""
    folder.mkdir(exist_ok=True)
    path = folder / name
    record = f"open({str(folder / 'args')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')"
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{record}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def printing(data: bytes) -> str:
    return f"sys.stdout.buffer.write({data!r})"


def test_from_cluster_runs_kubectl_found_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_kubectl(bin_dir, printing(SAMPLE.read_bytes()))
    result = invoke(["recommend", "--from-cluster"], env={"PATH": str(bin_dir), "RUNAI_SIZE_KUBECTL": ""})
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "small\n"
    assert "  counted kubectl get nodes -o json: 6 nodes, 16 GPUs on 2 GPU nodes, 1 system node" in result.stderr
    assert (bin_dir / "args").read_text().splitlines() == [
        "get nodes -o json",
        "get podgroups.scheduling.run.ai -A -o json",
    ]


def test_from_cluster_runs_the_kubectl_the_variable_names(tmp_path: Path) -> None:
    kubectl = fake_kubectl(tmp_path / "elsewhere", printing(as_json(cluster(cpu=2, gpu=188, system=1))), "kc")
    env = {"PATH": str(tmp_path / "empty"), "RUNAI_SIZE_KUBECTL": str(kubectl)}
    result = invoke(["recommend", "--runai-version", "2.19", "--from-cluster", "--strict"], env=env)
    assert result.stdout == "large\n"
    assert_one_error_line(result, 3, "profile large on 1 system node (sys-0)")


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        pytest.param("", "kubectl not found on PATH: install it, set RUNAI_SIZE_KUBECTL to its path", id="on PATH"),
        pytest.param("/nowhere/kubectl", "RUNAI_SIZE_KUBECTL=/nowhere/kubectl: no such program", id="the variable"),
    ],
)
def test_from_cluster_without_kubectl_is_one_line(tmp_path: Path, variable: str, message: str) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke(
        ["recommend", "--from-cluster"], env={"PATH": str(tmp_path / "empty"), "RUNAI_SIZE_KUBECTL": variable}
    )
    assert_one_error_line(result, 1, message, "--from-file")
    assert result.stdout == ""


def test_a_failing_kubectl_passes_its_message_on_in_one_line(tmp_path: Path) -> None:
    said = (
        'E0120 14:02:11.123456   4242 memcache.go:265] "Unhandled Error" err="couldn\'t get current server API '
        'group list"\n'
        "error: You must be logged in to the server (Unauthorized)\n"
    )
    fake_kubectl(tmp_path / "bin", f"sys.stderr.write({said!r})\nsys.exit(1)")
    result = invoke(["recommend", "--from-cluster"], env={"PATH": str(tmp_path / "bin"), "RUNAI_SIZE_KUBECTL": ""})
    line = assert_one_error_line(result, 1)
    assert line == (
        "runai-size: error: kubectl get nodes -o json failed (exit 1): "
        "error: You must be logged in to the server (Unauthorized)"
    )
    assert result.stdout == ""


def test_a_kubectl_that_prints_no_node_list_is_one_line(tmp_path: Path) -> None:
    fake_kubectl(tmp_path / "bin", printing(b"No resources found\n"))
    result = invoke(["recommend", "--from-cluster"], env={"PATH": str(tmp_path / "bin"), "RUNAI_SIZE_KUBECTL": ""})
    assert_one_error_line(result, 1, "kubectl get nodes -o json: not a List of nodes")


def test_a_kubectl_that_hangs_is_ended_after_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes, "KUBECTL_TIMEOUT", 0.5)
    pid_file = tmp_path / "bin" / "pid"
    fake_kubectl(
        tmp_path / "bin", f"open({str(pid_file)!r}, 'w').write(str(__import__('os').getpid()))\ntime.sleep(60)"
    )
    result = invoke(["recommend", "--from-cluster"], env={"PATH": str(tmp_path / "bin"), "RUNAI_SIZE_KUBECTL": ""})
    assert_one_error_line(result, 1, "kubectl get nodes -o json did not answer within 0.5 s")
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # ended, not left running


# ---------------------------------------------------------------- running and pending workloads (PodGroups)

PODGROUPS = "get podgroups.scheduling.run.ai -A -o json"


def podgroup(name: str, status: dict[str, Any] | None = None) -> dict[str, Any]:
    """A PodGroup of Run:ai's scheduler as kubectl prints it; `status` None: none yet."""
    item: dict[str, Any] = {
        "apiVersion": "scheduling.run.ai/v2alpha2",
        "kind": "PodGroup",
        "metadata": {"name": name, "namespace": "runai-team-a"},
        "spec": {"minMember": 1, "queue": "team-a"},
    }
    if status is not None:
        item["status"] = status
    return item


# What the scheduler's PodGroup controller writes (NVIDIA/KAI-Scheduler): the resources of the pods still
# pending or running as `requested`, of those bound or running as `allocated`; nothing once all have finished.
KAI_RUNNING = {"resourcesStatus": {"requested": {"nvidia.com/gpu": "1"}, "allocated": {"nvidia.com/gpu": "1"}}}
KAI_PENDING = {
    "resourcesStatus": {"requested": {"cpu": "2", "nvidia.com/gpu": "4"}},
    "schedulingConditions": [{"type": "Unschedulable", "status": "True", "nodePool": "default"}],
}
KAI_FINISHED = {"resourcesStatus": {}}


def podgroups(*, running: int = 0, pending: int = 0, finished: int = 0) -> list[dict[str, Any]]:
    """`running` and `pending` PodGroups in each spelling of their state, `finished` ones in each of theirs."""
    active: list[dict[str, Any] | None] = [KAI_RUNNING, {"phase": "Running", "running": 2}, {"running": 1}] * running
    waiting: list[dict[str, Any] | None] = [KAI_PENDING, {"phase": "Pending", "pending": 4}, {"pending": 1}, None]
    waiting *= pending
    done: list[dict[str, Any] | None] = [
        KAI_FINISHED,
        {"phase": "Succeeded", "succeeded": 1},
        {"phase": "Failed", "failed": 1},
        {"succeeded": 3},
        {"failed": 1},
    ]
    statuses = active[:running] + waiting[:pending] + (done * finished)[:finished]
    return [podgroup(f"pg-{index}", status) for index, status in enumerate(statuses)]


def pod_group_list(items: list[dict[str, Any]]) -> bytes:
    return as_json({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})


def answering(node_list: bytes, workloads: bytes | None = None, failing: str = "") -> str:
    """A kubectl body: the node list for `get nodes`, `workloads` (or `failing` on stderr, exit 1) for PodGroups."""
    answer = printing(workloads) if workloads is not None else f"sys.stderr.write({failing!r})\n    sys.exit(1)"
    return f"if 'nodes' in sys.argv:\n    {printing(node_list)}\nelse:\n    {answer}"


def from_cluster(tmp_path: Path, body: str, *args: str) -> Result:
    fake_kubectl(tmp_path / "bin", body)
    env = {"PATH": str(tmp_path / "bin"), "RUNAI_SIZE_KUBECTL": ""}
    return invoke(["recommend", *args, "--from-cluster"], env=env)


@pytest.mark.parametrize(
    ("shape", "reached"),
    [
        pytest.param(dict(cpu=117, system=3), "120 nodes >= 100 and 2,000 running or pending", id="120 nodes"),
        pytest.param(dict(cpu=17, system=3), "2,000 running or pending workloads >= 1,600", id="20 nodes"),
    ],
)
def test_from_cluster_counts_running_and_pending_podgroups_for_the_newest_editions_tier(
    tmp_path: Path, shape: dict[str, int], reached: str
) -> None:
    workloads = pod_group_list(podgroups(running=1200, pending=800, finished=300))
    result = from_cluster(tmp_path, answering(as_json(cluster(**shape)), workloads))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "xlarge\n"
    assert (
        "; kubectl get podgroups.scheduling.run.ai -A -o json: 2,000 running or pending workloads "
        "(Run:ai scheduler PodGroups, podgroups.scheduling.run.ai; 300 finished not counted)\n"
    ) in result.stderr
    assert f"here {reached}" in result.stderr
    assert (tmp_path / "bin" / "args").read_text().splitlines() == ["get nodes -o json", PODGROUPS]


@pytest.mark.parametrize(
    ("status", "active"),
    [
        pytest.param({"phase": "Running", "running": 1}, True, id="phase Running"),
        pytest.param({"phase": "Pending"}, True, id="phase Pending"),
        pytest.param({"phase": "Succeeded", "running": 1}, False, id="a finished phase decides over the pods"),
        pytest.param({"phase": "Failed"}, False, id="phase Failed"),
        pytest.param({"phase": "Completed"}, False, id="phase Completed"),
        pytest.param({"running": 1, "succeeded": 3}, True, id="no phase, a pod still running"),
        pytest.param({"pending": 2}, True, id="no phase, pods pending"),
        pytest.param({"succeeded": 4}, False, id="no phase, every pod succeeded"),
        pytest.param({"failed": 1, "succeeded": 1}, False, id="no phase, pods failed"),
        pytest.param({"phase": "Successful"}, False, id="phase Successful"),
        pytest.param({}, True, id="an empty status: submitted, not yet scheduled"),
        pytest.param(None, True, id="no status yet"),
        pytest.param(KAI_RUNNING, True, id="resources of running pods"),
        pytest.param(KAI_PENDING, True, id="resources requested, unschedulable"),
        pytest.param(KAI_FINISHED, False, id="no pod left requesting resources"),
        pytest.param({"resourcesStatus": {"requested": {}}}, False, id="an empty request"),
        pytest.param(
            {"resourcesStatus": {"allocatedNonPreemptible": {"cpu": "1"}}}, False, id="only a stale allocation"
        ),
        pytest.param({"schedulingConditions": KAI_PENDING["schedulingConditions"]}, True, id="only conditions"),
    ],
)
def test_only_running_and_pending_podgroups_count(status: dict[str, Any] | None, active: bool) -> None:
    counts = workloads_module.count_workloads([podgroup("pg", status)], "cluster.json")
    assert (counts.active, counts.finished) == ((1, 0) if active else (0, 1))


def test_completed_and_failed_workloads_do_not_count(tmp_path: Path) -> None:
    workloads = pod_group_list(podgroups(running=300, pending=100, finished=4000))
    result = from_cluster(tmp_path, answering(as_json(cluster(cpu=20)), workloads))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "small\n"  # 4,400 PodGroups, but only 400 running or pending
    assert "400 running or pending workloads (Run:ai scheduler PodGroups" in result.stderr
    assert "4,000 finished not counted" in result.stderr
    assert "400 running or pending workloads < 480" in result.stderr


@pytest.mark.parametrize(
    "said",
    [
        pytest.param('error: the server doesn\'t have a resource type "podgroups"\n', id="no such resource type"),
        pytest.param(
            'Error from server (Forbidden): podgroups.scheduling.run.ai is forbidden: User "dev" cannot list '
            'resource "podgroups" in API group "scheduling.run.ai" at the cluster scope\n',
            id="no permission",
        ),
    ],
)
def test_a_cluster_without_podgroups_is_recommended_from_nodes_with_a_line(tmp_path: Path, said: str) -> None:
    result = from_cluster(tmp_path, answering(as_json(cluster(cpu=117, system=3)), failing=said))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "xlarge\n"  # 120 nodes: the newest edition's tier by nodes alone
    lines = [line for line in result.stderr.splitlines() if "workloads not counted" in line]
    assert lines == [
        f"  workloads not counted: kubectl {PODGROUPS} failed (exit 1): {said.strip()}; "
        "recommending from the nodes and GPUs"
    ]
    assert "running or pending workloads" not in result.stderr
    assert "here 120 nodes >= 100" in result.stderr


def test_a_kubectl_that_answers_no_podgroup_list_falls_back_too(tmp_path: Path) -> None:
    result = from_cluster(tmp_path, answering(SAMPLE.read_bytes(), SAMPLE.read_bytes()))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "small\n"
    assert (
        f"  workloads not counted: kubectl {PODGROUPS}: item 1 is not a Run:ai PodGroup; recommending from the "
        "nodes and GPUs\n"
    ) in result.stderr


def test_runai_2_18_counts_gpus_as_its_guide_does_and_not_workloads(tmp_path: Path) -> None:
    # 97 nodes, 1,504 GPUs and 2,000 running or pending workloads: the older guide measures nodes or GPUs
    # (large from 1,500 GPUs), the newer one nodes or workloads (xlarge from 1,600 workloads).
    body = answering(as_json(cluster(gpu=94, gpus_each=16, system=3)), pod_group_list(podgroups(running=2000)))
    older = from_cluster(tmp_path, body, "--runai-version", "2.18")
    assert older.exit_code == 0, older.stderr
    assert older.stdout == "large\n"
    assert "; here 1,504 GPUs >= 1,500; 97 nodes < 500)\n" in older.stderr
    assert "2,000 running or pending workloads (Run:ai scheduler PodGroups" in older.stderr  # counted, not measured
    newest = from_cluster(tmp_path, body)
    assert newest.stdout == "xlarge\n"
    assert "2,000 running or pending workloads >= 1,600" in newest.stderr


def test_from_file_reads_nodes_and_podgroups_from_one_list(tmp_path: Path) -> None:
    both = cluster(cpu=17, system=3)
    both["items"] += podgroups(running=1000, pending=700, finished=50)
    file = write(tmp_path, both, "cluster.json")
    result = invoke(["recommend", "--from-file", file, "--strict"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "xlarge\n"
    assert (
        f"  counted {file}: 20 nodes, 0 GPUs on 0 GPU nodes, 3 system nodes (labelled {SYSTEM}); 1,700 running or "
        "pending workloads (Run:ai scheduler PodGroups, podgroups.scheduling.run.ai; 50 finished not counted)\n"
    ) in result.stderr
    assert "workloads not counted" not in result.stderr


def test_from_file_with_nodes_alone_says_the_workloads_were_not_counted(tmp_path: Path) -> None:
    file = write(tmp_path, cluster(cpu=20))
    result = invoke(["recommend", "--from-file", file])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "small\n"
    assert (
        f"  workloads not counted: {file} holds no Run:ai PodGroups (kubectl get nodes,podgroups.scheduling.run.ai "
        "-A -o json gives the nodes and the workloads); recommending from the nodes and GPUs\n"
    ) in result.stderr


def test_a_podgroup_with_a_bad_pod_count_in_a_file_is_one_line(tmp_path: Path) -> None:
    both = cluster(cpu=3)
    both["items"].append(podgroup("broken", {"running": "two"}))
    result = invoke(["recommend", "--from-file", write(tmp_path, both)])
    assert_one_error_line(result, 1, 'PodGroup runai-team-a/broken: status.running is "two", not a count of pods')
    assert result.stdout == ""


@pytest.mark.parametrize("resources", [["cpu"], {"requested": "4 GPUs"}], ids=["a list", "a requested text"])
def test_a_podgroup_with_unreadable_resources_in_a_file_is_one_line(tmp_path: Path, resources: Any) -> None:
    both = cluster(cpu=3)
    both["items"].append(podgroup("broken", {"resourcesStatus": resources}))
    result = invoke(["recommend", "--from-file", write(tmp_path, both)])
    assert_one_error_line(
        result, 1, "PodGroup runai-team-a/broken: status.resourcesStatus is not a mapping of resources"
    )
    assert result.stdout == ""
