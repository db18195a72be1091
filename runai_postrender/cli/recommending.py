"""`runai-size recommend`: count the cluster (or take the counts given), print the profile its guide gives."""

from __future__ import annotations

import click

from runai_postrender.cli.options import session_of
from runai_postrender.cli.session import Session
from runai_postrender.recommend.nodes import KUBECTL_ENV
from runai_postrender.recommend.workloads import BOTH, RESOURCE


@click.command("recommend")
@click.option(
    "--from-file",
    "from_file",
    metavar="FILE",
    help=f"Count the nodes in FILE, the output of `kubectl get nodes -o json` (or -o yaml; - for stdin); "
    f"the output of `{BOTH}` also counts the running and pending workloads.",
)
@click.option(
    "--from-cluster",
    is_flag=True,
    help=f"Run `kubectl get nodes -o json` and `kubectl get {RESOURCE} -A -o json` with the current context "
    f"(kubectl on PATH, or {KUBECTL_ENV}).",
)
@click.option("--nodes", type=click.IntRange(min=0), help="Nodes in the cluster (without access to it).")
@click.option("--gpus", type=click.IntRange(min=0), help="GPUs in the cluster (without access to it).")
@click.option(
    "--workloads",
    type=click.IntRange(min=0),
    help="Running and pending Run:ai workloads (the measure of Run:ai 2.20+).",
)
@click.option(
    "--runai-version", metavar="X.Y[.Z]", help="The Run:ai version whose guide decides (default: the newest)."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 3 when a large or xlarge cluster has fewer than three Run:ai system nodes (needs a node list).",
)
@click.pass_context
def recommend_command(
    ctx: click.Context,
    from_file: str | None,
    from_cluster: bool,
    nodes: int | None,
    gpus: int | None,
    workloads: int | None,
    runai_version: str | None,
    strict: bool,
) -> None:
    """Suggest the built-in profile that Run:ai's guidance gives for a cluster of this size.

    Best from the real cluster: --from-cluster, or --from-file with the output of `kubectl get nodes -o json`
    (`kubectl get nodes,podgroups.scheduling.run.ai -A -o json` also counts the running and pending workloads).
    The name goes to stdout (for `$(runai-size recommend ...)`), the counts and the reason to stderr.
    """
    from runai_postrender.recommend.nodes import count_nodes, kubectl_nodes, read_node_list
    from runai_postrender.recommend.tiers import SystemNodesError, describe_counts, recommend, system_node_warning
    from runai_postrender.recommend.workloads import count_workloads, kubectl_workloads, split_list

    session = session_of(ctx)
    given = [from_file is not None, from_cluster, nodes is not None or gpus is not None or workloads is not None]
    if not any(given):
        raise click.UsageError(
            "give --nodes, --gpus, --workloads, or let it count the real nodes: --from-file FILE (the output of "
            "kubectl get nodes -o json; - for stdin) or --from-cluster",
            ctx=ctx,
        )
    if from_file == "":
        raise click.UsageError("--from-file needs a file name (- for stdin)", ctx=ctx)
    if sum(given) > 1:
        raise click.UsageError("give one of --from-file, --from-cluster or --nodes/--gpus/--workloads", ctx=ctx)
    if strict and not (from_file or from_cluster):
        raise click.UsageError(
            "--strict checks the system nodes of a node list: give --from-file or --from-cluster", ctx=ctx
        )
    counts = counted = None
    not_counted = ""
    if from_file is not None or from_cluster:
        source = "kubectl get nodes -o json" if from_cluster else "stdin" if from_file == "-" else str(from_file)
        text = kubectl_nodes() if from_cluster else _read_node_file(session, str(from_file))
        node_list, podgroups = split_list(read_node_list(text, source))
        counts = count_nodes(node_list, source)
        if from_cluster:
            counted, not_counted = kubectl_workloads()
        elif podgroups is not None:
            counted = count_workloads(podgroups, source)
        else:
            not_counted = f"{source} holds no Run:ai PodGroups ({BOTH} gives the nodes and the workloads)"
        nodes, gpus = counts.nodes, counts.gpus
        workloads = counted.active if counted else None
    chosen = recommend(nodes, gpus, workloads, runai_version)
    warning = system_node_warning(chosen.profile, counts) if counts else None
    session.output([f"{chosen.profile.name}\n".encode()])
    if counts:
        session.say(f"  counted {describe_counts(counts, counted)}\n")
    if not_counted:
        session.say(f"  workloads not counted: {not_counted}; recommending from the nodes and GPUs\n")
    session.say(f"  {chosen.profile.description} ({chosen.profile.cluster_size}; {chosen.reason})\n")
    if warning and strict:
        raise SystemNodesError(warning)
    if warning:
        session.say(f"  WARNING: {warning}\n")


def _read_node_file(session: Session, name: str) -> bytes:
    hint = "--from-file - reads the node list on stdin: kubectl get nodes -o json | runai-size recommend --from-file -"
    return session.read_file(name, "the node list", hint)
