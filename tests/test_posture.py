"""How answers, findings and exceptions combine into a control's and a requirement's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.catalog import load_catalog
from auditprep.evaluate.posture import Posture, Status, combine
from auditprep.models import Answer, ControlException, Finding, FindingStatus, Scope, Severity

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def answer(value: str) -> dict[str, Answer]:
    return {
        "HRD-01.status": Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value=value,
            narrative="n",
            answered_by="ana",
            answered_at=NOW,
        )
    }


def finding(status: FindingStatus) -> Finding:
    return Finding(
        check="docker.container.privileged",
        title="t",
        status=status,
        severity=Severity.HIGH,
        resource="c1",
        scope=Scope(host="h"),
        message="m",
        controls=("HRD-01",),
    )


def exception(days: int) -> ControlException:
    return ControlException(
        control_id="HRD-01",
        owner="ops",
        rationale="r",
        expires=NOW + timedelta(days=days),
        recorded_by="ana",
        recorded_at=NOW,
    )


@pytest.mark.parametrize(
    ("answers", "findings", "exceptions", "status", "conflict"),
    [
        ("yes", [FindingStatus.PASS], [], Status.IN_PLACE, False),
        ("yes", [FindingStatus.FAIL], [], Status.PARTIAL, True),
        ("n-a", [FindingStatus.FAIL], [], Status.PARTIAL, True),
        ("no", [FindingStatus.PASS], [], Status.NOT_IN_PLACE, False),
        (None, [FindingStatus.FAIL], [], Status.NOT_IN_PLACE, False),
        (None, [FindingStatus.PASS], [], Status.NOT_EVALUATED, False),
        ("yes", [FindingStatus.FAIL], [30], Status.EXCEPTION, True),
        ("no", [], [-1], Status.NOT_IN_PLACE, False),  # an expired exception no longer applies
    ],
)
def test_control_status(mini: Path, answers, findings, exceptions, status, conflict) -> None:
    catalog = load_catalog(mini)
    posture = Posture.compute(
        catalog,
        answer(answers) if answers else {},
        [finding(s) for s in findings],
        [exception(d) for d in exceptions],
        NOW,
    )
    cp = posture.controls["HRD-01"]
    assert (cp.status, cp.conflict) == (status, conflict)


def test_combine() -> None:
    assert combine([Status.IN_PLACE, Status.NOT_APPLICABLE]) is Status.IN_PLACE
    assert combine([Status.IN_PLACE, Status.NOT_IN_PLACE]) is Status.PARTIAL
    assert combine([Status.IN_PLACE, Status.EXCEPTION]) is Status.EXCEPTION
    assert combine([Status.NOT_EVALUATED, Status.NOT_IN_PLACE]) is Status.NOT_IN_PLACE
    assert combine([]) is Status.NOT_APPLICABLE
