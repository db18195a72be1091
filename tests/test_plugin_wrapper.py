"""The Helm 4 plugin's wrapper (bin/runai-size-plugin), run as Helm runs it, with fake Pythons.

A fake `python3` on PATH builds a fake environment in no time (its `runai-size` copies stdin to stdout
and writes a report), and logs every `venv` and `pip` call: the tests watch when the wrapper builds,
rebuilds, waits, gives up, and what it leaves in the report file Helm 4 users read.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

FAKE_PYTHON = r"""#!/bin/sh
# A python3 that knows `-m venv [--without-pip] DIR`, `-m pip install`, pip run from a wheel
# (`.../pip-X.whl/pip install`), the wrapper's probe of its version and platform ($FAKE_TAG and
# $FAKE_VERSION), a file's sha256, and `-c CODE` (exit $FAKE_IMPORT_STATUS).
without_pip=""
if [ "$1 $2 $3" = "-m venv --without-pip" ]; then without_pip=--without-pip; shift 3; set -- -m venv "$@"; fi
case "$1 $2" in
  "-m venv")
    echo "venv" >> "$FAKE_LOG"
    [ -n "${FAKE_ARGS:-}" ] && echo "-m venv ${without_pip:-}" >> "$FAKE_ARGS"
    [ -n "${FAKE_VENV_SLEEP:-}" ] && sleep "$FAKE_VENV_SLEEP"
    mkdir -p "$3/bin"
    ln -s "$0" "$3/bin/python"
    cp "$FAKE_RUNAI_SIZE" "$3/bin/runai-size"
    chmod +x "$3/bin/runai-size"
    exit 0 ;;
  "-m pip"|*"/pip install")
    echo "pip" >> "$FAKE_LOG"
    [ -n "${FAKE_ARGS:-}" ] && echo "$*" >> "$FAKE_ARGS"
    if [ -n "${FAKE_PIP_FAIL:-}" ]; then echo "ERROR: No matching distribution found for click" >&2; exit 1; fi
    exit 0 ;;
esac
case "$1 $2" in
  "-c "*version_info*) echo "${FAKE_TAG:-cp311-x86_64-glibc} ${FAKE_VERSION:-3.11}"; exit 0 ;;
  "-c "*hashlib*) sha256sum "$3" | cut -d' ' -f1; exit 0 ;;
esac
[ "$1" = "-c" ] && exit "${FAKE_IMPORT_STATUS:-1}"
exit 2
"""

FAKE_RUNAI_SIZE = """#!/bin/sh
echo "report=${RUNAI_SIZE_REPORT:-none}" >&2
[ -n "${RUNAI_SIZE_REPORT:-}" ] && echo "fake report" > "$RUNAI_SIZE_REPORT"
cat
"""

STREAM = "kind: ConfigMap\nmetadata: {name: x}\n"


def _executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def _default_signal_dispositions() -> None:
    """In the child: SIGHUP, SIGINT and SIGTERM as a shell started from a terminal gets them. A signal ignored on
    entry stays ignored in a shell (`trap` cannot undo it), and the tests may run under nohup (SIGHUP ignored) or in
    the background of a script (SIGINT ignored)."""
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@dataclass
class Plugin:
    """A copy of the plugin's files, a fake python3 on PATH, and a private home."""

    tmp: Path

    def __post_init__(self) -> None:
        self.dir = self.tmp / "plugin"
        for name in ("bin", "runai_postrender", "profiles"):
            shutil.copytree(ROOT / name, self.dir / name, ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "plugin.yaml", "requirements.lock"):
            shutil.copy2(ROOT / name, self.dir / name)
        self.shims = self.tmp / "shims"
        _executable(self.shims / "python3", FAKE_PYTHON)
        fake_runai_size = _executable(self.tmp / "fake-runai-size", FAKE_RUNAI_SIZE)
        self.home = self.tmp / "home"
        self.home.mkdir()
        self.log = self.tmp / "calls.log"
        self.env: dict[str, str] = {
            "PATH": f"{self.shims}:/usr/bin:/bin",
            "HOME": str(self.home),
            "FAKE_LOG": str(self.log),
            "FAKE_RUNAI_SIZE": str(fake_runai_size),
            "LC_ALL": "C",
        }
        assert shutil.which("runai-size", path="/usr/bin:/bin") is None

    @property
    def wrapper(self) -> Path:
        return self.dir / "bin" / "runai-size-plugin"

    @property
    def venv(self) -> Path:
        return self.dir / ".plugin-venv"

    @property
    def lock(self) -> Path:
        return self.dir / ".plugin-venv.lock"

    @property
    def default_report(self) -> Path:
        return self.home / ".local" / "state" / "runai-size" / "last-report.txt"

    def calls(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []

    def environment(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        env = dict(self.env)
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run(self, extra: Mapping[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.wrapper), "--profile", "large"],
            input=STREAM,
            env=self.environment(extra),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, extra: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.wrapper), "--profile", "large"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.environment(extra),
            text=True,
            start_new_session=True,  # its own process group, as a terminal's foreground job is
            preexec_fn=_default_signal_dispositions,  # as a terminal's job has them, whatever ran the tests
        )


