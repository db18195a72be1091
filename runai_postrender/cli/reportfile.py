"""The report file: the only file runai-size writes, and how it is written without destroying anything.

- A regular file (or a path that does not exist yet) is replaced atomically: the report is written next
  to it and moved in place, so a reader never sees half of it.
- A symlink is followed: its target is replaced and the link stays a link.
- Anything that is not a regular file (`/dev/null`, a FIFO, a terminal), and every path under `/dev/` or
  `/proc/` (`/dev/stderr` may point at the shell's `2> file`), is written in place, never replaced.
- A path that is one of the profile files of the run is refused: the report never overwrites a profile.

`-` (stderr) is the CLI's business, not a file: it never reaches this module.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable

from runai_postrender.support.errors import ReportError

_IN_PLACE_FOLDERS = ("/dev/", "/proc/")


def write(path: str, text: str, profile_files: Iterable[str] = ()) -> None:
    """Write the report `text` to `path`; `profile_files` are the files the report must never replace."""
    try:
        _refuse_profile_files(path, profile_files)
        if _write_in_place(path):
            _write_into(path, text)
        else:
            _replace(path, text)
    except OSError as exc:
        raise ReportError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc


def _refuse_profile_files(path: str, profile_files: Iterable[str]) -> None:
    real = os.path.realpath(path)
    for profile in profile_files:
        same = os.path.realpath(profile) == real
        if not same and os.path.exists(path) and os.path.exists(profile):
            same = os.path.samefile(profile, path)  # a hard link
        if same:
            raise ReportError(
                f"refusing to write the report to {path}: it is the profile file {profile}; choose another report path"
            )


def _write_in_place(path: str) -> bool:
    if os.path.abspath(path).startswith(_IN_PLACE_FOLDERS):
        return True
    try:
        mode = os.stat(path).st_mode  # follows a symlink: what matters is what it points at
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode)


def _write_into(path: str, text: str) -> None:
    # O_APPEND: `/dev/stderr` may be the shell's `2> file`, whose earlier lines stay; a device or a FIFO
    # ignores it. No O_CREAT: nothing is created here, and no O_TRUNC: nothing is destroyed.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _replace(path: str, text: str) -> None:
    target = os.path.realpath(path)  # through a symlink to its target: the link stays a link
    import tempfile  # only when a report file is written: it imports `random` and `hashlib`

    folder, name = os.path.split(target)
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
    try:
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)  # keep the mode of the report it replaces
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # as any file the user creates, not mkstemp's 0600
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
