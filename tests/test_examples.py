"""The CI examples and the release workflow: valid for their CI, and their shell steps do what they say.

The examples' shell steps run as written against the test charts with the real Helm 3, with the one setting a
user makes (RUNAI_SIZE_REPOSITORY) and the values files shipped beside them. Only what needs a cluster or the
network is stood in for: `helm repo add` records the repository, a chart from a recorded repository
(`runai-backend/control-plane`, `runai/runai-cluster`) is the test chart of that name, `helm get manifest
RELEASE` renders the test chart of that name (through runai-size or not, as the test deploys it), `curl`
serves the files of runai-size's GitHub release from a folder (a release's dist/), and `pip` records what it
was asked to install, and with which files beside it. One test runs the examples' install steps with the real
pip on a release that scripts/release built, with the package index stood in for by the dependencies' wheels.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

import runai_postrender
from tests.conftest import ROOT
from tests.helm_support import helm_binary, scripts_dir
from tests.test_packaging import Release, _lock, canonical, shared_release

EXAMPLES = ROOT / "examples" / "ci"
GITHUB_FILES = ["examples/ci/github-actions.yaml", ".github/workflows/release.yaml"]
RELEASES = {"runai-backend": "runai-backend", "runai-cluster": "runai"}  # release -> namespace
# The one setting a user makes: the repository that publishes runai-size's releases.
SETTING = {"RUNAI_SIZE_REPOSITORY": "example-org/runai-size"}
# Run:ai's chart repositories, as its self-hosted installation pages name them.
RUNAI_REPOSITORIES = {
    "runai-backend": "https://runai.jfrog.io/artifactory/cp-charts-prod",
    "runai": "https://runai.jfrog.io/artifactory/api/helm/run-ai-charts",
}
CHART_OF = {"runai-backend": "control-plane", "runai-cluster": "runai-cluster"}  # release -> its chart
VERSION = runai_postrender.__version__  # the release the examples pin is this version's


def _load(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text())


# ---------------------------------------------------------------- valid for their CI


def _tool(name: str) -> Path:
    """A linter scripts/setup installs. Without it the test is skipped, saying so; in CI (where scripts/test runs
    scripts/setup first, and CI is set) a missing one fails the test instead, so that CI never skips the check."""
    for folder in (ROOT / ".tools" / "bin", scripts_dir()):
        if (folder / name).is_file():
            return folder / name
    reason = f"no {name}: run scripts/setup (it installs actionlint and check-jsonschema)"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.mark.parametrize("path", GITHUB_FILES)
def test_github_workflows_pass_actionlint(path: str) -> None:
    done = subprocess.run([_tool("actionlint"), ROOT / path], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ nope.x }}\n"
    )
    assert subprocess.run([_tool("actionlint"), broken], capture_output=True, check=False).returncode == 1


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        pytest.param("examples/ci/gitlab-ci.yaml", "vendor.gitlab-ci", id="gitlab-ci"),
        pytest.param("examples/ci/github-actions.yaml", "vendor.github-workflows", id="github-actions"),
        pytest.param(".github/workflows/release.yaml", "vendor.github-workflows", id="release-workflow"),
    ],
)
def test_ci_files_match_their_ci_schema(path: str, schema: str) -> None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, ROOT / path],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_release_workflow_builds_with_scripts_release_and_publishes_with_trusted_publishing() -> None:
    workflow = _load(ROOT / ".github" / "workflows" / "release.yaml")
    jobs = workflow["jobs"]
    runs = [step.get("run", "") for step in jobs["build"]["steps"]]
    assert any("scripts/release" in run for run in runs)
    publish = jobs["pypi"]
    assert publish["permissions"] == {"id-token": "write"}
    (pypi_step,) = [
        step for step in publish["steps"] if step.get("uses", "").startswith("pypa/gh-action-pypi-publish@")
    ]
    assert "password" not in (pypi_step.get("with") or {})  # no token: trusted publishing
    release_runs = " ".join(step.get("run", "") for step in jobs["github-release"]["steps"])
    assert "gh release create" in release_runs and "dist/*" in release_runs
    assert jobs["github-release"]["permissions"] == {"contents": "write"}


# ---------------------------------------------------------------- their shell steps, run


HELM_SHIM = """#!/bin/sh
# `helm repo add NAME URL`: recorded (no network); a chart NAME/CHART of a recorded repository is the test
# chart CHART, its `--version` recorded. `helm get manifest RELEASE -n NS`: the release "as deployed", i.e.
# the test chart of that name rendered through runai-size when DEPLOYED_SIZED is set. Anything else goes to
# the real Helm 3.
if [ "$1 $2" = "repo add" ]; then
  echo "repo add $3 $4" >> "$HELM_LOG"
  exit 0
