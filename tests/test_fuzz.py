"""Mutated inputs through the real parsers and commands: a clean exit, one sentence, never a traceback.

Hypothesis mutates real sample files (results from other tools, an answers file, a review file, an
evidence package) a bounded number of times; every run goes through the command line as a user's would,
and the engagement it touches must still verify afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditprep.cli import main
from auditprep.store import Engagement
from auditprep.store.verify import verify_engagement

SAMPLES = Path(__file__).parent / "imports" / "samples"
EXAMPLES = int(os.environ.get("AUDITPREP_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every run, so a failure can be reproduced
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ANSWERS = b"""format: auditprep-answers/1
answers:
  HRD-01:
    HRD-01.status: {value: partial, narrative: "Two legacy services still run privileged."}
    HRD-01.enforced: admission
    HRD-01.reviewed: 2026-10-01
"""


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """Flip, cut, duplicate or splice bytes of ``original`` (and sometimes of JSON-ish tokens)."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "cut", "dup", "insert", "token", "token", "token"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"{",
                        b"[",
                        b"]",
                        b"}",
                        b'"',
                        b'"\\ud800"',
                        b"9" * 5000,
                        b"&a *a",
                        b"\x1b]52;",
                        b"null",
                        b"[" * 3000,
                    ]
                )
            )
    return bytes(data)


HOSTILE = [
    "9" * 5000,  # more digits than Python converts by default
    '"\\ud800"',  # a lone surrogate
    "[" * 3000 + "]" * 3000,  # nesting deeper than the recursion limit
    '"9999-12-31T23:59:59+14:00"',  # a date that overflows with its offset
    "-1e999",
    "null",
    "{}",
    '"\\u001b]52;c;aGk=\\u0007"',  # a terminal escape sequence
    '"' + "x" * 100_000 + '"',
]


@st.composite
def json_mutated(draw, original: bytes) -> bytes:
    """Replace one to three values deep inside a real JSON document with hostile ones."""
    doc = json.loads(original)
    for _ in range(draw(st.integers(1, 3))):
        node, key = doc, None
        parent = None
        while isinstance(node, (dict, list)) and node and draw(st.integers(0, 4)):
            parent = node
            key = draw(st.sampled_from(sorted(node))) if isinstance(node, dict) else draw(st.integers(0, len(node) - 1))
            node = node[key]
        if parent is None:
            continue
        parent[key] = f"@@HOSTILE{draw(st.integers(0, len(HOSTILE) - 1))}@@"
    text = json.dumps(doc)
    for i, token in enumerate(HOSTILE):
        text = text.replace(f'"@@HOSTILE{i}@@"', token)
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture
def eng_path(tmp_path: Path) -> Path:
    path = tmp_path / "fuzz.engagement"
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(path), "--framework", "pci-dss"], env={"AUDITPREP_USER": "fuzzer"})
    assert result.exit_code == 0, result.output
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"AUDITPREP_USER": "fuzzer"})
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    return result.exit_code, output


def clean(code: int, output: str) -> None:
    assert code != 70, output  # 70 is the last-resort "internal error"
    assert "Traceback" not in output and "internal error" not in output, output


def still_intact(path: Path) -> None:
    with Engagement.open(path, readonly=True) as eng:
        assert verify_engagement(eng) == []


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [("prowler.ocsf.json", "prowler-ocsf"), ("trivy-payments.json", "trivy"), ("securityhub.asff.json", "asff")],
)
def test_mutated_imports_fail_cleanly(eng_path: Path, tmp_path: Path, sample: str, fmt: str) -> None:
    original = (SAMPLES / sample).read_bytes()

    @FUZZ
    @given(data=st.one_of(mutated(original), json_mutated(original)))
    def check(data: bytes) -> None:
        target = tmp_path / f"in-{fmt}.json"
        target.write_bytes(data)
        clean(*run("import", str(eng_path), str(target), "--format", fmt))
        still_intact(eng_path)

    check()


def test_mutated_answer_files_fail_cleanly(eng_path: Path, tmp_path: Path) -> None:
    @FUZZ
    @given(data=mutated(ANSWERS))
    def check(data: bytes) -> None:
        target = tmp_path / "answers.yaml"
        target.write_bytes(data)
        clean(*run("answers", "import", str(eng_path), str(target)))
        still_intact(eng_path)

    check()


def test_mutated_review_files_fail_cleanly(eng_path: Path, tmp_path: Path) -> None:
    from auditprep.review import ReviewFile

    review_path = tmp_path / "seed.review.json"
    with Engagement.open(eng_path, readonly=True) as eng:
        review = ReviewFile.for_engagement(review_path, eng)
        review.comment("control", "HRD-01", "Show me the admission policy.", "question", author="QSA")
    original = review_path.read_bytes()
    json.loads(original)  # a real review file to start from

    @FUZZ
    @given(data=st.one_of(mutated(original), json_mutated(original)))
    def check(data: bytes) -> None:
        target = tmp_path / "in.review.json"
        target.write_bytes(data)
        clean(*run("review", str(eng_path), "--load", str(target)))
        still_intact(eng_path)

    check()


def test_mutated_packages_verify_cleanly(eng_path: Path, tmp_path: Path) -> None:
    package = tmp_path / "fuzz.zip"
    code, output = run("export", str(eng_path), "-o", str(package), "--no-pdf")
    assert code == 0, output
    original = package.read_bytes()

    @FUZZ
    @given(data=mutated(original))
    def check(data: bytes) -> None:
        target = tmp_path / "mutated.zip"
        target.write_bytes(data)
        code, output = run("verify", str(target))
        clean(code, output)
        assert code in (0, 1, 2), output
        shutil.rmtree(tmp_path / "scratch", ignore_errors=True)

    check()
