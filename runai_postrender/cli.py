"""The command line's edge: the click group, the post-renderer, options parsed once, the one error edge.

Every invocation, sub-commands included, runs through `RunaiSize.main`: it makes the `Session` (the
options, the report, the only I/O; session.py) and turns every failure into one line on stderr, the
report file and an exit status. The sub-commands live in `commands.py`, loaded only when asked for.
The console script starts in `postrender.py`, which runs a plain post-render command line without click
and hands every other one to `main` here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import click

from runai_postrender import __version__
from runai_postrender.errors import ErrorList, ReportError, RunaiSizeError
from runai_postrender.postrender import finish, post_render
from runai_postrender.profiles import PROFILE_ENV, SET_ENV, builtin_names
from runai_postrender.report import Report
from runai_postrender.session import REPORT_ENV, STDERR_PATH, Options, Session, silence, with_given

USAGE_EXIT = 64  # sysexits.h EX_USAGE; 2 stays what it has always meant here: a profile problem
INTERNAL_EXIT = 70  # sysexits.h EX_SOFTWARE
EPILOG = f"""\b
Environment:
  {PROFILE_ENV}   the profile when --profile is not given (a name or a file)
  {SET_ENV}       overrides, as --set takes them, comma-separated
  {REPORT_ENV}    write the report (errors included) to this file; .json for JSON; - for stderr
  RUNAI_SIZE_PROFILE_PATH  folders a profile file may extend files from (besides its own)
  RUNAI_SIZE_KUBECTL       the kubectl that recommend --from-cluster runs
\b
Exit status:
  0   done (diff --exit-code: no differences)
  1   bad input, a patch that cannot apply, the output or the report cannot be written
      (diff --exit-code: there are differences)
  2   a profile problem (not found, invalid, an override that does not fit)
  3   verify: settings differ from the profile, something could not be applied
      safely, or nothing to verify; recommend --strict: fewer than 3 system nodes
  64  usage: an unknown option or command, a missing or bad argument
  70  an internal error (a bug: run with --debug and report it)
  130 interrupted; 141 the reader of the output went away
\b
As a Helm post-renderer:
  Helm 3: helm install ... --post-renderer runai-size
  Helm 4: helm plugin install runai-size-<version>.tgz (a release tarball, a Git URL
          or a checkout: see the README); helm install ... --post-renderer runai-size
"""


def options_of(ctx: click.Context, **given: Any) -> Options:
    """The options of this command on top of the group's (session.with_given), kept in the session."""
    session: Session = ctx.obj
    session.options = with_given(session.options, given)
    return session.options


# ---------------------------------------------------------------- the one error edge


def _fail(exc: BaseException, session: Session) -> int:
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


def _use_parsed_report_path(exc: click.UsageError, session: Session) -> None:
    # `runai-size --report r.txt frobnicate`: the group's options were parsed, its callback never ran.
    given = exc.ctx.find_root().params.get("report_path") if exc.ctx else None
    if given and not session.options.report_path:
        session.options = replace(session.options, report_path=given)


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


class RunaiSize(click.Group):
    """The group whose `main` is the one error edge, and which loads the sub-commands only when asked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from runai_postrender.commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from runai_postrender.commands import COMMANDS

        return COMMANDS.get(cmd_name)

    def main(  # always exits: click's standalone mode, with our edge in front of it
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        args = list(sys.argv[1:] if args is None else args)
        prog_name = prog_name or "runai-size"
        # click's own entry to shell completion (what standalone mode calls first); requests exit here
        self._main_shell_completion(extra, prog_name, complete_var)
        session = Session()
        try:
            with self.make_context(prog_name, args, obj=session, **extra) as ctx:
                self.invoke(ctx)
            status = 0
        except BaseException as exc:  # the edge: every failure becomes a line and a status
            status = _fail(exc, session)
        finish(session, status)


# ---------------------------------------------------------------- shared options


def complete_profile(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Shell completion for --profile: the built-in names, then profile files and folders."""
    from click.shell_completion import CompletionItem

    names = [name for name in builtin_names() if name.startswith(incomplete)]
    folder, _, stem = incomplete.rpartition("/")
    prefix = f"{folder}/" if folder else ""
    try:
        entries = sorted(Path(folder or ".").expanduser().iterdir())
    except OSError:
        entries = []
    files = [
        prefix + entry.name + ("/" if entry.is_dir() else "")
        for entry in entries
        if entry.name.startswith(stem)
        and (stem.startswith(".") or not entry.name.startswith("."))
        and (entry.is_dir() or entry.suffix in (".yaml", ".yml", ".json"))
    ]
    return [CompletionItem(value) for value in [*names, *files]]


def profile_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--profile",
        "-p",
        metavar="NAME|FILE",
        shell_complete=complete_profile,
        help=f"Built-in profile or profile file [env {PROFILE_ENV}].",
    )(func)
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="NAME=VALUE",
        help=f"Override a value of the profile, e.g. thanos.receive.memory=8G (repeatable) [env {SET_ENV}].",
    )(func)


def input_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--filename", "-f", metavar="FILE", help="Read the manifest stream from FILE (- or none: stdin)."
    )(func)


def report_option(envvar: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--report",
        "report_path",
        metavar="FILE",
        envvar=envvar,
        help=f"Also write the report to FILE; .json for JSON; - for stderr [env {REPORT_ENV}].",
    )


# ---------------------------------------------------------------- the post-renderer


@click.group(
    "runai-size",
    cls=RunaiSize,
    invoke_without_command=True,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@profile_options
@input_option
@report_option(envvar=REPORT_ENV)
@click.option("--quiet", "-q", is_flag=True, default=None, help="No report on stderr (errors are still printed).")
@click.option("--debug", is_flag=True, default=None, help="Show tracebacks.")
@click.version_option(__version__, "--version", "-V", prog_name="runai-size")
@click.pass_context
def main(ctx: click.Context, /, **given: Any) -> None:
    """Size a Run:ai installation: read manifests on stdin (or -f FILE), apply a size profile, write them to stdout.

    Without a command, runai-size is the Helm post-renderer.
    """
    options_of(ctx, **given)
    if ctx.invoked_subcommand is None:
        post_render(ctx.obj)
