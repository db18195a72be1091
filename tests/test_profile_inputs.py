"""Hostile profiles: one line naming the file and line, exit 2, never a
traceback; profile files are bounded and `extends` stays where it is allowed to go."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from runai_postrender.cli.group import main
from runai_postrender.profiles.load import flatten_values, load_profile, parse_overrides
from runai_postrender.support.errors import ProfileError

DEPLOYMENT = b"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: runai-backend-thanos-query\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def fails_cleanly(args: list[str], message: str, env: dict[str, str] | None = None) -> str:
    """runai-size refuses with exit 2 and one line matching `message`; returns that line."""
    base = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": "", "RUNAI_SIZE_PROFILE_PATH": ""}
    result = CliRunner().invoke(main, args, input=DEPLOYMENT, env={**base, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert re.match("runai-size: error: " + message, result.stderr), result.stderr
    return result.stderr


# A row per mistake: the profile file's text and what the one line must say (`{path}` is the file).
ROWS = {
    "a number as a key": ("1: x\n", r"{path}, line 1: unknown key 1\b"),
    "null as a key in a rule": (
        "rules:\n  - name: r\n    match: {kind: Deployment}\n    null: 1\n",
        r"{path}, line 4: unknown key null\b",
    ),
    "true as a key in match": (
        "rules:\n  - name: r\n    match:\n      kind: Deployment\n      true: x\n    set: {/spec/replicas: 1}\n",
        r"{path}, line 5: unknown key true\b",
    ),
    "a reference that puts a number into match": (
        "values: {team: 42}\nrules:\n  - name: r\n    match: {kind: Deployment, namespace: '${team}'}\n"
        "    set: {/spec/replicas: 1}\n",
        r"profile '{path}', rule 'r': match.namespace is a number \(42\)",
    ),
    "a dotted value name": (
        "values: {a.b: 1}\nrules:\n  - {name: r, match: {kind: Deployment}, set: {/spec/replicas: '${a.b}'}}\n",
        r"{path}, line 1, at values: value name 'a.b' is not letters",
    ),
    "a control character": (
        "description: ok\n\nclusterSize: a\x07b\n",
        r"{path}, line 3: control character U\+0007",
    ),
    "a quantity with a space": (
        "rules:\n  - name: r\n    match: {kind: Deployment}\n    containers: [c]\n"
        "    set: {/resources/limits/memory: '4G '}\n",
        r"profile '{path}', rule 'r', set /resources/limits/memory: .* is not a Kubernetes quantity",
    ),
    "a negative cpu": (
        "rules:\n  - name: r\n    match: {kind: Deployment}\n    containers: [c]\n"
        "    set: {/resources/requests/cpu: -1}\n",
        r"profile '{path}', rule 'r', set /resources/requests/cpu: .* is negative",
    ),
    "!!binary": ("description: !!binary aGk=\n", r"{path}, line 1, at description: the value is !!binary"),
    "!!set": ("values:\n  a: !!set {x}\n", r"{path}, line 2, at values/a: the value is !!set"),
    "a timestamp": ("clusterSize: 2001-12-14 21:59:43.10 -5\n", r"{path}, line 1, at clusterSize: .*a timestamp"),
    "a reference inside a longer string": (
        "values: {a: x}\nrules:\n  - {name: r, match: {kind: Deployment}, set: {/metadata/name: 'prefix-${a}'}}\n",
        r"profile '{path}', rule 'r': 'prefix-\$\{a\}': `\$\{name\}` stands for a whole value",
    ),
    "a reference inside values": (
        "values: {a: x, b: '${a}'}\nrules:\n"
        "  - {name: r, match: {kind: Deployment}, set: {/metadata/x: '${b}', /metadata/y: '${a}'}}\n",
        r"{path}, line 1: value b = .*: a value cannot refer to another",  # the file's own value: with its line
    ),
    "a reference in a key": (
        "values: {a: x}\nrules:\n  - {name: r, match: {kind: Deployment}, set: {'/metadata/${a}': '${a}'}}\n",
        r"profile '{path}', rule 'r': '/metadata/\$\{a\}': `\$\{name\}` stands for a value, not for a key",
    ),
    "NaN": ("values:\n  a: .nan\n", r"{path}, line 2, at values/a: the value is not a number"),
    "an absurd integer": (
        "rules:\n  - name: r\n    match: {kind: Deployment}\n"
        "    autoscale: {minReplicas: 99999999999999999999, maxReplicas: 3}\n",
        r"{path}, line 4, at rules/0/autoscale/minReplicas: the value is a whole number larger than Kubernetes",
    ),
    "replicas beyond int32": (
        "rules:\n  - name: r\n    match: {kind: Deployment}\n"
        "    autoscale: {minReplicas: 2147483648, maxReplicas: 3}\n",
        r"profile '{path}', rule 'r': autoscale.minReplicas must be a whole number from 1 to 2147483647",
    ),
    "a NEL in a string": ("description: a\x85b\n", r"{path}, line 1: control character U\+0085"),
    "a line separator in a string": (
        "description: ok\nclusterSize: a\u2028b\n",
        r"{path}, line 2: control character U\+2028",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(ROWS.values()), ids=list(ROWS))
def test_a_hostile_profile_gets_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    message = message.replace("{path}", re.escape(str(path)))
    fails_cleanly(["--profile", str(path)], message)
    fails_cleanly(["validate", str(path)], message)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("prometheus.queueConfig.capacity=5000m", "prometheus.queueConfig.capacity is a whole number"),
        ("prometheus.queueConfig.maxShards=1.5", "prometheus.queueConfig.maxShards is a whole number"),
        ("controlPlane.maxReplicas=1_000", "controlPlane.maxReplicas is a whole number"),
        ("controlPlane.maxReplicas=99999999999999999999", "controlPlane.maxReplicas is a whole number"),
        ("thanos.query.cpu=-1", "value thanos.query.cpu = -1 is negative"),
        ("thanos.query.memory=4 G", r"value thanos.query.memory = '4 G' is not a Kubernetes quantity"),
    ],
    ids=["a quantity", "a fraction", "underscores", "absurd", "negative cpu", "inner space"],
)
def test_set_takes_only_what_the_value_can_hold(override: str, message: str) -> None:
    fails_cleanly(["--profile", "large", "--set", override], f".*{message}")


def test_a_cpu_count_may_still_become_a_quantity_and_spaces_around_a_set_value_are_dropped() -> None:
    overrides = parse_overrides(["thanos.query.cpu=1500m", " thanos.query.memory= 4G "])
    values = flatten_values(load_profile("large", overrides).values)
    assert values["thanos.query.cpu"] == "1500m" and values["thanos.query.memory"] == "4G"


# ---------------------------------------------------------------- bounded files


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """In a child process with a timeout: a profile read that blocks must fail the test, not hang it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_SIZE_")}
    code = "import sys; from runai_postrender.cli.group import main; main(sys.argv[1:], prog_name='runai-size')"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        input=DEPLOYMENT.decode(),
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        timeout=20,
    )


