"""Build tiny images offline for the Docker tests: layer tars, image archives, export streams.

Images are made as ``docker load`` archives (a manifest, a config and one tar per layer), so
they need no registry and no network and take milliseconds on the slow vfs storage driver.
The same builders produce ``docker save``-shaped streams for the inventory reader's unit tests.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import struct
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

BUSYBOX = Path("/usr/bin/busybox")
LAB_LABEL = "auditprep.test.lab"
# secret values planted in the lab; the evidence must never contain them
PLANTED = {
    "container_env": "planted-container-password-7f3a9c",
    "plain_env": "planted-plain-value-41d2e8",
    "image_env": "planted-image-env-secret-90b1",
    "image_history": "planted-build-arg-token-55aa",
    "service_env": "planted-service-password-c0ffee",
    "swarm_secret": "planted-swarm-secret-payload-d00d",
    "build_env": "planted-classic-build-token-ab12",
}


def dump(evidence) -> str:
    """Evidence as the store will serialise it (JSON), to search for leaked bytes."""
    return json.dumps([e.model_dump(mode="json") for e in evidence])


APPLETS = ("sh", "sleep", "true", "false", "rm", "cat", "ls", "mkdir")


class Symlink(str):
    """A symlink entry in a layer: the value is its target."""


WHITEOUT = object()  # ".wh.NAME": delete NAME from lower layers
OPAQUE = object()  # ".wh..wh..opq" in a directory: hide lower layers' contents of it


def layer_tar(entries: dict[str, object]) -> bytes:
    """A layer as a tar: path -> bytes (file), Symlink (link), WHITEOUT, OPAQUE (path is the directory)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        made: set[str] = set()

        def dirs(path: str) -> None:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d and d not in made:
                    made.add(d)
                    info = tarfile.TarInfo(d + "/")
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_600_000_000
                    tf.addfile(info)

        for path, value in entries.items():
            if value is OPAQUE:
                path = f"{path.rstrip('/')}/.wh..wh..opq"
            elif value is WHITEOUT:
                head, _, name = path.rpartition("/")
                path = f"{head}/.wh.{name}" if head else f".wh.{name}"
            dirs(path)
            info = tarfile.TarInfo(path)
            info.mtime = 1_600_000_000
            if isinstance(value, Symlink):
                info.type, info.linkname = tarfile.SYMTYPE, str(value)
                tf.addfile(info)
            elif isinstance(value, bytes):
                info.size, info.mode = len(value), 0o755 if path.startswith("bin/") else 0o644
                tf.addfile(info, io.BytesIO(value))
            else:
                tf.addfile(info)
    return buf.getvalue()


