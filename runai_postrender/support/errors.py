"""The one family of errors that runai-size raises; each message is a complete one-line sentence."""

from __future__ import annotations


class RunaiSizeError(Exception):
    """Something the user can act on. The CLI prints the message as one line and exits with `exit_code`."""

    exit_code = 1


class InputError(RunaiSizeError):
    """The manifest stream (stdin or `-f FILE`) cannot be read (bad encoding, malformed YAML, wrong shape)."""


class ProfileError(RunaiSizeError):
    """A profile cannot be found, loaded or validated, or an override does not fit it."""

    exit_code = 2


class PatchError(RunaiSizeError):
    """A rule of the profile cannot be applied to a document it targets."""


class ReportError(RunaiSizeError):
    """The report file that was asked for cannot be written."""


class OutputError(RunaiSizeError):
    """The output cannot be written: stdout is closed, or the disk behind it is full."""


class ErrorList(RunaiSizeError):
    """Independent errors found together (one per file `validate` checked): one line each."""

    def __init__(self, errors: list[RunaiSizeError]) -> None:
        super().__init__("; ".join(map(str, errors)))
        self.errors = errors
        self.exit_code = max(error.exit_code for error in errors)


class VerifyError(RunaiSizeError):
    """`runai-size verify` found settings that are not at the profile's values."""

    exit_code = 3


def describe(index: int, kind: str | None, name: str | None) -> str:
    """How every message names a document: `document 3 (Deployment/runai-backend-backend)`."""
    if kind or name:
        return f"document {index} ({kind or '?'}/{name or '?'})"
    return f"document {index}"


def yaml_type(value: object) -> str:
    """What a value is, in YAML's words, for messages: `a mapping`, `a list`, `a string`..."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"
