"""Request-rate limits per account, region and service, as the server counts them (moto behind
the test's logging proxy, which reads each request's account key, region and service from its
signature)."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest

from auditprep.collect.aws import collect_aws, ratelimit
from auditprep.collect.aws.ratelimit import Limits, Rule

from .test_failures import busiest_window
from .world import R1, R2, client


def _families(region: str, n: int) -> None:
    ecs = client("ecs", region)
    ecs.create_cluster(clusterName="prod")
    for i in range(n):
        ecs.register_task_definition(
            family=f"app{i}", containerDefinitions=[{"name": "a", "image": "nginx:1", "memory": 64, "user": "1000"}]
        )


def test_each_region_keeps_its_own_limit_and_regions_run_side_by_side(fault_proxy, sessions, monkeypatch):
    # ECS limits each action per account and region; a small rule makes the limit what is measured
    monkeypatch.setitem(ratelimit.SERVICE_RULES, "ecs", Rule(3, 4, "test"))
    for region in (R1, R2):
        _families(region, 12)
    fault_proxy.scoped.clear()
    started = time.monotonic()
    out = collect_aws(regions=[R1, R2], session_factory=sessions)  # defaults: no overall cap
    elapsed = time.monotonic() - started
    assert not out.cancelled
    by_scope: dict[tuple[str, str, str, str], list[float]] = defaultdict(list)
    for t, key, region, service, op in fault_proxy.scoped:
        by_scope[(key, region, service, op)].append(t)
    described = {s: ts for s, ts in by_scope.items() if s[2] == "ecs" and s[3] == "DescribeTaskDefinition"}
    assert {s[1] for s in described} == {R1, R2}
    # 12 revisions per region, described by the ECS reads and again by the event-history reads
    # (the 12 registrations are in CloudTrail too): whatever the count, the limit holds per scope
    calls = max(len(times) for times in described.values())
    for times in described.values():
        assert len(times) >= 12
        assert busiest_window(times) <= 4  # the burst, at the server
        assert max(times) - min(times) >= (len(times) - 4 - 3) / 3 * 0.9  # the sustained rate held after it
    both = sorted(t for times in described.values() for t in times)
    assert busiest_window(both) > 4  # two regions' limits are not one: they ran side by side
    assert elapsed < 2 * ((calls - 4) / 3) + 6  # not one region after the other


@pytest.mark.real_limits
def test_an_action_with_a_lower_documented_limit_keeps_its_own_on_top_of_its_service():
    limits = Limits()
    lookup = limits.gates("111122223333", R1, "cloudtrail", "LookupEvents")
    describe = limits.gates("111122223333", R1, "cloudtrail", "DescribeTrails")
    assert len(lookup) == 2 and len(describe) == 1 and lookup[0] is describe[0]
    assert isinstance(lookup[1], ratelimit.ScopeLimit) and lookup[1].rule.burst == 2
    other_account = limits.gates("444455556666", R1, "cloudtrail", "DescribeTrails")
    other_region = limits.gates("111122223333", R2, "cloudtrail", "DescribeTrails")
    assert other_account[0] is not describe[0] and other_region[0] is not describe[0]
    capped = Limits(cap=7).gates("111122223333", R1, "ecs", "ListClusters")
    assert len(capped) == 2 and capped[0].allowance == 7  # type: ignore[attr-defined]
    ecs_list = limits.gates("1", R1, "ecs", "ListClusters")[0]
    ecs_describe = limits.gates("1", R1, "ecs", "DescribeClusters")[0]
    assert ecs_list is not ecs_describe  # ECS limits each action on its own


def test_a_token_bucket_spends_its_burst_then_keeps_the_sustained_rate():
    now = [0.0]
    limit = ratelimit.ScopeLimit(Rule(10, 5, "test"), clock=lambda: now[0])
    slept: list[float] = []

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ratelimit.time, "sleep", fake_sleep)
        for _ in range(5):
            limit.acquire()
            limit.release()
        assert slept == []
        limit.window._answered.clear()  # the window is tested elsewhere; here only the bucket
        limit.acquire()
        limit.release()
    assert slept and abs(sum(slept) - 0.1) < 1e-6  # one token at 10 a second