@pytest.fixture
def plugin(tmp_path: Path) -> Plugin:
    return Plugin(tmp_path)


def _ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    assert done.stdout == STREAM
    return done


# ---------------------------------------------------------------- the environment stays current


def test_the_environment_is_built_on_first_use_and_reused_after(plugin: Plugin) -> None:
    _ok(plugin.run())
    _ok(plugin.run())
    assert plugin.calls() == ["venv", "pip"]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda d: (d / "profiles" / "large.yaml").write_text(
                (d / "profiles" / "large.yaml").read_text().replace("6G", "7G")
            ),
            id="a-profile-edited",
        ),
        pytest.param(lambda d: (d / "runai_postrender" / "new_module.py").write_text("X = 1\n"), id="a-module-added"),
        pytest.param(
            lambda d: (d / "plugin.yaml").write_text(
                (d / "plugin.yaml").read_text().replace("version: ", "version: 9")
            ),
            id="the-version-changed",
        ),
        pytest.param(
            lambda d: (d / "pyproject.toml").write_text((d / "pyproject.toml").read_text() + "\n# changed\n"),
            id="pyproject-changed",
        ),
    ],
)
def test_the_environment_is_rebuilt_when_the_plugins_files_change(plugin: Plugin, change: object) -> None:
    _ok(plugin.run())
    assert callable(change)
    change(plugin.dir)
    _ok(plugin.run())
    assert plugin.calls() == ["venv", "pip", "venv", "pip"]


def test_an_environment_from_an_older_wrapper_is_rebuilt(plugin: Plugin) -> None:
    _ok(plugin.run())
    (plugin.venv / ".complete").write_text("")  # what the earlier wrapper left: an empty marker
    _ok(plugin.run())
    assert plugin.calls() == ["venv", "pip", "venv", "pip"]


def test_an_environment_whose_python_has_gone_is_rebuilt(plugin: Plugin) -> None:
    _ok(plugin.run())
    (plugin.shims / "python3").unlink()  # the Python it was built from is uninstalled or upgraded
    _executable(plugin.tmp / "newer" / "python3", FAKE_PYTHON)
    _ok(plugin.run({"PATH": f"{plugin.tmp / 'newer'}:/usr/bin:/bin"}))
    assert plugin.calls() == ["venv", "pip", "venv", "pip"]
    assert (plugin.venv / "bin" / "python").resolve() == plugin.tmp / "newer" / "python3"


# ---------------------------------------------------------------- every run leaves a fresh report


def _system_without_python(folder: Path) -> Path:
    """A folder with every command of /usr/bin and /bin but Python."""
    folder.mkdir()
    for system in (Path("/bin"), Path("/usr/bin")):
        for command in system.iterdir():
            if not command.name.startswith("python") and not (folder / command.name).exists():
                (folder / command.name).symlink_to(command)
    return folder


