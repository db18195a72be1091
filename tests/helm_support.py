"""Helpers for tests/test_helm.py: the real Helm 3 and Helm 4 binaries, each in a private home.

`HelmRunner` runs one Helm major version with its own HOME and XDG folders (a v1 plugin.yaml in Helm 3's
plugin folder makes every Helm 3 command warn, and `helm plugin list` fail), with the virtual
environment's bin folder first on PATH so that `runai-size` is found there. `Renders` runs
`helm template` in the ways the tests need, each combination once per session.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ROOT / "tests" / "charts"
GOLDEN = ROOT / "tests" / "golden"
CAPTURE_PLUGIN = ROOT / "tests" / "plugins" / "capture"
CAPTURE_PLUGIN_NAME = "runai-size-capture"
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"
T = TypeVar("T")
SETUP = "run scripts/setup (it installs Helm 3 and Helm 4 under .tools/bin and runai-size into .venv)"


# ---------------------------------------------------------------- finding the tools


def helm_binary(major: int) -> Path:
    """RUNAI_SIZE_HELM<major> if set, else .tools/bin/helm<major>; a test fails (never skips) without it."""
    variable = f"RUNAI_SIZE_HELM{major}"
    configured = os.environ.get(variable, "").strip()
    path = Path(configured) if configured else ROOT / ".tools" / "bin" / f"helm{major}"
    where = f"{variable}={configured}" if configured else str(path)
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"no Helm {major} binary at {where}: {SETUP}", pytrace=False)
    return path


def scripts_dir() -> Path:
    """The bin folder of the Python running the tests, where pip put the `runai-size` console script."""
    folder = Path(sysconfig.get_path("scripts"))
    if not (folder / "runai-size").is_file():
        pytest.fail(f"no runai-size console script in {folder} (Python {sys.executable}): {SETUP}", pytrace=False)
    return folder


def clean_environment(home: Path) -> dict[str, str]:
    """os.environ without anything that would steer Helm or runai-size, with a private home."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HELM_", "RUNAI_SIZE_", "XDG_")) and key not in ("KUBECONFIG", "HOME")
    }
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    env["XDG_STATE_HOME"] = str(home / ".local" / "state")
    env["PATH"] = os.pathsep.join([str(scripts_dir()), env.get("PATH", os.defpath)])
    return env


# ---------------------------------------------------------------- running Helm


@dataclass(frozen=True)
class Completed:
    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"$ {' '.join(self.command)}\nexit {self.returncode}\n--- stderr:\n{self.stderr}"


