"""The click group: `runai-size` and its sub-commands, behind the one error edge.

Every invocation that is not a plain post-render run (cli/entry.py runs those without click) runs through
`RunaiSize.main`: it makes the `Session` (the options, the report, the only I/O) and turns every failure
into one line on stderr, the report file and an exit status (cli/edge.py). The sub-commands live in
cli/commands.py, loaded only when asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from runai_postrender import __version__
from runai_postrender.cli.edge import fail
from runai_postrender.cli.options import (
    input_option,
    options_of,
    profile_options,
    report_option,
    runai_version_option,
)
from runai_postrender.cli.postrender import finish, post_render
from runai_postrender.cli.session import REPORT_ENV, Session
from runai_postrender.profiles.load import PROFILE_ENV, SET_ENV

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


class RunaiSize(click.Group):
    """The group whose `main` is the one error edge, and which loads the sub-commands only when asked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from runai_postrender.cli.commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from runai_postrender.cli.commands import COMMANDS

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
            status = fail(exc, session)
        finish(session, status)


# ---------------------------------------------------------------- the post-renderer


@click.group(
    "runai-size",
    cls=RunaiSize,
    invoke_without_command=True,
    epilog=EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@profile_options
@runai_version_option
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