PREVIOUS = "runai-size: profile xlarge: 16 documents, 5 changed, 3 added\n"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        pytest.param(
            {"RUNAI_SIZE_PYTHON": "/usr/bin/false"},
            "RUNAI_SIZE_PYTHON=/usr/bin/false cannot run runai-size",
            id="a-python-without-the-package",
        ),
        pytest.param(
            {"RUNAI_SIZE_PYTHON": "/nonexistent/python"}, "RUNAI_SIZE_PYTHON=/nonexistent/python", id="no-such-python"
        ),
        pytest.param({"FAKE_PIP_FAIL": "1"}, "could not install runai-size", id="the-first-use-install-fails"),
        pytest.param({"PATH": "/usr/bin:/bin"}, "no python3 on PATH", id="no-python3"),
    ],
)
def test_a_failure_of_the_wrapper_replaces_the_previous_report(
    plugin: Plugin, extra: dict[str, str], says: str
) -> None:
    if "PATH" in extra:
        extra = {**extra, "PATH": str(_system_without_python(plugin.tmp / "no-python"))}
    plugin.default_report.parent.mkdir(parents=True)
    plugin.default_report.write_text(PREVIOUS)
    done = plugin.run(extra)
    assert done.returncode == 1
    assert done.stdout == ""
    report = plugin.default_report.read_text()
    assert PREVIOUS not in report
    assert f"runai-size plugin: error: {says}" in report
    assert f"runai-size plugin: error: {says}" in done.stderr
    # and it names an install that works: the package is not on PyPI
    assert "pip install runai-size" not in done.stderr


def test_a_failed_install_leaves_pips_own_words_in_the_report(plugin: Plugin) -> None:
    plugin.run({"FAKE_PIP_FAIL": "1"})
    assert "No matching distribution found for click" in plugin.default_report.read_text()
    assert not plugin.venv.exists() and not plugin.lock.exists()


def test_the_report_is_started_before_runai_size_runs(plugin: Plugin) -> None:
    plugin.default_report.parent.mkdir(parents=True)
    plugin.default_report.write_text(PREVIOUS)
    shows_report = _executable(plugin.tmp / "shows-report", '#!/bin/sh\ncat "$RUNAI_SIZE_REPORT" >&2\ncat\n')
    done = _ok(plugin.run({"FAKE_RUNAI_SIZE": str(shows_report)}))
    assert "runai-size plugin: run started" in done.stderr
    assert PREVIOUS not in done.stderr


def test_an_unwritable_report_of_the_users_choice_is_said_in_the_default_report(plugin: Plugin) -> None:
    done = plugin.run({"RUNAI_SIZE_REPORT": "/nonexistent/dir/r.txt"})
    assert done.returncode == 1
    assert "cannot write the report to RUNAI_SIZE_REPORT=/nonexistent/dir/r.txt" in plugin.default_report.read_text()


def test_a_report_of_the_users_choice_gets_the_wrappers_failure(plugin: Plugin) -> None:
    mine = plugin.tmp / "mine.txt"
    mine.write_text(PREVIOUS)
    plugin.run({"RUNAI_SIZE_REPORT": str(mine), "RUNAI_SIZE_PYTHON": "/usr/bin/false"})
    assert "RUNAI_SIZE_PYTHON=/usr/bin/false cannot run runai-size" in mine.read_text()


# ---------------------------------------------------------------- the default report is best effort (P2)


def _state_dir_is_a_file(plugin: Plugin) -> dict[str, str | None]:
    (plugin.tmp / "state").mkdir()
    (plugin.tmp / "state" / "runai-size").write_text("not a folder")
    return {"XDG_STATE_HOME": str(plugin.tmp / "state")}


def _report_is_a_folder(plugin: Plugin) -> dict[str, str | None]:
    plugin.default_report.mkdir(parents=True)  # cannot be written, even by root
    return {}


def _no_home(plugin: Plugin) -> dict[str, str | None]:
    return {"HOME": None, "XDG_STATE_HOME": None}


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_state_dir_is_a_file, id="state-dir-unusable"),
        pytest.param(_report_is_a_folder, id="report-unwritable"),
        pytest.param(_no_home, id="HOME-unset"),
    ],
)
def test_the_render_succeeds_without_a_default_report_that_cannot_be_written(plugin: Plugin, make: object) -> None:
    assert callable(make)
    extra = make(plugin)
    done = _ok(plugin.run(extra))
    assert "report=none" in done.stderr  # runai-size was not asked for a report it cannot write


def test_without_home_nothing_goes_to_a_folder_shared_between_users(plugin: Plugin) -> None:
    done = _ok(plugin.run({"HOME": None, "XDG_STATE_HOME": None}))
    assert "report=none" in done.stderr
    assert ".local/state" not in done.stderr  # the old fall-back was /tmp/.local/state


