"""What users install, by every channel the README gives, on a fresh machine (fresh venv, fresh HOME).

`scripts/release` builds the wheel, the sdist and the Helm 4 plugin tarball from the tracked files of a
checkout that has every kind of junk a working checkout has; the tests install each of them, and the
plugin from a local folder and a Git URL, and render the test chart with it.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import ROOT

VERSION = re.search(r'__version__ = "([^"]+)"', (ROOT / "runai_postrender" / "__init__.py").read_text())
assert VERSION is not None
VERSION_TEXT = VERSION.group(1)
PLUGIN_FILES = {"plugin.yaml", "bin", "wheels", "README.md", "LICENSE"}
TARGETS = re.search(r"^# targets: (.+)$", (ROOT / "requirements.lock").read_text(), re.M)
assert TARGETS is not None
TARGET_TAGS = TARGETS.group(1).split()
CHART = ROOT / "tests" / "charts" / "control-plane"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _checkout_copy(into: Path) -> Path:
    """The repository's tracked files, committed and tagged in a fresh git repository, as a clone has them."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    copy = into / "runai-size"
    for name in files:
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    _git(copy, "init", "-q")
    _git(copy, "add", "-A")
    _git(copy, "commit", "-qm", "release")
    _git(copy, "tag", f"v{VERSION_TEXT}")
    return copy


def _helm4() -> Path:
    helm = ROOT / ".tools" / "bin" / "helm4"
    if not helm.exists():
        pytest.fail("no Helm 4 binary: run scripts/setup (or scripts/install-helm)", pytrace=False)
    return helm


