"""Evidence over the audit period, on the pure core and the store: freshness, drift and the share of
the period in place, past revisions replayed from CloudTrail events, and reproducible samples."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditprep.catalog import load_catalog
from auditprep.evaluate import freshness, history, sampling, trail
from auditprep.evaluate.freshness import Period
from auditprep.evaluate.population import Member, build
from auditprep.evaluate.summary import render_status, status_report
from auditprep.models import CallStatus, Control, Evidence, Finding, FindingStatus, Scope, Severity, Source
from auditprep.store import Engagement
from auditprep.store.history import record_sample, samples
from auditprep.store.verify import verify_engagement

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ACCT = "111111111111"
WHERE = Scope(account=ACCT, region="eu-west-1")


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _td(name: str, privileged: bool, at: datetime, kind: str = "aws.ecs.task_definition") -> Evidence:
    arn = f"arn:aws:ecs:eu-west-1:{ACCT}:task-definition/{name}"
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="ecs:DescribeTaskDefinition",
        kind=kind,
        scope=WHERE,
        resource=arn,
        resource_name=name,
        collected_at=at,
        data={
            "taskDefinitionArn": arn,
            "containerDefinitions": [{"name": "app", "image": "x", "privileged": privileged}],
            "auditprep_derived": {"in_use_by_services": [], "latest_revision_of_family": True, "images": []},
        },
    )


def _scope_record(kind: str, at: datetime, status: CallStatus = CallStatus.COLLECTED, message: str = "") -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="ecs:ListTaskDefinitionFamilies",
        kind=kind,
        scope=WHERE,
        collected_at=at,
        status=status,
        message=message,
        data={"count": 1},
    )


def _no_containers(at: datetime) -> Evidence:
    """A Docker host whose container listing was read and held nothing: its checks do not apply."""
    return Evidence(
        source=Source.DOCKER,
        collector="docker",
        operation="ContainerList",
        kind="docker.container",
        scope=Scope(host="h1"),
        collected_at=at,
        data={"count": 0},
    )


def _engagement(tmp_path: Path, start: datetime, period: tuple[str, str] = ("2026-01-01", "2026-12-31")) -> Engagement:
    eng = Engagement.create(
        tmp_path / "acme.engagement",
        name="acme",
        organisation="Acme",
        frameworks=["pci-dss"],
        actor="ana",
        clock=Clock(start),
    )
    eng.set_meta("ana", period_start=period[0], period_end=period[1])
    return eng


def _collect(eng: Engagement, catalog, evidence: list[Evidence], at: datetime) -> None:
    """One collection as ``collect`` stores it: a run, then an evaluation by the real checks."""
    from auditprep.application.evaluation import reevaluate

    eng.clock.now = at  # type: ignore[attr-defined]
    eng.add_run(actor="ana", source=Source.AWS, started_at=at, evidence=evidence)
    reevaluate(eng, catalog, "ana")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


# --- freshness ------------------------------------------------------------------------------------


def test_an_item_is_stale_when_older_than_its_controls_freshness_or_outside_the_period() -> None:
    period = Period.of("2026-01-01", "2026-12-31")
    ev = _td("api:1", False, datetime(2026, 2, 1, tzinfo=UTC))
    assert freshness.staleness(ev, 90, period, datetime(2026, 3, 1, tzinfo=UTC)) == ""
    late = freshness.staleness(ev, 90, period, datetime(2026, 6, 1, tzinfo=UTC))
    assert "120 days" in late and "freshness 90 days" in late
    assert freshness.staleness(ev, 180, period, datetime(2026, 6, 1, tzinfo=UTC)) == ""
    before = _td("api:1", False, datetime(2025, 12, 20, tzinfo=UTC))
    assert "outside the period 2026-01-01 to 2026-12-31" in freshness.staleness(
        before, 90, period, datetime(2026, 1, 5, tzinfo=UTC)
    )


def test_a_historical_record_is_dated_by_the_time_it_describes_not_when_it_was_read() -> None:
    ev = _td("api:7", True, datetime(2026, 9, 1, tzinfo=UTC))
    ev = ev.model_copy(update={"data": {**ev.data, "auditprep_derived": {"describes_at": "2026-03-02T10:00:00Z"}}})
    assert freshness.described_at(ev) == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert "describes 2026-03-02" in freshness.staleness(ev, 90, Period.of("", ""), datetime(2026, 9, 1, tzinfo=UTC))


def test_a_control_can_set_its_own_freshness_and_bad_values_are_refused(catalog) -> None:
    base = catalog.controls["HRD-01"].model_dump()
    assert freshness.freshness_days(Control(**base)) == freshness.DEFAULT_FRESHNESS_DAYS
    assert freshness.freshness_days(Control(**{**base, "freshness_days": 30})) == 30
    with pytest.raises(ValueError):
        Control(**{**base, "freshness_days": 0})


def test_status_names_the_controls_resting_on_stale_evidence(tmp_path: Path, catalog) -> None:
    with _engagement(tmp_path, T0) as eng:
        _collect(eng, catalog, [_scope_record("aws.ecs.task_definition", T0), _td("api:1", False, T0)], T0)
        eng.clock.now = T0 + timedelta(days=10)  # type: ignore[attr-defined]
        fresh = status_report(eng, catalog)["freshness"]
        assert fresh["stale_controls"] == []
        eng.clock.now = T0 + timedelta(days=120)  # type: ignore[attr-defined]
        report = status_report(eng, catalog)
    stale = {s["control"]: s for s in report["freshness"]["stale_controls"]}
    assert "HRD-01" in stale and stale["HRD-01"]["freshness_days"] == 90
    assert "120 days" in stale["HRD-01"]["sentence"]
    text = render_status(report)
    assert "Period: 2026-01-01 to 2026-12-31." in text and "Stale evidence:" in text and "HRD-01" in text


# --- history and drift ----------------------------------------------------------------------------


def test_segments_count_each_observation_until_the_next_and_nothing_before_the_first() -> None:
    d = lambda n: T0 + timedelta(days=n)  # noqa: E731
    segs = history.segments([(d(10), "in_place"), (d(20), "not_in_place")], d(0), d(40))
    assert [(s, e, st) for s, e, st in segs] == [
        (d(0), d(10), "not_observed"),
        (d(10), d(20), "in_place"),
        (d(20), d(40), "not_in_place"),
    ]
    assert history.shares(segs) == {"not_observed": 0.25, "in_place": 0.25, "not_in_place": 0.5}


def test_history_shows_a_privileged_revision_appearing_between_two_collections(tmp_path: Path, catalog) -> None:
    first, second = T0, T0 + timedelta(days=14)
    with _engagement(tmp_path, T0) as eng:
        _collect(
            eng,
            catalog,
            [_scope_record("aws.ecs.task_definition", first), _td("api:1", False, first), _no_containers(first)],
            first,
        )
        _collect(
            eng,
            catalog,
            [_scope_record("aws.ecs.task_definition", second), _td("api:2", True, second), _no_containers(second)],
            second,
        )
        data = history.build_history(eng, catalog, control="HRD-01", as_of=T0 + timedelta(days=28))
    assert [e["id"] for e in data["evaluations"]] == [1, 2]
    drift = {(d["check"], d["resource"].rsplit("/", 1)[-1]): d for d in data["drift"]}
    assert drift[("aws.ecs.task_privileged", "api:2")]["from"] == "absent"
    assert drift[("aws.ecs.task_privileged", "api:2")]["to"] == "fail"
    assert drift[("aws.ecs.task_privileged", "api:1")]["to"] == "absent"
    (hrd,) = data["controls"]
    assert [c["to"] for c in hrd["changes"]] == ["not_in_place"]
    # Jan 1 to Mar 1 not observed, then two weeks in place, two weeks not in place
    share = hrd["share"]
    assert share["in_place"] == pytest.approx(share["not_in_place"]) and share["in_place"] > 0
    assert share["not_observed"] > share["in_place"]
    assert "no longer judged" in drift[("aws.ecs.task_privileged", "api:1")]["message"]


def test_history_of_one_resource_only(tmp_path: Path, catalog) -> None:
    with _engagement(tmp_path, T0) as eng:
        _collect(eng, catalog, [_scope_record("aws.ecs.task_definition", T0), _td("api:1", False, T0)], T0)
        arn = f"arn:aws:ecs:eu-west-1:{ACCT}:task-definition/api:1"
        data = history.build_history(eng, catalog, resource=arn)
    assert data["series"] and {s["resource"] for s in data["series"]} == {arn}


# --- past revisions from CloudTrail ---------------------------------------------------------------


def _event(name: str, at: str, req: dict, resp: dict, n: int) -> Evidence:
    return Evidence(
        source=Source.AWS,
        collector="aws",
        operation="cloudtrail:LookupEvents",
        kind=trail.EVENT,
        scope=WHERE,
        resource=f"arn:aws:cloudtrail:eu-west-1:{ACCT}:event/e{n}",
        collected_at=datetime(2026, 4, 1, tzinfo=UTC),
        data={
            "EventId": f"e{n}",
            "EventName": name,
            "EventTime": at,
            "CloudTrailEvent": {"requestParameters": req, "responseElements": resp},
        },
    )


def test_a_replaced_revision_is_dated_by_its_service_deployments_and_judged() -> None:
    arn7 = f"arn:aws:ecs:eu-west-1:{ACCT}:task-definition/api:7"
    arn8 = f"arn:aws:ecs:eu-west-1:{ACCT}:task-definition/api:8"
    svc = f"arn:aws:ecs:eu-west-1:{ACCT}:service/main/api"
    events = [
        _event(
            "RegisterTaskDefinition", "2026-03-01T08:00:00Z", {}, {"taskDefinition": {"taskDefinitionArn": arn7}}, 1
        ),
        _event(
            "UpdateService",
            "2026-03-02T09:00:00Z",
            {"service": "api", "taskDefinition": "api:7"},
            {"service": {"serviceArn": svc, "taskDefinition": arn7}},
            2,
        ),  # fmt: skip
        _event(
            "RegisterTaskDefinition", "2026-03-19T08:00:00Z", {}, {"taskDefinition": {"taskDefinitionArn": arn8}}, 3
        ),
        _event(
            "UpdateService",
            "2026-03-19T09:00:00Z",
            {"service": "api", "taskDefinition": "api"},
            {"service": {"serviceArn": svc}},
            4,
        ),  # fmt: skip
        _event("DeregisterTaskDefinition", "2026-03-20T09:00:00Z", {"taskDefinition": "api:7"}, {}, 5),
    ]
    revisions = [_td("api:7", True, datetime(2026, 4, 1, tzinfo=UTC), kind=trail.REVISION)]
    found = trail.past_revisions([*events, *revisions], Period.of("2026-01-01", "2026-12-31"))
    by_name = {r["name"]: r for r in found["revisions"]}
    r7 = by_name["api:7"]
    assert (r7["from"][:10], r7["to"][:10], r7["deregistered_at"][:10]) == ("2026-03-02", "2026-03-19", "2026-03-20")
    assert "aws.ecs.task_privileged" in r7["failing"]
    assert "Revision api:7 ran from 2026-03-02 to 2026-03-19" in r7["sentence"] and "privileged" in r7["sentence"]
    # the family-only reference resolved to the revision registered just before it
    assert by_name["api:8"]["from"].startswith("2026-03-19") and by_name["api:8"]["to"] == ""
    assert "not evaluated" in by_name["api:8"]["sentence"]  # its definition was not read


def test_denied_event_history_is_a_gap_with_its_reason_not_an_empty_history() -> None:
    denied = _scope_record(trail.EVENT, T0, CallStatus.ACCESS_DENIED, "cloudtrail:LookupEvents was denied")
    found = trail.past_revisions([denied], Period.of("2026-01-01", "2026-12-31"))
    assert found["revisions"] == []
    assert found["gaps"] == [
        {
            "where": f"{ACCT}/eu-west-1",
            "status": "access_denied",
            "reason": "cloudtrail:LookupEvents was denied",
            "evidence": "",
        }  # fmt: skip
    ]


# --- populations and samples ----------------------------------------------------------------------


def test_a_population_with_a_denied_source_is_not_evaluated_there() -> None:
    denied = _scope_record("aws.trail.event", T0, CallStatus.ACCESS_DENIED, "cloudtrail:LookupEvents was denied")
    services_listed = _scope_record("aws.ecs.service", T0)
    pop = build("ecs-tasks", [services_listed], [services_listed, denied]).as_dict()
    assert pop["total"] == 0 and pop["status"] == "not_evaluated"
    assert "does not mean none existed" in pop["gaps"][0]["reason"]
    assert "cloudtrail:LookupEvents was denied" in pop["gaps"][0]["reason"]
    ok = build("ecs-tasks", [services_listed], [services_listed]).as_dict()
    assert ok["status"] == "evaluated" and ok["gaps"] == []


def _members() -> list[Member]:
    out = []
    for account in ("111111111111", "222222222222"):
        for platform, count in (("ecs-fargate", 12), ("ecs-ec2", 3)):
            for i in range(count):
                mid = f"arn:aws:ecs:eu-west-1:{account}:task-definition/{platform}-{i}:1"
                out.append(
                    Member(mid, mid.rsplit("/", 1)[-1], {"platform": platform, "account": account}, "x", "", "", "")
                )
    return out


def test_a_sample_covers_every_variant_and_is_the_same_for_the_same_seed() -> None:
    members = _members()
    a = sampling.draw("task-definitions", members, 8, "2026-q1")
    b = sampling.draw("task-definitions", list(reversed(members)), 8, "2026-q1")
    c = sampling.draw("task-definitions", members, 8, "another seed")
    assert [m.id for m in a.members] == [m.id for m in b.members]
    assert {m.id for m in a.members} != {m.id for m in c.members}
    assert len(a.members) == len({m.id for m in a.members}) == 8
    assert {sampling.variant_key(m) for m in a.members} == {sampling.variant_key(m) for m in members}
    assert a.variants == 4 and a.total == 30 and "seeded with 'auditprep-sample/task-definitions/2026-q1'" in a.method


def test_a_sample_too_small_for_the_variants_is_refused_with_the_size_needed() -> None:
    with pytest.raises(sampling.SampleError, match="cannot cover the 4 variants.*--size 4"):
        sampling.draw("task-definitions", _members(), 3, "s")
    with pytest.raises(sampling.SampleError, match="empty"):
        sampling.draw("hosts", [], 3, "s")


def test_a_recorded_sample_is_pinned_by_the_event_chain(tmp_path: Path) -> None:
    drawn = sampling.draw("task-definitions", _members(), 5, "s")
    with _engagement(tmp_path, T0) as eng:
        s = record_sample(
            eng,
            population="task-definitions",
            population_hash=drawn.population_hash,
            total=drawn.total,
            seed="s",
            method=drawn.method,
            members=[m.id for m in drawn.members],
            actor="ana",
        )
        assert s.reference == "S-001" and samples(eng)[0].members == tuple(m.id for m in drawn.members)
        assert verify_engagement(eng) == []
    conn = sqlite3.connect(tmp_path / "acme.engagement")
    conn.execute("UPDATE samples SET seed = 'other'")
    conn.commit()
    conn.close()
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        assert verify_engagement(eng) == ["sample 1 was changed outside auditprep"]
    conn = sqlite3.connect(tmp_path / "acme.engagement")
    conn.execute("DELETE FROM samples")
    conn.commit()
    conn.close()
    with Engagement.open(tmp_path / "acme.engagement", readonly=True) as eng:
        (problem,) = verify_engagement(eng)
    assert "(sample.draw) was deleted outside auditprep" in problem


def test_findings_of_unknown_controls_do_not_break_freshness() -> None:
    f = Finding(
        check="aws.ecs.task_privileged",
        title="t",
        status=FindingStatus.PASS,
        severity=Severity.HIGH,
        resource="r",
        scope=WHERE,
        message="m",
        controls=("ZZZ-99",),
        evidence=("E1-00001",),
    )
    assert freshness.control_freshness([], [f], [], Period.of("", ""), T0) == {}


def test_schedule_prints_a_timer_and_a_cron_line_and_refuses_a_bad_time(tmp_path: Path) -> None:
    import subprocess
    import sys

    with _engagement(tmp_path, T0):
        pass
    eng = str(tmp_path / "acme.engagement")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "auditprep", "schedule", eng, *args], capture_output=True, text=True
        )

    weekly = run()
    assert weekly.returncode == 0, weekly.stderr
    assert "OnCalendar=Mon *-*-* 03:17:00 UTC" in weekly.stdout and "Persistent=true" in weekly.stdout
    assert weekly.stdout.rstrip().splitlines()[-1].startswith("17 3 * * 1 ")
    assert f"collect {eng}" in weekly.stdout
    daily = run("--every", "daily", "--at", "22:05")
    assert "OnCalendar=*-*-* 22:05:00 UTC" in daily.stdout and "\n5 22 * * * " in daily.stdout
    bad = run("--at", "25:00")
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "auditprep: --at takes a time of day as HH:MM (24-hour, UTC), not '25:00'."
    )
    missing = subprocess.run(
        [sys.executable, "-m", "auditprep", "schedule", str(tmp_path / "none.engagement")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
