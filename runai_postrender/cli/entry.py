"""The console script's entry: a plain post-render command line runs without click.

Helm starts the post-renderer on every install and upgrade: `runai-size`, `runai-size --profile large`,
`--set`, `-f`, `--report`, `-q`, `--debug`. Importing click costs such a run about a tenth of its time, so
`main` reads those arguments itself when each is one of these options in its plain spelling, and hands
every other command line (sub-commands, --help, --version, combined short flags, anything unknown or
odd, shell completion) to the click group in cli/group.py, unread. Both ways run `post_render` and end
through `finish` (cli/postrender.py); a failure goes to the one error edge, cli/edge.py (click is imported
then, and only then).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from runai_postrender.cli.postrender import fail, finish, post_render
from runai_postrender.cli.session import Session, with_given

COMPLETE_VAR = "_RUNAI_SIZE_COMPLETE"  # click's shell completion asks through it (the group leaves it to click)
_VALUES = {"--profile": "profile", "-p": "profile", "--set": "overrides", "--filename": "filename",
           "-f": "filename", "--report": "report_path", "--runai-version": "runai_version"}  # fmt: skip
_FLAGS = {"--quiet": "quiet", "-q": "quiet", "--debug": "debug"}


def plain_options(args: Sequence[str]) -> dict[str, Any] | None:
    """The options as click would give them to the group's callback, or None: not a plain post-render run.

    Accepted: `--name VALUE`, `--name=VALUE` (long options), `-p VALUE`, `-f VALUE`, `-q`, `--quiet`,
    `--debug`. A value that is empty or starts with `-` (other than `-` itself) is left to click.
    """
    given: dict[str, Any] = {"profile": None, "overrides": (), "filename": None, "report_path": None,
                             "quiet": None, "debug": None, "runai_version": None}  # fmt: skip
    index = 0
    while index < len(args):
        arg = args[index]
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if not equals and name in _FLAGS:
            given[_FLAGS[name]] = True
            index += 1
            continue
        if name not in _VALUES or (equals and not name.startswith("--")):
            return None
        if not equals:
            if index + 1 == len(args):
                return None
            value = args[index + 1]
            index += 1
        if not value or (value.startswith("-") and value != "-"):
            return None
        key = _VALUES[name]
        given[key] = (*given[key], value) if key == "overrides" else value
        index += 1
    return given  # no --report: the session took $RUNAI_SIZE_REPORT already, as click would have


def main() -> NoReturn:
    """`runai-size ...`: a plain post-render run here, every other command line through click."""
    given = plain_options(sys.argv[1:])
    if given is None or COMPLETE_VAR in os.environ:
        from runai_postrender.cli.group import main as cli

        cli.main(prog_name="runai-size")  # exits
    session = Session()
    try:
        session.options = with_given(session.options, given)
        post_render(session)
        status = 0
    except BaseException as exc:  # the edge: every failure becomes a line and a status
        status = fail(exc, session)
    finish(session, status)