fi
if [ "$1" = "template" ]; then
  release=$2 ref=$3; shift 3
  case $ref in
    */*)
      grep -q "^repo add ${ref%%/*} " "$HELM_LOG" 2>/dev/null \\
        || { echo "Error: repo ${ref%%/*} not found" >&2; exit 1; }
      ref=$CHARTS/${ref#*/} ;;
  esac
  if [ "$1" = "--version" ]; then echo "template $release version $2" >> "$HELM_LOG"; shift 2; fi
  exec "$HELM3" template "$release" "$ref" "$@"
fi
if [ "$1 $2" = "get manifest" ]; then
  release=$3; shift 3
  case $release in runai-backend) chart=control-plane ;; *) chart=$release ;; esac
  if [ -n "${DEPLOYED_SIZED:-}" ]; then
    exec env -u RUNAI_SIZE_REPORT "$HELM3" template "$release" "$CHARTS/$chart" "$@" --post-renderer runai-size
  fi
  exec "$HELM3" template "$release" "$CHARTS/$chart" "$@"
fi
exec "$HELM3" "$@"
"""

PIP_SHIM = """#!/bin/sh
echo "$* | beside: $(ls | tr '\\n' ' ')" >> "$PIP_LOG"
"""

CURL_SHIM = """#!/bin/sh
# `curl -fsSLO URL`: a file of runai-size's GitHub release (the one setting's repository) is copied from
# $RELEASE_DIST into the current folder; anything else fails as a missing URL does (curl -f: exit 22).
for url; do :; done
echo "$url" >> "$CURL_LOG"
prefix=https://github.com/$RUNAI_SIZE_REPOSITORY/releases/download/
case $url in
  "$prefix"v*/*)
    name=${url##*/} tag=${url#"$prefix"}; tag=${tag%%/*}
    if [ "$tag" = "v$RELEASE_VERSION" ] && [ -f "$RELEASE_DIST/$name" ]; then exec cp "$RELEASE_DIST/$name" .; fi ;;
esac
echo "curl: (22) The requested URL returned error: 404" >&2
exit 22
"""


@dataclass
class Workspace:
    """A repository using the examples: the test charts under ./charts, committed manifests, stand-ins."""

    dir: Path
    sized: bool  # whether the deployed releases and the committed manifests went through runai-size
    dist: Path  # the files of runai-size's GitHub release, as scripts/release writes them

    def __post_init__(self) -> None:
        for chart in CHART_OF.values():
            shutil.copytree(ROOT / "tests" / "charts" / chart, self.dir / "charts" / chart)
        shims = self.dir.parent / "shims"
        shims.mkdir()
        for name, text in (("helm", HELM_SHIM), ("pip", PIP_SHIM), ("curl", CURL_SHIM)):
            (shims / name).write_text(text)
            (shims / name).chmod(0o755)
        (self.dir.parent / "runner").mkdir()
        (self.dir.parent / "tmp").mkdir()
        self.env = {
            "PATH": os.pathsep.join([str(shims), str(scripts_dir()), "/usr/bin", "/bin"]),
            "HOME": str(self.dir.parent / "home"),
            "HELM3": str(helm_binary(3)),
            "CHARTS": str(self.dir / "charts"),
            "PIP_LOG": str(self.dir.parent / "pip.log"),
            "CURL_LOG": str(self.dir.parent / "curl.log"),
            "RELEASE_DIST": str(self.dist),
            "RELEASE_VERSION": runai_postrender.__version__,
            "TMPDIR": str(self.dir.parent / "tmp"),
            "HELM_LOG": str(self.dir.parent / "helm.log"),
            "RUNNER_TEMP": str(self.dir.parent / "runner"),
            "GITHUB_ENV": str(self.dir.parent / "runner" / "github_env"),
            "CI_PROJECT_DIR": str(self.dir),
            "LC_ALL": "C.UTF-8",
        }
        if self.sized:
            self.env["DEPLOYED_SIZED"] = "1"
        committed = self.dir / "deploy" / "rendered"
        committed.mkdir(parents=True)
        for values in EXAMPLES.glob("values-*.yaml"):  # copied beside the pipeline, as the examples say
            shutil.copy(values, self.dir / "deploy" / values.name)
        for release, namespace in RELEASES.items():
            command = [str(helm_binary(3)), "template", release, f"charts/{CHART_OF[release]}", "-n", namespace]
            if self.sized:
                command += ["--post-renderer", "runai-size"]
            rendered = subprocess.run(
                command, cwd=self.dir, env={**self.env, "RUNAI_SIZE_PROFILE": "large"}, capture_output=True, check=True
            )
            (committed / f"{release}.yaml").write_bytes(rendered.stdout)

    def run(self, script: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.dir,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def report(self, name: str) -> str:
        return (self.dir / "out" / name).read_text()

    def installed(self) -> list[str]:
        log = Path(self.env["PIP_LOG"])
        return log.read_text().splitlines() if log.exists() else []

    def downloaded(self) -> list[str]:
        log = Path(self.env["CURL_LOG"])
        return log.read_text().splitlines() if log.exists() else []

    def helm_calls(self) -> list[str]:
        log = Path(self.env["HELM_LOG"])
        return log.read_text().splitlines() if log.exists() else []


_EXPRESSION = re.compile(r"\$\{\{[^}]*\}\}")


def _github_jobs(workspace: Workspace, setting: Mapping[str, str] = SETTING) -> dict[str, int]:
    """Run every job's `run` steps in order, as GitHub would (shell bash: -e, pipefail); each job's exit status.

    `setting` holds what the user wrote into the workflow's `env` (the one setting).
    """
    workflow = _load(EXAMPLES / "github-actions.yaml")
    statuses = {}
    for name, job in workflow["jobs"].items():
        env = {
            key: _EXPRESSION.sub("", str(value))
            for key, value in {**workflow.get("env", {}), **setting, **job.get("env", {})}.items()
        }
        statuses[name] = 0
        for step in job["steps"]:
            if "run" not in step:
                continue  # actions (checkout, setup-python, setup-helm, upload-artifact) need GitHub
            step_env = {key: _EXPRESSION.sub("", str(value)) for key, value in step.get("env", {}).items()}
            done = workspace.run(step["run"], {**env, **step_env})
            github_env = Path(workspace.env["GITHUB_ENV"])
            if github_env.exists():
                env.update(line.split("=", 1) for line in github_env.read_text().splitlines() if "=" in line)
            if done.returncode != 0:
                statuses[name] = done.returncode
                break
    return statuses


_TOOL_INSTALL = re.compile(r'^(apt-get |ARCH=|curl -fsSL "https://get\.helm\.sh/)')


def _gitlab_before_script(job: Mapping[str, Any]) -> list[str]:
    """A job's `before_script` without the lines that install curl and Helm into the image (the test has them)."""
    return [line for line in job.get("before_script", []) if not _TOOL_INSTALL.match(line)]


def _gitlab_jobs(workspace: Workspace, setting: Mapping[str, str] = SETTING) -> dict[str, int]:
    """Run every job's `before_script` and `script` as GitLab's runner would (one shell, stopping at the first
    failing line), with `setting` as the project's CI/CD variables.

    The lines of `before_script` that install curl and Helm into the image are skipped: the test has them
    (runai-size's download is run, from the workspace's release folder).
    """
    pipeline = _load(EXAMPLES / "gitlab-ci.yaml")
    statuses = {}
    for name, job in pipeline.items():
        if name.startswith("."):
            continue
        parent = pipeline[job["extends"]] if "extends" in job else {}
        variables = {
            key: str(value) for key, value in {**parent.get("variables", {}), **job.get("variables", {})}.items()
        }
        script = "\n".join([*_gitlab_before_script(parent), *job["script"]])
        statuses[name] = workspace.run(script, {**variables, **setting}).returncode
    return statuses


def _placeholder_release(folder: Path) -> Path:
    """A release folder with the files the examples download, named as scripts/release names them (their
    contents do not matter where pip is stood in for; the real pip gets a real release below)."""
    folder.mkdir()
    names = Release(folder, folder)
    for file in (names.wheel, names.lock):
        file.write_text("placeholder\n")
    return folder


@pytest.fixture
def sized_workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "repo").mkdir()
    return Workspace(tmp_path / "repo", sized=True, dist=_placeholder_release(tmp_path / "dist"))


