"""A tamperer's zip tools for the package tests (the engagements come from the shared test kit)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from auditprep.package.layout import Manifest, dump, sums_text, tree_hash
from auditprep.store import integrity


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