def _fresh_home(tmp: Path, *path: Path) -> dict[str, str]:
    """A private HOME (Helm's plugins, cache and config below it) and a PATH of these folders plus the system's."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PATH": ":".join([*map(str, path), "/usr/bin", "/bin"]),
        "RUNAI_SIZE_PROFILE": "large",
    }


def _venv_with_runai_size(tmp: Path) -> Path:
    """A folder holding only a `runai-size` (the one of the Python running the tests), for PATH."""
    folder = tmp / "runai-size-bin"
    folder.mkdir(exist_ok=True)
    (folder / "runai-size").symlink_to(Path(sys.executable).parent / "runai-size")
    return folder


def _python_only(tmp: Path) -> Path:
    """A folder holding only a python3 (without runai-size), for PATH: the plugin builds its own venv."""
    folder = tmp / "python-bin"
    folder.mkdir(exist_ok=True)
    (folder / "python3").symlink_to(Path(sys.executable).resolve())
    return folder


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"$ {' '.join(map(str, command))}\n{done.stdout}\n{done.stderr}"
    return done


def _hpas(rendered: str) -> int:
    return sum(
        1 for doc in YAML(typ="safe", pure=True).load_all(rendered) if doc and doc["kind"] == "HorizontalPodAutoscaler"
    )


def _render(helm: Path, env: dict[str, str]) -> str:
    return _run(
        [str(helm), "template", "acme", str(CHART), "-n", "runai-backend", "--post-renderer", "runai-size"], env
    ).stdout


@dataclass(frozen=True)
class Release:
    checkout: Path
    dist: Path
    said: str = ""  # what scripts/release wrote on stderr

    @property
    def wheel(self) -> Path:
        return self.dist / f"runai_size-{VERSION_TEXT}-py3-none-any.whl"

    @property
    def sdist(self) -> Path:
        return self.dist / f"runai_size-{VERSION_TEXT}.tar.gz"

    @property
    def plugin(self) -> Path:
        return self.dist / f"runai-size-{VERSION_TEXT}.tgz"

    @property
    def lock(self) -> Path:
        return self.dist / f"runai-size-{VERSION_TEXT}-requirements.txt"

    @property
    def contents(self) -> Path:
        return self.dist / f"runai-size-{VERSION_TEXT}-contents.txt"


def _release(tmp: Path, *args: str, python: str = sys.executable) -> Release:
    checkout = _checkout_copy(tmp)
    # What a checkout has after scripts/demo, scripts/test and a plugin install from it.
    for junk in (".venv/bin", ".plugin-venv/bin", ".tools/bin", "build/lib", "dist", ".plugin-venv.lock"):
        (checkout / junk).mkdir(parents=True, exist_ok=True)
    (checkout / ".plugin-venv" / ".complete").write_text("")
    (checkout / ".plugin-venv" / "bin" / "python").symlink_to("/nonexistent/python3")
    (checkout / ".tools" / "bin" / "helm").write_bytes(b"\0" * 4096)
    dist = tmp / "dist"
    done = _run(
        ["scripts/release", "--dist", str(dist), *args],
        {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "PYTHON": python, "RUNAI_SIZE_HELM4": str(_helm4())},
        cwd=checkout,
    )
    return Release(checkout, dist, done.stderr)


_SHARED: dict[str, Release] = {}


def shared_release(factory: pytest.TempPathFactory) -> Release:
    """The release every test of a release uses, built once per session, as on a fresh clone: with a Python
    that has no `build` package (scripts/release gets one itself)."""
    if "release" not in _SHARED:
        tmp = factory.mktemp("release")
        bare = tmp / "bare-python"
        venv.create(bare, with_pip=True)
        _SHARED["release"] = _release(tmp, python=str(bare / "bin" / "python"))
    return _SHARED["release"]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return shared_release(tmp_path_factory)


# ---------------------------------------------------------------- scripts/release


@pytest.mark.slow
def test_release_builds_the_wheel_the_sdist_a_clean_plugin_tarball_its_lock_and_its_contents(release: Release) -> None:
    assert sorted(path.name for path in release.dist.iterdir()) == sorted(
        [release.plugin.name, release.sdist.name, release.wheel.name, release.lock.name, release.contents.name]
    )
    with tarfile.open(release.plugin) as plugin:
        members = plugin.getnames()
    assert {name.split("/")[1] for name in members if "/" in name} <= PLUGIN_FILES
    assert all(name.split("/")[0] == "runai-size" for name in members)
    assert "runai-size/bin/runai-size-plugin" in members
    assert not [name for name in members if re.search(r"(__pycache__|\.pyc$|/\.git|\.venv|\.tools|\.cache)", name)]
    assert release.plugin.stat().st_size < 12_000_000  # the README gives its size
    with tarfile.open(release.sdist) as sdist:
        names = sdist.getnames()
    assert f"runai_size-{VERSION_TEXT}/profiles/large.yaml" in names
    assert not [name for name in names if re.search(r"/(\.venv|\.plugin-venv|\.tools|\.git|tests|dist|build)/", name)]


@pytest.mark.slow
def test_the_plugin_tarball_carries_a_wheel_of_every_locked_package_for_every_target(release: Release) -> None:
    with tarfile.open(release.plugin) as plugin:
        wheels = [Path(name).name for name in plugin.getnames() if name.endswith(".whl")]
        bundled_lock = plugin.extractfile("runai-size/wheels/requirements.txt")
        assert bundled_lock is not None
        assert bundled_lock.read().decode() == release.lock.read_text()
    assert release.wheel.name in wheels
    for name in _lock():
        ours = [wheel for wheel in wheels if canonical(wheel.split("-")[0]) == name]
        assert ours, f"no wheel of {name}"
        if not ours[0].endswith("-py3-none-any.whl"):  # a binary wheel: one per target
            for tag in TARGET_TAGS:
                python, machine = tag.split("-")
                assert [w for w in ours if f"-{python}-{python}-" in w and machine in w], f"{name}: none for {tag}"
    listed = release.contents.read_text()
    assert all(wheel in listed for wheel in wheels)


@pytest.mark.slow
def test_release_on_a_python_without_build_gets_it_and_says_so_in_one_line(release: Release) -> None:
    """A fresh clone's python3 has no `build` package (it failed with `No module named build`)."""
    said = [line for line in release.said.splitlines() if "'build'" in line]
    assert len(said) == 1 and "installing it into a temporary environment" in said[0], release.said
    assert release.wheel.is_file()


