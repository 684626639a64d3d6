"""What the collector does when AWS says no: denied and throttled calls, disabled regions, missing
credentials, an unreachable endpoint, a role that cannot be assumed, cancellation.

Denials and throttling come from a small local proxy in front of moto (moto never denies or
throttles); retries and error parsing are botocore's own over real HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import socket
import threading
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from auditprep.collect.aws import collect_aws
from auditprep.collect.aws.runtime import RateLimiter, limit
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, FindingStatus

from .test_collect import findings_of
from .world import ACCOUNT_A, R1, R2, ROLE_B, client


def _small_ecs() -> tuple[str, str]:
    ecs = client("ecs", R1)
    ecs.create_cluster(clusterName="prod")
    arn = ecs.register_task_definition(
        family="web",
        containerDefinitions=[{"name": "app", "image": "nginx@sha256:" + "a" * 64, "memory": 128, "user": "1000"}],
    )
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition="web", desiredCount=0, launchType="EC2")
    return arn["taskDefinition"]["taskDefinitionArn"], "prod"


def test_denied_call_is_recorded_with_the_missing_action_and_never_passes(fault_proxy, sessions):
    td_arn, _ = _small_ecs()
    fault_proxy.deny.add("DescribeTaskDefinition")
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    gaps = [e for e in out.evidence if e.kind == "aws.ecs.task_definition" and e.status is CallStatus.ACCESS_DENIED]
    assert gaps and all("ecs:DescribeTaskDefinition" in (e.operation + e.message) for e in gaps)
    assert td_arn in {e.resource for e in gaps}
    findings = [f for f in findings_of(out) if f.check == "aws.ecs.task_privileged"]
    assert FindingStatus.PASS not in {f.status for f in findings}
    denied = [f for f in findings if f.status is FindingStatus.NOT_EVALUATED]
    assert denied and "ecs:DescribeTaskDefinition" in denied[0].message and "denied" in denied[0].message
    # the rest of the region was still collected
    assert any(e.kind == "aws.ecs.cluster" and e.resource for e in out.evidence)


def test_a_denied_call_keeps_the_request_id_aws_answered_with(fault_proxy, sessions):
    _small_ecs()
    fault_proxy.deny.add("DescribeTaskDefinition")
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    gaps = [e for e in out.evidence if e.status is CallStatus.ACCESS_DENIED]
    assert gaps
    for gap in gaps:  # each denial names the very answer that refused it
        assert len(gap.request_ids) == 1 and gap.request_ids[0] in fault_proxy.error_ids


def test_denied_list_call_makes_the_whole_scope_not_evaluated(fault_proxy, sessions):
    _small_ecs()
    fault_proxy.deny.add("ListClusters")
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    findings = [f for f in findings_of(out) if f.check.startswith("aws.ecs.") and f.scope.region == R1]
    assert findings and {f.status for f in findings} == {FindingStatus.NOT_EVALUATED}
    assert all("ecs:ListClusters" in f.message for f in findings)


def test_throttled_calls_succeed_after_retries(fault_proxy, sessions):
    _small_ecs()
    fault_proxy.throttle["ListClusters"] = 2
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    assert fault_proxy.seen.count("ListClusters") == 3
    clusters = [e for e in out.evidence if e.kind == "aws.ecs.cluster"]
    assert [e.status for e in clusters if not e.resource] == [CallStatus.COLLECTED]
    assert len([e for e in clusters if e.resource]) == 1


def test_throttling_that_outlasts_the_retries_is_recorded_as_throttled(fault_proxy, sessions):
    _small_ecs()
    fault_proxy.throttle["ListClusters"] = 100
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500, max_attempts=3)
    gap = next(e for e in out.evidence if e.kind == "aws.ecs.cluster")
    assert gap.status is CallStatus.THROTTLED and "ecs:ListClusters" in gap.operation
    assert fault_proxy.seen.count("ListClusters") == 1 + 3  # the first attempt and three retries
    statuses = {f.status for f in findings_of(out) if f.check == "aws.ecs.cluster_container_insights"}
    assert statuses == {FindingStatus.NOT_EVALUATED}


def test_a_role_that_cannot_be_assumed_is_a_gap_and_the_rest_is_collected(fault_proxy, sessions):
    fault_proxy.deny.add("AssumeRole")
    out = collect_aws(regions=[R1], role_arns=[ROLE_B], session_factory=sessions, max_rps=500)
    assert out.targets == [f"{ACCOUNT_A}/{R1}"]
    gap = next(e for e in out.evidence if e.kind == "aws.sts.identity" and e.status is not CallStatus.COLLECTED)
    assert gap.status is CallStatus.ACCESS_DENIED and "sts:AssumeRole" in gap.message
    assert gap.scope.account == ROLE_B.split(":")[4]


def test_opt_in_regions_the_account_has_not_enabled_are_skipped_with_a_reason(aws, sessions):
    out = collect_aws(regions=[R1, "ap-east-1"], session_factory=sessions, max_rps=500)
    assert out.targets == [f"{ACCOUNT_A}/{R1}"]
    skipped = [e for e in out.evidence if e.kind == "aws.account.region"]
    assert [(e.scope.region, e.status) for e in skipped] == [("ap-east-1", CallStatus.NOT_ENABLED)]
    assert "opt-in region" in skipped[0].message
    assert not [e for e in out.evidence if e.scope.region == "ap-east-1" and e.kind != "aws.account.region"]


def test_default_scope_is_every_region_enabled_for_the_account(aws, sessions):
    out = collect_aws(session_factory=sessions, max_rps=2000, max_workers=8)
    enabled = [
        r["RegionName"]
        for r in client("ec2", R1).describe_regions()["Regions"]
        if r.get("OptInStatus") in ("opt-in-not-required", "opted-in")
        and boto3.session.Session().get_partition_for_region(r["RegionName"]) == "aws"
    ]
    assert sorted(out.targets) == sorted(f"{ACCOUNT_A}/{r}" for r in enabled)
    assert len(out.targets) >= 17
    skipped = {e.scope.region for e in out.evidence if e.kind == "aws.account.region"}
    assert "ap-east-1" in skipped


def test_no_credentials_is_one_clear_error(aws, monkeypatch, sessions):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CollectionError) as err:
        collect_aws(regions=[R1], session_factory=sessions)
    assert err.value.message == (
        "No AWS account could be reached: no AWS credentials were found; give --profile NAME, set AWS_PROFILE, "
        "or sign in with 'aws sso login'."
    )


def test_unknown_profile_is_one_clear_error(aws):
    with pytest.raises(CollectionError) as err:
        collect_aws(profiles=["does-not-exist"], regions=[R1])
    assert err.value.message == "No AWS account could be reached: the AWS profile 'does-not-exist' is not configured."


def test_unreachable_endpoint_is_one_clear_error(aws, monkeypatch, sessions):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(CollectionError) as err:
        collect_aws(regions=[R1], session_factory=sessions, max_attempts=2)
    assert err.value.message.startswith("No AWS account could be reached: the endpoint could not be reached")
    assert err.value.message.count(". ") == 0


def test_profiles_are_collected_and_duplicates_of_one_account_collapse(aws, tmp_path, monkeypatch, sessions):
    config = tmp_path / "config"
    config.write_text(f"[profile ops]\nregion = {R2}\n[profile audit]\nregion = {R1}\n")
    creds = tmp_path / "credentials"
    creds.write_text(
        "[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        "[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    out = collect_aws(profiles=["ops", "audit"], regions=[R1], session_factory=sessions, max_rps=500)
    assert out.targets == [f"{ACCOUNT_A}/{R1}"]
    identities = [e for e in out.evidence if e.kind == "aws.sts.identity" and e.resource]
    assert [e.resource_name for e in identities] == ["profile ops", "profile audit"]


def test_progress_reports_every_task_and_cancel_stops_early(aws, sessions):
    seen = []
    out = collect_aws(regions=[R1, R2], session_factory=sessions, progress=seen.append, max_rps=500)
    assert seen and seen[-1].done == seen[-1].total == len(seen)
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    assert {p.source for p in seen} == {"aws"}
    assert not out.cancelled

    cancel = threading.Event()
    calls = []

    def stop_after_first(p):
        calls.append(p)
        cancel.set()

    out2 = collect_aws(
        regions=[R1, R2], session_factory=sessions, progress=stop_after_first, cancel=cancel, max_rps=500, max_workers=1
    )
    assert out2.cancelled
    assert len(calls) < len(seen)


def busiest_window(times: list[float], window: float = 1.0) -> int:
    """Most of ``times`` inside any half-open window of ``window`` seconds."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_the_limit_holds_where_requests_arrive_not_only_where_they_leave():
    # A simulated server: each request arrives some random time after it was let go and is
    # answered some time later, the way scheduling and the network move requests about.
    limiter = RateLimiter(25)
    arrivals: list[float] = []
    lock = threading.Lock()
    rng = random.Random(3)

    def worker(delays: list[tuple[float, float]]) -> None:
        for to_server, to_answer in delays:
            limiter.acquire()
            time.sleep(to_server)
            with lock:
                arrivals.append(time.monotonic())
            time.sleep(to_answer)
            limiter.release()

    plans = [[(rng.uniform(0, 0.08), rng.uniform(0, 0.03)) for _ in range(14)] for _ in range(5)]
    threads = [threading.Thread(target=worker, args=(plan,)) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(arrivals) == 70
    assert busiest_window(arrivals) <= 25
    assert max(arrivals) - min(arrivals) >= 2.0  # 70 requests at 25 a second: well over two seconds
    assert limiter.in_flight == 0


def test_rates_below_one_a_second_widen_the_window_and_fractions_round_down():
    assert (RateLimiter(0.5).window, RateLimiter(0.5).allowance) == (2.0, 1)
    assert (RateLimiter(2.5).window, RateLimiter(2.5).allowance) == (1.0, 2)
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_a_place_held_by_a_thread_that_ended_is_given_back():
    limiter = RateLimiter(1)
    ended = threading.Thread(target=limiter.acquire)  # takes the only place and never releases it
    ended.start()
    ended.join()
    started = time.monotonic()
    limiter.acquire()  # the ended thread's request counts as answered now: one window later
    assert 0.9 <= time.monotonic() - started < 3
    limiter.release()
    assert limiter.in_flight == 0


def test_every_attempt_gives_its_place_back_throttled_denied_or_unreachable(fault_proxy, aws):
    limiter = RateLimiter(500)
    ecs = boto3.session.Session().client("ecs", region_name=R1)
    limit(ecs, limiter)
    fault_proxy.throttle["ListClusters"] = 2
    ecs.list_clusters()
    assert fault_proxy.seen.count("ListClusters") == 3 and limiter.in_flight == 0
    fault_proxy.deny.add("ListServices")
    with pytest.raises(ClientError):
        ecs.list_services(cluster="prod")
    assert limiter.in_flight == 0
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    gone = boto3.session.Session().client(
        "ecs", region_name=R1, endpoint_url=dead, config=Config(retries={"max_attempts": 1})
    )
    limit(gone, limiter)
    with pytest.raises(EndpointConnectionError):
        gone.list_clusters()
    assert limiter.in_flight == 0


def test_collection_stays_under_max_rps_as_the_server_counts(fault_proxy, sessions):
    _small_ecs()
    fault_proxy.arrivals.clear()  # only the collection's own requests
    fault_proxy.jitter = 0.15
    fault_proxy.throttle["DescribeClusters"] = 1
    rate = 4
    start = time.monotonic()
    collect_aws(regions=[R1], session_factory=sessions, max_rps=rate)
    elapsed = time.monotonic() - start
    sent = len(fault_proxy.arrivals)
    assert sent > 3 * rate
    assert busiest_window(fault_proxy.arrivals) <= rate
    assert elapsed >= (sent - rate) / rate * 0.9


def test_exec_enabled_services(aws, sessions):
    """moto always reports enableExecuteCommand as null, so DescribeServices is stubbed here."""
    ecs = client("ecs", R1)
    recorded = ecs.create_cluster(
        clusterName="recorded",
        configuration={
            "executeCommandConfiguration": {
                "logging": "OVERRIDE",
                "kmsKeyId": "alias/exec",
                "logConfiguration": {"s3BucketName": "exec-logs", "s3EncryptionEnabled": True},
            }
        },
    )["cluster"]["clusterArn"]
    silent = ecs.create_cluster(
        clusterName="silent", configuration={"executeCommandConfiguration": {"logging": "NONE"}}
    )["cluster"]["clusterArn"]
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "a", "image": "x", "memory": 64}])
    for cluster in ("recorded", "silent"):
        for name in ("shell", "plain"):
            ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="web", desiredCount=0)

    def answer(cluster_arn: str, cluster: str) -> dict:
        return {
            "services": [
                {
                    "serviceArn": f"arn:aws:ecs:{R1}:{ACCOUNT_A}:service/{cluster}/{name}",
                    "serviceName": name,
                    "clusterArn": cluster_arn,
                    "launchType": "EC2",
                    "enableExecuteCommand": name == "shell",
                    "taskDefinition": f"arn:aws:ecs:{R1}:{ACCOUNT_A}:task-definition/web:1",
                }
                for name in ("plain", "shell")
            ]
        }

    sessions.stub("ecs", R1, "DescribeServices", answer(recorded, "recorded"))
    sessions.stub("ecs", R1, "DescribeServices", answer(silent, "silent"))
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    by_name = {
        (f.resource.split("/")[-2], f.resource.split("/")[-1]): f.status
        for f in findings_of(out)
        if f.check == "aws.ecs.service_exec_enabled"
    }
    assert by_name == {
        ("recorded", "plain"): FindingStatus.PASS,
        ("recorded", "shell"): FindingStatus.WARN,
        ("silent", "plain"): FindingStatus.PASS,
        ("silent", "shell"): FindingStatus.FAIL,
    }


