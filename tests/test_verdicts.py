"""Requirement verdicts from objectives: the rules, applicability and segregation of duties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.catalog import load_catalog
from auditprep.errors import EngagementError
from auditprep.evaluate.posture import Posture
from auditprep.evaluate.verdicts import Basis, ObjectiveStatus, Verdict, cites_document
from auditprep.models import Answer, Attestation, ControlException, Finding, FindingStatus, Scope, Severity
from auditprep.store import Engagement

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def answers(**values: str) -> dict[str, Answer]:
    out = {}
    for qid, value in values.items():
        qid = f"HRD-01.{qid}"
        out[qid] = Answer(
            control_id="HRD-01", question_id=qid, value=value, narrative="", answered_by="ana", answered_at=NOW
        )
    return out


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


class Doc:
    def __init__(self, control_id: str) -> None:
        self.control_id = control_id
        self.filename = "standard.pdf"
        self.sha256 = "0" * 64


def verdicts(mini: Path, ans, found, *, docs=(), facts=None, exceptions=()):
    catalog = load_catalog(mini)
    posture = Posture.compute(
        catalog, ans, found, list(exceptions), NOW, attachments=list(docs), applicability=facts or {}
    )
    return {r.requirement.id: r for r in posture.requirements("pci-dss")}


@pytest.mark.parametrize(
    ("answer", "found", "docs", "verdict", "basis"),
    [
        # evidence and answer agree: verified
        ("yes", [FindingStatus.PASS], False, Verdict.IN_PLACE, Basis.AUTOMATED),
        # the answer alone: attested, never in place
        ("yes", [], False, Verdict.ATTESTED, Basis.ATTESTED),
        # the answer with a document attached to its control: verified by the document
        ("yes", [], True, Verdict.IN_PLACE, Basis.DOCUMENT),
        # a check that could not be evaluated proves nothing
        ("yes", [FindingStatus.NOT_EVALUATED], False, Verdict.ATTESTED, Basis.ATTESTED),
        # a failing check, whatever the answer
        ("yes", [FindingStatus.FAIL], True, Verdict.NOT_IN_PLACE, Basis.AUTOMATED),
        ("no", [FindingStatus.PASS], False, Verdict.NOT_IN_PLACE, Basis.ATTESTED),
        # checks pass but the team has not answered: not tested, not in place
        (None, [FindingStatus.PASS], False, Verdict.NOT_TESTED, Basis.AUTOMATED),
        (None, [], False, Verdict.NOT_TESTED, Basis.NONE),
        # a warning needs a person: nothing proven either way
        (None, [FindingStatus.PASS, FindingStatus.WARN], False, Verdict.NOT_TESTED, Basis.NONE),
    ],
)
def test_objective_rules(mini: Path, answer, found, docs, verdict, basis) -> None:
    ans = answers(status=answer) if answer else {}
    r = verdicts(mini, ans, [finding(s) for s in found], docs=[Doc("HRD-01")] if docs else [])["2.2.1"]
    assert (r.status, r.objectives[0].basis) == (verdict, basis)


def test_exception_covers_a_failing_objective_but_not_a_passing_one(mini: Path) -> None:
    exc = ControlException(
        control_id="HRD-01",
        owner="ops",
        rationale="r",
        expires=NOW + timedelta(days=30),
        recorded_by="a",
        recorded_at=NOW,
    )
    failing = verdicts(mini, answers(status="yes"), [finding(FindingStatus.FAIL)], exceptions=[exc])
    assert failing["2.2.1"].status is Verdict.EXCEPTION
    passing = verdicts(mini, answers(status="yes"), [finding(FindingStatus.PASS)], exceptions=[exc])
    assert passing["2.2.1"].status is Verdict.IN_PLACE


def test_outside_and_applicability(mini: Path) -> None:
    ans = answers(reviewed="2026-10-01")
    unset = verdicts(mini, ans, [])
    assert unset["9.4.1"].status is Verdict.NOT_COVERED
    assert unset["12.9.1"].status is Verdict.ATTESTED and "not recorded" in unset["12.9.1"].applicability_note
    merchant = verdicts(mini, ans, [], facts={"pci.entity": ("merchant",)})["12.9.1"]
    assert merchant.status is Verdict.NOT_APPLICABLE
    assert merchant.applicability == "Only service providers give this acknowledgement."
    provider = verdicts(mini, ans, [], facts={"pci.entity": ("service-provider",)})["12.9.1"]
    assert provider.status is Verdict.ATTESTED and provider.applicability_note == ""


def test_an_answer_citing_a_document_needs_it_attached(mini: Path) -> None:
    assert cites_document("The AoC is filed with the evidence.")
    assert cites_document("See the incident response runbook, section 4.")
    assert not cites_document("No task definition sets privileged mode.")
    ans = {
        "HRD-01.status": Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="yes",
            narrative="Our hardening standard is attached.",
            answered_by="ana",
            answered_at=NOW,
        )
    }
    obj = verdicts(mini, ans, [])["2.2.1"].objectives[0]
    assert obj.status is ObjectiveStatus.ATTESTED and obj.document_missing
    obj = verdicts(mini, ans, [], docs=[Doc("HRD-01")])["2.2.1"].objectives[0]
    assert obj.status is ObjectiveStatus.MET and not obj.document_missing


def test_self_attestation_is_refused(tmp_path: Path, clock) -> None:
    with Engagement.create(
        tmp_path / "e.eng", name="e", organisation="", frameworks=["pci-dss"], actor="x", clock=clock
    ) as eng:
        eng.record_answer(
            Answer(
                control_id="HRD-01",
                question_id="HRD-01.status",
                value="yes",
                narrative="",
                answered_by="Dana Reyes <dana@example.com>",
                answered_at=NOW,
            )
        )
        with pytest.raises(EngagementError, match="segregation of duties"):
            eng.attest(Attestation(control_id="HRD-01", attested_by="dana reyes", attested_at=NOW))
        assert eng.attestations() == {}
        eng.attest(Attestation(control_id="HRD-01", attested_by="Sam Ortiz", attested_at=NOW))
        assert eng.attestations()["HRD-01"].attested_by == "Sam Ortiz"


def test_custom_control_mappings_become_objectives(mini: Path, tmp_path: Path) -> None:
    extra = tmp_path / "org"
    extra.mkdir()
    (extra / "org.yaml").write_text(
        (mini / "controls" / "hardening.yaml")
        .read_text()
        .replace("HRD-01", "ORG-01")
        .replace(
            "    concepts: [privileged-container]\n",
            '    concepts: [privileged-container]\n    mappings:\n      pci-dss: ["2.2.1"]\n',
        )
    )
    catalog = load_catalog(mini, [extra])
    objectives = catalog.requirement("pci-dss", "2.2.1").objectives
    assert [o.questions for o in objectives][-1] == ("ORG-01.status",)
    assert "ORG-01" in catalog.requirement_controls["pci-dss"]["2.2.1"]
    assert catalog.controls["ORG-01"].mappings == {"pci-dss": ("2.2.1",)}


def test_a_document_verifies_only_objectives_that_expect_documents(mini: Path) -> None:
    ans = answers(status="yes", reviewed="2026-10-01")
    found = verdicts(mini, ans, [], docs=[Doc("HRD-01")])
    assert found["2.2.1"].status is Verdict.IN_PLACE  # its objective names a configuration standard
    assert found["12.9.1"].status is Verdict.ATTESTED  # its objective names no document kind
