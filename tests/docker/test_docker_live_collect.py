"""Collection from the real daemon: scopes, every container, requests per object, races, cancellation."""

from __future__ import annotations

import re
import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest
from docker_lab import LAB_LABEL, dump

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.collect.docker import KINDS, collect_docker
from auditprep.collect.docker.hosts import default_client, scope_label
from auditprep.models import CallStatus, FindingStatus, Scope

pytestmark = pytest.mark.docker


class CountingFactory:
    """Builds the default client and records every Engine API request it sends."""

    def __init__(self, on_response=None):
        self.calls: list[tuple[str, str]] = []
        self.on_response = on_response

    def __call__(self, target):
        api = default_client(target)
        api.hooks["response"].append(self._hook)
        return api

    def _hook(self, response, *args, **kwargs):
        path = urlsplit(response.request.url).path
        path = "/" + path.split("/", 2)[2] if path.startswith("/v1.") else path
        self.calls.append((response.request.method, path))
        if self.on_response:
            self.on_response(path)
        return response

    def count(self, prefix: str, suffix: str) -> int:
        return sum(1 for _, p in self.calls if p.startswith(prefix) and p.endswith(suffix))


def items(outcome, kind):
    return [e for e in outcome.evidence if e.kind == kind and e.resource and e.status is CallStatus.COLLECTED]


def test_one_scope_per_host_with_a_stable_label(collected, docker_url):
    label = scope_label(docker_url)
    assert {e.scope for e in collected.evidence} == {Scope(host=label)}
    assert collected.targets == [label]
    assert label.startswith(docker_url)
    daemon = items(collected, "docker.daemon")[0]
    assert daemon.resource in collected.identity and daemon.data["Version"]["Version"] in collected.identity


def test_every_kind_has_one_scope_record(collected):
    for kind in KINDS:
        records = [e for e in collected.evidence if e.kind == kind and not e.resource]
        assert len(records) == 1, kind
        assert records[0].status is CallStatus.COLLECTED
        assert records[0].data["count"] == len(items(collected, kind)), kind


def test_every_container_is_collected_whatever_its_state(collected, lab, docker_api):
    found = {e.resource: e for e in items(collected, "docker.container")}
    assert set(lab.containers.values()) <= set(found)
    states = {found[cid].data["State"]["Status"] for cid in lab.containers.values()}
    assert {"created", "running", "exited"} <= states
    priv = found[lab.containers["privileged"]]
    assert priv.data["HostConfig"]["Privileged"] is True  # the raw inspect object
    assert priv.resource_name == f"{lab.prefix}-privileged"
    on_host = {c["Id"] for c in docker_api.containers(all=True, filters={"label": LAB_LABEL})}
    assert on_host <= set(found)


def test_images_carry_history_and_an_inventory(collected, lab):
    images = {e.resource: e for e in items(collected, "docker.image")}
    inventories = {e.resource: e for e in items(collected, "docker.image_inventory")}
    assert set(lab.images.values()) <= set(images) and set(images) == set(inventories)
    heartbleed = inventories[lab.images["heartbleed"]].data
    assert heartbleed["os"]["VERSION_ID"] == "7"
    assert {(p["name"], p["version"]) for p in heartbleed["packages"]} >= {
        ("openssl", "1.0.1f-1"),
        ("libssl1.0.0", "1.0.1f-1"),
    }
    assert inventories[lab.images["alpine"]].data["package_managers"] == ["apk"]
    assert inventories[lab.images["centos"]].data["package_managers"] == ["rpm"]
    assert images[lab.images["heartbleed"]].data["History"]


def test_a_real_build_whiteout_hides_the_deleted_database(collected, lab):
    """The classic builder's RUN rm produced a whiteout layer; the deleted dpkg database must not count."""
    inventory = next(e for e in items(collected, "docker.image_inventory") if e.resource == lab.images["built"]).data
    assert inventory["os"]["VERSION_ID"] == "12"
    assert inventory["packages"] == [] and inventory["layers"] >= 3
    history = next(e for e in items(collected, "docker.image") if e.resource == lab.images["built"]).data["History"]
    env_step = next(h["CreatedBy"] for h in history if "SERVICE_TOKEN" in h["CreatedBy"])
    assert "SERVICE_TOKEN=[REDACTED]" in env_step and "LOG_LEVEL=[NOT-STORED]" in env_step


