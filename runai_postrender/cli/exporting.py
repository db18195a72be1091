"""`runai-size export`: the post-renderer's decisions for a rendered stream, in a form another tool applies
(Helm values, a kustomization, Flux's postRenderers, helmfile's jsonPatches)."""

from __future__ import annotations

from typing import Any

import click

from runai_postrender.cli.options import input_option, options_of, profile_options, runai_version_option
from runai_postrender.cli.session import Session
from runai_postrender.support.errors import InputError

FORMATS = ("values", "kustomize", "flux", "helmfile")


@click.command("export")
@profile_options
@runai_version_option
@input_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="What to write (see below).")
@click.option(
    "--output",
    "-o",
    "folder",
    metavar="DIR",
    help="kustomize: the folder to write (required); values: write DIR/values-RELEASE.yaml instead of stdout.",
)
@click.pass_context
def export_command(ctx: click.Context, /, fmt: str, folder: str | None, **given: Any) -> None:
    """Write what the profile does to a rendered stream (stdin or -f FILE) for tools that cannot run a
    post-renderer. values: a values file per Run:ai release (what no value can do as comments); kustomize:
    a folder for `kubectl kustomize`; flux: a HelmRelease postRenderers block; helmfile: a release's
    jsonPatches. What a format cannot carry is said on stderr."""
    from runai_postrender.export import files, patches, values
    from runai_postrender.export.changes import collect

    options_of(ctx, **given)
    session: Session = ctx.obj
    if fmt == "kustomize" and not folder:
        raise click.UsageError("--format kustomize writes a folder: give -o DIR", ctx=ctx)
    data = session.read_input()
    changes = collect(data, session.resolve_profile())
    notes = list(changes.caveats)
    if not changes.patches and not changes.added:
        raise InputError(
            f"nothing to export: profile {changes.profile!r} changes nothing in this stream (no Run:ai release in it?)"
        )
    if fmt == "values":
        releases, problems = values.values_of(changes)
        notes = [note for note in notes if note.startswith("the values are")] + problems
        texts = {release.release: values.render(release, changes.profile) for release in releases}
        if folder:
            named = {values.file_name(name): text.encode() for name, text in texts.items()}
            if len(named) < len(texts):
                raise InputError(f"two releases' names give one file name in {folder}: {', '.join(texts)}")
            written = files.write_files(folder, named, session.options.filename)
            notes.append(f"wrote {', '.join(written)} in {folder}")
        else:
            session.output(["---\n".join(texts.values()).encode()])
    elif fmt == "kustomize":
        written = patches.write_kustomization(changes, data, str(folder), session.options.filename)
        notes.append(f"wrote {', '.join(written)} in {folder}")
    else:
        session.output([(patches.flux(changes) if fmt == "flux" else patches.helmfile(changes)).encode()])
    if fmt != "values":
        notes = [note for note in notes if not note.startswith("comments,")] + [
            "comments and quoting of the changed documents are not kept (kustomize writes objects as data)"
        ]
    session.say("".join(f"runai-size export: {note}\n" for note in notes))
