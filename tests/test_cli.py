"""The command line, through click's CliRunner: the post-renderer and every sub-command."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runai_postrender import __version__
from runai_postrender.cli import main

THANOS_QUERY = textwrap.dedent("""\
    ---
    # Source: runai-backend/templates/thanos-query.yaml
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: runai-backend-thanos-query
    spec:
      template:
        spec:
          containers:
            - name: query
              image: thanos
    """).encode()
SERVICE = b"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: runai-backend-thanos-query\n"


def invoke(args: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> Result:
    base = {"RUNAI_SIZE_PROFILE": "", "RUNAI_SIZE_SET": "", "RUNAI_SIZE_REPORT": "", "NO_COLOR": ""}
    return CliRunner().invoke(main, args, input=stdin, env={**base, **(env or {})})


def test_post_renders_with_the_profile_from_the_environment() -> None:
    result = invoke([], THANOS_QUERY + SERVICE, env={"RUNAI_SIZE_PROFILE": "large"})
    assert result.exit_code == 0, result.stderr
    assert b"memory: 3G" in result.stdout_bytes
    assert result.stdout_bytes.endswith(SERVICE)
    assert "thanos-query:" in result.stderr and "document 1 (Deployment/runai-backend-thanos-query)" in result.stderr


def test_the_option_wins_over_the_environment() -> None:
    result = invoke(["--profile", "xlarge"], THANOS_QUERY, env={"RUNAI_SIZE_PROFILE": "large"})
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


def test_show_prints_the_resolved_profile_with_overrides() -> None:
    result = invoke(["show", "large", "--set", "thanos.receive.memory=8G"])
    assert result.exit_code == 0, result.stderr
    assert "chain:\n- large\n- small\n" in result.stdout
    assert "memory: 8G" in result.stdout


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
    result = invoke(["recommend", *args])
    assert result.exit_code == 0
    assert result.stdout == f"{expected}\n"


def test_profiles_lists_and_tabulates_the_builtins() -> None:
    listed = invoke(["profiles"]).stdout
    assert [line.split()[0] for line in listed.splitlines()] == ["small", "large", "xlarge"]
    table = invoke(["profiles", "--values"]).stdout
    assert any(line.split() == ["thanos.receive.memory", "as", "rendered", "6G", "15G"] for line in table.splitlines())


def test_version() -> None:
    assert invoke(["--version"]).stdout == f"runai-size, version {__version__}\n"


def test_profiles_prints_the_schema_that_ships_in_the_package(root: Path) -> None:
    assert json.loads(invoke(["profiles", "--schema"]).stdout) == json.loads(
        (root / "profiles" / "profile.schema.json").read_text()
    )


def test_a_bad_profile_from_the_environment_names_the_variable() -> None:
    result = invoke([], THANOS_QUERY, env={"RUNAI_SIZE_PROFILE": "huge"})
    assert result.stderr.startswith("runai-size: error: RUNAI_SIZE_PROFILE=huge: unknown profile 'huge'")