@pytest.fixture
def drifted_workspace(tmp_path: Path) -> Workspace:
    (tmp_path / "repo").mkdir()
    return Workspace(tmp_path / "repo", sized=False, dist=_placeholder_release(tmp_path / "dist"))


RUNNERS = [pytest.param(_github_jobs, id="github-actions"), pytest.param(_gitlab_jobs, id="gitlab-ci")]


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_every_job_passes_when_what_is_deployed_and_committed_is_sized(
    sized_workspace: Workspace, run_jobs: Any
) -> None:
    statuses = run_jobs(sized_workspace)
    assert set(statuses.values()) == {0}, statuses
    assert len(statuses) == 3
    # each step kept its own report: the render's still say what the profile changed
    for release in RELEASES:
        render = json.loads(sized_workspace.report(f"{release}.report.json"))
        assert render["changes"], f"{release}: the render's report lost its changes"
    for gate in ("verify-committed.txt", "verify-runai-backend.txt", "verify-runai-cluster.txt"):
        assert sized_workspace.report(gate)
    assert (sized_workspace.dir / "out" / "runai-backend.yaml").read_text().count("kind: HorizontalPodAutoscaler") == 3


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_the_gates_fail_when_what_is_deployed_or_committed_drifted(drifted_workspace: Workspace, run_jobs: Any) -> None:
    statuses = run_jobs(drifted_workspace)
    render, committed, deployed = statuses.values()
    assert render == 0
    assert committed == 3 and deployed == 3, statuses  # verify: settings not at the profile's values
    assert "large" in drifted_workspace.report("verify-committed.txt")


