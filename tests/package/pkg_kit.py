"""Helpers for the package tests: an engagement with something of everything, and a tamperer's zip tools."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from auditprep.models import (
    Answer,
    Attestation,
    CallStatus,
    ControlException,
    Evidence,
    Finding,
    FindingStatus,
    Scope,
    Severity,
    Source,
)
from auditprep.package.layout import Manifest, dump, sums_text, tree_hash
from auditprep.store import Engagement, integrity

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def build_engagement(path: Path) -> Engagement:
    """A small engagement holding every kind of record a package carries."""
    eng = Engagement.create(
        path, name="acme <pay>", organisation="Acme & Co", frameworks=["pci-dss"], actor="ana", clock=Clock()
    )
    eng.add_scope("ana", "aws-account", "111111111111", "production")
    aws = [
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="ecs:DescribeTaskDefinition",
            kind="aws.ecs.task_definition",
            scope=Scope(account="111111111111", region="eu-west-1"),
            resource="arn:aws:ecs:eu-west-1:111111111111:task-definition/web:3",
            resource_name="web:3",
            collected_at=T0,
            data={"containerDefinitions": [{"name": "web", "privileged": False}]},
            request_ids=("6f1e2c3a-0b9d-4e8f-a7c6-5d4b3a291807",),
        ),
        Evidence(
            source=Source.AWS,
            collector="aws",
            operation="guardduty:ListDetectors",
            kind="aws.guardduty.detector",
            scope=Scope(account="111111111111", region="eu-west-1"),
            collected_at=T0,
            status=CallStatus.ACCESS_DENIED,
            message="not authorised",
            request_ids=("0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f",),
        ),
    ]
    docker = [
        Evidence(
            source=Source.DOCKER,
            collector="docker",
            operation="containers.list",
            kind="docker.container",
            scope=Scope(host="build-01"),
            resource="c0ffee",
            resource_name="api",
            collected_at=T0,
            data={"HostConfig": {"Privileged": True}, "Image": "sha256:" + "ab" * 32},
            api_paths=("GET /v1.41/containers/c0ffee/json",),
        ),
    ]
    _, stored_aws = eng.add_run(
        actor="ana",
        source=Source.AWS,
        started_at=T0,
        evidence=aws,
        identity="arn:aws:sts::111111111111:assumed-role/audit/ana",
        targets=["111111111111/eu-west-1"],
    )
    _, stored_docker = eng.add_run(
        actor="ana", source=Source.DOCKER, started_at=T0, evidence=docker, identity="engine-1", targets=["build-01"]
    )
    eng.replace_findings(
        [
            Finding(
                check="docker.container.privileged",
                title="Containers are not privileged",
                status=FindingStatus.FAIL,
                severity=Severity.HIGH,
                resource="c0ffee",
                scope=Scope(host="build-01"),
                message="Container api runs privileged.",
                controls=("HRD-01",),
                evidence=(stored_docker[0].id,),
            ),
        ],
        "ana",
    )
    eng.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="no",
            narrative="not yet",
            answered_by="ana",
            answered_at=T0,
        )
    )
    eng.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="partial",
            narrative="api still privileged",
            answered_by="bo",
            answered_at=T0 + timedelta(hours=1),
        )
    )
    eng.attest(Attestation(control_id="HRD-01", attested_by="cio", attested_at=T0, reattest_days=90))
    eng.add_exception(
        ControlException(
            control_id="HRD-01",
            owner="ops",
            rationale="legacy agent needs it",
            expires=T0 + timedelta(days=30),
            recorded_by="ana",
            recorded_at=T0,
        )
    )
    eng.attach(
        b"%PDF-1.4 runbook",
        filename="IR runbook <v2>.pdf",
        media_type="application/pdf",
        actor="ana",
        control_id="HRD-01",
        description="incident runbook",
    )
    return eng


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rewrite(
    source: Path,
    out: Path,
    *,
    replace: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
) -> Path:
    """A copy of a package with some members replaced, dropped or added (a tamperer's zip tool)."""
    replace, add = replace or {}, add or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info, replace.get(info.filename, src.read(info)))
        for name, data in add.items():
            dst.writestr(name, data)
    out.write_bytes(buf.getvalue())
    return out


def with_entries(source: Path, out: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A copy of a package with extra raw entries appended (names and attributes exactly as given)."""
    import warnings

    buf = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests write on purpose
            for info, data in entries:
                dst.writestr(info, data)
    out.write_bytes(buf.getvalue())
    return out


def patch_entry(
    raw: bytes,
    name: bytes,
    *,
    new_name: bytes | None = None,
    file_size: int | None = None,
    flags: int = 0,
    header_offset_of: bytes | None = None,
) -> bytes:
    """Edit one entry's local and central headers in place, as a hand-made hostile archive would."""
    import struct

    data = bytearray(raw)
    offsets: dict[bytes, int] = {}
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        offsets[bytes(data[pos + 46 : pos + 46 + nlen])] = struct.unpack_from("<I", data, pos + 42)[0]
        pos = data.find(b"PK\x01\x02", pos + 46)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        nlen = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + nlen]) == name:
            local = struct.unpack_from("<I", data, pos + 42)[0]
            if new_name is not None:
                assert len(new_name) == len(name)
                data[pos + 46 : pos + 46 + nlen] = new_name
                data[local + 30 : local + 30 + nlen] = new_name
            if file_size is not None:
                struct.pack_into("<I", data, pos + 24, file_size)
                struct.pack_into("<I", data, local + 22, file_size)
            if flags:
                struct.pack_into("<H", data, pos + 8, struct.unpack_from("<H", data, pos + 8)[0] | flags)
                struct.pack_into("<H", data, local + 6, struct.unpack_from("<H", data, local + 6)[0] | flags)
            if header_offset_of is not None:
                struct.pack_into("<I", data, pos + 42, offsets[header_offset_of])
            return bytes(data)
        pos = data.find(b"PK\x01\x02", pos + 46)
    raise AssertionError(f"no entry {name!r}")


def forge(source: Path, out: Path, changes: dict[str, bytes]) -> Path:
    """Rewrite files AND the manifest, root hashes and SHA256SUMS consistently (an unsigned forgery)."""
    files = members(source)
    manifest = Manifest.model_validate_json(files["manifest.json"])
    entries = []
    for e in manifest.files:
        data = changes.get(e.path, files[e.path])
        entries.append(e.model_copy(update={"sha256": integrity.sha256(data), "size": len(data)}))
    manifest = manifest.model_copy(
        update={
            "files": tuple(entries),
            "root_hash": tree_hash(entries),
            "signature": None,
            "data_root_hash": tree_hash(e for e in entries if e.role == "data"),
        }
    )
    raw = dump(manifest.model_dump(mode="json"))
    sums = sums_text([(e.path, e.sha256) for e in entries] + [("manifest.json", integrity.sha256(raw))])
    return rewrite(source, out, replace={**changes, "manifest.json": raw, "SHA256SUMS": sums}, drop=("manifest.sig",))
