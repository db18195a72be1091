"""The edge of the command line: every failure of every sub-command is one line and its own exit status;
the report file is written without destroying anything; stdout and stderr that cannot be written."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import Result

import runai_postrender
from tests.conftest import RUNAI_SIZE, THANOS_QUERY, invoke

BAD_STREAM = THANOS_QUERY.replace(b"image: thanos", b"image: [thanos")
UNWRITABLE = "/nonexistent/dir/r.txt"


def shell(script: str, tmp_path: Path, stdin: bytes = THANOS_QUERY) -> subprocess.CompletedProcess[bytes]:
    """runai-size as a shell runs it, with the redirections of `script` ($RUNAI_SIZE is the command)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RUNAI_SIZE_")}
    return subprocess.run(
        ["bash", "-c", script],
        input=stdin,
        capture_output=True,
        env={**clean, "RUNAI_SIZE": RUNAI_SIZE},
        cwd=tmp_path,
        timeout=60,
    )


def assert_one_line(result: Result, status: int, message: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert re.match("runai-size: error: " + message, result.stderr), result.stderr
    assert result.exit_code == status, result.stderr


def bad_profile_file(tmp_path: Path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text("extends: large\nvalus: {}\n")
    return str(path)


# ---------------------------------------------------------------- every sub-command, every failure

# (sub-command's arguments, stdin, exit status, the start of the one line); {bad} is a bad profile file.
FAILURES = {
    "post-renderer, unknown profile": (["--profile", "huge"], THANOS_QUERY, 2, "unknown profile 'huge'"),
    "post-renderer, bad stream": (["--profile", "large"], BAD_STREAM, 1, r"document 1 \(Deployment/"),
    "post-renderer, no profile": ([], THANOS_QUERY, 2, "no profile chosen"),
    "post-renderer, unknown option": (["--bogus"], THANOS_QUERY, 64, "No such option '--bogus'"),
    "post-renderer, missing file": (["-p", "large", "-f", "missing.yaml"], b"", 1, "cannot read missing.yaml"),
    "diff, unknown profile": (["diff", "-p", "huge"], THANOS_QUERY, 2, "unknown profile 'huge'"),
    "diff, bad stream": (["diff", "-p", "large"], BAD_STREAM, 1, r"document 1 \(Deployment/"),
    "verify, unknown profile": (["verify", "-p", "huge"], THANOS_QUERY, 2, "unknown profile 'huge'"),
    "verify, bad stream": (["verify", "-p", "large"], BAD_STREAM, 1, r"document 1 \(Deployment/"),
    "verify, nothing to verify": (["verify", "-p", "large"], b"", 3, "nothing to verify: no Run:ai release"),
    "verify, extra argument": (["verify", "-p", "large", "x.yaml"], THANOS_QUERY, 64, "Got unexpected extra"),
    "show, unknown profile": (["show", "huge"], b"", 2, "unknown profile 'huge'"),
    "show, bad override": (["show", "large", "--set", "nope=1"], b"", 2, "override nope=1"),
    "validate, bad file": (["validate", "{bad}"], b"", 2, r".*bad\.yaml, line 2"),
    "validate, no file": (["validate"], b"", 64, "Missing argument"),
    "recommend, no counts": (["recommend"], b"", 64, "give --nodes, --gpus, --workloads"),
    "recommend, negative": (["recommend", "--nodes", "-1"], b"", 64, "Invalid value for '--nodes'"),
    "profiles, unknown option": (["profiles", "--bogus"], b"", 64, "No such option '--bogus'"),
    "version, extra argument": (["version", "now"], b"", 64, "Got unexpected extra argument"),
    "unknown command": (["frobnicate"], b"", 64, "No such command 'frobnicate'"),
}


@pytest.mark.parametrize("where", ["group option", "environment"])
@pytest.mark.parametrize(("args", "stdin", "status", "message"), list(FAILURES.values()), ids=list(FAILURES))
def test_every_failure_with_an_unwritable_report_is_one_line_and_its_own_status(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    args: list[str],
    stdin: bytes,
    status: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [arg.replace("{bad}", bad_profile_file(tmp_path)) for arg in args]
    report, env = (["--report", UNWRITABLE], {}) if where == "group option" else ([], {"RUNAI_SIZE_REPORT": UNWRITABLE})
    result = invoke([*report, *args], stdin, env)
    assert_one_line(result, status, message)
    assert result.stdout_bytes == b""


@pytest.mark.parametrize(("args", "stdin", "status", "message"), list(FAILURES.values()), ids=list(FAILURES))
def test_every_failure_with_a_writable_report_is_one_line_and_the_report_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: bytes, status: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [arg.replace("{bad}", bad_profile_file(tmp_path)) for arg in args]
    report = tmp_path / "report.txt"
    result = invoke(args, stdin, env={"RUNAI_SIZE_REPORT": str(report)})  # known even when the options are not
    assert_one_line(result, status, message)
    line = result.stderr.removeprefix("runai-size: error: ").strip()
    assert f"  error: {line}\n" in report.read_text()
    assert "profile ?" not in report.read_text()


def test_verify_lists_its_findings_on_stdout_and_fails_in_one_line(tmp_path: Path) -> None:
    report = tmp_path / "verify.txt"
    result = invoke(
        ["--report", str(tmp_path / "render.txt"), "verify", "-p", "large", "--report", str(report)], THANOS_QUERY
    )
    assert_one_line(result, 3, "4 settings differ from profile 'large'$")
    assert result.stdout.count("profile wants") == 4
    assert "  error: 4 settings differ from profile 'large'\n" in report.read_text()
    assert not (tmp_path / "render.txt").exists()  # the sub-command's own --report wins


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--profile", "large"], id="post-renderer"),
        pytest.param(["diff", "-p", "large"], id="diff"),
        pytest.param(["verify", "-p", "large"], id="verify"),
        pytest.param(["diff", "-p", "large", "--report", UNWRITABLE], id="diff, own option"),
        pytest.param(["verify", "-p", "large", "--report", UNWRITABLE], id="verify, own option"),
    ],
)
def test_a_report_that_cannot_be_written_stops_the_command_before_any_output(args: list[str]) -> None:
    sized = invoke(["-p", "large", "-q"], THANOS_QUERY).stdout_bytes
    report = [] if "--report" in args else ["--report", UNWRITABLE]
    result = invoke([*report, *args], sized if "verify" in args else THANOS_QUERY)
    assert_one_line(result, 1, f"cannot write the report to {UNWRITABLE}: No such file or directory$")
    assert result.stdout_bytes == b""


def test_the_error_line_is_written_in_one_place() -> None:
    package = Path(runai_postrender.__file__).parent
    sources = "".join(path.read_text() for path in package.rglob("*.py"))
    assert sources.count("runai-size: error: ") == 1


# ---------------------------------------------------------------- the report path


def read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with path.open("rb") as fifo:
            into.append(fifo.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    return thread


def test_a_fifo_report_path_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = read_fifo(fifo, received)
    result = invoke(["-q", "-p", "large", "--report", str(fifo)], THANOS_QUERY)
    thread.join(10)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received[0].startswith(b"runai-size: profile large: 1 document, 1 changed")


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod needs root")
def test_a_device_report_path_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    # A fake /dev/null in a temporary folder (never the real one): `mknod fakenull c 1 3`.
    fake = tmp_path / "fakenull"
    os.mknod(fake, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    result = invoke(["-q", "-p", "large", "--report", str(fake)], THANOS_QUERY)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(fake.lstat().st_mode) and fake.stat().st_rdev == os.makedev(1, 3)
    assert sorted(tmp_path.iterdir()) == [fake]


def test_a_symlinked_report_path_replaces_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "last.txt"
    target.parent.mkdir()
    target.write_text("an older report\n")
    link = tmp_path / "report.txt"
    link.symlink_to(target)
    result = invoke(["-q", "-p", "large", "--report", str(link)], THANOS_QUERY)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text().startswith("runai-size: profile large: 1 document,")
    assert sorted(target.parent.iterdir()) == [target]


def test_a_regular_report_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("an older report\n")
    inode = report.stat().st_ino
    result = invoke(["-q", "-p", "large", "--report", str(report)], THANOS_QUERY)
    assert result.exit_code == 0
    assert report.stat().st_ino != inode and sorted(tmp_path.iterdir()) == [report]


def test_a_dash_report_path_means_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["-p", "large", "--report", "-"], THANOS_QUERY)
    assert result.exit_code == 0
    assert result.stderr.startswith("runai-size: profile large: 1 document, 1 changed, 0 added; ")
    assert result.stderr.count("runai-size: profile large") == 1  # not the report twice
    assert list(tmp_path.iterdir()) == []  # no file named "-"


@pytest.mark.parametrize("how", ["the profile", "a profile it extends", "a link to the profile"])
def test_a_report_path_that_is_a_profile_file_is_refused(tmp_path: Path, how: str) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text("extends: large\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text("extends: ./parent.yaml\nvalues: {thanos: {query: {memory: 4G}}}\n")
    report = {"the profile": profile, "a profile it extends": parent, "a link to the profile": tmp_path / "l.yaml"}[how]
    if how == "a link to the profile":
        report.symlink_to(profile)
    before = {path: path.read_text() for path in (parent, profile)}
    result = invoke(["-p", str(profile), "--report", str(report)], THANOS_QUERY)
    assert_one_line(result, 1, f"refusing to write the report to {re.escape(str(report))}: it is the profile file")
    assert result.stdout_bytes == b""
    assert {path: path.read_text() for path in (parent, profile)} == before


def test_a_broken_profile_is_not_overwritten_by_the_report_of_its_error(tmp_path: Path) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("extends: large\nvalus: {}\n")
    result = invoke(["-p", str(profile), "--report", str(profile)], THANOS_QUERY)
    assert_one_line(result, 2, ".*line 2.*refusing to write the report")
    assert profile.read_text() == "extends: large\nvalus: {}\n"


# ---------------------------------------------------------------- stdout and stderr that cannot be written


def test_a_closed_stdout_is_one_clean_line(tmp_path: Path) -> None:
    result = shell('"$RUNAI_SIZE" -q -p large --report r.txt >&-', tmp_path)
    assert (result.returncode, result.stderr) == (1, b"runai-size: error: cannot write the output: stdout is closed\n")
    assert "error: cannot write the output: stdout is closed" in (tmp_path / "r.txt").read_text()


def test_a_full_disk_on_stdout_is_named_and_in_the_report(tmp_path: Path) -> None:
    result = shell('"$RUNAI_SIZE" -q -p large --report r.txt > /dev/full', tmp_path)
    message = "cannot write the output: No space left on device"
    assert (result.returncode, result.stderr.decode()) == (1, f"runai-size: error: {message}\n")
    report = (tmp_path / "r.txt").read_text()
    assert f"error: {message}" in report and "internal error" not in report


@pytest.mark.parametrize("args", ["--help", "-h", "--version", "diff --help", "recommend --help", "version"])
def test_what_click_prints_itself_to_a_full_disk_is_an_output_error(tmp_path: Path, args: str) -> None:
    result = shell(f'"$RUNAI_SIZE" {args} > /dev/full', tmp_path)
    assert (result.returncode, result.stderr.decode()) == (
        1,
        "runai-size: error: cannot write the output: No space left on device\n",
    )


@pytest.mark.parametrize("args", [["-p", "large"], ["diff", "-p", "large"], ["-p", "huge"]])
def test_a_full_stderr_does_not_change_the_exit_status(tmp_path: Path, args: list[str]) -> None:
    expected = invoke(args, THANOS_QUERY)
    result = shell(f'"$RUNAI_SIZE" {" ".join(args)} 2> /dev/full', tmp_path)
    assert (result.returncode, result.stdout) == (expected.exit_code, expected.stdout_bytes)
    assert result.returncode == (2 if "huge" in args else 0)
