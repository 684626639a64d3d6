"""Hostile input gets a clear answer in bounded time: one sentence, a non-zero exit, no traceback.

Every case runs the real command line on real files (devices, FIFOs, crafted JSON and YAML).
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SAMPLES = Path(__file__).parent / "imports" / "samples"


def run(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "AUDITPREP_USER": "tester", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, env=full_env, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def one_sentence(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("auditprep: ") and "internal error" not in lines[0], lines[0]
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    return lines[0]


@pytest.fixture
def eng(tmp_path: Path) -> Path:
    path = tmp_path / "acme.engagement"
    assert run("init", str(path), "--framework", "pci-dss", "--organisation", "Acme").returncode == 0
    return path


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


# --- files that are not files --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["device", "fifo"])
@pytest.mark.parametrize(
    "command",
    [
        ("import", "{eng}", "{file}", "--format", "prowler-ocsf"),
        ("answers", "import", "{eng}", "{file}"),
        ("review", "{eng}", "--load", "{file}"),
    ],
)
def test_a_device_or_fifo_is_refused_at_once(eng, fifo, kind, command):
    file = "/dev/zero" if kind == "device" else str(fifo)
    started = time.monotonic()
    proc = run(*(part.format(eng=eng, file=file) for part in command), timeout=60)
    assert time.monotonic() - started < 30
    assert "not a regular file" in one_sentence(proc)


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(eng, tmp_path):
    from auditprep.catalog.yamlsource import MAX_YAML_BYTES

    big = tmp_path / "answers.yaml"
    with open(big, "wb") as fh:
        fh.truncate(MAX_YAML_BYTES + 1)  # sparse: costs no disk
    assert "limit" in one_sentence(run("answers", "import", str(eng), str(big)))


# --- YAML aliases ------------------------------------------------------------------------------------

LAUGHS = "\n".join(
    [
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefg", "bcdefgh", strict=True)),
        "answers: [*h, *h, *h, *h, *h, *h, *h, *h, *h]",
    ]
)


def test_billion_laughs_in_an_answers_file_is_refused_quickly(eng, tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS)
    started = time.monotonic()
    proc = run("answers", "import", str(eng), str(path), timeout=60)
    assert time.monotonic() - started < 30
    assert "aliases" in one_sentence(proc)


def test_billion_laughs_in_a_controls_folder_is_refused_quickly(eng, tmp_path):
    folder = tmp_path / "controls"
    folder.mkdir()
    (folder / "org.yaml").write_text(LAUGHS)
    started = time.monotonic()
    proc = run("--controls", str(folder), "status", str(eng), timeout=60)
    assert time.monotonic() - started < 30
    assert "aliases" in one_sentence(proc)


def test_a_few_aliases_still_work():
    from auditprep.catalog.yamlsource import load

    path = Path(__file__).parent / "tmp-alias.yaml"
    try:
        path.write_text("base: &b {x: 1}\none: *b\ntwo: *b\n")
        assert load(path)[0] == {"base": {"x": 1}, "one": {"x": 1}, "two": {"x": 1}}
    finally:
        path.unlink()


# --- crafted JSON -----------------------------------------------------------------------------------


def _prowler(**changes) -> list[dict]:
    records = json.loads((SAMPLES / "prowler.ocsf.json").read_text())
    first = copy.deepcopy(records[0])
    first.update(changes)
    return [first]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" + "1" * 5000 + "]", id="5000-digit integer"),
        pytest.param('[{"x": "\\ud800"}]', id="lone surrogate"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeply nested"),
    ],
)
@pytest.mark.parametrize("fmt", ["prowler-ocsf", "trivy", "asff"])
def test_crafted_json_imports_are_one_sentence(eng, tmp_path, text, fmt):
    path = tmp_path / "crafted.json"
    path.write_text(text)
    one_sentence(run("import", str(eng), str(path), "--format", fmt))


def test_a_lone_surrogate_inside_a_real_record_is_one_sentence(eng, tmp_path):
    path = tmp_path / "prowler.json"
    path.write_text(json.dumps(_prowler(status_detail="\ud800")))
    one_sentence(run("import", str(eng), str(path), "--format", "prowler-ocsf"))


def test_a_year_9999_timestamp_with_an_offset_imports(eng, tmp_path):
    path = tmp_path / "prowler.json"
    path.write_text(json.dumps(_prowler(time_dt="9999-12-31T23:59:59-05:00")))
    proc = run("import", str(eng), str(path), "--format", "prowler-ocsf")
    assert proc.returncode == 0, proc.stderr
    assert run("findings", str(eng)).returncode == 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" + "1" * 5000 + "]", id="5000-digit integer"),
        pytest.param('{"format": "auditprep-review", "x": "\\ud800"}', id="lone surrogate"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="deeply nested"),
    ],
)
def test_crafted_review_files_are_one_sentence(eng, tmp_path, text):
    path = tmp_path / "review.json"
    path.write_text(text)
    one_sentence(run("review", str(eng), "--load", str(path)))


def test_an_answer_dated_year_9999_with_an_offset_is_one_sentence(eng, tmp_path):
    from auditprep.catalog import load_catalog

    control = next(c for c in load_catalog().controls.values() if c.status_question is not None)
    path = tmp_path / "answers.yaml"
    path.write_text(
        "answers:\n"
        f"  {control.id}:\n"
        f"    {control.status_question.id}:\n"
        "      value: 'yes'\n"
        "      answered_at: '9999-12-31T23:59:59-05:00'\n"
    )
    assert "answered_at" in one_sentence(run("answers", "import", str(eng), str(path)))


# --- Prowler de-duplication -------------------------------------------------------------------------


def test_repeated_prowler_findings_collapse_in_linear_time(eng, tmp_path):
    """20,000 records of one check on one resource: one finding, quickly (it was quadratic)."""
    record = _prowler()[0]
    records = []
    for i in range(20_000):
        r = copy.deepcopy(record)
        r["status_code"] = "FAIL" if i == 12_345 else "PASS"
        records.append(r)
    path = tmp_path / "prowler.json"
    path.write_text(json.dumps(records))
    started = time.monotonic()
    proc = run("import", str(eng), str(path), "--format", "prowler-ocsf", timeout=300)
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(run("findings", str(eng), "--json").stdout)
    check = f"prowler/{record['metadata']['event_code']}"
    mine = [r for r in rows if r.get("check") == check]
    assert len(mine) == 1, len(mine)
    assert mine[0]["status"] == "fail"  # the worst of the repeats
    assert took < 120, f"import took {took:.0f} s"


# --- terminal injection -------------------------------------------------------------------------------


def test_findings_and_status_print_no_control_sequences(tmp_path):
    eng = tmp_path / "e.engagement"
    osc = "\x1b]52;c;ZXZpbA==\x07"
    csi = "\x1b[2J\x9b31m"
    proc = run("init", str(eng), "--framework", "pci-dss", "--organisation", f"Acme{osc}{csi}Pay")
    assert proc.returncode == 0, proc.stderr
    path = tmp_path / "prowler.json"
    record = _prowler(status_code="FAIL", status_detail=f"bad{osc}thing{csi}")
    record[0]["finding_info"]["title"] = f"bad{osc}thing{csi}"
    path.write_text(json.dumps(record))
    assert run("import", str(eng), str(path), "--format", "prowler-ocsf").returncode == 0
    for command in ("findings", "status"):
        out = run(command, str(eng)).stdout
        assert out.strip()
        assert not any(ch in out for ch in ("\x1b", "\x07", "\x9b")), repr(out)
    assert "badthing" in run("findings", str(eng)).stdout


# --- options ------------------------------------------------------------------------------------------


def test_an_unknown_region_is_a_usage_error_listing_the_valid_ones(eng):
    proc = run("collect", str(eng), "--no-docker", "--region", "eu-wset-1")
    assert proc.returncode == 2
    assert "eu-wset-1" in proc.stderr and "eu-west-1" in proc.stderr and "us-gov-west-1" in proc.stderr


@pytest.mark.parametrize("rate", ["1e-300", "1e300"])
def test_an_absurd_request_rate_is_a_usage_error_not_a_hang(eng, rate):
    proc = run("collect", str(eng), "--no-docker", "--max-rps", rate, timeout=60)
    assert proc.returncode == 2 and "--max-rps" in proc.stderr


def test_an_unclosed_ipv6_docker_url_is_one_sentence(eng):
    proc = run("collect", str(eng), "--no-aws", "--docker", "http://[::1")
    assert proc.returncode == 3
    assert "not a valid URL" in proc.stderr and "internal error" not in proc.stderr


# --- writing files ------------------------------------------------------------------------------------


def test_answers_export_never_follows_a_symlink_at_a_temporary_name(eng, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "answers.yaml"
    (tmp_path / "answers.yaml.tmp").symlink_to(victim)
    proc = run("answers", "export", str(eng), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "keep me"
    assert out.is_file() and not out.is_symlink() and "auditprep-answers" in out.read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("answers", ".answers"))) == [
        "answers.yaml",
        "answers.yaml.tmp",
    ]


def test_crash_logs_never_overwrite_each_other(tmp_path, monkeypatch):
    from auditprep.cli import crash_log

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    paths = {crash_log(RuntimeError(f"defect {i}")) for i in range(5)}
    assert len(paths) == 5
    assert {Path(p).read_text().strip().splitlines()[-1] for p in paths} == {
        f"RuntimeError: defect {i}" for i in range(5)
    }


def _leftovers(folder: Path, tmp: Path) -> list[str]:
    return sorted(
        [p.name for p in folder.iterdir() if p.name.endswith(".part")]
        + [p.name for p in tmp.iterdir() if p.name.startswith(("auditprep-export-", "weasyprint-"))]
    )


@pytest.mark.parametrize(
    "command",
    [
        ("report", "{eng}", "--framework", "pci-dss", "-o", "{out}/report.pdf"),
        ("export", "{eng}", "-o", "{out}/package.zip"),
    ],
)
def test_sigterm_during_report_or_export_leaves_nothing_behind(tmp_path, command):
    demo = tmp_path / "demo.engagement"
    assert run("demo", "--path", str(demo), "--no-tui").returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "AUDITPREP_USER": "tester", "TMPDIR": str(tmp)}
    args = [part.format(eng=demo, out=out) for part in command]
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditprep", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _leftovers(out, tmp) and proc.poll() is None:
        time.sleep(0.02)  # wait until the work is under way: a temporary file or folder exists
    assert proc.poll() is None and _leftovers(out, tmp), "the command finished before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in stderr, stderr
    assert _leftovers(out, tmp) == []
    assert list(out.iterdir()) == []