def one_line(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(message, result.stderr), result.stderr


def test_a_fifo_dev_zero_and_a_huge_file_are_refused_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    with (tmp_path / "huge.yaml").open("wb") as huge:
        huge.truncate(1 << 30)  # 1 GB, sparse
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    for name in ("fifo.yaml", "zero.yaml"):
        one_line(run_cli(["--profile", f"./{name}"], tmp_path), rf"{name}': not a regular file")
    one_line(run_cli(["--profile", "/dev/zero"], tmp_path), r"'/dev/zero': not a regular file")
    one_line(run_cli(["--profile", "./huge.yaml"], tmp_path), r"huge.yaml' is larger than 1024 KiB")
    for name in ("fifo.yaml", "zero.yaml", "huge.yaml"):
        write(tmp_path, "child.yaml", f"extends: ./{name}\n")
        one_line(run_cli(["--profile", "./child.yaml"], tmp_path), rf"child.yaml extends './{name}': .*{name}'")


def test_proc_self_environ_is_one_line_without_its_content(tmp_path: Path) -> None:
    result = run_cli(["--profile", "/proc/self/environ"], tmp_path, env={"SECRET_TOKEN": "hunter2"})
    one_line(result, r"/proc/self/environ, line 1: control character U\+0000")
    assert "hunter2" not in result.stderr
    (tmp_path / "p.yaml").write_text("extends: /proc/self/environ\n")
    one_line(run_cli(["--profile", "./p.yaml"], tmp_path), r"extends '/proc/self/environ': .* is outside")
    allowed = run_cli(
        ["--profile", "./p.yaml"], tmp_path, env={"RUNAI_SIZE_PROFILE_PATH": "/proc", "SECRET": "hunter2"}
    )
    one_line(allowed, r"environ, line 1: control character U\+0000")
    assert "hunter2" not in allowed.stderr


# ---------------------------------------------------------------- where extends may reach


SHADOW = "root:$6$abc$verysecrethash:19000:0:99999:7:::\n"


def test_extends_reaches_files_at_or_below_the_profiles_folder(tmp_path: Path) -> None:
    write(tmp_path, "team/base/common.yaml", "extends: large\nvalues: {thanos: {query: {memory: 4G}}}\n")
    child = write(tmp_path, "team/mine.yaml", "extends: base/common.yaml\n")
    assert flatten_values(load_profile(str(child)).values)["thanos.query.memory"] == "4G"


@pytest.mark.parametrize(
    "extends", ["../outside.yaml", "{tmp}/outside.yaml", "./link.yaml"], ids=["above", "absolute", "symlink out"]
)
def test_extends_outside_the_folder_is_refused_unless_allowed(tmp_path: Path, extends: str) -> None:
    write(tmp_path, "outside.yaml", "extends: large\n")
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    child = write(tmp_path, "team/mine.yaml", f"extends: {extends.format(tmp=tmp_path)}\n")
    with pytest.raises(ProfileError, match=r"mine\.yaml extends .*is outside .*team'.*RUNAI_SIZE_PROFILE_PATH"):
        load_profile(str(child), extends_path=[])
    assert load_profile(str(child), extends_path=[tmp_path]).chain[2:] == ("large", "small")
    fails_cleanly(["--profile", str(child)], ".*is outside")
    result = CliRunner().invoke(
        main, ["--profile", str(child), "-q"], input=DEPLOYMENT, env={"RUNAI_SIZE_PROFILE_PATH": str(tmp_path)}
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "text",
    [
        SHADOW,
        SHADOW + "description: x\n",
        "values: [" + SHADOW,
        "apiVersion: v1\nclusters: [{token: verysecrethash}]\n",
    ],
    ids=["shadow", "shadow with a profile key", "not YAML", "kubeconfig"],
)
def test_extends_never_quotes_a_file_that_is_not_a_profile(tmp_path: Path, text: str) -> None:
    (tmp_path / "s").write_text(text)
    child = write(tmp_path, "p.yaml", "extends: ./s\n")
    line = fails_cleanly(["--profile", str(child)], r".*p\.yaml extends './s': .*s(, line \d+)?: not a profile")
    assert "verysecrethash" not in line and "$6$" not in line and "clusters" not in line


def test_a_nel_written_as_an_escape_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", 'extends: large\ndescription: "a\\u0085b"\n')
    assert load_profile(str(path)).description == "a\x85b"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["-p", "team/"], {}, "profile file 'team' is a directory, not a profile file"),
        ([], {"RUNAI_SIZE_PROFILE": "."}, "RUNAI_SIZE_PROFILE=.: profile file '.' is a directory"),
        (["-p", "team/mine.yaml"], {}, r"team/mine\.yaml extends './common': profile file 'team/common' is a direc"),
        (["validate", "team/mine.yaml"], {}, r"team/mine\.yaml extends .*'team/common' is a directory"),
        (["show", "./team"], {}, "profile file 'team' is a directory"),
        (["diff", "-p", "./team"], {}, "profile file 'team' is a directory"),
        (["verify", "-p", "./team"], {}, "profile file 'team' is a directory"),
    ],
    ids=["-p", "the environment", "extends", "validate", "show", "diff", "verify"],
)
def test_a_profile_path_that_is_a_directory_is_a_profile_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], message: str
) -> None:
    (tmp_path / "team" / "common").mkdir(parents=True)
    write(tmp_path, "team/mine.yaml", "extends: ./common\n")
    monkeypatch.chdir(tmp_path)
    fails_cleanly(args, message, env)


