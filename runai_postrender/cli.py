"""The command line: parse options into plain values, call the core, print, exit. The one place that prints errors."""

from __future__ import annotations

import difflib
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

import click

from runai_postrender import __version__
from runai_postrender.errors import InputError, ProfileError, ReportError, RunaiSizeError, VerifyError
from runai_postrender.profiles import PROFILE_ENV, SET_ENV, Profile, builtin_names, load_profile, parse_overrides
from runai_postrender.report import Report

REPORT_ENV = "RUNAI_SIZE_REPORT"
EPILOG = f"""\b
Environment:
  {PROFILE_ENV}   the profile when --profile is not given (a name or a file)
  {SET_ENV}       overrides, as --set takes them, comma-separated
  {REPORT_ENV}    write the report (errors included) to this file; .json for JSON
\b
As a Helm post-renderer:
  Helm 3: helm install ... --post-renderer runai-size
  Helm 4: helm plugin install <this repository>; helm install ... --post-renderer runai-size
"""


@dataclass
class Options:
    """What the user asked for, as plain values."""

    profile: str | None
    overrides: list[str]
    report_path: str | None
    quiet: bool
    debug: bool


def _profile_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--profile", "-p", metavar="NAME|FILE", help=f"Built-in profile or profile file [env {PROFILE_ENV}]."
    )(func)
    func = click.option(
        "--set",
        "overrides",
        multiple=True,
        metavar="NAME=VALUE",
        help=f"Override a value of the profile, e.g. thanos.receive.memory=8G (repeatable) [env {SET_ENV}].",
    )(func)
    return func


def _resolve_profile(options: Options) -> Profile:
    ref = options.profile or os.environ.get(PROFILE_ENV, "").strip()
    if not ref:
        raise ProfileError(
            f"no profile chosen: set {PROFILE_ENV} (or pass --profile) to one of {', '.join(builtin_names())} "
            "or to the path of a profile file"
        )
    overrides = []
    env_set = os.environ.get(SET_ENV, "").strip()
    if env_set:
        overrides.append(env_set)
    overrides.extend(options.overrides)
    try:
        return load_profile(ref, parse_overrides(overrides))
    except ProfileError as exc:
        if options.profile:
            raise
        # Under Helm the variable is all that chose the profile: say where the name came from.
        raise ProfileError(f"{PROFILE_ENV}={ref}: {exc}") from exc


def _read_stdin() -> bytes:
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("reads a manifest stream on stdin, e.g.: helm template ... | runai-size --profile large")
    return sys.stdin.buffer.read()


def _write_report_file(path: str, report: Report) -> None:
    """Write the report next to where it goes, then move it in place: a reader never sees half of it."""
    text = report.to_json() if path.endswith(".json") else report.to_text()
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    except OSError as exc:
        raise ReportError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as any file the user creates, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ReportError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_pieces(out: BinaryIO, pieces: Iterable[bytes | memoryview]) -> None:
    for piece in pieces:
        out.write(piece)
    out.flush()


def _fail(
    message: str, code: int, options: Options | None, report: Report | None, write_report: bool = True
) -> NoReturn:
    click.echo(f"runai-size: error: {message}", err=True)
    if write_report and options is not None and options.report_path:
        report = report or Report(profile=options.profile or os.environ.get(PROFILE_ENV, "") or "?")
        report.error = message
        try:
            _write_report_file(options.report_path, report)
        except OSError as exc:
            click.echo(f"runai-size: error: cannot write the report to {options.report_path}: {exc}", err=True)
    sys.exit(code)


def _guarded(options: Options, action: Callable[[], Report | None]) -> None:
    """Run an action; turn our errors into one line on stderr (and the report file) and an exit code."""
    report: Report | None = None
    try:
        report = action()
    except RunaiSizeError as exc:
        if options.debug:
            traceback.print_exc()
        _fail(str(exc), exc.exit_code, options, exc.report, write_report=not isinstance(exc, ReportError))
    except BrokenPipeError:
        # The reader went away (`runai-size ... | head -1`): end quietly, as `cat` does.
        _quiet_stdout()
        sys.exit(128 + signal.SIGPIPE)
    except KeyboardInterrupt:
        _quiet_stdout()
        sys.exit(128 + signal.SIGINT)
    except MemoryError:
        _fail("out of memory", 1, options, None)
    except Exception as exc:
        if options.debug:
            traceback.print_exc()
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback and report it)",
            70,
            options,
            None,
        )
    if report is not None and options.report_path:
        _write_report_file(options.report_path, report)


