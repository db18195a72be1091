"""The post-renderer's run, shared by the plain entry (cli/entry.py) and the click group (cli/group.py)."""

from __future__ import annotations

import sys
from typing import NoReturn

from runai_postrender.cli.session import STDERR_PATH, Session, silence
from runai_postrender.support.errors import OutputError


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
    """The one error edge (cli/edge.py), imported only when something failed."""
    from runai_postrender.cli.edge import fail as edge

    return edge(exc, session)


def finish(session: Session, status: int) -> NoReturn:
    """Flush stdout (what click.echo wrote must reach the disk now: --help, --version) and exit."""
    if sys.stdout is not None:
        try:
            sys.stdout.flush()
        except OSError as exc:
            status = status or fail(OutputError(f"cannot write the output: {exc.strerror}"), session)
            silence(sys.stdout)
    sys.exit(status)