RELEASE_URL = "https://github.com/example-org/runai-size/releases/download/v{0}"
WHEEL, LOCK = "runai_size-{0}-py3-none-any.whl", "runai-size-{0}-requirements.txt"


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_each_job_installs_runai_size_from_its_github_release_checked_against_the_published_lock(
    sized_workspace: Workspace, run_jobs: Any
) -> None:
    """runai-size is not on PyPI: each job downloads the release's wheel and lock, and pip takes runai-size from
    that wheel (--find-links .) with every file checked against the lock (--require-hashes)."""
    run_jobs(sized_workspace)
    version = VERSION
    release, wheel, lock = RELEASE_URL.format(version), WHEEL.format(version), LOCK.format(version)
    assert sized_workspace.downloaded() == [f"{release}/{wheel}", f"{release}/{lock}"] * 3
    assert (
        sized_workspace.installed()
        == [f"install --require-hashes --find-links . -r {lock} | beside: {lock} {wheel} "] * 3
    )


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_a_version_the_repository_has_not_released_fails_every_job_before_pip_runs(
    sized_workspace: Workspace, run_jobs: Any
) -> None:
    statuses = run_jobs(sized_workspace, {**SETTING, "RUNAI_SIZE_VERSION": "9.9.9"})
    assert set(statuses.values()) == {22}, statuses  # curl -f: the release has no such file
    assert sized_workspace.installed() == []


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_the_render_takes_runai_charts_from_runai_repositories_at_the_pinned_version(
    sized_workspace: Workspace, run_jobs: Any
) -> None:
    run_jobs(sized_workspace)
    calls = sized_workspace.helm_calls()
    assert [call for call in calls if call.startswith("repo add")] == [
        f"repo add {name} {url}" for name, url in RUNAI_REPOSITORIES.items()
    ]
    versions = {call.split()[-1] for call in calls if call.startswith("template")}
    assert len(versions) == 1 and re.fullmatch(r"\d+\.\d+\.\d+", versions.pop()), calls


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_the_render_uses_the_values_files_shipped_beside_the_examples(
    sized_workspace: Workspace, run_jobs: Any
) -> None:
    deploy = sized_workspace.dir / "deploy"
    with (deploy / "values-control-plane.yaml").open("a") as values:
        values.write("backend:\n  image: registry.acme.test/backend:2.20.0\n")
    with (deploy / "values-runai-cluster.yaml").open("a") as values:
        values.write("global:\n  registry: registry.acme.test\n")
    assert run_jobs(sized_workspace)["runai-size:render" if run_jobs is _gitlab_jobs else "render"] == 0
    for release in RELEASES:
        assert "registry.acme.test" in (sized_workspace.dir / "out" / f"{release}.yaml").read_text(), release


