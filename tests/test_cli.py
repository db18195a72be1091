"""The command line, through click's CliRunner: the post-renderer and every sub-command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runai_postrender import __version__
from runai_postrender.cli.group import main
from tests.conftest import THANOS_QUERY, invoke

SERVICE = b"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: runai-backend-thanos-query\n"


def test_post_renders_with_the_profile_from_the_environment() -> None:
    result = invoke([], THANOS_QUERY + SERVICE, env={"RUNAI_SIZE_PROFILE": "large"})
    assert result.exit_code == 0, result.stderr
    assert b"memory: 3G" in result.stdout_bytes
    assert result.stdout_bytes.endswith(SERVICE)
    assert "thanos-query:" in result.stderr and "document 1 (Deployment/runai-backend-thanos-query)" in result.stderr


def test_the_option_wins_over_the_environment() -> None:
    result = invoke(
        ["--profile", "xlarge", "--runai-version", "2.18"], THANOS_QUERY, env={"RUNAI_SIZE_PROFILE": "large"}
    )
    assert b"memory: 6G" in result.stdout_bytes


def test_without_a_profile_it_fails_naming_the_variable_and_the_profiles() -> None:
    result = invoke([], THANOS_QUERY)
    assert result.exit_code != 0
    assert result.stdout_bytes == b""
    assert "RUNAI_SIZE_PROFILE" in result.stderr and "small, large, xlarge" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_profile_fails_listing_the_profiles() -> None:
    result = invoke(["--profile", "huge"], THANOS_QUERY)
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert "unknown profile 'huge'" in result.stderr and "small, large, xlarge" in result.stderr


def test_bad_input_writes_nothing_and_names_the_document_in_one_line() -> None:
    bad = SERVICE + THANOS_QUERY.replace(b"image: thanos", b"image: [thanos")
    result = invoke(["--profile", "large"], bad)
    assert result.exit_code == 1
    assert result.stdout_bytes == b""
    assert result.stderr.startswith("runai-size: error: document 2 (Deployment/runai-backend-thanos-query), line")
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback() -> None:
    bad = THANOS_QUERY.replace(b"image: thanos", b"image: [thanos")
    result = invoke(["--debug", "--profile", "large"], bad)
    assert "Traceback" in result.stderr and result.stdout_bytes == b""


def test_overrides_from_the_option_and_the_environment() -> None:
    result = invoke(
        ["--profile", "large", "--set", "thanos.query.cpu=1500m"],
        THANOS_QUERY,
        env={"RUNAI_SIZE_SET": "thanos.query.memory=5G"},
    )
    assert result.exit_code == 0, result.stderr
    assert b"cpu: 1500m" in result.stdout_bytes and b"memory: 5G" in result.stdout_bytes


def test_quiet_keeps_stderr_empty() -> None:
    result = invoke(["--profile", "large", "--quiet"], THANOS_QUERY)
    assert result.exit_code == 0 and result.stderr == ""


def test_report_file_as_json_lists_changes_and_unmatched_rules(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = invoke(["--profile", "large", "--report", str(report)], THANOS_QUERY)
    assert result.exit_code == 0
    data = json.loads(report.read_text())
    assert data["profile"] == "large" and data["error"] is None
    assert {entry["rule"] for entry in data["changes"]} == {"thanos-query"}
    assert "service-groups" in data["unmatched"]
    assert list(tmp_path.iterdir()) == [report]  # no temporary file left behind


def test_report_file_from_the_environment_holds_the_error(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    result = invoke([], THANOS_QUERY, env={"RUNAI_SIZE_REPORT": str(report), "RUNAI_SIZE_PROFILE": "huge"})
    assert result.exit_code != 0
    assert "error: RUNAI_SIZE_PROFILE=huge: unknown profile 'huge'" in report.read_text()


def test_diff_shows_only_what_changes_plain_when_not_a_terminal() -> None:
    result = invoke(["diff", "--profile", "large"], THANOS_QUERY + SERVICE)
    assert result.exit_code == 0
    assert "+++ b/document 1 (Deployment/runai-backend-thanos-query)" in result.stdout
    assert (
        "           image: thanos\n+          resources:\n+            requests:\n+              cpu: 1\n"
        in result.stdout
    )
    assert "\x1b[" not in result.stdout
    assert "Service" not in result.stdout


def test_diff_colours_on_request_and_respects_no_color() -> None:
    assert "\x1b[32m+" in invoke(["diff", "--profile", "large", "--color"], THANOS_QUERY).stdout
    assert "\x1b[" not in invoke(["diff", "--profile", "large"], THANOS_QUERY, env={"NO_COLOR": "1"}).stdout


def test_verify_fails_on_an_unsized_stream_and_passes_on_a_sized_one() -> None:
    failed = invoke(["verify", "--profile", "large"], THANOS_QUERY)
    assert failed.exit_code == 3
    assert 'resources/limits/memory is absent, profile wants "3G" (rule thanos-query)' in failed.stdout
    sized = invoke(["--profile", "large", "-q"], THANOS_QUERY).stdout_bytes
    passed = invoke(["verify", "--profile", "large"], sized)
    assert passed.exit_code == 0, passed.stdout
    assert passed.stdout.startswith("ok: every setting of profile 'large' holds")


def test_show_prints_the_resolved_profile_with_overrides_as_a_profile_validate_accepts(tmp_path: Path) -> None:
    # `show` used to print keys (`profile:`, `chain:`) that `validate` rejects.
    result = invoke(["show", "large", "--set", "thanos.receive.memory=8G"])
    assert result.exit_code == 0, result.stderr
    assert "(chain: large -> small; overrides: thanos.receive.memory=8G)" in result.stdout.splitlines()[0]
    assert "memory: 8G" in result.stdout
    shown = tmp_path / "shown.yaml"
    shown.write_text(result.stdout)
    assert invoke(["validate", str(shown)]).exit_code == 0


def test_validate_accepts_a_good_file_and_lists_the_problems_of_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("extends: large\nvalues: {thanos: {receive: {memory: 8G}}}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: large\nvalus: {}\n")
    assert invoke(["validate", str(good)]).exit_code == 0
    result = invoke(["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml, line 2" in result.stderr and "'valus' (did you mean 'values'?)" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nodes", "40", "--gpus", "300"], "small"),
        (["--nodes", "100"], "large"),
        (["--nodes", "20", "--gpus", "1500"], "large"),
        (["--nodes", "500", "--gpus", "4000"], "xlarge"),
    ],
)
def test_recommend_follows_the_guidance(args: list[str], expected: str) -> None:
    # The tiers of "Scaling the Run:ai system" (Run:ai <2.20): nodes or GPUs.
    result = invoke(["recommend", "--runai-version", "2.19", *args])
    assert result.exit_code == 0
    assert result.stdout == f"{expected}\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--nodes", "120", "--workloads", "2000"], "xlarge"),
        (["--nodes", "120", "--workloads", "2000", "--runai-version", "2.18"], "large"),
        (["--nodes", "40"], "large"),
        (["--nodes", "10", "--workloads", "500"], "large"),
        (["--nodes", "10", "--workloads", "100"], "small"),
        (["--gpus", "4000", "--runai-version", "2.18.3"], "large"),
    ],
)
def test_recommend_uses_the_tiers_of_the_editions_guide(args: list[str], expected: str) -> None:
    result = invoke(["recommend", *args])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{expected}\n"


def test_profiles_lists_and_tabulates_the_builtins() -> None:
    listed = invoke(["profiles"]).stdout
    assert [line.split()[0] for line in listed.splitlines()] == ["small", "large", "xlarge"]
    table = invoke(["profiles", "--values"]).stdout.splitlines()
    # Columns by the dashes under the header: a cell may be empty (the row of another source).
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", table[1])]
    rows = [[line[a:b].strip() if i < len(spans) - 1 else line[a:].strip() for i, (a, b) in enumerate(spans)]
            for line in table[2:]]  # fmt: skip
    assert ["thanos.receive.memory", "<2.20 (scaling)", "as rendered", "6G", ""] in [r[:5] for r in rows]
    assert ["thanos.receive.memory", "<2.20 (scaling)", "", "", "15G"] in [r[:5] for r in rows]
    assert ["thanos.receive.memory", ">=2.24 (at-scale)", "as rendered", "15G", "15G"] in [r[:5] for r in rows]
    assert ["controlPlane.maxReplicas", "all", "as rendered", "4", ""] in [r[:5] for r in rows]
    assert all(r[-1].startswith(("https://", "runai-size: ")) for r in rows if r[0] == "thanos.receive.memory")


def test_version() -> None:
    assert invoke(["--version"]).stdout == f"runai-size, version {__version__}\n"


def test_profiles_prints_the_schema_that_ships_in_the_package(root: Path) -> None:
    assert json.loads(invoke(["profiles", "--schema"]).stdout) == json.loads(
        (root / "profiles" / "profile.schema.json").read_text()
    )


def test_a_bad_profile_from_the_environment_names_the_variable() -> None:
    result = invoke([], THANOS_QUERY, env={"RUNAI_SIZE_PROFILE": "huge"})
    assert result.stderr.startswith("runai-size: error: RUNAI_SIZE_PROFILE=huge: unknown profile 'huge'")


# ---------------------------------------------------------------- conventions and options


def test_version_is_a_sub_command_too() -> None:
    assert invoke(["version"]).stdout == invoke(["--version"]).stdout == f"runai-size, version {__version__}\n"


@pytest.mark.parametrize("command", [[], ["diff"], ["verify"]], ids=["post-renderer", "diff", "verify"])
@pytest.mark.parametrize("option", ["-f", "--filename"])
def test_the_stream_can_come_from_a_file(tmp_path: Path, command: list[str], option: str) -> None:
    stream = tmp_path / "rendered.yaml"
    stream.write_bytes(THANOS_QUERY)
    from_file = invoke([*command, "-p", "large", option, str(stream)], b"ignored: stdin\n")
    from_stdin = invoke([*command, "-p", "large"], THANOS_QUERY)
    dash = invoke([*command, "-p", "large", option, "-"], THANOS_QUERY)
    assert (
        (from_file.exit_code, from_file.stdout)
        == (from_stdin.exit_code, from_stdin.stdout)
        == (
            dash.exit_code,
            dash.stdout,
        )
    )
    assert from_file.stdout


def test_diff_exit_code_says_whether_there_are_differences() -> None:
    sized = invoke(["--profile", "large", "-q"], THANOS_QUERY).stdout_bytes
    assert invoke(["diff", "-p", "large", "--exit-code"], THANOS_QUERY).exit_code == 1
    assert invoke(["diff", "-p", "large", "--exit-code"], sized).exit_code == 0
    without = invoke(["diff", "-p", "large"], THANOS_QUERY)
    assert (without.exit_code, without.stderr) == (0, "")


@pytest.mark.parametrize(
    ("args", "status"),
    [
        pytest.param(["--bogus"], 64, id="unknown option"),
        pytest.param(["recommend", "--nodes", "-1"], 64, id="bad value"),
        pytest.param(["verify", "-p", "large", "rendered.yaml"], 64, id="extra argument"),
        pytest.param(["--profile", "huge"], 2, id="unknown profile"),
        pytest.param(["--profile", "large", "--set", "nope=1"], 2, id="bad override"),
    ],
)
def test_usage_errors_and_profile_errors_have_distinct_statuses(args: list[str], status: int) -> None:
    result = invoke(args, THANOS_QUERY)
    assert result.exit_code == status
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("runai-size: error: ")


def test_help_lists_every_exit_status() -> None:
    text = " ".join(invoke(["--help"]).stdout.split())
    for status in ["0 done", "1 bad input", "2 a profile problem", "3 verify", "64 usage", "70 an internal error"]:
        assert status in text


def complete(words: str, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    env = {"_RUNAI_SIZE_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, [], env=env, prog_name="runai-size")
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


@pytest.mark.parametrize("words", ["runai-size --profile ", "runai-size -p ", "runai-size diff -p "])
def test_profile_completion_offers_the_builtins_and_profile_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, words: str
) -> None:
    (tmp_path / "mine.yaml").write_text("extends: large\n")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "deploy").mkdir()
    assert complete(words, tmp_path, monkeypatch) == ["small", "large", "xlarge", "deploy/", "mine.yaml"]
    assert complete(words + "l", tmp_path, monkeypatch) == ["large"]


def test_the_report_counts_in_words() -> None:
    result = invoke(["--profile", "large"], THANOS_QUERY)
    assert result.stderr.startswith(
        "runai-size: profile large: 1 document, 1 changed, 0 added; "
        "no Run:ai version in the stream, edition at-scale, the newest\n"
    )


def test_verify_counts_in_words(tmp_path: Path) -> None:
    profile = tmp_path / "two.yaml"
    rule = "  - name: {name}\n    match: {{kind: Deployment, name: {target}}}\n    set: {{/spec/replicas: 2}}\n"
    profile.write_text(
        "rules:\n" + rule.format(name="query", target="runai-backend-thanos-query") + rule.format(name="x", target="x")
    )
    failed = invoke(["verify", "-p", str(profile)], THANOS_QUERY)
    assert failed.stderr == f"runai-size: error: 1 setting differs from profile '{profile}'\n"
    sized = invoke(["-q", "-p", str(profile)], THANOS_QUERY).stdout_bytes
    assert "(1 rule matched nothing: x)" in invoke(["verify", "-p", str(profile)], sized).stdout


def test_a_report_without_a_profile_says_so(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    result = invoke(["--report", str(report)], THANOS_QUERY)
    assert result.exit_code == 2
    assert report.read_text().startswith("runai-size: no profile was chosen\n  error: no profile chosen")
    assert "?" not in report.read_text().splitlines()[0]


def test_verify_fails_when_nothing_in_the_stream_is_a_run_ai_release() -> None:
    result = invoke(["verify", "-p", "large"], SERVICE)
    assert result.exit_code == 3
    assert result.stderr.startswith("runai-size: error: nothing to verify: no Run:ai release in the input")


def test_verify_and_diff_keep_their_report_apart_from_the_render(tmp_path: Path) -> None:
    render, gate = tmp_path / "render.json", tmp_path / "gate.json"
    env = {"RUNAI_SIZE_REPORT": str(render)}
    rendered = invoke(["-q", "-p", "large"], THANOS_QUERY, env=env).stdout_bytes
    before = render.read_text()
    for command in ("verify", "diff"):
        result = invoke([command, "-p", "large", "--report", str(gate)], rendered, env=env)
        assert result.exit_code == 0, result.stderr
        assert render.read_text() == before and json.loads(gate.read_text())["changes"] == []


@pytest.mark.parametrize(
    ("args", "traceback"),
    [
        pytest.param(["show", "huge"], True, id="show"),
        pytest.param(["validate", "{bad}"], True, id="validate"),
        pytest.param(["profiles", "--bogus"], False, id="profiles (a usage error)"),
        pytest.param(["recommend"], False, id="recommend (a usage error)"),
    ],
)
def test_group_options_reach_every_sub_command(tmp_path: Path, args: list[str], traceback: bool) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("values: [\n")
    args = [arg.replace("{bad}", str(bad)) for arg in args]
    report = tmp_path / "report.txt"
    result = invoke(["--debug", "--report", str(report), *args])
    assert result.exit_code != 0
    assert ("Traceback" in result.stderr) == traceback
    assert "  error: " in report.read_text()


def test_a_command_that_reads_no_stream_writes_the_report_only_when_it_fails(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    assert invoke(["--report", str(report), "recommend", "--nodes", "3"]).exit_code == 0
    assert not report.exists()


def test_recommend_explains_its_choice_and_needs_a_count() -> None:
    result = invoke(["recommend", "--runai-version", "2.19", "--nodes", "50", "--gpus", "400"])
    assert result.stdout == "small\n"
    assert "here 50 nodes < 100 and 400 GPUs < 1,500" in result.stderr
    assert invoke(["recommend"]).exit_code == 64


def test_a_usage_error_after_the_report_option_reaches_the_report(tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    result = invoke(["--report", str(report), "frobnicate"])
    assert result.exit_code == 64
    assert "  error: No such command 'frobnicate'" in report.read_text()


def test_profiles_values_spells_values_as_a_profile_file_does() -> None:
    result = invoke(["profiles", "--values"])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("ha.enabled"))
    # (the table now has the Run:ai versions and the source of each value beside the profiles' columns)
    assert row.split()[:6] == ["ha.enabled", "all", "as", "rendered", "true", "true"]