def test_the_default_report_is_written_when_it_can_be(plugin: Plugin) -> None:
    done = _ok(plugin.run())
    assert f"report={plugin.default_report}" in done.stderr
    assert plugin.default_report.read_text() == "fake report\n"


# ---------------------------------------------------------------- the first-use lock (P1)


def _wait_for(condition: object, what: str, seconds: float = 20) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("sig", "status"),
    [
        pytest.param(signal.SIGINT, 130, id="ctrl-c"),
        pytest.param(signal.SIGTERM, 143, id="term"),
        pytest.param(signal.SIGHUP, 129, id="hup"),
    ],
)
def test_an_interrupted_install_leaves_no_lock_and_no_half_built_environment(
    plugin: Plugin, sig: signal.Signals, status: int
) -> None:
    proc = plugin.start({"FAKE_VENV_SLEEP": "60"})
    try:
        _wait_for(lambda: "venv" in plugin.calls(), "the install to start")
        assert (plugin.lock / "pid").read_text().strip() == str(proc.pid)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground job
        else:
            proc.send_signal(sig)  # a CI cancel or a closed terminal reaches the wrapper
        assert proc.wait(timeout=10) == status  # the install sleeps 60 s: it ended without waiting for it
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
    assert not plugin.lock.exists()
    assert not plugin.venv.exists()
    _ok(plugin.run())  # and the next run builds it


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def test_a_lock_whose_owner_is_dead_is_taken_over(plugin: Plugin) -> None:
    plugin.lock.mkdir()
    (plugin.lock / "pid").write_text(f"{_dead_pid()}\n")
    done = _ok(plugin.run())
    assert "taking over" in done.stderr
    assert plugin.calls() == ["venv", "pip"]
    assert not plugin.lock.exists()


def test_an_old_lock_without_an_owner_is_taken_over(plugin: Plugin) -> None:
    plugin.lock.mkdir()
    old = time.time() - 300
    os.utime(plugin.lock, (old, old))
    done = _ok(plugin.run())
    assert "taking over" in done.stderr


def test_a_live_owners_lock_is_waited_for_and_the_wait_is_said(plugin: Plugin) -> None:
    holder = subprocess.Popen(["sleep", "60"])
    try:
        plugin.lock.mkdir()
        (plugin.lock / "pid").write_text(f"{holder.pid}\n")
        proc = plugin.start()
        time.sleep(1.5)
        assert proc.poll() is None  # still waiting
        holder.kill()
        holder.wait()
        assert proc.wait(timeout=20) == 0
        _, err = proc.communicate()
        assert f"waiting for another install into {plugin.venv} (pid {holder.pid} holds" in err
        assert plugin.calls() == ["venv", "pip"]  # it took over the lock after its owner died
    finally:
        holder.kill()


@pytest.mark.parametrize(
    "content", [pytest.param("extends: large\n", id="a-profile"), pytest.param("notes\n", id="some-other-file")]
)
def test_a_report_path_that_holds_something_else_is_never_overwritten_by_the_wrapper(
    plugin: Plugin, content: str
) -> None:
    mistaken = plugin.tmp / "size.yaml"
    mistaken.write_text(content)
    done = plugin.run({"RUNAI_SIZE_REPORT": str(mistaken), "RUNAI_SIZE_PYTHON": "/usr/bin/false"})
    assert done.returncode == 1
    assert mistaken.read_text() == content


# ---------------------------------------------------------------- which runai-size runs (the README's promise)


def test_a_runai_size_on_path_is_not_used_the_plugins_own_files_are(plugin: Plugin) -> None:
    """Another runai-size on PATH (another version, an older install) never stands in for the plugin's files:
    a linked checkout's edits must apply at once."""
    _executable(plugin.shims / "runai-size", "#!/bin/sh\necho 'the runai-size on PATH' >&2\nexit 9\n")
    done = _ok(plugin.run())
    assert "the runai-size on PATH" not in done.stderr
    assert plugin.calls() == ["venv", "pip"]


# ---------------------------------------------------------------- a release's plugin: only its wheels


PIP_WHEEL = "pip-26.3-py3-none-any.whl"
TARGETS = "cp311-x86_64 cp311-aarch64 cp312-x86_64 cp312-aarch64 cp313-x86_64 cp313-aarch64"


