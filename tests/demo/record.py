"""Record the demo's evidence by running the real collectors against the simulated estate.

    DOCKER_HOST=unix:///path/to/docker.sock python tests/demo/record.py [OUT.json]

Starts a moto server behind the CloudTrail-keeping proxy (tests/aws/trail_proxy.py: moto lacks
``LookupEvents``), seeds Larkspur Pay's AWS estate, seeds a Docker swarm host on the daemon at
DOCKER_HOST, then collects three times, two weeks apart, changing the estate in between as
``story.HISTORY`` says (a privileged backfill that comes and goes before the first collection, a
privileged payments-api revision registered and later replaced). Each collection runs ``collect_aws``
(as the estate's read-only audit role, assumed the way a team's profile would) and
``collect_docker`` exactly as ``auditprep collect`` does. The recorder owns the clock: the
collectors and the proxy read it, so the runs and the events are spread over weeks. The output
(already redacted by the collectors) goes to auditprep/demo/recording.json. Everything seeded on
the daemon is removed afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "aws"))
import estate  # noqa: E402
import story  # noqa: E402
from trail_proxy import TrailProxy  # noqa: E402

DEFAULT_OUT = HERE.parent.parent / "auditprep" / "demo" / "recording.json"
# Fields that change on every recording and mean nothing to the story: normalised so the file is stable.
HOST_LABEL = "swarm-01.larkspur.internal"


@contextmanager
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


COLLECTIONS = (35, 21, 7)  # days before the recording: three collections two weeks apart


class Clock:
    """The recorder's clock: set to each moment of the story; each reading advances 10 ms."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=10)
        return self.now


def _outcome_json(outcome: Any, started: datetime, collection: int) -> dict[str, Any]:
    return {
        "source": outcome.source.value,
        "collection": collection,
        "identity": outcome.identity,
        "targets": list(outcome.targets),
        "started_at": started.isoformat(),
        "finished_at": max((ev.collected_at for ev in outcome.evidence), default=started).isoformat(),
        "evidence": [ev.model_dump(mode="json", exclude={"id", "content_hash"}) for ev in outcome.evidence],
    }


def _daemon_paths(client: Any, docker_host: str) -> dict[str, str]:
    """This daemon's folders and socket -> Docker's defaults (longest first, so none is cut in two)."""
    out = {}
    root = client.info().get("DockerRootDir") or ""
    if root and root != "/var/lib/docker":
        out[root] = "/var/lib/docker"
    for c in client.containers.list(all=True):
        key = (c.attrs.get("NetworkSettings") or {}).get("SandboxKey") or ""
        if "/netns/" in key and not key.startswith("/var/run/docker/"):
            out[key.rsplit("/netns/", 1)[0]] = "/var/run/docker"
            break
    if docker_host.startswith("unix://") and docker_host != "unix:///var/run/docker.sock":
        out[docker_host.removeprefix("unix://")] = "/var/run/docker.sock"
    return dict(sorted(out.items(), key=lambda kv: -len(kv[0])))


def record(docker_host: str) -> dict[str, Any]:
    import boto3
    import docker

    from auditprep.collect.aws import collect_aws
    from auditprep.collect.docker import collect_docker

    today = datetime.now(UTC).replace(microsecond=0)
    times = [today - timedelta(days=d) for d in COLLECTIONS]
    clock = Clock(times[0] - timedelta(days=14))
    runs = []
    client = docker.DockerClient(base_url=docker_host)
    created: list[str] = []
    daemon_paths: dict[str, str] = {}
    names = (
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
    )
    saved = {k: os.environ.get(k) for k in names}
    try:
        with moto_endpoint() as moto, TrailProxy(moto, clock=clock) as proxy:
            endpoint = proxy.url
            os.environ.update(
                AWS_ENDPOINT_URL=endpoint,
                AWS_ACCESS_KEY_ID="testing",
                AWS_SECRET_ACCESS_KEY="testing",
                AWS_DEFAULT_REGION=estate.REGIONS[0],
            )
            os.environ.pop("AWS_PROFILE", None)
            os.environ.pop("AWS_SESSION_TOKEN", None)
            team = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
            estate.seed_aws(team, endpoint)
            # collect as the team does: as its read-only audit role, not as the identity that built the estate
            os.environ.update(estate.audit_role_environment(team, endpoint))
            created = estate.seed_docker(client)
            daemon_paths = _daemon_paths(client, docker_host)
            for n, at in enumerate(times):
                for step, before, days, _ in story.HISTORY:
                    if before == n:
                        clock.now = at - timedelta(days=days)
                        story.change(team, endpoint, step)
                clock.now = at
                started = clock()
                runs.append(_outcome_json(collect_aws(regions=estate.REGIONS, clock=clock), started, n + 1))
                started = clock()
                runs.append(_outcome_json(collect_docker([docker_host], clock=clock), started, n + 1))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        estate.cleanup_docker(client, created)
    text = json.dumps(runs)
    # the demo speaks of a named host, not of the machine it was recorded on
    for run in runs:
        for ev in run["evidence"]:
            if ev["scope"].get("host"):
                text = text.replace(json.dumps(ev["scope"]["host"])[1:-1], HOST_LABEL)
    text = text.replace(socket.gethostname(), HOST_LABEL.split(".")[0])
    # and of a daemon at Docker's default paths, not of the throwaway daemon it was recorded on
    for here, default in daemon_paths.items():
        text = text.replace(json.dumps(here)[1:-1], default)
    return {"recorded_at": clock.now.replace(microsecond=0).isoformat(), "runs": json.loads(text)}


def main() -> None:
    docker_host = os.environ.get("DOCKER_HOST")
    if not docker_host:
        sys.exit("record.py: set DOCKER_HOST to a Docker daemon that may be used for a throwaway swarm.")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    data = record(docker_host)
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    counts = [(run["collection"], run["source"], len(run["evidence"])) for run in data["runs"]]
    print(f"wrote {out}: {counts}")


if __name__ == "__main__":
    main()
