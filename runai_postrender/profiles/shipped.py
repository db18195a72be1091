"""The files shipped inside the package: the built-in profiles and the profile schema.

Installed, they lie in the package's builtin_profiles folder and are read with `os`: neither
importlib.resources nor pathlib is imported (together they cost every run milliseconds). An editable
install maps them to the checkout's profiles/ folder, which importlib.resources finds.
"""

from __future__ import annotations

import os
from typing import Any

_PACKAGE = "runai_postrender.builtin_profiles"
_INSTALLED = os.path.join(os.path.dirname(os.path.dirname(__file__)), "builtin_profiles")  # runai_postrender/


def _builtins() -> Any:
    """The folder of the built-in profiles, as importlib.resources finds it (an editable install maps it to
    the checkout's profiles/ folder)."""
    from importlib import resources

    return resources.files(_PACKAGE)


def builtin_text(name: str) -> str | None:
    """The text of file `name` of the built-in profiles, or None if there is no such file."""
    if os.path.isfile(os.path.join(_INSTALLED, "small.yaml")):
        path = os.path.join(_INSTALLED, name)
        if not os.path.isfile(path):
            return None
        with open(path, encoding="utf-8") as file:
            return file.read()
    resource = _builtins().joinpath(name)
    try:
        found = resource.is_file()
    except OSError:  # a name too long for a file name names no built-in (as os.path.isfile says above)
        found = False
    return str(resource.read_text(encoding="utf-8")) if found else None


def builtin_names() -> list[str]:
    """The built-in profiles, smallest first."""
    if os.path.isfile(os.path.join(_INSTALLED, "small.yaml")):
        files = os.listdir(_INSTALLED)
    else:
        files = [entry.name for entry in _builtins().iterdir()]
    names = [name[: -len(".yaml")] for name in files if name.endswith(".yaml")]
    order = {"small": 0, "large": 1, "xlarge": 2}
    return sorted(names, key=lambda name: (order.get(name, 99), name))


def schema_text() -> str:
    """The JSON Schema of the profile format, as shipped."""
    text = builtin_text("profile.schema.json")
    assert text is not None, "the package ships profile.schema.json"
    return text