def _quiet_stdout() -> None:
    # Python would complain again at exit while flushing a stdout nobody reads.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _options(ctx: click.Context, profile: str | None, overrides: tuple[str, ...]) -> Options:
    parent: Options | None = ctx.obj
    return Options(
        profile=profile or (parent.profile if parent else None),
        overrides=[*(parent.overrides if parent else []), *overrides],
        report_path=parent.report_path if parent else os.environ.get(REPORT_ENV) or None,
        quiet=parent.quiet if parent else False,
        debug=parent.debug if parent else False,
    )


# ---------------------------------------------------------------- the post-renderer


@click.group(invoke_without_command=True, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@_profile_options
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    envvar=REPORT_ENV,
    help=f"Also write the report to FILE [env {REPORT_ENV}].",
)
@click.option("--quiet", "-q", is_flag=True, help="No report on stderr (errors are still printed).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(__version__, "--version", "-V", prog_name="runai-size")
@click.pass_context
def main(
    ctx: click.Context,
    profile: str | None,
    overrides: tuple[str, ...],
    report_path: str | None,
    quiet: bool,
    debug: bool,
) -> None:
    """Size a Run:ai installation: read manifests on stdin, apply a size profile, write them to stdout.

    Without a command, runai-size is the Helm post-renderer. Commands: profiles, show, validate, diff,
    verify, recommend.
    """
    options = Options(profile, list(overrides), report_path or None, quiet, debug)
    ctx.obj = options
    if ctx.invoked_subcommand is not None:
        return

    def post_render() -> Report | None:
        from runai_postrender.pipeline import run  # the core: imported only where it is used

        chosen = _resolve_profile(options)
        data = _read_stdin()
        try:
            result = run(data, chosen)
        except RunaiSizeError as exc:
            exc.report = Report(profile=chosen.name)
            raise
        if options.report_path:  # first: a report that cannot be written stops the run before any output
            _write_report_file(options.report_path, result.report)
        _write_pieces(sys.stdout.buffer, result.pieces)
        if not options.quiet:
            click.echo(result.report.to_text(), err=True, nl=False)
        return None

    _guarded(options, post_render)


# ---------------------------------------------------------------- looking at profiles


@main.command("profiles")
@click.option(
    "--values", "show_values", is_flag=True, help="A side-by-side table of every value of the built-in profiles."
)
@click.option("--schema", "show_schema", is_flag=True, help="Print the JSON Schema of the profile format.")
def profiles_command(show_values: bool, show_schema: bool) -> None:
    """List the built-in profiles and the cluster size each is for."""
    from runai_postrender.profiles import flatten_values, schema_text

    def action() -> None:
        if show_schema:
            click.echo(schema_text(), nl=False)
            return
        loaded = [load_profile(name) for name in builtin_names()]
        if not show_values:
            width = max(len(p.name) for p in loaded)
            for p in loaded:
                click.echo(f"{p.name:<{width}}  {p.cluster_size:<32}  {p.description}")
            return
        flat = [flatten_values(p.values) for p in loaded]
        names = list(dict.fromkeys(name for values in flat for name in values))
        rows = [["value", *(p.name for p in loaded)]]
        rows += [[name, *(_cell(values.get(name, "as rendered")) for values in flat)] for name in names]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
            if index == 0:
                click.echo("  ".join("-" * width for width in widths))

    _guarded(Options(None, [], None, False, False), action)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


@main.command("show")
@click.argument("ref", metavar="NAME|FILE", required=False)
@_profile_options
@click.pass_context
def show_command(ctx: click.Context, ref: str | None, profile: str | None, overrides: tuple[str, ...]) -> None:
    """Print a profile fully resolved (extends and overrides applied) as YAML."""
    import io

    from ruamel.yaml import YAML

    options = _options(ctx, ref or profile, overrides)

    def action() -> None:
        chosen = _resolve_profile(options)
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]  # keep the profile's order
        buffer = io.StringIO()
        yaml.dump({"profile": chosen.name, "chain": list(chosen.chain), **chosen.document}, buffer)
        click.echo(buffer.getvalue(), nl=False)

    _guarded(options, action)


