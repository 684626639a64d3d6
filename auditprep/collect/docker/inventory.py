"""Read an image's OS and installed packages from its export stream, without running it.

The engine's image export (``docker save``) is one tar holding one tar per layer plus a
manifest that gives the layer order. The manifest comes last in the stream, so each layer is
read as it passes: only the handful of files that identify the OS and its package databases
are kept (parsed at once, raw bytes dropped), together with any whiteouts that could delete
them. When the stream ends, the layers are replayed in manifest order: a later layer's file
replaces an earlier one, ``.wh.NAME`` deletes NAME, ``.wh..wh..opq`` hides everything an
earlier layer put in that directory. Nothing is written to disk and memory stays bounded by
the size of the package databases, whatever the size of the image.
"""

from __future__ import annotations

import io
import json
import lzma
import posixpath
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from auditprep.collect.docker import packages

INVENTORY_FORMAT = 1
MAX_DATABASE_BYTES = 64 * 1024 * 1024  # a package database larger than this is noted, not read
_MAX_METADATA_BYTES = 4 * 1024 * 1024  # manifest.json

# file path inside the image -> what it is
FILES = {
    "etc/os-release": "os-release",
    "usr/lib/os-release": "os-release",
    "var/lib/dpkg/status": "dpkg",
    "lib/apk/db/installed": "apk",
    "usr/lib/apk/db/installed": "apk",
    "var/lib/rpm/rpmdb.sqlite": "rpm-sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite": "rpm-sqlite",
    "var/lib/rpm/Packages": "rpm-bdb",
    "usr/lib/sysimage/rpm/Packages": "rpm-bdb",
    "var/lib/rpm/Packages.db": "rpm-ndb",
    "usr/lib/sysimage/rpm/Packages.db": "rpm-ndb",
}
# directories whose every file is a database entry (distroless images keep one dpkg stanza per file)
DIRECTORIES = {"var/lib/dpkg/status.d": "dpkg-status.d"}


def _parents(path: str) -> Iterator[str]:
    while "/" in path:
        path = path.rsplit("/", 1)[0]
        yield path


_PARENTS = frozenset(d for p in [*FILES, *DIRECTORIES] for d in _parents(p)) | frozenset(DIRECTORIES)


class InventoryError(Exception):
    """The export stream could not be read as an image archive."""


class Cancelled(Exception):
    """The caller asked to stop while the export was being read."""


def _what(path: str) -> str | None:
    kind = FILES.get(path)
    if kind is None and posixpath.dirname(path) in DIRECTORIES:
        kind = DIRECTORIES[posixpath.dirname(path)]
    return kind


def _deletion_matters(path: str) -> bool:
    """Could deleting ``path`` (a whiteout) remove a file we read?"""
    return path in FILES or path in _PARENTS or posixpath.dirname(path) in DIRECTORIES


def _norm(name: str) -> str:
    name = posixpath.normpath("/" + name).lstrip("/")
    return "" if name == "." else name


@dataclass
class _Layer:
    files: dict[str, tuple[str, Any]] = field(default_factory=dict)  # path -> (kind, parsed content)
    links: dict[str, str] = field(default_factory=dict)  # path -> symlink target
    deleted: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)


