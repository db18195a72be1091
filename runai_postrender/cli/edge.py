"""The one error edge: every failure of every command line becomes one line on stderr, the report file
(with the error) and an exit status. Imported only when something failed, or by the click group."""

from __future__ import annotations

import os
import sys

import click

from runai_postrender.cli.session import STDERR_PATH, Session, silence
from runai_postrender.profiles.load import PROFILE_ENV
from runai_postrender.report import Report
from runai_postrender.support.errors import ErrorList, OutputError, ReportError, RunaiSizeError

USAGE_EXIT = 64  # sysexits.h EX_USAGE; 2 stays what it has always meant here: a profile problem
INTERNAL_EXIT = 70  # sysexits.h EX_SOFTWARE


def fail(exc: BaseException, session: Session) -> int:
    """Every failure ends here: one line on stderr (one per file for `validate`), the report file, a status."""
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, SystemExit):  # a library that exits on its own: its status stands
        return exc.code if isinstance(exc.code, int) else 1
    if isinstance(exc, BrokenPipeError):  # the reader went away (`runai-size ... | head -1`): end quietly
        silence(sys.stdout)
        return 128 + 13  # SIGPIPE, as a shell reports it (`signal` is not imported on every run)
    if isinstance(exc, KeyboardInterrupt | click.Abort):
        silence(sys.stdout)
        return 128 + 2  # SIGINT
    if isinstance(exc, OSError) and _raised_by_click_printing(exc):
        exc = OutputError(f"cannot write the output: {exc.strerror or exc}")
    lines: list[str]
    if isinstance(exc, click.UsageError):
        _use_parsed_report_path(exc, session)
        where = f"{exc.ctx.command_path} --help" if exc.ctx else "runai-size --help"
        lines, status = [f"{exc.format_message().rstrip('.')} (see '{where}')"], USAGE_EXIT
    elif isinstance(exc, click.ClickException):
        lines, status = [exc.format_message()], 1
    elif isinstance(exc, ErrorList):
        lines, status = [str(error) for error in exc.errors], exc.exit_code
    elif isinstance(exc, RunaiSizeError):
        lines, status = [str(exc)], exc.exit_code
    elif isinstance(exc, MemoryError):
        lines, status = ["out of memory"], 1
    else:
        lines = [f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback and report it)"]
        status = INTERNAL_EXIT
    if session.options.debug and not isinstance(exc, click.UsageError):
        import traceback  # only for --debug: it costs every run milliseconds to import

        session.say("".join(traceback.format_exception(exc)))
    if not isinstance(exc, ReportError):
        unwritten = _report_failure(session, "; ".join(lines))
        if unwritten:
            lines[-1] += f" (and {unwritten})"
    session.say("".join(f"runai-size: error: {line}\n" for line in lines))
    return status


def _raised_by_click_printing(exc: OSError) -> bool:
    """Raised where click prints on its own (--help, --version, shell completion): stdout is full or
    broken, which the user can cause (`--help > /dev/full`); not a bug."""
    last = exc.__traceback__
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    return last is not None and last.tb_frame.f_globals.get("__name__") == "click.utils"


def _use_parsed_report_path(exc: click.UsageError, session: Session) -> None:
    # `runai-size --report r.txt frobnicate`: the group's options were parsed, its callback never ran.
    given = exc.ctx.find_root().params.get("report_path") if exc.ctx else None
    if given and not session.options.report_path:
        session.options = session.options.replaced(report_path=given)


def _report_failure(session: Session, message: str) -> str | None:
    """Write the report with the error; if that fails too, say why (the error is what matters)."""
    if session.options.report_path in (None, STDERR_PATH):  # stderr already holds the error line
        return None
    if session.report is None:
        name = session.profile.name if session.profile else session.options.profile
        session.report = Report(profile=name or os.environ.get(PROFILE_ENV, "").strip() or None)
    session.report.error = message
    try:
        session.write_report()
    except ReportError as exc:
        return str(exc)
    return None