def busybox_layer() -> bytes:
    entries: dict[str, object] = {"bin/busybox": BUSYBOX.read_bytes()}
    entries.update({f"bin/{a}": Symlink("busybox") for a in APPLETS})
    return layer_tar(entries)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def image_archive(
    tag: str,
    layers: list[bytes],
    *,
    config: dict | None = None,
    created: datetime | None = None,
    history: list[str] | None = None,
) -> bytes:
    """A ``docker load`` archive. ``history`` gives one CreatedBy per layer (defaults provided)."""
    created = created or datetime.now(UTC)
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    history = history or [f"/bin/sh -c #(nop) ADD file:layer{i} in / " for i in range(len(layers))]
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": _iso(created),
        "config": {"Cmd": ["/bin/sh"], **(config or {})},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": _iso(created), "created_by": h} for h in history],
    }
    cfg_bytes = json.dumps(cfg, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        names = []
        for i, layer in enumerate(layers):
            name = f"{hashlib.sha256(layer).hexdigest()[:16]}{i}/layer.tar"
            names.append(name)
            info = tarfile.TarInfo(name)
            info.size = len(layer)
            tf.addfile(info, io.BytesIO(layer))
        info = tarfile.TarInfo(cfg_name)
        info.size = len(cfg_bytes)
        tf.addfile(info, io.BytesIO(cfg_bytes))
        manifest = json.dumps([{"Config": cfg_name, "RepoTags": [tag], "Layers": names}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tf.addfile(info, io.BytesIO(manifest))
    return out.getvalue()


def save_stream(layers: list[bytes], *, oci: bool = False, chunk: int = 65536) -> Iterator[bytes]:
    """A ``docker save``-shaped stream (legacy or OCI layout, manifest last) split into chunks."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        names = []
        for i, layer in enumerate(layers):
            digest = hashlib.sha256(layer).hexdigest()
            name = f"blobs/sha256/{digest}" if oci else f"{digest[:20]}{i}/layer.tar"
            names.append(name)
            info = tarfile.TarInfo(name)
            info.size = len(layer)
            tf.addfile(info, io.BytesIO(layer))
        if oci:
            index = b'{"schemaVersion": 2, "manifests": []}'
            info = tarfile.TarInfo("blobs/sha256/" + hashlib.sha256(index).hexdigest())
            info.size = len(index)
            tf.addfile(info, io.BytesIO(index))
        manifest = json.dumps([{"Config": "config.json", "RepoTags": [], "Layers": names}]).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tf.addfile(info, io.BytesIO(manifest))
    data = out.getvalue()
    for i in range(0, len(data), chunk):
        yield data[i : i + chunk]


def _pad(n: int) -> bytes:
    return b"\0" * ((512 - n % 512) % 512)


def big_save_stream(file_size: int, extra: dict[str, object], chunk: int = 1 << 20) -> Iterator[bytes]:
    """A save stream whose one layer holds a ``file_size``-byte file, generated on the fly (never in memory)."""
    whole = layer_tar(extra)
    with tarfile.open(fileobj=io.BytesIO(whole)) as tf:
        tf.getmembers()
        small = whole[: tf.offset]  # the small entries, without the end-of-archive blocks
    big = tarfile.TarInfo("opt/big.bin")
    big.size = file_size
    big_header = big.tobuf(format=tarfile.PAX_FORMAT)
    inner_size = len(small) + len(big_header) + file_size + len(_pad(file_size)) + 1024
    outer = tarfile.TarInfo("aaaa/layer.tar")
    outer.size = inner_size
    yield outer.tobuf()
    yield small + big_header
    zeros = b"\0" * chunk
    left = file_size
    while left:
        n = min(left, chunk)
        yield zeros[:n]
        left -= n
    yield _pad(file_size) + b"\0" * 1024 + _pad(inner_size)
    manifest = json.dumps([{"Config": "c.json", "Layers": ["aaaa/layer.tar"]}]).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(manifest)
    yield info.tobuf() + manifest + _pad(len(manifest)) + b"\0" * 1024


# --- package databases -------------------------------------------------------------------------


def os_release(os_id: str, version_id: str, pretty: str) -> bytes:
    return f'ID={os_id}\nVERSION_ID="{version_id}"\nPRETTY_NAME="{pretty}"\nNAME="{pretty.split(" ")[0]}"\n'.encode()


def dpkg_status(packages: list[tuple[str, str, str]], *, removed: tuple[str, ...] = ()) -> bytes:
    """(name, version, source) stanzas, installed; ``removed`` adds config-files-only stanzas."""
    out = []
    for name, version, source in packages:
        src = f"Source: {source}\n" if source and source != name else ""
        out.append(
            f"Package: {name}\nStatus: install ok installed\nPriority: optional\n{src}Version: {version}\n"
            f"Architecture: amd64\nDescription: {name}\n a test package\n"
        )
    for name in removed:
        out.append(f"Package: {name}\nStatus: deinstall ok config-files\nVersion: 1.0-1\nArchitecture: amd64\n")
    return "\n".join(out).encode()


def apk_installed(packages: list[tuple[str, str, str]]) -> bytes:
    return "".join(f"C:Q1abc=\nP:{n}\nV:{v}\nA:x86_64\no:{o}\nT:test\n\n" for n, v, o in packages).encode()


def rpm_header(name: str, version: str, release: str, epoch: int | None = None, source: str = "") -> bytes:
    """An rpm header blob as rpmdb.sqlite stores it (index count, data length, index, data)."""
    entries: list[tuple[int, int, bytes]] = [(1000, 6, name.encode() + b"\0"), (1001, 6, version.encode() + b"\0")]
    entries.append((1002, 6, release.encode() + b"\0"))
    entries.append((1022, 6, b"x86_64\0"))
    if source:
        entries.append((1044, 6, source.encode() + b"\0"))
    data = b""
    index = b""
    if epoch is not None:
        data += b"\0" * ((4 - len(data) % 4) % 4)
        index += struct.pack(">iIiI", 1003, 4, len(data), 1)
        data += struct.pack(">i", epoch)
    for tag, kind, value in entries:
        index += struct.pack(">iIiI", tag, kind, len(data), 1)
        data += value
    return struct.pack(">II", len(entries) + (epoch is not None), len(data)) + index + data


def rpmdb_sqlite(tmp: Path, headers: list[bytes]) -> bytes:
    path = tmp / "rpmdb.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    con.executemany("INSERT INTO Packages (blob) VALUES (?)", [(h,) for h in headers])
    con.commit()
    con.close()
    return path.read_bytes()
