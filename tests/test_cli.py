"""The command line as a user meets it: real processes, exit codes, one-sentence errors, no tracebacks."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, "AUDITPREP_USER": "tester", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, cwd=cwd, env=full_env
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("auditprep: ")
    return lines[0]


@pytest.fixture
def eng(tmp_path: Path) -> Path:
    path = tmp_path / "acme.engagement"
    proc = run("init", str(path), "--framework", "pci-dss", "--framework", "hipaa", "--organisation", "Acme Pay")
    assert proc.returncode == 0, proc.stderr
    return path


def test_help_lists_the_contract_commands() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for command in (
        "init",
        "collect",
        "status",
        "findings",
        "answers",
        "verify",
        "frameworks",
        "questionnaires",
        "explain",
    ):
        assert f"  {command}" in proc.stdout


def test_shipped_questionnaires_validate() -> None:
    proc = run("questionnaires", "validate")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Valid: ")


# How many requirements each standard defines (see each framework file's total_note for how they are counted).
STANDARD_COUNTS = {"pci-dss": 280, "hipaa": 71, "hitrust": 156, "fedramp-moderate": 323, "fedramp-20x": 46}


def test_frameworks_lists_each_with_counts() -> None:
    proc = run("frameworks")
    assert proc.returncode == 0, proc.stderr
    ids = [line.split()[0] for line in proc.stdout.splitlines()[1:]]
    assert sorted(ids) == sorted(STANDARD_COUNTS)
    for line in proc.stdout.splitlines()[1:]:
        requirements, addressed, outside, _conditional, controls = (int(x) for x in line.split()[-5:])
        assert requirements == addressed + outside and addressed > 0 and outside > 0 and controls > 0
        # the denominator is the standard's own count, not the library's selection
        assert requirements == STANDARD_COUNTS[line.split()[0]], line


def test_init_refuses_to_overwrite(eng: Path) -> None:
    before = eng.read_bytes()
    proc = run("init", str(eng), "--framework", "pci-dss")
    assert proc.returncode == 2
    assert "already exists" in one_error_line(proc)
    assert eng.read_bytes() == before


def test_init_with_unknown_framework_is_a_usage_error(tmp_path: Path) -> None:
    proc = run("init", str(tmp_path / "x.engagement"), "--framework", "sox")
    assert proc.returncode == 2 and "Invalid value for '--framework'" in proc.stderr
    assert not (tmp_path / "x.engagement").exists()


def test_status_of_a_new_engagement(eng: Path) -> None:
    proc = run("status", str(eng))
    assert proc.returncode == 0, proc.stderr
    assert "PCI DSS 4.0.1 [pci-dss]" in proc.stdout and "nothing collected yet" in proc.stdout
    data = json.loads(run("status", str(eng), "--json").stdout)
    assert set(data["frameworks"]) == {"pci-dss", "hipaa"}
    total = data["frameworks"]["pci-dss"]["total"]
    assert total["answered"] == 0 and total["not_evaluated"] == total["controls"] > 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        (b"just some notes", "not an auditprep engagement file"),
        (b"SQLite format 3\x00" + b"\x00" * 50, "damaged"),
    ],
)
def test_status_of_a_bad_file(tmp_path: Path, content: bytes | None, expected: str) -> None:
    path = tmp_path / "bad.engagement"
    if content is not None:
        path.write_bytes(content)
    proc = run("status", str(path))
    assert proc.returncode == 2
    assert expected in one_error_line(proc)


def test_answers_round_trip_and_bad_import_changes_nothing(eng: Path, tmp_path: Path) -> None:
    good = tmp_path / "answers.yaml"
    good.write_text("answers:\n  HRD-01:\n    HRD-01.status: {value: partial, narrative: Two services remain.}\n")
    proc = run("answers", "import", str(eng), str(good))
    assert proc.returncode == 0, proc.stderr
    assert "Recorded 1 answer(s)" in proc.stdout
    out = tmp_path / "out.yaml"
    assert run("answers", "export", str(eng), "-o", str(out)).returncode == 0
    assert "Two services remain." in out.read_text()
    before = eng.read_bytes()
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers:\n  HRD-01:\n    HRD-01.status: {value: maybe}\n")
    proc = run("answers", "import", str(eng), str(bad))
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert f"{bad}:3:" in line and "must be one of yes, partial, no, n-a" in line
    assert run("verify", str(eng)).returncode == 0
    with sqlite3.connect(eng) as conn:
        assert conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 1
    del before


def test_verify_detects_tampering(eng: Path, tmp_path: Path) -> None:
    good = tmp_path / "answers.yaml"
    good.write_text("answers:\n  HRD-01:\n    HRD-01.status: {value: no, narrative: Not yet.}\n")
    run("answers", "import", str(eng), str(good))
    assert run("verify", str(eng)).returncode == 0
    with sqlite3.connect(eng) as conn:
        conn.execute("UPDATE answers SET value = 'yes'")
    proc = run("verify", str(eng))
    assert proc.returncode == 1
    assert "ALTERED: answer 1 to HRD-01.status was changed outside auditprep" in proc.stderr


def test_validate_broken_extra_folder_names_file_and_line(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "ours.yaml").write_text("controls:\n  - id: ORG-01\n    title: x\n    colour: blue\n")
    proc = run("questionnaires", "validate", str(org))
    assert proc.returncode == 2
    assert f"{org / 'ours.yaml'}:4: key 'controls[0].colour': unknown key." in proc.stderr.splitlines()


def test_explain_unknown_term_suggests(tmp_path: Path) -> None:
    proc = run("explain", "privilaged")
    assert proc.returncode == 2
    assert "did you mean" in one_error_line(proc)


def test_explain_prints_a_concept() -> None:
    proc = run("explain", "fargate", "--width", "80")
    assert proc.returncode == 0, proc.stderr
    assert "Fargate" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


def test_an_unexpected_bug_is_one_sentence_and_a_log_file(tmp_path: Path, monkeypatch) -> None:
    """A bug must not show a traceback: one sentence, exit 70, the traceback kept in a log file."""
    from click.testing import CliRunner

    import auditprep.evaluate.summary
    from auditprep.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("simulated defect")

    monkeypatch.setattr(auditprep.evaluate.summary, "status_report", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    eng = tmp_path / "e.engagement"
    assert run("init", str(eng), "--framework", "pci-dss").returncode == 0
    result = CliRunner().invoke(main, ["status", str(eng)])
    assert result.exit_code == 70
    assert "Traceback" not in result.output
    assert "internal error (RuntimeError: simulated defect)" in result.output
    log = Path(result.output.split("details are in ")[1].split("; ")[0].split(". Please")[0])
    assert "simulated defect" in log.read_text() and "Traceback" in log.read_text()


def test_a_reader_that_went_away_gets_no_error_message(tmp_path):
    # `auditprep demo | head -3`: the reader has closed the pipe before the status is written
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "auditprep", "demo", "--path", str(tmp_path / "demo.engagement")],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "AUDITPREP_USER": "tester"},
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 141


@pytest.mark.parametrize("rate", ["0", "-3", "nan", "inf"])
def test_a_request_rate_that_is_not_a_positive_number_is_a_usage_error(eng, rate):
    proc = run("collect", str(eng), "--no-docker", "--max-rps", rate)
    assert proc.returncode == 2
    assert "--max-rps" in proc.stderr and "above 0" in proc.stderr
    assert "internal error" not in proc.stderr


def test_an_explanation_narrower_than_twenty_columns_is_a_usage_error():
    proc = run("explain", "fargate", "--width", "3")
    assert proc.returncode == 2 and "--width" in proc.stderr


def test_an_engagement_made_on_the_command_line_is_offered_by_the_assistant(tmp_path: Path) -> None:
    """init puts the new file first in the recent list the picker reads; a refused init adds nothing."""
    from auditprep.application.recent import RecentList

    data = tmp_path / "data"
    env = {"XDG_DATA_HOME": str(data)}
    recent = RecentList(data / "auditprep" / "recent.json")
    bad = run("init", str(tmp_path / "bad.engagement"), "--framework", "pci-dss", "--period", "2026-13-01..x", env=env)
    assert bad.returncode != 0 and not (tmp_path / "bad.engagement").exists()
    assert recent.load() == []
    made = run("init", str(tmp_path / "acme.engagement"), "--framework", "pci-dss", "--name", "Acme 2026", env=env)
    assert made.returncode == 0, made.stderr
    [entry] = recent.load()
    assert entry.path == (tmp_path / "acme.engagement").resolve() and entry.name == "Acme 2026"
