"""Record the demo's evidence by running the real collectors against the simulated estate.

    DOCKER_HOST=unix:///path/to/docker.sock python tests/demo/record.py [OUT.json]

Starts a moto server, seeds Larkspur Pay's AWS estate, seeds a Docker swarm host on the daemon
at DOCKER_HOST, runs ``collect_aws`` (as the estate's read-only audit role, assumed the way a
team's profile would) and ``collect_docker`` exactly as ``auditprep collect`` does, and writes their output (already redacted by the collectors) to auditprep/demo/recording.json.
Everything seeded on the daemon is removed afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import estate  # noqa: E402

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


def _outcome_json(outcome: Any, started: datetime) -> dict[str, Any]:
    return {
        "source": outcome.source.value,
        "identity": outcome.identity,
        "targets": list(outcome.targets),
        "started_at": started.isoformat(),
        "evidence": [ev.model_dump(mode="json", exclude={"id", "content_hash"}) for ev in outcome.evidence],
    }


def record(docker_host: str) -> dict[str, Any]:
    import boto3
    import docker

    from auditprep.collect.aws import collect_aws
    from auditprep.collect.docker import collect_docker

    runs = []
    with moto_endpoint() as endpoint:
        saved = {
            k: os.environ.get(k)
            for k in (
                "AWS_ENDPOINT_URL",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_DEFAULT_REGION",
                "AWS_PROFILE",
                "AWS_SESSION_TOKEN",
            )
        }
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=estate.REGIONS[0],
        )
        os.environ.pop("AWS_PROFILE", None)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        try:
            estate.seed_aws(boto3.Session(), endpoint)
            # collect as the team does: as its read-only audit role, not as the identity that built the estate
            os.environ.update(estate.audit_role_environment(boto3.Session(), endpoint))
            started = datetime.now(UTC)
            outcome = collect_aws(regions=estate.REGIONS)
            runs.append(_outcome_json(outcome, started))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    client = docker.DockerClient(base_url=docker_host)
    created: list[str] = []
    try:
        created = estate.seed_docker(client)
        started = datetime.now(UTC)
        outcome = collect_docker([docker_host])
        runs.append(_outcome_json(outcome, started))
    finally:
        estate.cleanup_docker(client, created)
    text = json.dumps(runs)
    # the demo speaks of a named host, not of the machine it was recorded on
    for run in runs:
        for ev in run["evidence"]:
            if ev["scope"].get("host"):
                text = text.replace(json.dumps(ev["scope"]["host"])[1:-1], HOST_LABEL)
    text = text.replace(socket.gethostname(), HOST_LABEL.split(".")[0])
    return {"recorded_at": datetime.now(UTC).replace(microsecond=0).isoformat(), "runs": json.loads(text)}


def main() -> None:
    docker_host = os.environ.get("DOCKER_HOST")
    if not docker_host:
        sys.exit("record.py: set DOCKER_HOST to a Docker daemon that may be used for a throwaway swarm.")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    data = record(docker_host)
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    counts = {run["source"]: len(run["evidence"]) for run in data["runs"]}
    print(f"wrote {out}: {counts}")


if __name__ == "__main__":
    main()
