"""One invocation of runai-size: the options it was given, the profile and the report it owns, and all of
its I/O (the stream in, the output, stderr, the report file). The CLI builds it; the commands use it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from runai_postrender.cli import reportfile
from runai_postrender.profiles.load import (
    PROFILE_ENV,
    SET_ENV,
    Profile,
    builtin_names,
    load_profile,
    parse_overrides,
)
from runai_postrender.report import Report
from runai_postrender.support.errors import InputError, OutputError, ProfileError
from runai_postrender.support.record import Frozen

REPORT_ENV = "RUNAI_SIZE_REPORT"
RUNAI_VERSION_ENV = "RUNAI_SIZE_RUNAI_VERSION"
STDERR_PATH = "-"


class Options(Frozen):
    """What the user asked for, as plain values: the group's options, with a sub-command's own on top."""

    __slots__ = ("profile", "overrides", "report_path", "quiet", "debug", "filename", "runai_version")

    def __init__(
        self,
        profile: str | None = None,
        overrides: tuple[str, ...] = (),
        report_path: str | None = None,
        quiet: bool = False,
        debug: bool = False,
        filename: str | None = None,
        runai_version: str | None = None,
    ) -> None:
        self.profile = profile
        self.overrides = overrides
        self.report_path = report_path
        self.quiet = quiet
        self.debug = debug
        self.filename = filename
        self.runai_version = runai_version


def with_given(current: Options, given: Mapping[str, Any]) -> Options:
    """The one way options are built, for the group and every sub-command: what a command was given
    (None: not given) on top of what the group was given; overrides add up."""
    changes = {key: value for key, value in given.items() if value is not None}
    if "overrides" in changes:
        changes["overrides"] = (*current.overrides, *changes["overrides"])
    return current.replaced(**changes)


class Session:
    """One invocation: its options, the report it owns (handed to the run), and all of its I/O.

    The one report protocol: a command that reads a stream writes the report just before its output, so an
    unwritable report stops it before any output; on any failure the edge writes it again, with the error.
    """

    def __init__(self) -> None:
        # Known before parsing, so that a usage error still reaches the report file.
        self.options = Options(report_path=os.environ.get(REPORT_ENV) or None)
        self.report: Report | None = None
        self.profile: Profile | None = None
        # Every file the run reads, as (what it is, path): the report never replaces one of them.
        self.read: list[tuple[str, str]] = []
        self._profile_files: list[str] = []

    def resolve_profile(self) -> Profile:
        ref = self.options.profile or os.environ.get(PROFILE_ENV, "").strip()
        if not ref:
            raise ProfileError(
                f"no profile chosen: set {PROFILE_ENV} (or pass --profile) to one of {', '.join(builtin_names())} "
                "or to the path of a profile file"
            )
        overrides = [setting for setting in (os.environ.get(SET_ENV, "").strip(),) if setting]
        try:
            self.profile = self.load_profile(ref, parse_overrides([*overrides, *self.options.overrides]))
        except ProfileError as exc:
            if self.options.profile:
                raise
            # Under Helm the variable is all that chose the profile: say where the name came from.
            raise ProfileError(f"{PROFILE_ENV}={ref}: {exc}") from exc
        version = self.options.runai_version or os.environ.get(RUNAI_VERSION_ENV, "").strip() or None
        if version is not None:
            from runai_postrender.support.versions import parse_version

            if parse_version(version) is None:
                raise ProfileError(
                    f"Run:ai version {version!r} (--runai-version, {RUNAI_VERSION_ENV}) is not X.Y or X.Y.Z"
                )
            self.profile = self.profile.replaced(runai_version=version)
        return self.profile

    def load_profile(self, ref: str, overrides: Iterable[tuple[str, str]] = ()) -> Profile:
        """load_profile, noting every file it opens (a report must never replace one)."""
        try:
            return load_profile(ref, tuple(overrides), read=self._profile_files)
        finally:
            self.read += [("the profile file", path) for path in self._profile_files]
            self._profile_files.clear()

    def read_file(self, name: str | None, what: str, hint: str) -> bytes:
        """The bytes of file `name` (stdin where it is None or `-`), after checking that the report path is
        neither that file nor stdin or stdout: a clash stops the run before anything is read or written."""
        if name and name != "-":
            self.read.append((what, name))
        if self.options.report_path not in (None, STDERR_PATH):
            reportfile.refuse_clash(str(self.options.report_path), self.read)
        return read_file_or_stdin(name, hint)

    def start_report(self, profile: Profile) -> Report:
        self.report = Report(profile=profile.name)
        return self.report

    def read_input(self) -> bytes:
        return self.read_file(
            self.options.filename,
            "the input file",
            "reads a manifest stream on stdin or from -f FILE, e.g.: helm template ... | runai-size --profile large",
        )

    def output(self, pieces: Iterable[bytes | memoryview]) -> None:
        """Write to stdout; a closed stdout or a full disk is an error of its own, never an internal one."""
        if sys.stdout is None:
            raise OutputError("cannot write the output: stdout is closed")
        try:
            for piece in pieces:
                sys.stdout.buffer.write(piece)
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            raise  # the reader went away: the edge ends quietly
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise OutputError(f"cannot write the output: {reason}") from exc

    def say(self, text: str) -> None:
        """Write to stderr, best effort: once the output is written, a full stderr must not fail the run."""
        if sys.stderr is None:
            return
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):
            silence(sys.stderr)  # or Python fails again flushing it at exit

    def write_report(self) -> None:
        path = self.options.report_path
        if not path or self.report is None:
            return
        text = self.report.to_json() if path.endswith(".json") else self.report.to_text()
        if path == STDERR_PATH:
            self.say(text)
            return
        reportfile.write(path, text, self.read)


def silence(stream: Any) -> None:
    # Point the stream's descriptor at /dev/null: Python would complain again flushing it at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (AttributeError, OSError, ValueError):
        pass


def read_file_or_stdin(name: str | None, hint: str) -> bytes:
    """The bytes of file `name`, or of stdin where it is None or `-`; `hint` says what to give instead of a
    terminal or a closed stdin."""
    if name and name != "-":
        try:
            with open(name, "rb") as file:
                return file.read()
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from exc
    if sys.stdin is None or sys.stdin.isatty():
        raise InputError(hint)
    return sys.stdin.buffer.read()
