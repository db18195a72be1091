"""The sub-commands: parse, call the core, print. Errors are raised, never printed: the edge (cli.py) does that."""

from __future__ import annotations

import difflib
import os
from typing import Any

import click

from runai_postrender import __version__
from runai_postrender.cli.exporting import export_command
from runai_postrender.cli.options import (
    input_option,
    print_lines,
    profile_options,
    report_option,
    runai_version_option,
    session_of,
)
from runai_postrender.cli.recommending import recommend_command
from runai_postrender.cli.valuestable import values_table
from runai_postrender.profiles.load import PROFILE_ENV, builtin_names, is_file_reference, load_profile
from runai_postrender.report import format_value, plural
from runai_postrender.support.errors import ErrorList, ProfileError, RunaiSizeError, VerifyError

# ---------------------------------------------------------------- looking at profiles


@click.command("profiles")
@click.option(
    "--values", "show_values", is_flag=True, help="A side-by-side table of every value of the built-in profiles."
)
@click.option("--schema", "show_schema", is_flag=True, help="Print the JSON Schema of the profile format.")
@click.pass_context
def profiles_command(ctx: click.Context, show_values: bool, show_schema: bool) -> None:
    """List the built-in profiles and the cluster size each is for."""
    from runai_postrender.profiles.load import schema_text

    session = session_of(ctx)
    if show_schema:
        session.output([schema_text().encode()])
        return
    loaded = [load_profile(name) for name in builtin_names()]
    if not show_values:
        width = max(len(p.name) for p in loaded)
        print_lines(session, [f"{p.name:<{width}}  {p.cluster_size:<32}  {p.description}" for p in loaded])
        return
    print_lines(session, values_table(loaded))


@click.command("show")
@click.argument("ref", metavar="NAME|FILE", required=False)
@profile_options
@click.pass_context
def show_command(ctx: click.Context, ref: str | None, profile: str | None, overrides: tuple[str, ...]) -> None:
    """Print a profile fully resolved (extends and overrides applied): a profile file that `validate` accepts."""
    from runai_postrender.profiles.load import resolved_text

    given = profile or ctx.obj.options.profile  # (`runai-size -p large show xlarge`: the group's option)
    if ref and given and given != ref:
        raise click.UsageError(f"give the profile once: {ref} or --profile {given}, not both", ctx=ctx)
    session = session_of(ctx, profile=ref or profile, overrides=overrides)
    if not session.options.profile and not os.environ.get(PROFILE_ENV, "").strip():
        raise click.UsageError(
            f"Missing argument 'NAME|FILE': the profile to show ({', '.join(builtin_names())} or a profile file; "
            f"or --profile, or {PROFILE_ENV})",
            ctx=ctx,
        )
    session.output([resolved_text(session.resolve_profile()).encode()])


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def validate_command(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Check profile files; exit 0 when every one is valid, else list the problems (one line each)."""
    session = session_of(ctx)
    problems: list[RunaiSizeError] = []
    valid = []
    for file in files:
        try:
            if file in builtin_names() and not os.path.lexists(file):
                raise ProfileError(
                    f"{file}: no such file; {file!r} is a built-in profile, and validate checks profile files "
                    f"(`runai-size show {file}` prints it)"
                )
            session.load_profile(file if is_file_reference(file) else f"./{file}")
            valid.append(f"{file}: valid")
        except RunaiSizeError as exc:
            problems.append(exc)
    print_lines(session, valid)
    if problems:
        raise ErrorList(problems)


@click.command("version")
@click.option("--verbose", "-v", is_flag=True, help="Also the Python and each dependency, with its version.")
@click.pass_context
def version_command(ctx: click.Context, verbose: bool) -> None:
    """Print the version (as --version does); with --verbose, what it runs with."""
    from runai_postrender.cli.dependencies import describe

    print_lines(session_of(ctx), describe(__version__) if verbose else [f"runai-size, version {__version__}"])


# ---------------------------------------------------------------- checking rendered manifests


@click.command("diff")
@profile_options
@runai_version_option
@input_option
@report_option()
@click.option(
    "--color/--no-color", default=None, help="Colour the diff (default: on a terminal, unless NO_COLOR is set)."
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences, 0 when there are none.")
@click.pass_context
def diff_command(ctx: click.Context, /, color: bool | None, exit_code: bool, **given: Any) -> None:
    """Show, as a unified diff, what the profile would change in the stream on stdin (or -f FILE)."""
    import sys

    from runai_postrender.pipeline import run

    session = session_of(ctx, **given)
    profile = session.resolve_profile()
    result = run(session.read_input(), profile, session.start_report(profile))
    on_terminal = sys.stdout is not None and sys.stdout.isatty()
    use_color = color if color is not None else (on_terminal and not os.environ.get("NO_COLOR"))
    text = []
    for label, before, after in result.changed:
        lines = difflib.unified_diff(
            str(before, "utf-8").splitlines(keepends=True),
            after.decode("utf-8").splitlines(keepends=True),
            fromfile=f"a/{label}" if before else "/dev/null",
            tofile=f"b/{label}",
        )
        for line in lines:
            line = line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            text.append(_colour(line) if use_color else line)
    session.write_report()  # before the output, as every command that reads a stream
    session.output(["".join(text).encode()])
    if exit_code and result.changed:
        ctx.exit(1)  # as `git diff --exit-code`: a status, not an error


def _colour(line: str) -> str:
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    return line


@click.command("verify")
@profile_options
@runai_version_option
@input_option
@report_option()
@click.pass_context
def verify_command(ctx: click.Context, /, **given: Any) -> None:
    """Exit 3, listing each setting of the stream (stdin or -f FILE) that is not at the profile's values.

    The findings go to stdout, the report to the report file.
    """
    from runai_postrender.pipeline import run

    session = session_of(ctx, **given)
    profile = session.resolve_profile()
    report = run(session.read_input(), profile, session.start_report(profile)).report
    if not report.changes and not report.added and set(report.unmatched) >= {rule.name for rule in profile.rules}:
        # A gate fed the wrong file, or a chart whose names changed, must not go green.
        raise VerifyError(
            f"nothing to verify: no Run:ai release in the input (no rule of profile {profile.name!r} matched anything)"
        )
    off = [
        f"{entry.target}: {entry.pointer} is {format_value(entry.old)}, "
        f"profile wants {format_value(entry.new)} (rule {entry.rule})"
        for entry in report.changes
    ]
    off += [f"missing {added}" for added in report.added]
    off += [f"cannot apply safely: {warning}" for warning in report.warnings]  # e.g. a ReadWriteOnce claim
    session.write_report()  # before the output, as every command that reads a stream
    if off:
        print_lines(session, off)
        verb = "differs" if len(off) == 1 else "differ"
        raise VerifyError(f"{plural(len(off), 'setting')} {verb} from profile {profile.name!r}")
    unmatched = (
        f"{plural(len(report.unmatched), 'rule')} matched nothing: {', '.join(report.unmatched)}"
        if report.unmatched
        else "every rule matched"
    )
    print_lines(session, [f"ok: every setting of profile {profile.name!r} holds ({unmatched})"])


COMMANDS: dict[str, click.Command] = {
    command.name or "": command
    for command in (
        profiles_command,
        show_command,
        validate_command,
        recommend_command,
        diff_command,
        verify_command,
        export_command,
        version_command,
    )
}
