"""Count a cluster's nodes, GPUs, GPU nodes and Run:ai system nodes from `kubectl get nodes -o json`
(a file, stdin, or kubectl run here with the current context)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from typing import Any

import yaml

from runai_postrender.support.errors import InputError
from runai_postrender.support.record import Frozen

GPU_RESOURCE = "nvidia.com/gpu"
SYSTEM_LABEL = "node-role.kubernetes.io/runai-system"
KUBECTL_ENV = "RUNAI_SIZE_KUBECTL"
KUBECTL_ARGS = ("get", "nodes", "-o", "json")
KUBECTL_TIMEOUT = 60.0  # seconds: an unreachable API server must not hang a script for kubectl's own minutes
_LIST_KINDS = ("List", "NodeList")  # kubectl prints a List; the API itself (kubectl get --raw) a NodeList
_ASK = "give the output of kubectl get nodes -o json"


class NodeCounts(Frozen):
    """What `recommend` uses from a node list, and where the list came from (for messages)."""

    __slots__ = ("source", "nodes", "gpus", "gpu_nodes", "system_nodes")

    def __init__(self, source: str, nodes: int, gpus: int, gpu_nodes: int, system_nodes: tuple[str, ...]) -> None:
        self.source = source  # "nodes.json", "stdin", "kubectl get nodes -o json"
        self.nodes = nodes
        self.gpus = gpus
        self.gpu_nodes = gpu_nodes
        self.system_nodes = system_nodes  # names of the nodes labelled SYSTEM_LABEL


def read_node_list(text: bytes, source: str) -> Any:
    """The document `kubectl get nodes -o json` (or `-o yaml`) printed, as plain data."""
    if not text.strip():
        raise InputError(f"{source}: empty; {_ASK}")
    try:
        if text.lstrip()[:1] in (b"{", b"["):  # JSON: its own parser, for its own messages
            return json.loads(text)
        documents = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start}); {_ASK}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}; {_ASK}") from exc
    except yaml.reader.ReaderError as exc:  # YAML reads only printable Unicode text
        raise InputError(f"{source}: not text: {exc.reason} at byte {exc.position}; {_ASK}") from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"{source}: neither JSON nor YAML: {problem}{line}; {_ASK}") from exc
    except RecursionError as exc:
        raise InputError(f"{source}: nested too deeply to be a node list; {_ASK}") from exc
    documents = [document for document in documents if document is not None]
    if len(documents) != 1:
        raise InputError(f"{source}: {len(documents)} YAML documents, not one List of nodes; {_ASK}")
    return documents[0]


def count_nodes(data: Any, source: str) -> NodeCounts:
    """Nodes, GPUs (allocatable nvidia.com/gpu; none: 0), GPU nodes and system nodes of a node List."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind in _LIST_KINDS and not isinstance(data.get("items"), list):
        raise InputError(f"{source}: a {kind} without items; {_ASK}")
    if kind not in _LIST_KINDS:
        what = f"a {kind}, not a List of nodes" if isinstance(kind, str) and kind else "not a List of nodes"
        raise InputError(f"{source}: {what}; {_ASK}")
    if not data["items"]:  # never a silent "0 nodes": the wrong context, or a cluster with no nodes yet
        raise InputError(f"{source}: the List holds no nodes; {_ASK} on the cluster Run:ai runs on")
    gpus = gpu_nodes = 0
    system: list[str] = []
    for index, item in enumerate(data["items"], 1):
        name = _node_name(item, index, source)
        labels = _mapping(item["metadata"].get("labels"), f"{name}: metadata.labels", source)
        if SYSTEM_LABEL in labels:  # any value: Run:ai's affinity asks only that the label exists
            system.append(name)
        status = _mapping(item.get("status"), f"{name}: status", source)
        allocatable = _mapping(status.get("allocatable"), f"{name}: status.allocatable", source)
        count = _gpu_count(allocatable.get(GPU_RESOURCE), name, source)
        gpus += count
        gpu_nodes += count > 0
    return NodeCounts(source, len(data["items"]), gpus, gpu_nodes, tuple(system))


def _node_name(item: Any, index: int, source: str) -> str:
    kind = item.get("kind") if isinstance(item, dict) else None
    if kind != "Node":
        what = f"a {kind}, not a Node" if isinstance(kind, str) and kind else "not a Node"
        raise InputError(f"{source}: item {index} is {what}; {_ASK}")
    metadata = item.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if not isinstance(name, str) or not name:
        raise InputError(f"{source}: item {index} (a Node) has no metadata.name; {_ASK}")
    return name


def _mapping(value: Any, where: str, source: str) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{source}: node {where} is not a mapping; {_ASK}")
    return value


def _gpu_count(value: Any, name: str, source: str) -> int:
    """A count of an extended resource: a whole number, as a number or a quantity string ("8")."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    elif text is not None and text.strip().isdigit() and text.strip().isascii():
        count = int(text.strip())
    else:
        raise InputError(
            f"{source}: node {name}: status.allocatable.{GPU_RESOURCE} is {json.dumps(value, default=str)}, "
            "not a whole number of GPUs"
        )
    if count < 0:
        raise InputError(f"{source}: node {name}: status.allocatable.{GPU_RESOURCE} is {count}, below zero")
    return count


def kubectl_nodes() -> bytes:
    """Run `kubectl get nodes -o json` with the current context; what it printed, or a one-line error."""
    return run_kubectl(KUBECTL_ARGS)


def run_kubectl(args: tuple[str, ...]) -> bytes:
    """Run kubectl (on PATH, or RUNAI_SIZE_KUBECTL) with `args` and the current context; what it printed,
    or a one-line error (InputError) naming the command and kubectl's own last line."""
    named = os.environ.get(KUBECTL_ENV, "").strip()
    command = shutil.which(named or "kubectl")
    if command is None:
        if named:
            raise InputError(f"{KUBECTL_ENV}={named}: no such program; point it at kubectl, or use --from-file")
        raise InputError(
            f"kubectl not found on PATH: install it, set {KUBECTL_ENV} to its path, or give --from-file FILE "
            "with the output of kubectl get nodes -o json"
        )
    shown = "kubectl " + " ".join(args)
    try:
        # Its own process group, so that a timeout ends the credential helpers it started too (they hold the pipes).
        process = subprocess.Popen(
            [command, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
    except OSError as exc:
        raise InputError(f"cannot run {command}: {exc.strerror or exc}") from exc
    try:
        out, err = process.communicate(timeout=KUBECTL_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        _end(process)
        raise InputError(f"{shown} did not answer within {KUBECTL_TIMEOUT:g} s; is the cluster reachable?") from exc
    except BaseException:  # Ctrl-C: leave no kubectl behind
        _end(process)
        raise
    if process.returncode != 0:
        # kubectl ends with its own summary ("The connection to the server ... was refused"); the lines above
        # it are client-go's log of each retry.
        lines = [line.strip() for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        said = "".join(c if c.isprintable() else "?" for c in lines[-1]) if lines else "no message"
        if len(said) > 500:
            said = said[:497] + "..."
        raise InputError(f"{shown} failed (exit {process.returncode}): {said}")
    return out


def _end(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    # A helper that left the group may still hold a pipe: give up on it rather than hang.
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.communicate(timeout=5)