def test_security_hub_standards(aws, sessions):
    """moto lacks GetEnabledStandards, so it is stubbed here; DescribeHub is moto's."""
    for region in (R1, R2):
        client("securityhub", region).enable_security_hub(EnableDefaultStandards=False)
    sessions.stub(
        "securityhub",
        R1,
        "GetEnabledStandards",
        {
            "StandardsSubscriptions": [
                {
                    "StandardsSubscriptionArn": f"arn:aws:securityhub:{R1}:{ACCOUNT_A}:subscription/pci-dss/v/4.0.1",
                    "StandardsArn": f"arn:aws:securityhub:{R1}::standards/pci-dss/v/4.0.1",
                    "StandardsInput": {},
                    "StandardsStatus": "READY",
                }
            ]
        },
    )
    sessions.stub("securityhub", R2, "GetEnabledStandards", {"StandardsSubscriptions": []})
    out = collect_aws(regions=[R1, R2], session_factory=sessions, max_rps=500)
    found = {f.scope.region: f for f in findings_of(out) if f.check == "aws.securityhub.enabled"}
    assert found[R1].status is FindingStatus.PASS and "pci-dss/v/4.0.1" in found[R1].message
    assert found[R2].status is FindingStatus.WARN


def test_ages_are_judged_at_collection_time_not_now(aws, sessions):
    """A certificate valid today is expired in evidence collected after its end date."""
    from .world import _cert

    cert, key = _cert("later.example.com", 100)
    arn = client("acm", R1).import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    late = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    out = collect_aws(regions=[R1], session_factory=sessions, clock=lambda: late, max_rps=500)
    f = next(f for f in findings_of(out) if f.check == "aws.acm.expiry" and f.resource == arn)
    assert f.status is FindingStatus.FAIL and "expired" in f.message
    again = next(f for f in findings_of(out) if f.check == "aws.acm.expiry" and f.resource == arn)
    assert again == f


def test_evidence_is_json_serialisable(aws, sessions):
    _small_ecs()
    out = collect_aws(regions=[R1], session_factory=sessions, max_rps=500)
    json.dumps([e.model_dump(mode="json") for e in out.evidence])
    assert all(e.collected_at.tzinfo is not None for e in out.evidence)
