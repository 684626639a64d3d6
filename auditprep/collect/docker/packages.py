"""Parsers for the files that say what an image's filesystem contains.

Each parser takes the raw bytes of one file found in an image layer and returns plain data:
the OS identity from ``os-release``, and installed packages from the dpkg, apk and rpm
databases. Packages are dicts with ``manager``, ``name``, ``version``, ``source`` and ``arch``
so the checks can compare them against advisories without knowing the database format.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator

# os-release keys worth keeping; the rest (URLs, logos, support text) say nothing about support status
OS_RELEASE_KEYS = ("ID", "ID_LIKE", "NAME", "PRETTY_NAME", "VERSION", "VERSION_ID", "VERSION_CODENAME")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
        if value and value[0] != "'":
            value = value.replace('\\"', '"').replace("\\$", "$").replace("\\`", "`").replace("\\\\", "\\")
    return value


def parse_os_release(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key in OS_RELEASE_KEYS:
            out[key] = _unquote(value)
    return out


def _package(manager: str, name: str, version: str, source: str = "", arch: str = "") -> dict[str, str]:
    return {"manager": manager, "name": name, "version": version, "source": source or name, "arch": arch}


def _paragraphs(text: str) -> Iterator[dict[str, str]]:
    """RFC 822-style stanzas (dpkg status): ``Field: value`` with indented continuation lines."""
    fields: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, last = {}, ""
            continue
        if line[0] in " \t":
            if last:
                fields[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            fields[last] = value.strip()
    if fields:
        yield fields


def parse_dpkg_status(data: bytes, *, require_installed: bool = True) -> list[dict[str, str]]:
    """``/var/lib/dpkg/status`` (or one file of distroless ``status.d``): installed packages only."""
    out = []
    for fields in _paragraphs(data.decode("utf-8", "replace")):
        name, version = fields.get("Package", ""), fields.get("Version", "")
        if not name or not version:
            continue
        status = fields.get("Status", "")
        if status:
            if status.split()[-1] != "installed":
                continue
        elif require_installed:
            continue
        # "Source: openssl (1.0.1e-2)" names the source package and, if it differs, its version
        source = fields.get("Source", "").split(" ", 1)[0]
        out.append(_package("dpkg", name, version, source, fields.get("Architecture", "")))
    return out


def parse_apk_installed(data: bytes) -> list[dict[str, str]]:
    """``/lib/apk/db/installed``: one block per package, ``P:`` name, ``V:`` version, ``o:`` origin."""
    out = []
    block: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines() + [""]:
        if not line.strip():
            if block.get("P") and block.get("V"):
                out.append(_package("apk", block["P"], block["V"], block.get("o", ""), block.get("A", "")))
            block = {}
            continue
        if len(line) > 2 and line[1] == ":":
            block.setdefault(line[0], line[2:])
    return out


# rpm header tags and types (the header layout is documented in rpm's file format notes)
_RPMTAG_NAME, _RPMTAG_VERSION, _RPMTAG_RELEASE, _RPMTAG_EPOCH, _RPMTAG_ARCH, _RPMTAG_SOURCERPM = (
    1000,
    1001,
    1002,
    1003,
    1022,
    1044,
)
_RPM_INT32, _RPM_STRING, _RPM_I18NSTRING = 4, 6, 9
_WANTED = {_RPMTAG_NAME, _RPMTAG_VERSION, _RPMTAG_RELEASE, _RPMTAG_EPOCH, _RPMTAG_ARCH, _RPMTAG_SOURCERPM}


def parse_rpm_header(blob: bytes) -> dict[str, str] | None:
    """One header blob as stored in ``rpmdb.sqlite``: index count, data length, index, data."""
    if len(blob) < 8:
        return None
    count, length = struct.unpack(">II", blob[:8])
    index_end = 8 + 16 * count
    if count > 100_000 or index_end + length > len(blob):
        return None
    store = blob[index_end : index_end + length]
    tags: dict[int, str | int] = {}
    for i in range(count):
        tag, kind, offset, _n = struct.unpack(">iIiI", blob[8 + 16 * i : 24 + 16 * i])
        if tag not in _WANTED or not 0 <= offset < len(store):
            continue
        if kind in (_RPM_STRING, _RPM_I18NSTRING):
            end = store.find(b"\0", offset)
            tags[tag] = store[offset : end if end >= 0 else len(store)].decode("utf-8", "replace")
        elif kind == _RPM_INT32 and offset + 4 <= len(store):
            tags[tag] = struct.unpack(">i", store[offset : offset + 4])[0]
    name, version = tags.get(_RPMTAG_NAME), tags.get(_RPMTAG_VERSION)
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    full = version
    release = tags.get(_RPMTAG_RELEASE)
    if isinstance(release, str) and release:
        full += f"-{release}"
    epoch = tags.get(_RPMTAG_EPOCH)
    if isinstance(epoch, int) and epoch:
        full = f"{epoch}:{full}"
    source = tags.get(_RPMTAG_SOURCERPM)
    source_name = ""
    if isinstance(source, str) and source.endswith(".src.rpm"):
        # name-version-release.src.rpm: the name is everything before the last two dashes
        source_name = source[: -len(".src.rpm")].rsplit("-", 2)[0]
    arch = tags.get(_RPMTAG_ARCH)
    return _package("rpm", name, full, source_name, arch if isinstance(arch, str) else "")


def parse_rpm_sqlite(data: bytes) -> list[dict[str, str]]:
    """``rpmdb.sqlite`` (Fedora, RHEL 9, Amazon Linux 2023), read from memory, never from disk."""
    buf = bytearray(data)
    if len(buf) >= 20 and buf[18:20] == b"\x02\x02":
        buf[18:20] = b"\x01\x01"  # a WAL-mode file: read it as a plain database (nothing is written)
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(bytes(buf))
        rows = con.execute("SELECT blob FROM Packages").fetchall()
    finally:
        con.close()
    out = []
    for (blob,) in rows:
        pkg = parse_rpm_header(bytes(blob)) if blob else None
        if pkg is not None and pkg["name"] != "gpg-pubkey":
            out.append(pkg)
    return out
