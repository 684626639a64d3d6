"""Vulnerability ageing: dates read from each source, and the deadline rules on their boundary days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from auditprep.application.importing import import_results
from auditprep.catalog import load_catalog
from auditprep.evaluate import vulns
from auditprep.models import CallStatus, Evidence, Scope, Source
from auditprep.store import Engagement

SAMPLES = Path(__file__).resolve().parent / "imports" / "samples"
DIGEST = "sha256:" + "a" * 64


def _record(severity: str, **dates: object) -> vulns.VulnerabilityAge:
    return vulns.VulnerabilityAge(
        vulnerability_id="CVE-2026-0001",
        severity=severity,  # type: ignore[arg-type]
        image="web:1",
        image_ref=DIGEST,
        package="libssl3",
        installed_version="3.0.1",
        fixed_version="3.0.2",
        source="test",
        scope=Scope(host="h"),
        in_use=True,
        in_use_where=(),
        published=dates.get("published"),  # type: ignore[arg-type]
        first_seen=dates.get("first_seen"),  # type: ignore[arg-type]
        fix_available=dates.get("fix", True),  # type: ignore[arg-type]
        fix_available_since=dates.get("fix_since"),  # type: ignore[arg-type]
        evidence=(),
    )


def _at(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("severity", "window", "due"),
    [
        ("critical", 30, date(2026, 1, 31)),
        ("high", 30, date(2026, 1, 31)),
        ("medium", 90, date(2026, 4, 1)),
        ("low", 180, date(2026, 6, 30)),
    ],
)
def test_fedramp_ra5_window_runs_from_detection_and_the_due_day_is_on_time(
    severity: str, window: int, due: date
) -> None:
    rec = _record(severity, first_seen=_at(2026, 1, 1), published=_at(2020, 1, 1))
    on_due = vulns.fedramp_deadline(rec, due)
    assert (on_due.status, on_due.due, on_due.window, on_due.days_over, on_due.days_left) == (
        "within",
        due,
        f"{window} days",
        0,
        0,
    )
    assert on_due.counted_from == "detection" and on_due.start == date(2026, 1, 1)
    after = vulns.fedramp_deadline(rec, date.fromordinal(due.toordinal() + 1))
    assert (after.status, after.days_over, after.days_left) == ("overdue", 1, None)
    before = vulns.fedramp_deadline(rec, date.fromordinal(due.toordinal() - 1))
    assert (before.status, before.days_left) == ("within", 1)


def test_fedramp_without_a_detection_date_or_severity_gives_no_date_and_says_why() -> None:
    undated = vulns.fedramp_deadline(_record("high"), date(2026, 1, 1))
    assert undated.status == "undetermined" and undated.due is None and "detected" in undated.note
    unrated = vulns.fedramp_deadline(_record("unknown", first_seen=_at(2026, 1, 1)), date(2026, 1, 1))
    assert unrated.status == "not_rated" and unrated.days_over == 0


@pytest.mark.parametrize(
    ("fixed", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_pci_633_critical_month_runs_from_the_fix_release(fixed: date, due: date) -> None:
    rec = _record(
        "critical", fix_since=datetime(fixed.year, fixed.month, fixed.day, 9, tzinfo=UTC), first_seen=_at(2027, 6, 1)
    )
    on_due = vulns.pci_deadline(rec, due)
    assert (on_due.status, on_due.due, on_due.counted_from, on_due.days_over) == ("within", due, "fix release", 0)
    after = vulns.pci_deadline(rec, date.fromordinal(due.toordinal() + 1))
    assert (after.status, after.days_over) == ("overdue", 1)


def test_pci_never_counts_from_a_scanners_first_sighting() -> None:
    # published long ago, fix date unknown, first seen yesterday: the month cannot be placed
    old = _record("critical", published=_at(2020, 1, 1), first_seen=_at(2026, 3, 1))
    got = vulns.pci_deadline(old, date(2026, 3, 2))
    assert got.status == "undetermined" and got.due is None and "first sighting" in got.note
    # published a week ago: the fix is no older, so the deadline is at least a month after publication
    fresh = _record("critical", published=_at(2026, 3, 1))
    got = vulns.pci_deadline(fresh, date(2026, 4, 1))
    assert got.status == "within" and got.due == date(2026, 4, 1) and "on or after" in got.note
    assert vulns.pci_deadline(fresh, date(2026, 4, 2)).status == "undetermined"  # not "overdue": unknown


def test_pci_deadline_only_for_critical_and_only_once_a_fix_exists() -> None:
    assert vulns.pci_deadline(_record("high", fix_since=_at(2020, 1, 1)), date(2026, 1, 1)).status == "entity_schedule"
    no_fix = vulns.pci_deadline(_record("critical", fix=False, published=_at(2020, 1, 1)), date(2026, 1, 1))
    assert no_fix.status == "no_fix" and no_fix.due is None
    assert vulns.pci_deadline(_record("unknown"), date(2026, 1, 1)).status == "not_rated"


def _ev(kind: str, resource: str, data: dict, *, scope: Scope, source: Source = Source.AWS, **kw: object) -> Evidence:
    return Evidence(
        id=kw.pop("id", f"E-{kind}-{resource[-6:]}"),  # type: ignore[arg-type]
        source=source,
        collector=source.value,
        operation="test",
        kind=kind,
        scope=scope,
        resource=resource,
        collected_at=kw.pop("collected_at", _at(2026, 11, 1)),  # type: ignore[arg-type]
        data=data,
        **kw,  # type: ignore[arg-type]
    )


def test_inspector_finding_gives_published_first_seen_and_fix_dates_on_the_image_in_use() -> None:
    scope = Scope(account="111111111111", region="eu-west-1")
    image_arn = "arn:aws:ecr:eu-west-1:111111111111:repository/pay/sha256:" + "c" * 64
    finding = _ev(
        "aws.inspector.finding",
        "arn:aws:inspector2:eu-west-1:111111111111:finding/abc",
        {
            "severity": "CRITICAL",
            "firstObservedAt": "2026-10-01T08:00:00Z",
            "fixAvailable": "YES",
            "fixAvailableSince": "2026-09-15T00:00:00Z",
            "packageVulnerabilityDetails": {
                "vulnerabilityId": "CVE-2026-9999",
                "vendorCreatedAt": "2026-09-01T00:00:00Z",
                "vulnerablePackages": [{"name": "openssl", "version": "3.0.1", "fixedInVersion": "3.0.2"}],
            },
            "resources": [
                {
                    "id": image_arn,
                    "imageHash": "sha256:" + "c" * 64,
                    "repositoryName": "pay",
                    "imageTags": ["v7"],
                    "in_use_image": image_arn,
                }
            ],
        },
        scope=scope,
    )
    gap = _ev(
        "aws.inspector.finding",
        "",
        {},
        scope=Scope(account="1", region="us-east-1"),
        status=CallStatus.ACCESS_DENIED,
        message="AccessDenied",
    )
    got = vulns.age([finding, gap], _at(2026, 10, 31))
    [rec] = got.records
    assert (rec.vulnerability_id, rec.image, rec.package, rec.fixed_version, rec.in_use) == (
        "CVE-2026-9999",
        "pay:v7",
        "openssl",
        "3.0.2",
        True,
    )
    assert rec.first_seen == datetime(2026, 10, 1, 8, tzinfo=UTC) and rec.published.day == 1  # type: ignore[union-attr]
    pci, fed = rec.deadline("pci-dss"), rec.deadline("fedramp-moderate")
    assert pci is not None and (pci.due, pci.status, pci.days_over) == (date(2026, 10, 15), "overdue", 16)
    assert fed is not None and (fed.due, fed.status, fed.days_left) == (date(2026, 10, 31), "within", 0)
    assert got.overdue("pci-dss") == [rec] and got.overdue("fedramp-moderate") == []
    assert got.gaps == ["aws.inspector.finding in 1/us-east-1: AccessDenied"]  # a denied call is a gap, not "none"


def test_docker_inventory_heartbleed_on_a_container_image_is_aged(tmp_path: Path) -> None:
    host = Scope(host="prod-01")
    image_id = "sha256:" + "d" * 64
    inventory = _ev(
        "docker.image_inventory",
        image_id,
        {
            "os": {"ID": "debian", "VERSION_ID": "7"},
            "packages": [{"name": "libssl1.0.0", "source": "openssl", "version": "1.0.1e-2+deb7u4", "manager": "dpkg"}],
        },
        scope=host,
        source=Source.DOCKER,
        resource_name="settle:2019",
    )
    container = _ev(
        "docker.container",
        "f" * 64,
        {"Image": image_id, "State": {"Status": "running"}},
        scope=host,
        source=Source.DOCKER,
        resource_name="settle",
    )
    earlier = datetime(2026, 6, 1, tzinfo=UTC)
    got = vulns.age([inventory, container], _at(2026, 7, 2), first_seen={image_id: earlier})
    [rec] = got.records
    assert (rec.vulnerability_id, rec.severity, rec.in_use, rec.in_use_where) == (
        "CVE-2014-0160",
        "high",
        True,
        ("container settle (running)",),
    )
    assert rec.first_seen == earlier  # the original detection, not this run's
    fed = rec.deadline("fedramp-moderate")
    assert fed is not None and (fed.due, fed.status, fed.days_over) == (date(2026, 7, 1), "overdue", 1)
    assert rec.deadline("pci-dss").status == "entity_schedule"  # type: ignore[union-attr]
    # the same image, no container runs it: not in use (the containers were listed)
    idle = _ev("docker.container", "", {"count": 0}, scope=host, source=Source.DOCKER)
    [rec] = vulns.age([inventory, idle], _at(2026, 7, 2)).records
    assert rec.in_use is False
    # no container evidence at all: not known
    [rec] = vulns.age([inventory], _at(2026, 7, 2)).records
    assert rec.in_use is None


def test_imported_trivy_and_asff_records_carry_their_dates(tmp_path: Path) -> None:
    catalog = load_catalog()
    with Engagement.create(
        tmp_path / "e.engagement", name="e", organisation="o", frameworks=["fedramp-moderate"], actor="ana"
    ) as eng:
        import_results(eng, catalog, SAMPLES / "trivy-payments.json", "trivy", "ana")
        import_results(eng, catalog, SAMPLES / "securityhub.asff.json", "asff", "ana")
        evidence = eng.current_evidence()
    got = vulns.age(evidence, _at(2026, 11, 2))
    trivy = [r for r in got.records if r.source.startswith("Trivy")]
    assert {r.vulnerability_id for r in trivy} >= {"CVE-2026-10001", "CVE-2026-10002", "CVE-2026-10004"}
    libssl = next(r for r in trivy if r.vulnerability_id == "CVE-2026-10001")
    assert libssl.fix_available and libssl.fix_available_since is None and libssl.in_use is None
    assert libssl.first_seen == datetime(2026, 11, 1, 7, 0, 0, 123456, tzinfo=UTC)
    assert libssl.deadline("fedramp-moderate").due == date(2026, 12, 1)  # type: ignore[union-attr]
    zlib = next(r for r in trivy if r.vulnerability_id == "CVE-2026-10002")
    assert zlib.fix_available is False and zlib.deadline("pci-dss").status == "no_fix"  # type: ignore[union-attr]
    asff = [r for r in got.records if r.source.startswith("ASFF")]
    assert asff and all(r.first_seen is not None for r in asff)
    assert got.records == sorted(got.records, key=lambda r: vulns._SEVERITY_RANK[r.severity])  # noqa: SLF001
