"""Read one profile file within limits, as plain data with the line of every key.

A profile file is a regular file of at most 1 MiB (a profile is a page of settings): a FIFO, a device or a
huge file is refused before anything is read. A file reached through `extends` lies at or below the
extending profile's folder or in an allowed folder, and its content is never quoted in an error until it
reads as a profile (`extends: /etc/shadow` must not print hashes). The data holds only what JSON holds.
ruamel.yaml (YAML 1.2, as editors read it) is imported only here, and only when a file is read.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from runai_postrender.profiles.overrides import LARGEST_INTEGER
from runai_postrender.support.errors import ProfileError
from runai_postrender.support.limits import MAX_PROFILE_NODES, check_expansion
from runai_postrender.support.record import Frozen

if TYPE_CHECKING:  # pathlib is imported only when a profile file is read: a built-in needs none
    from pathlib import Path

# Folders (separated by os.pathsep) whose files any profile may extend, besides its own folder.
PATH_ENV = "RUNAI_SIZE_PROFILE_PATH"
# A profile is a page of settings; a file larger than this is refused before it is read.
MAX_PROFILE_BYTES = 1 << 20
TOP_KEYS = ("description", "clusterSize", "recommendedFrom", "extends", "values", "rules")
# What YAML would reject with a two-line message, or read as a line break (NEL, U+2028, U+2029).
# A pattern, compiled (by re's cache) only when a profile file is read: a built-in needs none.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]"


class ProfileText(Frozen):
    """One profile's text, and how messages name it: `built-in profile 'large'` or the file's path."""

    __slots__ = ("label", "name", "text", "path", "node", "extended")

    def __init__(
        self,
        label: str,
        name: str,
        text: str,
        path: Path | None = None,
        node: Any = None,
        extended: bool = False,
    ) -> None:
        self.label = label
        self.name = name
        self.text = text
        self.path = path  # None for built-ins
        self.node = node  # a file's YAML node tree, for line numbers
        self.extended = extended  # reached through `extends`: its content is never quoted until it reads as a profile

    def line(self, path: Sequence[Any]) -> int | None:
        """The line (1-based) of the key (or list item) at `path`, or of the nearest one above it that exists."""
        node, line = self.node, None
        for step in path:
            if node is None or not isinstance(node.value, list):
                break
            if node.value and isinstance(node.value[0], tuple):
                keys = [pair for pair in node.value if _same_key(pair[0], step)]
                if not keys:
                    break
                line, node = keys[0][0].start_mark.line + 1, keys[0][1]
            elif isinstance(step, int) and 0 <= step < len(node.value):
                node = node.value[step]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def where(self, path: Sequence[Any]) -> str:
        line = self.line(path)
        return f"{self.label}, line {line}" if line else self.label


def _same_key(node: Any, step: Any) -> bool:
    if isinstance(step, str):
        return bool(node.tag.endswith(":str") and node.value == step)
    return not node.tag.endswith(":str") and str(node.value).lower() in (str(step).lower(), "~", "", "null")


def read_file(
    ref: str, extending: ProfileText | None, reach: Callable[[], Sequence[Path]], read: list[str] | None = None
) -> ProfileText:
    """The file `ref` names (relative to the extending profile's folder, if any), read within the limits.

    Its path is added to `read` before it is opened: a report must never replace a file the run reads,
    even one that turned out not to be a profile.
    """
    from pathlib import Path

    path = Path(ref).expanduser()
    if extending is not None and extending.path is not None:
        path = extending.path.parent / path
        folders = [extending.path.parent.resolve(), *reach()]
        if not any(path.resolve().is_relative_to(folder) for folder in folders):
            raise ProfileError(
                f"{str(path)!r} is outside {str(folders[0])!r}: a profile extends built-in profiles and files at "
                f"or below its own folder, or in a folder of {PATH_ENV}"
            )
    if read is not None:
        read.append(str(path))
    return ProfileText(str(path), path.stem, _read_file(path), path, extended=extending is not None)


def _check_kind(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise ProfileError(f"profile file {str(path)!r} is a directory, not a profile file")
    if not stat.S_ISREG(info.st_mode):
        raise ProfileError(f"cannot read profile file {str(path)!r}: not a regular file")


def _read_file(path: Path) -> str:
    # The kind is checked before the file is opened (a directory cannot be read as a file), and again on
    # what was opened: opened without blocking, a FIFO, a device or a huge file is refused at once instead
    # of hanging or filling memory.
    try:
        _check_kind(path, os.stat(str(path)))
        fd = os.open(str(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ProfileError(f"profile file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise ProfileError(f"cannot read profile file {str(path)!r}: {exc.strerror}") from exc
    too_large = f"profile file {str(path)!r} is larger than {MAX_PROFILE_BYTES // 1024} KiB: refused"
    try:
        info = os.fstat(fd)
        _check_kind(path, info)  # what was opened, should the path have changed since
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as file:
        if info.st_size > MAX_PROFILE_BYTES:
            raise ProfileError(too_large)
        data = file.read(MAX_PROFILE_BYTES + 1)  # at most: a file that grows, or one in /proc that says size 0
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(too_large)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"cannot read profile file {str(path)!r}: not UTF-8 ({exc.reason})") from exc


def parse_file(source: ProfileText) -> tuple[dict[str, Any], ProfileText]:
    """The file's data, and its source with the node tree that gives line numbers."""
    bad = re.search(_CONTROL, source.text)
    if bad:
        line = source.text.count("\n", 0, bad.start()) + 1
        raise ProfileError(
            f"{source.label}, line {line}: control character U+{ord(bad.group()):04X} is not allowed in a profile "
            "(in a double-quoted string, write it as an escape)"
        )
    import warnings

    from ruamel.yaml import YAML  # only profile files need it; YAML 1.2, as editors read them
    from ruamel.yaml.error import MarkedYAMLError, YAMLError, YAMLWarning

    # The safe loader builds plain data and refuses every tag it does not know (`!!python/object`
    # included): a profile is data, never code.
    reader = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # ruamel warns at length (on stderr) about valid YAML it frowns upon, such as reused anchors.
            warnings.simplefilter("ignore", YAMLWarning)
            node = reader.compose(source.text)
            data = reader.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source.label}, line {mark.line + 1}" if mark else source.label
        problem = " ".join(str(exc.problem or exc.context).split())
        if source.extended:
            problem = "not a profile: not valid YAML (`runai-size validate` on it says more)"
        raise ProfileError(f"{where}: {problem}") from exc
    except YAMLError as exc:
        raise ProfileError(f"{source.label}: not valid YAML") from exc
    except RecursionError as exc:
        raise ProfileError(f"{source.label}: nested too deeply to read") from exc
    source = ProfileText(source.label, source.name, source.text, source.path, node, source.extended)
    # Everything below walks the data; a few aliases must not make that walk endless.
    check_expansion(data, source.label, limit=MAX_PROFILE_NODES, error=ProfileError)
    if data is None:
        return {}, source
    if not isinstance(data, dict):
        raise ProfileError(f"{source.label}: a profile is a mapping (description, extends, values, rules)")
    if source.extended and not set(data) <= set(TOP_KEYS):
        # Never quote a file that does not read as a profile: `extends: /etc/shadow` must not print hashes.
        raise ProfileError(f"{source.label}: not a profile: its top level has keys other than {', '.join(TOP_KEYS)}")
    _check_plain(data, source, ())
    return data, source