@pytest.mark.slow
def test_a_plugin_tarball_without_its_prov_installs_only_with_verify_false(release: Release, tmp_path: Path) -> None:
    helm = _helm4()
    env = _fresh_home(tmp_path, _python_only(tmp_path))
    refused = subprocess.run([helm, "plugin", "install", release.plugin], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and ".prov" in refused.stderr + refused.stdout
    _run([str(helm), "plugin", "install", "--verify=false", str(release.plugin)], env)
    assert _hpas(_render(helm, env)) == 3


@pytest.fixture
def signing_key(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A throw-away gpg key: (its name, the secret keyring Helm signs with, the public keyring users verify with)."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed: the signed release cannot be built here")
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(gnupg), "PATH": "/usr/bin:/bin"}
    name = "runai-size release test <release@example.invalid>"
    gpg = ["gpg", "--batch", "--passphrase", ""]
    try:
        _run([*gpg, "--quick-gen-key", name, "rsa2048", "sign", "never"], env)
        secret, public = tmp_path / "secring.gpg", tmp_path / "pubring.gpg"
        secret.write_bytes(
            subprocess.run([*gpg, "--export-secret-keys"], env=env, capture_output=True, check=True).stdout
        )
        public.write_bytes(subprocess.run([*gpg, "--export"], env=env, capture_output=True, check=True).stdout)
        yield name, secret, public
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, check=False)


@pytest.mark.slow
@pytest.mark.helm
def test_a_signed_release_installs_with_the_signers_public_key(
    tmp_path: Path, signing_key: tuple[str, Path, Path]
) -> None:
    name, secret, public = signing_key
    signed = _release(tmp_path / "signed", "--sign", "--key", name, "--keyring", str(secret))
    assert (signed.dist / f"{signed.plugin.name}.prov").is_file()
    helm = _helm4()
    env = _fresh_home(tmp_path, _python_only(tmp_path))
    installed = _run([str(helm), "plugin", "install", str(signed.plugin), "--keyring", str(public)], env)
    assert "Plugin Hash Verified" in installed.stdout + installed.stderr
    assert "signed" in _run([str(helm), "plugin", "list"], env).stdout
    assert _hpas(_render(helm, env)) == 3


# ---------------------------------------------------------------- pip install: the wheel, a checkout, a Git URL


def _pip_source(release: Release, channel: str) -> str:
    return {
        "wheel": str(release.wheel),
        "checkout": str(release.checkout),
        "git-url": f"git+file://{release.checkout}@v{VERSION_TEXT}",
    }[channel]