def test_swarm_objects(collected, lab):
    if not lab.services:
        pytest.skip("the daemon is a swarm worker, so the lab could not create swarm objects")
    swarm = items(collected, "docker.swarm")[0]
    assert "JoinTokens" not in swarm.data["Cluster"] and swarm.data["Derived"]["TrustRootNotAfter"]
    assert swarm.data["Node"]["ControlAvailable"] is True
    services = {e.resource: e for e in items(collected, "docker.swarm_service")}
    env = services[lab.services["env-secret"]].data["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == [{"name": "DB_PASSWORD", "secret_like": True}]
    secrets = {e.resource: e for e in items(collected, "docker.secret")}
    assert "Data" not in secrets[lab.secrets["db"]].data["Spec"]
    nodes = items(collected, "docker.swarm_node")
    assert any(n.data["Spec"]["Role"] == "manager" for n in nodes)


def test_one_request_per_object_and_each_export_read_once(lab, docker_url, collected):
    counter = CountingFactory()
    first = collect_docker([docker_url], client_factory=counter)
    containers = len(items(first, "docker.container"))
    images = len(items(first, "docker.image"))
    assert counter.count("/containers/", "/json") - counter.count("/containers/json", "") == containers
    assert counter.count("/images/", "/json") - counter.count("/images/json", "") == images
    assert counter.count("/images/", "/history") == images
    assert counter.count("/images/", "/get") == images
    per_kind = Counter(p for _, p in counter.calls if p.count("/") == 2 or p in ("/info", "/version"))
    assert all(n == 1 for n in per_kind.values()), per_kind  # one list call per kind

    known = {e.resource: e.data for e in items(first, "docker.image_inventory")}
    again = CountingFactory()
    second = collect_docker([docker_url], client_factory=again, known_inventories=known)
    assert again.count("/images/", "/get") == 0
    reused = items(second, "docker.image_inventory")
    assert {e.resource for e in reused} == set(known) and all("reused" in e.operation for e in reused)
    assert {e.resource: e.data for e in reused} == known


def test_a_container_removed_mid_collection_is_recorded_and_the_rest_collected(
    lab, docker_url, docker_api, check_metadata
):
    victim = docker_api.create_container(
        lab.tag("busybox"), command=["/bin/true"], name=f"{lab.prefix}-victim", labels={LAB_LABEL: lab.prefix}
    )["Id"]

    def remove_after_listing(path):
        if path == "/containers/json":
            docker_api.remove_container(victim, force=True)

    outcome = collect_docker([docker_url], client_factory=CountingFactory(remove_after_listing))
    gaps = [e for e in outcome.evidence if e.resource == victim]
    assert len(gaps) == 1 and gaps[0].status is CallStatus.ERROR and "removed" in gaps[0].message
    assert set(lab.containers.values()) <= {e.resource for e in items(outcome, "docker.container")}
    scope_record = next(e for e in outcome.evidence if e.kind == "docker.container" and not e.resource)
    assert scope_record.status is CallStatus.COLLECTED and "1 container(s) were removed" in scope_record.message
    result = evaluate(
        outcome.evidence, {"docker.container.privileged": check_metadata["docker.container.privileged"]}, {}, load_all()
    )
    about_victim = [f for f in result.findings if f.resource == victim]
    assert [f.status for f in about_victim] == [FindingStatus.NOT_EVALUATED]
    assert {f.status for f in result.findings if f.resource == lab.containers["privileged"]} == {FindingStatus.FAIL}


def test_cancel_stops_the_collection_and_leaves_gaps(lab, docker_url, check_metadata):
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        if p.service == "containers" and p.done >= 1:
            cancel.set()

    outcome = collect_docker([docker_url], progress=progress, cancel=cancel)
    assert outcome.cancelled
    container_record = next(e for e in outcome.evidence if e.kind == "docker.container" and not e.resource)
    assert container_record.status is CallStatus.ERROR and "cancelled" in container_record.message
    for kind in ("docker.image", "docker.image_inventory", "docker.swarm"):
        assert any(
            e.kind == kind and e.status is CallStatus.ERROR and "cancelled" in e.message for e in outcome.evidence
        )
    result = evaluate(
        outcome.evidence, {"docker.container.privileged": check_metadata["docker.container.privileged"]}, {}, load_all()
    )
    assert {f.status for f in result.findings} == {FindingStatus.NOT_EVALUATED}
    assert seen[0].source == "docker" and seen[0].total >= len(lab.containers)


def test_progress_counts_every_object(collected, lab, docker_url):
    events = []
    known = {e.resource: e.data for e in items(collected, "docker.image_inventory")}
    collect_docker([docker_url], progress=events.append, known_inventories=known)
    last = {p.service: p for p in events}
    assert last["containers"].done == last["containers"].total >= len(lab.containers)
    assert last["images"].done == last["images"].total >= len(lab.images)


def test_evidence_serialises_with_json(collected):
    text = dump(collected.evidence)
    assert '"kind": "docker.container"' in text


def test_every_record_names_the_engine_api_requests_it_came_from(collected):
    for ev in collected.evidence:
        nothing_called = ev.data.get("count") == 0 and ev.message  # e.g. swarm mode is not active
        if ev.status is CallStatus.COLLECTED and not nothing_called:
            assert ev.api_paths, (ev.kind, ev.operation, ev.resource)
        assert all(re.fullmatch(r"(GET|HEAD) /v1\.\d+/[^ ]+", p) for p in ev.api_paths), ev.api_paths
    daemon = items(collected, "docker.daemon")[0]
    assert {p.split("?")[0].rsplit("/", 1)[-1] for p in daemon.api_paths} == {"info", "version"}
    for c in items(collected, "docker.container"):
        assert [p for p in c.api_paths if re.fullmatch(rf"GET /v1\.\d+/containers/{c.resource}/json", p)], c.api_paths
    for i in items(collected, "docker.image"):
        ends = {p.split("?")[0].rsplit("/", 1)[-1] for p in i.api_paths}
        assert ends == {"json", "history"} and all(i.resource in p for p in i.api_paths), i.api_paths
    for inv in items(collected, "docker.image_inventory"):
        assert any(p.split("?")[0].endswith(f"/images/{inv.resource}/get") for p in inv.api_paths), inv.api_paths
    listed = [e for e in collected.evidence if e.kind == "docker.container" and not e.resource]
    assert any("/containers/json" in p for p in listed[0].api_paths)
