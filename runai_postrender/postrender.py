"""The console script's entry, and the post-renderer's run, without click when the arguments are plain.

Helm starts the post-renderer on every install and upgrade: `runai-size`, `runai-size --profile large`,
`--set`, `-f`, `--report`, `-q`, `--debug`. Importing click costs such a run about a tenth of its time, so
`main` reads those arguments itself when each is one of these options in its plain spelling, and hands
every other command line (sub-commands, --help, --version, combined short flags, anything unknown or
odd, shell completion) to the click CLI in cli.py, unread. Both ways run `post_render` and end through
`finish`; a failure goes to the one error edge, `cli._fail` (click is imported then, and only then).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from runai_postrender.errors import OutputError
from runai_postrender.session import STDERR_PATH, Session, silence, with_given

COMPLETE_VAR = "_RUNAI_SIZE_COMPLETE"  # click's shell completion asks through it (cli.py leaves it to click)
_VALUES = {"--profile": "profile", "-p": "profile", "--set": "overrides", "--filename": "filename",
           "-f": "filename", "--report": "report_path"}  # fmt: skip
_FLAGS = {"--quiet": "quiet", "-q": "quiet", "--debug": "debug"}


def plain_options(args: Sequence[str]) -> dict[str, Any] | None:
    """The options as click would give them to the group's callback, or None: not a plain post-render run.

    Accepted: `--name VALUE`, `--name=VALUE` (long options), `-p VALUE`, `-f VALUE`, `-q`, `--quiet`,
    `--debug`. A value that is empty or starts with `-` (other than `-` itself) is left to click.
    """
    given: dict[str, Any] = {"profile": None, "overrides": (), "filename": None, "report_path": None,
                             "quiet": None, "debug": None}  # fmt: skip
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


def post_render(session: Session) -> None:
    """The post-renderer: the stream in, the sized stream out, the report on stderr (and in --report)."""
    from runai_postrender.pipeline import run  # not needed by --help or the sub-commands: start-up time

    options = session.options
    profile = session.resolve_profile()
    result = run(session.read_input(), profile, session.start_report(profile))
    session.write_report()  # first: a report that cannot be written stops the run before any output
    session.output(result.pieces)
    if not options.quiet and options.report_path != STDERR_PATH:
        session.say(result.report.to_text())


def fail(exc: BaseException, session: Session) -> int:
    """The one error edge (cli.py), imported only when something failed."""
    from runai_postrender.cli import _fail

    return _fail(exc, session)


def finish(session: Session, status: int) -> NoReturn:
    """Flush stdout (what click.echo wrote must reach the disk now: --help, --version) and exit."""
    if sys.stdout is not None:
        try:
            sys.stdout.flush()
        except OSError as exc:
            status = status or fail(OutputError(f"cannot write the output: {exc.strerror}"), session)
            silence(sys.stdout)
    sys.exit(status)


def main() -> NoReturn:
    """`runai-size ...`: a plain post-render run here, every other command line through click."""
    given = plain_options(sys.argv[1:])
    if given is None or COMPLETE_VAR in os.environ:
        from runai_postrender.cli import main as cli

        cli.main(prog_name="runai-size")  # exits
    session = Session()
    try:
        session.options = with_given(session.options, given)
        post_render(session)
        status = 0
    except BaseException as exc:  # the edge: every failure becomes a line and a status
        status = fail(exc, session)
    finish(session, status)