@pytest.mark.helm
@pytest.mark.parametrize("run_jobs", RUNNERS)
def test_without_the_one_setting_every_job_fails_naming_it(sized_workspace: Workspace, run_jobs: Any) -> None:
    statuses = run_jobs(sized_workspace, {})
    assert 0 not in statuses.values(), statuses
    assert sized_workspace.downloaded() == [] and sized_workspace.installed() == []


@pytest.mark.parametrize("name", ["github-actions.yaml", "gitlab-ci.yaml"])
def test_each_example_names_its_one_setting_at_the_top_and_has_no_placeholder(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    head = "\n".join(text.splitlines()[:8])
    assert "THE ONE SETTING: " in head and "RUNAI_SIZE_REPOSITORY" in head
    assert "YOUR-ORG" not in text and "<" not in text.replace("<<", "")


# ---------------------------------------------------------------- the install steps, with the real pip


OFFLINE = {  # the package index, stood in for by a folder of the dependencies' wheels (PIP_FIND_LINKS)
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_CONFIG_FILE": "/dev/null",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}


def _install_script(example: str) -> str:
    """The example's install step as it stands: GitHub's `Install runai-size` step (the same in every job),
    GitLab's `before_script` (without the lines that install curl and Helm into the image)."""
    if example == "gitlab-ci.yaml":
        return "\n".join(_gitlab_before_script(_load(EXAMPLES / example)[".runai-size"]))
    jobs = _load(EXAMPLES / example)["jobs"].values()
    (script,) = {step["run"] for job in jobs for step in job["steps"] if step.get("name") == "Install runai-size"}
    return script


def _dependency_wheels(release: Release, into: Path) -> Path:
    """The wheels of every dependency, from the release's plugin tarball: runai-size's own left out, so that
    pip can take runai-size only from the wheel the example downloaded."""
    with tarfile.open(release.plugin) as plugin:
        plugin.extractall(into, filter="data")
    wheels = into / "runai-size" / "wheels"
    (wheels / release.wheel.name).unlink()
    return wheels


@pytest.fixture(scope="module")
def built_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return shared_release(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.helm
@pytest.mark.parametrize("example", ["github-actions.yaml", "gitlab-ci.yaml"])
def test_the_install_step_installs_a_built_release_with_the_real_pip_checked_against_its_lock(
    built_release: Release, tmp_path: Path, example: str
) -> None:
    """The example's install step, unchanged, with the real pip: runai-size from the wheel it downloaded (from
    a release scripts/release built), the dependencies from the index (a folder of their wheels here), each
    file checked against the published lock; a downloaded wheel that is not the locked one is refused."""
    index = _dependency_wheels(built_release, tmp_path / "index")
    script = _install_script(example)

    def install(dist: Path, name: str) -> tuple[subprocess.CompletedProcess[str], Path]:
        (tmp_path / name).mkdir()
        workspace = Workspace(tmp_path / name / "repo", sized=True, dist=dist)
        python = tmp_path / name / "venv"
        venv.create(python, with_pip=True)
        path = os.pathsep.join([str(python / "bin"), workspace.env["PATH"]])  # the real pip before the stand-in
        env = {"RUNAI_SIZE_VERSION": VERSION, **SETTING, **OFFLINE, "PIP_FIND_LINKS": str(index), "PATH": path}
        return workspace.run(script, env), python

    done, python = install(built_release.dist, "good")
    assert done.returncode == 0, done.stdout + done.stderr
    frozen = subprocess.run([python / "bin" / "pip", "freeze", "--all"], capture_output=True, text=True, check=True)
    pins = {canonical(line.split("==")[0]): line.split("==")[1] for line in frozen.stdout.splitlines() if "==" in line}
    assert pins.pop("runai-size") == VERSION
    assert {name: version for name, (version, _) in _lock().items() if name != "pip"}.items() <= pins.items()
    listed = subprocess.run([python / "bin" / "runai-size", "profiles"], capture_output=True, text=True, check=True)
    assert [line.split()[0] for line in listed.stdout.splitlines()] == ["small", "large", "xlarge"]

    tampered = tmp_path / "tampered-dist"
    shutil.copytree(built_release.dist, tampered)
    (tampered / built_release.wheel.name).write_bytes(built_release.wheel.read_bytes() + b"changed")
    refused, python = install(tampered, "tampered")
    assert refused.returncode != 0 and "DO NOT MATCH THE HASHES" in refused.stderr, refused.stderr
    assert not (python / "bin" / "runai-size").exists()