def _check_plain(data: Any, source: ProfileText, path: tuple[Any, ...]) -> None:
    """A profile holds what JSON holds: string keys; strings, finite numbers, booleans, null, lists, mappings."""
    problem = None
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                raise ProfileError(
                    f"{source.where([*path, key])}: unknown key {_yaml_word(key)} (a key of a profile is a string)"
                )
            _check_plain(value, source, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _check_plain(value, source, (*path, index))
    elif isinstance(data, float) and not math.isfinite(data):
        problem = "is not a number (NaN or infinity)"
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > LARGEST_INTEGER:
        problem = "is a whole number larger than Kubernetes stores (64 bits)"
    elif not isinstance(data, str | int | float | bool | type(None)):
        kind = {"bytes": "!!binary", "set": "!!set", "datetime": "a timestamp", "date": "a date"}
        problem = (
            f"is {kind.get(type(data).__name__, type(data).__name__)}; a profile holds strings, numbers, "
            "booleans, lists and mappings (quote it to keep it as a string)"
        )
    if problem:
        where = "/".join(map(str, path)) or "(top level)"
        raise ProfileError(f"{source.where(path)}, at {where}: the value {problem}")


def _yaml_word(key: Any) -> str:
    if isinstance(key, bool) or key is None:
        return "null" if key is None else str(key).lower()
    return str(key)
