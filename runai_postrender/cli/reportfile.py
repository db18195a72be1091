"""The report file: the only file runai-size writes, and how it is written without destroying anything.

- A regular file (or a path that does not exist yet) is replaced atomically: the report is written next
  to it and moved in place, so a reader never sees half of it.
- A symlink is followed: its target is replaced and the link stays a link.
- Anything that is not a regular file (`/dev/null`, a FIFO, a terminal), and every path under `/dev/` or
  `/proc/` (`/dev/stderr` may point at the shell's `2> file`), is written in place, never replaced.
- A path that is a file the run reads (the input, a profile file or one it extends, the node list) or
  the run's own stdin or stdout (`/dev/stdout`, `/proc/self/fd/1`, a link to either, the file that
  `> out.yaml` opened) is refused: the report never replaces an input nor lands in the output. Files are
  compared by device and inode, so every spelling of a path and every hard link counts. A terminal and
  `/dev/null` hold nothing to destroy and are allowed.

`-` (stderr) is the CLI's business, not a file: it never reaches this module.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable

from runai_postrender.support.errors import ReportError

_IN_PLACE_FOLDERS = ("/dev/", "/proc/")


def write(path: str, text: str, read: Iterable[tuple[str, str]] = ()) -> None:
    """Write the report `text` to `path`; `read` are the files of the run as (what it is, path), which
    the report must never replace, as it must never be written into stdin or stdout."""
    refuse_clash(path, read)
    try:
        if _write_in_place(path):
            _write_into(path, text)
        else:
            _replace(path, text)
    except OSError as exc:
        raise ReportError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc


def refuse_clash(path: str, read: Iterable[tuple[str, str]] = ()) -> None:
    """Raise ReportError when `path` is the run's stdout or stdin, or one of the files in `read`."""
    try:
        info = os.stat(path)  # follows links: /dev/stdout -> /proc/self/fd/1 -> what fd 1 is
    except OSError:
        return  # nothing there yet, so nothing of the run's (writing says why it cannot be written)
    if stat.S_ISCHR(info.st_mode):
        return  # a terminal or /dev/null: nothing stored to destroy or corrupt
    here = (info.st_dev, info.st_ino)
    clashes = [what for fd, what in _streams() if _identity(fd) == here]
    clashes += [f"{what} {name}" for what, name in read if _identity(name) == here]
    if clashes:
        raise ReportError(f"refusing to write the report to {path}: it is {clashes[0]}; choose another report path")


def _streams() -> list[tuple[int, str]]:
    """The run's stdout and stdin, as (descriptor, what it is); stdout first: a report there corrupts the
    manifest stream. A stream closed at start-up is None in `sys`: its descriptor may name another file."""
    streams = []
    if sys.__stdout__ is not None:
        streams.append((1, "stdout, where the manifests go"))
    if sys.__stdin__ is not None:
        streams.append((0, "the input (stdin)"))
    return streams


def _identity(file: int | str) -> tuple[int, int] | None:
    """(device, inode) of an open descriptor or a path, or None: closed, or gone (nothing to protect)."""
    try:
        info = os.fstat(file) if isinstance(file, int) else os.stat(file)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


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