@main.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate_command(files: tuple[str, ...]) -> None:
    """Check profile files; exit 0 when every one is valid, else list the problems."""
    problems = []
    for file in files:
        try:
            load_profile(file if "/" in file or file.endswith((".yaml", ".yml", ".json")) else f"./{file}")
            click.echo(f"{file}: valid")
        except RunaiSizeError as exc:
            problems.append(str(exc))
    for problem in problems:
        click.echo(f"runai-size: error: {problem}", err=True)
    sys.exit(2 if problems else 0)


@main.command("recommend")
@click.option("--nodes", type=click.IntRange(min=0), default=0, help="Nodes in the cluster.")
@click.option("--gpus", type=click.IntRange(min=0), default=0, help="GPUs in the cluster.")
def recommend_command(nodes: int, gpus: int) -> None:
    """Suggest the built-in profile that Run:ai's guidance gives for a cluster of this size."""

    def action() -> None:
        best = None
        for name in builtin_names():
            chosen = load_profile(name)
            threshold = chosen.recommended_from
            reached = [
                f"{nodes} nodes >= {threshold['nodes']}"
                if "nodes" in threshold and nodes >= threshold["nodes"]
                else "",
                f"{gpus} GPUs >= {threshold['gpus']}" if "gpus" in threshold and gpus >= threshold["gpus"] else "",
            ]
            if any(reached):
                best = (chosen, " and ".join(r for r in reached if r))
        if best is None:
            raise ProfileError("no built-in profile fits; give --nodes and --gpus")
        chosen, why = best
        click.echo(chosen.name)
        click.echo(f"  {chosen.description} ({chosen.cluster_size}; here {why})", err=True)

    _guarded(Options(None, [], None, False, False), action)


# ---------------------------------------------------------------- checking rendered manifests


@main.command("diff")
@_profile_options
@click.option(
    "--color/--no-color", default=None, help="Colour the diff (default: on a terminal, unless NO_COLOR is set)."
)
@click.pass_context
def diff_command(ctx: click.Context, profile: str | None, overrides: tuple[str, ...], color: bool | None) -> None:
    """Show, as a unified diff, what the profile would change in the stream on stdin."""
    options = _options(ctx, profile, overrides)

    def action() -> Report:
        from runai_postrender.pipeline import run

        chosen = _resolve_profile(options)
        result = run(_read_stdin(), chosen)
        use_color = color if color is not None else (sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        for label, before, after in result.changed:
            lines = difflib.unified_diff(
                before.decode("utf-8").splitlines(keepends=True),
                after.decode("utf-8").splitlines(keepends=True),
                fromfile=f"a/{label}" if before else "/dev/null",
                tofile=f"b/{label}",
            )
            for line in lines:
                line = line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                click.echo(_colour(line) if use_color else line, nl=False, color=use_color)
        return result.report

    _guarded(options, action)


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


@main.command("verify")
@_profile_options
@click.pass_context
def verify_command(ctx: click.Context, profile: str | None, overrides: tuple[str, ...]) -> None:
    """Exit non-zero, listing each setting of the stream on stdin that is not at the profile's values."""
    options = _options(ctx, profile, overrides)

    def action() -> Report:
        from runai_postrender.pipeline import run

        chosen = _resolve_profile(options)
        result = run(_read_stdin(), chosen)
        report = result.report
        off = [
            f"{entry.target}: {entry.pointer} is {_value(entry.old)}, "
            f"profile wants {_value(entry.new)} (rule {entry.rule})"
            for entry in report.changes
        ]
        off += [f"missing {added}" for added in report.added]
        if off:
            for line in off:
                click.echo(line)
            error = VerifyError(f"{len(off)} setting(s) differ from profile {chosen.name!r}")
            error.report = report
            raise error
        click.echo(
            f"ok: every setting of profile {chosen.name!r} holds ({len(report.unmatched)} rule(s) matched nothing: "
            f"{', '.join(report.unmatched) or '-'})"
        )
        return report

    _guarded(options, action)


def _value(value: Any) -> str:
    if value is None:
        return "absent"
    if isinstance(value, dict | list):
        import json

        from runai_postrender.report import plain

        return json.dumps(plain(value))
    return repr(str(value)) if isinstance(value, str) else str(value)