@pytest.fixture
def release_plugin(plugin: Plugin) -> Plugin:
    """The plugin as a release tarball lays it out: no sources, wheels/ with its lock and its pip."""
    for name in ("runai_postrender", "profiles"):
        shutil.rmtree(plugin.dir / name)
    for name in ("pyproject.toml", "requirements.lock"):
        (plugin.dir / name).unlink()
    wheels = plugin.dir / "wheels"
    wheels.mkdir()
    (wheels / "requirements.txt").write_text(
        f"# targets: {TARGETS}\nclick==8.5.1 --hash=sha256:{'0' * 64}\nrunai-size==0.1.0 --hash=sha256:{'1' * 64}\n"
    )
    (wheels / PIP_WHEEL).write_bytes(b"a pip wheel")
    digest = hashlib.sha256(b"a pip wheel").hexdigest()
    (wheels / "installer.txt").write_text(f"pip==26.3 --hash=sha256:{digest}\n")
    plugin.env["FAKE_ARGS"] = str(plugin.tmp / "args.log")
    return plugin


def test_a_release_builds_its_environment_from_its_wheels_alone(release_plugin: Plugin) -> None:
    done = _ok(release_plugin.run())
    assert release_plugin.calls() == ["venv", "pip"]
    args = (release_plugin.tmp / "args.log").read_text()
    assert "-m venv --without-pip" in args
    for option in ("--isolated", "--no-index", "--require-hashes", f"--find-links {release_plugin.dir / 'wheels'}"):
        assert option in args
    assert re.search(
        r"preparing runai-size in \S+ from the bundled wheels \(.*\)\.\.\. done in \d+\.\d s\n", done.stderr
    )


def test_a_release_environment_is_rebuilt_when_its_wheels_change(release_plugin: Plugin) -> None:
    _ok(release_plugin.run())
    lock = release_plugin.dir / "wheels" / "requirements.txt"
    lock.write_text(lock.read_text().replace("click==8.5.1", "click==8.5.2"))
    _ok(release_plugin.run())
    _ok(release_plugin.run())
    assert release_plugin.calls() == ["venv", "pip", "venv", "pip"]


@pytest.mark.parametrize(
    ("tag", "version", "says"),
    [
        pytest.param(
            "cp310-x86_64-glibc", "3.10", "is Python 3.10: runai-size needs 3.11 or later", id="python-too-old"
        ),
        pytest.param(
            "cp314-x86_64-glibc",
            "3.14",
            "is CPython 3.14 on x86_64 (glibc): this plugin carries wheels only for cp311",
            id="python-newer-than-the-wheels",
        ),
        pytest.param(
            "cp311-armv7l-glibc",
            "3.11",
            "is CPython 3.11 on armv7l (glibc): this plugin carries wheels only for",
            id="a-machine-without-wheels",
        ),
        pytest.param(
            "cp311-x86_64-nonglibc",
            "3.11",
            "on x86_64 (nonglibc): this plugin carries wheels only for",
            id="not-glibc",
        ),
    ],
)
def test_a_python_the_wheels_are_not_for_fails_with_one_line(
    release_plugin: Plugin, tag: str, version: str, says: str
) -> None:
    no_python = _system_without_python(release_plugin.tmp / "no-python")  # the fake python3 alone
    done = release_plugin.run({"FAKE_TAG": tag, "FAKE_VERSION": version, "PATH": f"{release_plugin.shims}:{no_python}"})
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and says in lines[0], done.stderr
    assert says in release_plugin.default_report.read_text()
    assert release_plugin.calls() == []
    assert not release_plugin.venv.exists() and not release_plugin.lock.exists()


def test_a_changed_installer_wheel_is_refused(release_plugin: Plugin) -> None:
    (release_plugin.dir / "wheels" / PIP_WHEEL).write_bytes(b"another pip")
    done = release_plugin.run()
    assert done.returncode == 1 and done.stdout == ""
    assert f"the bundled installer {release_plugin.dir / 'wheels' / PIP_WHEEL} does not match its hash" in done.stderr
    assert release_plugin.calls() == ["venv"]
    assert not release_plugin.venv.exists() and not release_plugin.lock.exists()
