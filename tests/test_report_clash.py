"""The report path is never a file the run reads, nor its own stdin or stdout: such a path is refused with
one line, exit 1, nothing on stdout and every file as it was, whatever spelling reaches it (a relative or
absolute path, a hard or symbolic link, /dev/stdin, /dev/fd/N, /proc/self/fd/N)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.test_cli import THANOS_QUERY
from tests.test_error_edge import assert_one_line, invoke, shell

NODES = json.dumps({"kind": "List", "items": []})


def spelling(tmp_path: Path, target: Path, how: str) -> Path:
    """Another name for `target`: the same path, through `..`, a hard link or a symbolic link."""
    if how == "the same path":
        return target
    if how == "through ..":
        (tmp_path / "sub").mkdir()
        return tmp_path / "sub" / ".." / target.name
    other = tmp_path / f"other-{target.name}"
    if how == "a hard link":
        os.link(target, other)
    else:
        other.symlink_to(target)
    return other


SPELLINGS = ["the same path", "through ..", "a hard link", "a symbolic link"]


@pytest.mark.parametrize("how", SPELLINGS)
@pytest.mark.parametrize("command", [[], ["verify"], ["diff"]], ids=["post-render", "verify", "diff"])
def test_a_report_path_that_is_the_input_file_is_refused(tmp_path: Path, command: list[str], how: str) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_bytes(THANOS_QUERY)
    report = spelling(tmp_path, rendered, how)
    result = invoke([*command, "-p", "large", "-f", str(rendered), "--report", str(report)])
    assert_one_line(result, 1, f"refusing to write the report to {re.escape(str(report))}: it is the input file")
    assert result.stdout_bytes == b""
    assert rendered.read_bytes() == THANOS_QUERY


def test_a_report_path_from_the_environment_that_is_the_input_file_is_refused(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_bytes(THANOS_QUERY)
    result = invoke(["verify", "-p", "large", "-f", str(rendered)], env={"RUNAI_SIZE_REPORT": str(rendered)})
    assert_one_line(result, 1, "refusing to write the report to .*rendered.yaml: it is the input file")
    assert rendered.read_bytes() == THANOS_QUERY


@pytest.mark.parametrize("text", [NODES, '{"items": "x"}'], ids=["a node list", "a bad node list"])
def test_a_report_path_that_is_the_node_list_is_refused(tmp_path: Path, text: str) -> None:
    nodes = tmp_path / "nodes.json"
    nodes.write_text(text)
    result = invoke(["recommend", "--from-file", str(nodes)], env={"RUNAI_SIZE_REPORT": str(nodes)})
    assert_one_line(result, 1, "refusing to write the report to .*nodes.json: it is the node list")
    assert result.stdout_bytes == b""
    assert nodes.read_text() == text


def test_a_profile_file_read_before_the_error_is_not_replaced(tmp_path: Path) -> None:
    # The chain fails in its third file: the second was read, so it is a file of the run all the same.
    (tmp_path / "p0.yaml").write_text("extends: ./p1.yaml\n")
    (tmp_path / "p1.yaml").write_text("extends: ./p2.yaml\n")
    (tmp_path / "p2.yaml").write_text("extends: large\nvalus: {}\n")
    before = {path: path.read_text() for path in tmp_path.iterdir()}
    for args in (["-p", "p0.yaml"], ["validate", "p0.yaml"]):
        result = shell(f'"$RUNAI_SIZE" --report p1.yaml {" ".join(args)} > out.yaml', tmp_path)
        assert result.returncode == 2, result.stderr
        assert b"refusing to write the report to p1.yaml: it is the profile file p1.yaml" in result.stderr
        assert (tmp_path / "out.yaml").read_bytes() == b""
        assert {path: path.read_text() for path in before} == before


def test_a_profile_file_too_large_to_read_is_not_replaced(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1 << 20) + "\n")
    result = invoke(["-p", str(big), "--report", str(big)], THANOS_QUERY)
    assert_one_line(result, 2, ".*larger than 1024 KiB.*refusing to write the report")
    assert big.stat().st_size > 1 << 20


@pytest.mark.parametrize("path", ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"])
def test_a_report_path_that_is_stdin_is_refused(tmp_path: Path, path: str) -> None:
    (tmp_path / "in.yaml").write_bytes(THANOS_QUERY)
    result = shell(f'"$RUNAI_SIZE" -p large --report {path} < in.yaml > out.yaml', tmp_path)
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"runai-size: error: refusing to write the report to {path}: it is the input (stdin); "
        "choose another report path\n"
    )
    assert (tmp_path / "in.yaml").read_bytes() == THANOS_QUERY
    assert (tmp_path / "out.yaml").read_bytes() == b""


@pytest.mark.parametrize(
    "script",
    [
        '"$RUNAI_SIZE" -p large --report /dev/stdout > out.yaml',
        '"$RUNAI_SIZE" -p large --report /proc/self/fd/1 > out.yaml',
        'RUNAI_SIZE_REPORT=/dev/fd/1 "$RUNAI_SIZE" -p large > out.yaml',
        '"$RUNAI_SIZE" -p large --report out.yaml > out.yaml',
        '"$RUNAI_SIZE" verify -p large --report /dev/stdout > out.yaml',
        'set -o pipefail; "$RUNAI_SIZE" -p large --report /dev/stdout | cat > out.yaml',
        'set -o pipefail; "$RUNAI_SIZE" -q -p large --report /dev/stderr 2>&1 | cat > out.yaml',
    ],
    ids=["/dev/stdout", "/proc/self/fd/1", "the environment", "the file", "verify", "a pipe", "stderr into stdout"],
)
def test_a_report_path_that_is_stdout_is_refused(tmp_path: Path, script: str) -> None:
    result = shell(script, tmp_path)
    assert result.returncode == 1
    out = (tmp_path / "out.yaml").read_text() + result.stderr.decode()
    assert re.fullmatch(
        "runai-size: error: refusing to write the report to [^ ]+: it is stdout, where the manifests go; "
        "choose another report path\n",
        out,
    ), out


@pytest.mark.parametrize("path", ["/dev/null", "/dev/stderr", "r.txt"])
def test_a_report_path_apart_from_the_streams_is_written(tmp_path: Path, path: str) -> None:
    result = shell(f'"$RUNAI_SIZE" -q -p large --report {path} > out.yaml', tmp_path)
    assert result.returncode == 0, result.stderr
    assert b"memory: 3G" in (tmp_path / "out.yaml").read_bytes()
    if path == "/dev/stderr":
        assert result.stderr.startswith(b"runai-size: profile large: 1 document, 1 changed")