@pytest.mark.slow
@pytest.mark.parametrize("channel", ["wheel", "checkout", "git-url"])  # the wheel is built from the sdist
def test_pip_installs_a_working_runai_size(release: Release, tmp_path: Path, channel: str) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = _fresh_home(tmp_path)
    _run(
        [str(env_dir / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", _pip_source(release, channel)],
        env,
    )
    listed = _run([str(env_dir / "bin" / "runai-size"), "profiles"], env, cwd=tmp_path)  # nothing from a source tree
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["small", "large", "xlarge"]
    schema = _run([str(env_dir / "bin" / "runai-size"), "profiles", "--schema"], env)
    assert '"title": "runai-size profile"' in schema.stdout
    # Installed, the built-in profiles are read with os from the package's folder: no importlib.resources,
    # pathlib or zipfile on a run's path (milliseconds of every Helm install).
    check = (
        "import sys; from runai_postrender.profiles import shipped; shipped.builtin_text('large.yaml'); "
        "print(sorted(m for m in ('importlib.resources', 'pathlib', 'zipfile') if m in sys.modules))"
    )
    imported = _run([str(env_dir / "bin" / "python"), "-c", check], env, cwd=tmp_path)
    assert imported.stdout.strip() == "[]"


# ---------------------------------------------------------------- helm plugin install: a folder, a tarball, a Git URL


@pytest.mark.slow
@pytest.mark.helm
def test_helm4_plugin_from_a_git_url(release: Release, tmp_path: Path) -> None:
    helm = _helm4()
    env = _fresh_home(tmp_path, _python_only(tmp_path))
    url = f"file://{release.checkout}"
    _run([str(helm), "plugin", "install", "--verify=false", url, "--version", VERSION_TEXT], env)
    assert "runai-size" in _run([str(helm), "plugin", "list"], env).stdout
    assert _hpas(_render(helm, env)) == 3


@pytest.mark.slow
@pytest.mark.helm
def test_helm4_plugin_from_a_checkout_follows_the_checkout(tmp_path: Path) -> None:
    """`helm plugin install <folder>` links the folder; an edit of the folder is what the next render uses,
    also when another runai-size is on PATH (it was used instead, and the edit ignored)."""
    checkout = _checkout_copy(tmp_path)
    helm = _helm4()
    env = _fresh_home(tmp_path, _venv_with_runai_size(tmp_path), _python_only(tmp_path))
    _run([str(helm), "plugin", "install", str(checkout)], env)
    installed = Path(env["XDG_DATA_HOME"]) / "helm" / "plugins" / "runai-size"
    assert installed.is_symlink() and installed.resolve() == checkout.resolve()
    assert "memory: 6G" in _render(helm, env)
    large = checkout / "profiles" / "large.yaml"
    assert "memory: 6G" in large.read_text()
    large.write_text(large.read_text().replace("memory: 6G", "memory: 7G"))
    rendered = _render(helm, env)
    assert "memory: 7G" in rendered and "memory: 6G" not in rendered
    assert _hpas(rendered) == 3


# ---------------------------------------------------------------- the lock (requirements.lock)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as {name: (version, [sha256, ...])}."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            requirement, *hashes = line.split()
            name, version = requirement.split("==")
            pins[name] = (version, [h.removeprefix("--hash=sha256:") for h in hashes])
    return pins


def test_the_lock_pins_every_runtime_dependency_within_pyprojects_ranges() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = _lock()
    for text in declared:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: run scripts/lock"
        assert requirement.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} is not {text}: run scripts/lock"
    assert all(pins[name][1] for name in pins), "a pin without a hash"


def test_the_tests_run_with_the_locked_versions() -> None:
    """scripts/setup installs the lock's versions: the versions a release bundles are the ones tested."""
    for name, (version, _) in _lock().items():
        if name == "pip":  # the plugin's installer, not a dependency
            continue
        assert importlib.metadata.version(name) == version, f"{name}: run scripts/setup"


# ---------------------------------------------------------------- the docs name installs that work


@pytest.mark.parametrize(
    "path", ["README.md", "bin/runai-size-plugin", "examples/ci/github-actions.yaml", "examples/ci/gitlab-ci.yaml"]
)
def test_no_install_command_names_the_unpublished_pypi_package(path: str) -> None:
    """`pip install runai-size` answers "No matching distribution": the package is not on PyPI."""
    text = (ROOT / path).read_text()
    assert not re.search(r"pip install (-\S+ )*runai-size(?![-\w.])", text), path


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("pip install ./dist/runai_size-0.1.0-py3-none-any.whl", id="wheel"),
        pytest.param("pip install --require-hashes --find-links . -r runai-size-0.1.0-requirements.txt", id="lock"),
        pytest.param("pip install .  ", id="checkout"),
        pytest.param('pip install "git+https://github.com/YOUR-ORG/runai-size@v0.1.0"', id="pip-git-url"),
        pytest.param("helm plugin install runai-size-0.1.0.tgz --keyring pubring.gpg", id="signed-tarball"),
        pytest.param("helm plugin install --verify=false runai-size-0.1.0.tgz", id="unsigned-tarball"),
        pytest.param(
            "helm plugin install --verify=false https://github.com/YOUR-ORG/runai-size --version 0.1.0", id="git-url"
        ),
        pytest.param("helm plugin install ./runai-size", id="linked-checkout"),
        pytest.param("scripts/release --sign --key 'NAME' --keyring secring.gpg", id="signed-release"),
    ],
)
def test_the_readme_gives_the_install_lines_these_tests_run(line: str) -> None:
    """Each README install line is one that a test above runs (with a local file or file:// URL for the host)."""
    assert line in (ROOT / "README.md").read_text().replace(f"{VERSION_TEXT}", "0.1.0")


def test_the_readme_says_what_the_first_upgrade_with_autoscaling_does() -> None:
    """The Deployment's replicas go away: Kubernetes may drop to one pod until the HPA acts."""
    text = " ".join((ROOT / "README.md").read_text().split())
    assert "Migrating Deployments and StatefulSets to horizontal autoscaling" in text
    assert "sets it to its default, 1" in text
    assert "--field-manager=handover-to-hpa" in text


def test_version_verbose_names_every_locked_dependency_with_the_version_it_runs() -> None:
    runai_size = Path(sys.executable).parent / "runai-size"
    shown = subprocess.run([str(runai_size), "version", "--verbose"], capture_output=True, text=True, check=True).stdout
    lines = {
        line.split()[0].lower().replace("_", "-").replace(".", "-"): line.split()[1] for line in shown.splitlines()[2:]
    }
    for name, (version, _) in _lock().items():
        if name != "pip":
            assert lines.get(name) == version, f"{name}=={version} not in:\n{shown}"
    assert shown.startswith(f"runai-size, version {VERSION_TEXT}\npython ")