class HelmRunner:
    """One Helm major version in its own home (HOME and XDG_*), with runai-size first on PATH."""

    def __init__(self, major: int, home: Path, tools: Path) -> None:
        self.major = major
        self.binary = helm_binary(major)
        self.home = home
        self.env = clean_environment(home)
        if major >= 4:  # a folder of its own, as the README says: a Helm 3 on PATH cannot read a Helm 4 plugin
            self.env["HELM_DATA_HOME"] = str(home / ".local" / "share" / "helm4")
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            Path(self.env[variable]).mkdir(parents=True, exist_ok=True)
        self.version = self.run("version", "--template", "{{.Version}}").stdout.strip()
        if not self.version.startswith(f"v{major}."):
            pytest.fail(f"{self.binary} is Helm {self.version}, not Helm {major}: {SETUP}", pytrace=False)
        # The capture post-renderer, copied so that its script is surely executable.
        self.capture_dir = tools / f"capture-helm{major}"
        shutil.copytree(CAPTURE_PLUGIN, self.capture_dir, dirs_exist_ok=True)
        script = self.capture_dir / "capture"
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        if major >= 4:
            self.run("plugin", "install", str(ROOT))
            self.run("plugin", "install", str(self.capture_dir))

    @property
    def state_dir(self) -> Path:
        return Path(self.env["XDG_STATE_HOME"])

    def run(
        self, *args: str, env: Mapping[str, str] | None = None, check: bool = True, cwd: Path | None = None
    ) -> Completed:
        command = (str(self.binary), *args)
        proc = subprocess.run(
            command,
            env={**self.env, **(env or {})},
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        done = Completed(tuple(command), proc.returncode, proc.stdout, proc.stderr)
        if check and done.returncode != 0:
            pytest.fail(f"helm{self.major} failed:\n{done.describe()}", pytrace=False)
        return done

    def template(
        self,
        chart: str,
        release: str,
        namespace: str,
        *,
        sets: Iterable[str] = (),
        values: Iterable[str] = (),
        post_renderer: str | None = None,
        post_renderer_args: Iterable[str] = (),
        env: Mapping[str, str] | None = None,
        check: bool = True,
        cwd: Path | None = None,
    ) -> Completed:
        args = ["template", release, str(CHARTS / chart), "--namespace", namespace]
        for item in sets:
            args += ["--set", item]
        for name in values:
            args += ["--values", str(CHARTS / "values" / name)]
        if post_renderer is not None:
            args += ["--post-renderer", post_renderer]
        args += [f"--post-renderer-args={arg}" for arg in post_renderer_args]
        return self.run(*args, env=env, check=check, cwd=cwd)

    @property
    def capture_post_renderer(self) -> str:
        """The capture's --post-renderer argument: a path for Helm 3, the plugin's name for Helm 4."""
        return str(self.capture_dir / "capture") if self.major == 3 else CAPTURE_PLUGIN_NAME


@dataclass(frozen=True)
class Variant:
    """A chart rendered with a release name, a namespace and --set values."""

    id: str
    chart: str
    release: str
    namespace: str
    sets: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # files under tests/charts/values, given with -f


@dataclass(frozen=True)
class Capture:
    input: bytes  # exactly what Helm sent to the post-renderer
    output: bytes  # what runai-size, run by Helm as the post-renderer, gave back
    final: str  # what Helm printed


@dataclass
class Renders:
    """Every `helm template` the tests need, each run once per session."""

    helms: Mapping[int, HelmRunner]
    tmp: Path
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def _once(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = make()
        return cast(T, self._cache[key])

    def baseline(self, major: int, variant: Variant) -> str:
        """The chart as Helm renders it without a post-renderer."""
        helm = self.helms[major]
        return self._once(
            ("baseline", major, variant),
            lambda: (
                helm.template(
                    variant.chart, variant.release, variant.namespace, sets=variant.sets, values=variant.values
                ).stdout
            ),
        )

    def sized(self, major: int, variant: Variant, profile: str) -> str:
        """Helm's output with `--post-renderer runai-size` (Helm 3: on PATH; Helm 4: the plugin)."""
        helm = self.helms[major]
        return self._once(
            ("sized", major, variant, profile),
            lambda: (
                helm.template(
                    variant.chart,
                    variant.release,
                    variant.namespace,
                    sets=variant.sets,
                    values=variant.values,
                    post_renderer="runai-size",
                    env={"RUNAI_SIZE_PROFILE": profile},
                ).stdout
            ),
        )

    def captured(self, major: int, variant: Variant, profile: str) -> Capture:
        """Helm's output with the recording post-renderer, which runs runai-size with this profile."""

        def make() -> Capture:
            helm = self.helms[major]
            stem = f"{variant.id}-{profile}-helm{major}"
            into, out = self.tmp / f"{stem}.in.yaml", self.tmp / f"{stem}.out.yaml"
            done = helm.template(
                variant.chart,
                variant.release,
                variant.namespace,
                sets=variant.sets,
                values=variant.values,
                post_renderer=helm.capture_post_renderer,
                env={
                    "RUNAI_SIZE_PROFILE": profile,
                    "RUNAI_SIZE_CAPTURE": str(into),
                    "RUNAI_SIZE_CAPTURE_OUT": str(out),
                },
            )
            return Capture(into.read_bytes(), out.read_bytes(), done.stdout)

        return self._once(("captured", major, variant, profile), make)


def run_runai_size(args: Iterable[str], data: bytes, env: Mapping[str, str]) -> subprocess.CompletedProcess[bytes]:
    """The real console script, as a subprocess."""
    command = [str(scripts_dir() / "runai-size"), *args]
    proc = subprocess.run(command, input=data, env=dict(env), capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stderr.decode()}", pytrace=False)
    return proc


# ---------------------------------------------------------------- reading Helm's output


_SAFE = YAML(typ="safe", pure=True)
_SEPARATOR = re.compile(r"^---[ \t]*(?:#[^\n]*)?(?:\n|\Z)", re.M)
_SOURCE = re.compile(r"^# Source: (.+?)[ \t]*$", re.M)

Key = tuple[str, str | None, str]  # kind, namespace, name


@dataclass(frozen=True)
class Doc:
    source: str | None  # the `# Source:` comment of the document, if it has one
    obj: dict[str, Any]

    @property
    def key(self) -> Key:
        metadata = self.obj.get("metadata") or {}
        return (str(self.obj.get("kind")), metadata.get("namespace"), str(metadata.get("name")))


def documents(text: str | bytes) -> list[Doc]:
    """The objects of a manifest stream, each with its `# Source:` comment; empty documents are dropped."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    docs = []
    for chunk in _SEPARATOR.split(text):
        obj = _SAFE.load(chunk)
        if obj is None:
            continue
        assert isinstance(obj, dict), f"a document is not a mapping:\n{chunk}"
        source = _SOURCE.search(chunk)
        docs.append(Doc(source.group(1) if source else None, obj))
    return docs


def by_key(docs: Iterable[Doc]) -> dict[Key, dict[str, Any]]:
    """The objects by (kind, namespace, name); two objects with one key fail the test."""
    found: dict[Key, dict[str, Any]] = {}
    for doc in docs:
        assert doc.key not in found, f"two objects {doc.key} in the output"
        found[doc.key] = doc.obj
    return found


# ---------------------------------------------------------------- comparing quantities


_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")
_FACTOR: dict[str, int | Decimal] = {
    "": 1,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def quantity(value: Any) -> Decimal:
    """A Kubernetes quantity (`1`, "1", `1000m`, `6G`, `7Gi`) as a number: equal amounts compare equal."""
    match = _QUANTITY.match(str(value).strip())
    assert match is not None and not isinstance(value, bool), f"{value!r} is not a Kubernetes quantity"
    return Decimal(match.group(1)) * Decimal(_FACTOR[match.group(2) or ""])


def quantities(obj: Any) -> Any:
    """A copy in which the leaves of every `requests` and `limits` mapping are quantities (Decimal)."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            if key in ("requests", "limits") and isinstance(value, dict):
                out[key] = {name: quantity(amount) for name, amount in value.items()}
            else:
                out[key] = quantities(value)
        return out
    if isinstance(obj, list):
        return [quantities(value) for value in obj]
    return obj


def helm4_post_renderer_input(chart: str, release: str, namespace: str, tmp: Path) -> bytes:
    """Exactly what the real Helm 4 pipes to a post-renderer for this chart (templates named by the
    `postrenderer.helm.sh/postrender-filename` annotation, no `# Source:` comments): the capture plugin
    records it and hands it back unchanged."""
    helm = HelmRunner(4, tmp / "home-helm4", tmp)
    into = tmp / f"{chart}-helm4-input.yaml"
    helm.template(chart, release, namespace, post_renderer=helm.capture_post_renderer,
                  env={"RUNAI_SIZE_CAPTURE": str(into)})  # fmt: skip
    return into.read_bytes()
