"""The options that the group and the sub-commands share, and how a command's options join the group's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from runai_postrender.cli.session import REPORT_ENV, Options, Session, with_given
from runai_postrender.profiles.load import PROFILE_ENV, SET_ENV, builtin_names


def options_of(ctx: click.Context, **given: Any) -> Options:
    """The options of this command on top of the group's (session.with_given), kept in the session."""
    session: Session = ctx.obj
    session.options = with_given(session.options, given)
    return session.options


def session_of(ctx: click.Context, **given: Any) -> Session:
    """The session of a sub-command, with its options on top of the group's."""
    options_of(ctx, **given)
    session: Session = ctx.obj
    return session


def print_lines(session: Session, lines: list[str]) -> None:
    """Lines on stdout: what a sub-command prints (its findings, its answer)."""
    session.output(["".join(f"{line}\n" for line in lines).encode()])


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


def runai_version_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--runai-version",
        metavar="X.Y[.Z]",
        help="Size for this Run:ai version, whatever the stream's labels say [env RUNAI_SIZE_RUNAI_VERSION].",
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
