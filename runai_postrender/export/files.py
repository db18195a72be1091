"""Writing an export's files into a folder: each file whole or not at all (a temporary file beside it, then
one rename), and never over the stream the export was read from."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from runai_postrender.support.errors import OutputError


def write_files(folder: str, files: dict[str, bytes], source: str | None = None) -> list[str]:
    """Write `files` (names relative to `folder`); `source` is the input stream's file (-f), which is left as
    it is when a file would have the same content and is otherwise refused. Returns the names written."""
    root = Path(folder)
    pending: list[tuple[str, Path, bytes]] = []
    for name, content in files.items():
        path = root / name
        if source and source != "-" and _same_file(path, Path(source)):
            if path.read_bytes() == content:
                continue  # the stream copied onto itself: nothing to write
            raise OutputError(f"not writing {path}: it is the input stream (-f {source}); choose another folder")
        pending.append((name, path, content))
    temporaries: list[tuple[str, Path]] = []
    try:
        for _name, path, content in pending:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporaries.append((_write_temporary(path, content), path))
        for temporary, path in temporaries:
            os.replace(temporary, path)
    except OSError as exc:
        for temporary, _path in temporaries:
            _remove(temporary)
        raise OutputError(f"cannot write the export to {folder}: {exc.strerror or exc}") from exc
    return sorted(files)


def _same_file(path: Path, source: Path) -> bool:
    try:
        return path.exists() and os.path.samefile(path, source)
    except OSError:
        return False


def _write_temporary(path: Path, content: bytes) -> str:
    """A temporary file in the destination's folder (so the rename stays on one file system) with `content`
    and the mode the destination has, or a new file's mode."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, _mode_for(path))
    except OSError:
        _remove(temporary)
        raise
    return temporary


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove(temporary: str) -> None:
    with contextlib.suppress(OSError):  # already renamed into place, or gone
        os.unlink(temporary)