class _ChunkReader(io.RawIOBase):
    """A file-like view of an iterator of byte chunks, counting bytes and honouring cancellation."""

    def __init__(self, chunks: Iterable[bytes], cancelled: Callable[[], bool]):
        self._chunks = iter(chunks)
        self._cancelled = cancelled
        self._buf = memoryview(b"")
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buf:
            if self._cancelled():
                raise Cancelled
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return 0
            self._buf = memoryview(chunk)
            self.bytes_read += len(chunk)
        n = min(len(target), len(self._buf))
        target[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _read_capped(f: Any, size: int, cap: int) -> bytes | None:
    if size > cap:
        return None
    return f.read(size)


def _parse(kind: str, data: bytes) -> Any:
    if kind == "os-release":
        return packages.parse_os_release(data)
    if kind == "dpkg":
        return packages.parse_dpkg_status(data)
    if kind == "dpkg-status.d":
        return packages.parse_dpkg_status(data, require_installed=False)
    if kind == "apk":
        return packages.parse_apk_installed(data)
    if kind == "rpm-sqlite":
        return packages.parse_rpm_sqlite(data)
    return None


def _scan_layer(f: Any, notes: list[str]) -> _Layer:
    layer = _Layer()
    try:
        tf = tarfile.open(fileobj=f, mode="r|*")
    except tarfile.ReadError as exc:
        notes.append(f"a layer could not be read as a tar archive ({exc}); files in it were not inventoried")
        return layer
    with tf:
        while True:
            try:
                member = tf.next()
            except tarfile.ReadError as exc:
                notes.append(f"a layer ended early ({exc}); files after that point were not inventoried")
                break
            if member is None:
                break
            tf.members.clear()  # type: ignore[attr-defined]  # keep memory flat however many files the layer holds
            path = _norm(member.name)
            parent, base = posixpath.split(path)
            if base.startswith(".wh."):
                if base == ".wh..wh..opq":
                    if parent in _PARENTS:
                        layer.opaque.add(parent)
                else:
                    target = posixpath.join(parent, base[4:])
                    if _deletion_matters(target):
                        layer.deleted.add(target)
                continue
            kind = _what(path)
            if kind is None:
                continue
            if member.issym():
                layer.links[path] = member.linkname
            elif member.islnk():
                same = layer.files.get(_norm(member.linkname))
                if same is not None:
                    layer.files[path] = same
            elif member.isfile():
                if kind in ("rpm-bdb", "rpm-ndb"):
                    layer.files[path] = (kind, None)
                    continue
                extracted = tf.extractfile(member)
                data = _read_capped(extracted, member.size, MAX_DATABASE_BYTES) if extracted else None
                if data is None:
                    notes.append(f"/{path} is larger than {MAX_DATABASE_BYTES // (1024 * 1024)} MiB and was not read")
                    continue
                try:
                    layer.files[path] = (kind, _parse(kind, data))
                except Exception as exc:  # a corrupt database is a note on the image, not a failed run
                    notes.append(f"/{path} could not be parsed ({type(exc).__name__}: {exc})")
    return layer


def _replay(order: list[_Layer]) -> dict[str, tuple[str, Any] | str]:
    """Apply layers bottom to top; values are (kind, parsed) for files or a str for symlinks."""
    state: dict[str, tuple[str, Any] | str] = {}
    for layer in order:
        for gone in layer.deleted:
            for path in [p for p in state if p == gone or p.startswith(gone + "/")]:
                del state[path]
        for directory in layer.opaque:
            for path in [p for p in state if p.startswith(directory + "/")]:
                del state[path]
        for path, target in layer.links.items():
            state[path] = target
        state.update(layer.files)
    return state


def _resolve(state: dict[str, tuple[str, Any] | str], path: str) -> tuple[str, Any] | None:
    for _ in range(8):
        entry = state.get(path)
        if not isinstance(entry, str):
            return entry
        target = entry if entry.startswith("/") else posixpath.join(posixpath.dirname(path), entry)
        path = _norm(target)
    return None


def read_export(chunks: Iterable[bytes], *, cancelled: Callable[[], bool] = lambda: False) -> dict[str, Any]:
    """Inventory one image from its export stream (``GET /images/{id}/get``), read exactly once.

    Raises ``InventoryError`` when the stream is not a readable image archive and ``Cancelled``
    when ``cancelled()`` turns true; errors of the connection itself pass through."""
    try:
        return _read_export(chunks, cancelled)
    except (tarfile.TarError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise InventoryError(f"the export stream could not be parsed ({type(exc).__name__}: {exc})") from None


def _read_export(chunks: Iterable[bytes], cancelled: Callable[[], bool]) -> dict[str, Any]:
    reader = _ChunkReader(chunks, cancelled)
    notes: list[str] = []
    layers: dict[str, _Layer] = {}
    aliases: dict[str, str] = {}
    manifest: Any = None
    try:
        outer = tarfile.open(fileobj=io.BufferedReader(reader, 1024 * 1024), mode="r|")
    except tarfile.ReadError as exc:
        raise InventoryError(f"the export is not a tar archive ({exc})") from None
    with outer:
        while True:
            try:
                member = outer.next()
            except tarfile.ReadError as exc:
                raise InventoryError(f"the export stream is damaged ({exc})") from None
            if member is None:
                break
            outer.members.clear()  # type: ignore[attr-defined]
            name = _norm(member.name)
            if member.issym() or member.islnk():
                base = posixpath.dirname(name) if member.issym() else ""
                aliases[name] = _norm(posixpath.join(base, member.linkname))
                continue
            if not member.isfile():
                continue
            f = outer.extractfile(member)
            if f is None:
                continue
            if name == "manifest.json":
                raw = _read_capped(f, member.size, _MAX_METADATA_BYTES)
                manifest = json.loads(raw) if raw else None
            elif name.endswith("/layer.tar") or name.startswith("blobs/"):
                if name.startswith("blobs/") and f.peek(1)[:1] in (b"{", b"["):  # type: ignore[attr-defined]
                    continue  # an OCI config, manifest or index, not a layer
                layers[name] = _scan_layer(f, notes)
    if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
        raise InventoryError("the export has no manifest.json naming its layers")
    order: list[_Layer] = []
    for name in manifest[0].get("Layers") or []:
        key = _norm(name)
        for _ in range(8):
            if key in layers or key not in aliases:
                break
            key = aliases[key]
        if key not in layers:
            raise InventoryError(f"the export's manifest names layer {name}, which the stream did not contain")
        order.append(layers[key])
    return _summarise(_replay(order), notes, len(order), reader.bytes_read)


def _summarise(
    state: dict[str, tuple[str, Any] | str], notes: list[str], layer_count: int, bytes_read: int
) -> dict[str, Any]:
    os_info = None
    for path in ("etc/os-release", "usr/lib/os-release"):
        found = _resolve(state, path)
        if found is not None and found[1]:
            os_info = found[1]
            break
    found_packages: list[dict[str, str]] = []
    managers: set[str] = set()
    for path in sorted(state):
        entry = _resolve(state, path)
        if entry is None:
            continue
        kind, parsed = entry
        if kind in ("dpkg", "dpkg-status.d", "apk", "rpm-sqlite"):
            managers.add({"dpkg-status.d": "dpkg", "rpm-sqlite": "rpm"}.get(kind, kind))
            found_packages.extend(parsed or [])
        elif kind in ("rpm-bdb", "rpm-ndb"):
            managers.add("rpm")
            fmt = "Berkeley DB" if kind == "rpm-bdb" else "NDB"
            notes.append(
                f"the rpm database /{path} is in {fmt} format, which this inventory does not read; "
                "import a scanner's results (Trivy, Amazon Inspector) for this image"
            )
    unique = {(p["manager"], p["name"], p["version"], p["arch"]): p for p in found_packages}
    if not managers:
        notes.append("no dpkg, apk or rpm package database was found in the image")
    return {
        "format": INVENTORY_FORMAT,
        "os": os_info,
        "package_managers": sorted(managers),
        "packages": [unique[k] for k in sorted(unique)],
        "notes": notes,
        "layers": layer_count,
        "bytes_read": bytes_read,
    }
