"""What runai-size runs with: the Python, and each installed distribution its own requires, with its version."""

from __future__ import annotations

import importlib.metadata
import platform
import re
import sys

DISTRIBUTION = "runai-size"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirement_names(distribution: str) -> list[str]:
    """The names a distribution requires, without those of its extras (`extra == "dev"`)."""
    names = []
    for requirement in importlib.metadata.requires(distribution) or []:
        marker = requirement.partition(";")[2]
        match = _NAME.match(requirement)
        if match and "extra" not in marker:
            names.append(match.group(1))
    return names


def dependency_versions() -> list[tuple[str, str]]:
    """(name, version) of runai-size's runtime dependencies as installed, transitively, sorted by name.

    A requirement whose marker excludes this platform (colorama off Windows) is simply not installed, and
    not listed.
    """
    found: dict[str, tuple[str, str]] = {}
    pending = _requirement_names(DISTRIBUTION)
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        found[key] = (distribution.metadata["Name"], distribution.version)
        pending.extend(_requirement_names(name))
    return sorted(found.values(), key=lambda item: item[0].lower())


def describe(version: str) -> list[str]:
    """`runai-size version --verbose`: the version, the Python, and every dependency with its version."""
    lines = [
        f"runai-size, version {version}",
        f"python {platform.python_version()} ({platform.python_implementation()}, {sys.executable})",
    ]
    try:
        dependencies = dependency_versions()
    except importlib.metadata.PackageNotFoundError:
        return [*lines, "dependencies: unknown (runai-size is not installed as a distribution here)"]
    lines += [f"{name} {version}" for name, version in dependencies]
    try:
        import yaml

        lines.append(f"libyaml (PyYAML's C parser): {'yes' if yaml.__with_libyaml__ else 'no'}")
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        pass
    return lines