def chain(folder: Path, length: int, last: str = "extends: large\n") -> Path:
    """p0.yaml extends p1.yaml ... extends p{length-1}.yaml, which holds `last`."""
    for index in range(length - 1):
        write(folder, f"p{index}.yaml", f"extends: ./p{index + 1}.yaml\n")
    write(folder, f"p{length - 1}.yaml", last)
    return folder / "p0.yaml"


def test_an_extends_chain_up_to_the_limit_loads(tmp_path: Path) -> None:
    from runai_postrender.profiles.load import MAX_EXTENDS_DEPTH

    profile = load_profile(str(chain(tmp_path, MAX_EXTENDS_DEPTH)))
    assert len(profile.chain) == MAX_EXTENDS_DEPTH + 2  # and large, which extends small


@pytest.mark.parametrize("length", [33, 1000])
def test_an_extends_chain_longer_than_the_limit_is_one_short_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, length: int
) -> None:
    chain(tmp_path, length)
    monkeypatch.chdir(tmp_path)
    line = fails_cleanly(
        ["-p", "p0.yaml"],
        r".*p0\.yaml: its extends chain is longer than 32 files, the limit \(.*p31\.yaml extends './p32\.yaml'\)",
    )
    assert len(line) < 300


def test_an_error_deep_in_an_extends_chain_names_the_first_and_last_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain(tmp_path, 20, "extends: large\nvalus: {}\n")
    monkeypatch.chdir(tmp_path)
    line = fails_cleanly(
        ["-p", "p0.yaml"],
        r".*p0\.yaml extends './p1\.yaml' \(through 17 more files\): .*p18\.yaml extends './p19\.yaml': "
        r".*p19\.yaml: not a profile",
    )
    assert len(line) < 300
