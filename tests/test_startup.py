"""Start-up: a plain post-render run imports only what it needs, and answers exactly as
the click command line does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import THANOS_QUERY

STREAM = THANOS_QUERY + b"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: other\n"
BAD_STREAM = STREAM.replace(b"image: thanos", b"image: [thanos")
# What the console script runs (postrender.main), and the click command line it hands over to.
ENTRY = "from runai_postrender.cli.entry import main; main()"
CLICK = "import sys; from runai_postrender.cli.group import main; main(sys.argv[1:], prog_name='runai-size')"
# Printed on stderr at exit: the heavy packages that the process imported (dataclasses: its import and the
# code it compiles per class cost a plain run a fifth of its start-up; support/record.py says how much).
SHOW_IMPORTS = (
    "import atexit, sys; atexit.register(lambda: sys.stderr.write(repr(sorted({m.split('.')[0] for m in "
    "sys.modules if m.split('.')[0] in ('click', 'ruamel', 'jsonschema', 'jsonpatch', 'dataclasses')}))));"
)


def run(code: str, args: list[str], stdin: bytes, cwd: Path, env: dict[str, str]) -> tuple[int, bytes, bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RUNAI_SIZE_", "_RUNAI_SIZE"))}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, env={**clean, **env},
        cwd=cwd, timeout=60, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize(
    ("args", "imported"),
    [
        (["--profile", "large", "-q"], "[]"),
        (["-p", "large", "--quiet", "--set", "thanos.query.memory=4G", "--report", "-"], "[]"),
        (["-qp", "large"], "['click']"),  # combined short flags: click reads them
        (["--profile", "large", "-q", "diff"], "['click']"),
    ],
    ids=["plain", "plain, every spelling", "combined flags", "sub-command"],
)
def test_a_plain_post_render_run_imports_no_click_and_no_dataclasses(
    args: list[str], imported: str, tmp_path: Path
) -> None:
    status, _, stderr = run(SHOW_IMPORTS + ENTRY, args, STREAM, tmp_path, {})
    assert status in (0, 1), stderr
    assert stderr.decode().endswith(imported), stderr


# (arguments, stdin, environment): each runs through the console script's entry and through click.
SAME = {
    "profile": (["--profile", "large"], STREAM, {}),
    "short, quiet, debug": (["-p", "large", "-q", "--debug"], STREAM, {}),
    "equals": (["--profile=small", "--set=thanos.query.memory=5G"], STREAM, {}),
    "sets add up": (["-p", "large", "--set", "thanos.query.memory=5G", "--set", "thanos.query.cpu=3"], STREAM, {}),
    "environment": ([], STREAM, {"RUNAI_SIZE_PROFILE": "large", "RUNAI_SIZE_SET": "thanos.query.cpu=2"}),
    "report on stderr": (["-p", "large", "--report", "-"], STREAM, {}),
    "report file": (["-p", "large", "--report", "r.txt"], STREAM, {}),
    "report file from the environment": (["-p", "large"], STREAM, {"RUNAI_SIZE_REPORT": "r.json"}),
    "last profile wins": (["-p", "nope", "--profile", "large"], STREAM, {}),
    "empty value": (["--profile", "", "-p", "large"], STREAM, {}),
    "input file": (["-p", "large", "-f", "in.yaml"], b"", {}),
    "stdin as -": (["-p", "large", "-f", "-"], STREAM, {}),
    "no profile": ([], STREAM, {}),
    "unknown profile": (["--profile", "huge"], STREAM, {}),
    "unknown profile from the environment": ([], STREAM, {"RUNAI_SIZE_PROFILE": "huge"}),
    "bad override": (["-p", "large", "--set", "nope=1"], STREAM, {}),
    "bad stream": (["-p", "large"], BAD_STREAM, {}),
    "bad stream, report file": (["-p", "large", "--report", "r.txt"], BAD_STREAM, {}),
    "unwritable report": (["-p", "large", "--report", "/nonexistent/dir/r.txt"], STREAM, {}),
    "missing input file": (["-p", "large", "-f", "missing.yaml"], b"", {}),
    "value missing": (["-p"], STREAM, {}),
    "value like an option": (["-p", "-q"], STREAM, {}),
    "unknown option": (["--bogus"], STREAM, {}),
    "flag with a value": (["--quiet=1", "-p", "large"], STREAM, {}),
    "short with equals": (["-p=large"], STREAM, {}),
    "positional": (["-p", "large", "extra"], STREAM, {}),
    "help": (["--help"], b"", {}),
    "version": (["-V"], b"", {}),
}


@pytest.mark.parametrize(("args", "stdin", "env"), SAME.values(), ids=SAME.keys())
def test_the_entry_answers_as_the_click_command_line(
    args: list[str], stdin: bytes, env: dict[str, str], tmp_path: Path
) -> None:
    answers = []
    for code in (ENTRY, CLICK):
        folder = tmp_path / str(len(answers))
        folder.mkdir()
        (folder / "in.yaml").write_bytes(STREAM)
        status, stdout, stderr = run(code, args, stdin, folder, env)
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
        answers.append((status, stdout, stderr, files))
    assert answers[0] == answers[1]


# Arguments the console script's entry reads itself (True: click is never imported) or leaves to click (False);
# RUNAI_SIZE_PROFILE=large is set, so that no arguments at all is a run too.
PLAIN: dict[str, tuple[list[str], bool]] = {
    "none": ([], True),
    "long": (["--profile", "large", "-q"], True),
    "short, repeated, equals": (["-p", "large", "--set", "thanos.query.cpu=2", "--set=thanos.query.memory=5G"], True),
    "input from stdin as -": (["-p", "large", "-f", "-"], True),
    "flags": (["-p", "large", "--report=r.txt", "--debug", "--quiet"], True),
    "runai version": (["-p", "large", "--runai-version", "2.18"], True),
    "combined": (["-qp", "large"], False),
    "no value": (["-p"], False),
    "option as value": (["-p", "--debug"], False),
    "empty": (["--profile="], False),
    "short equals": (["-p=large"], False),
    "help": (["--help"], False),
    "sub-command": (["diff"], False),
    "double dash": (["--", "-p", "large"], False),
}


@pytest.mark.parametrize(("args", "plain"), PLAIN.values(), ids=PLAIN.keys())
def test_only_plain_spellings_skip_click_and_every_spelling_answers_as_click(
    args: list[str], plain: bool, tmp_path: Path
) -> None:
    answers = []
    for code in (SHOW_IMPORTS + ENTRY, CLICK):
        folder = tmp_path / str(len(answers))
        folder.mkdir()
        status, stdout, stderr = run(code, args, STREAM, folder, {"RUNAI_SIZE_PROFILE": "large"})
        files = {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
        answers.append((status, stdout, stderr, files))
    entry_stderr = answers[0][2].decode()
    assert ("'click'" in entry_stderr.rsplit("[", 1)[-1]) is not plain, entry_stderr
    imports = entry_stderr.rsplit("[", 1)[0]  # what the entry printed before the list of imports
    assert (answers[0][0], answers[0][1], imports.encode(), answers[0][3]) == answers[1], answers
