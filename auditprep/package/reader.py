"""Open a package that may come from anyone, without trusting a byte of it.

Everything is checked before anything is written: entry names (no '..', no absolute paths, no
backslashes, only the package alphabet, UTF-8), entry types (regular files only: no symbolic
links, folders or devices), duplicates, encryption, compression methods, overlapping entries,
and the sizes each entry declares (per file, in total, and the expansion ratio that gives a zip
bomb away). The manifest is parsed as strict JSON and validated, and every path it names must be
an ordinary package path.

Only the files the manifest lists are extracted, each streamed into a private temporary folder
(``mkdtemp``, mode 0700) with the byte count enforced while reading, whatever the entry declared.
Nothing from the package is executed or deserialised beyond JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import weakref
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditprep.catalog.yamlsource import format_loc
from auditprep.package.errors import PackageAltered, PackageError
from auditprep.package.layout import (
    CONTROL_FILES,
    ENGAGEMENT_COPY,
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    SUMS,
    Manifest,
    parse_sums,
    tree_hash,
    unsafe_path_reason,
)
from auditprep.store import integrity

MiB = 1024 * 1024
_CHUNK = MiB


@dataclass(frozen=True)
class Limits:
    """What a package may ask of the machine that opens it."""

    max_entries: int = 100_000
    max_file_bytes: int = 4096 * MiB
    max_total_bytes: int = 8192 * MiB
    max_ratio: int = 200  # uncompressed / compressed, for entries above ratio_floor
    ratio_floor: int = MiB
    max_manifest_bytes: int = 64 * MiB


DEFAULT_LIMITS = Limits()


@dataclass
class OpenedPackage:
    """A package extracted into a private folder; ``close()`` (or the with-block) removes it."""

    source: Path
    folder: Path
    manifest: Manifest
    manifest_bytes: bytes
    signature: bytes | None
    sums: bytes | None
    problems: list[str] = field(default_factory=list)
    extracted: set[str] = field(default_factory=set)
    _finalizer: Any = field(default=None, repr=False)

    @property
    def engagement_path(self) -> Path:
        """The packaged engagement copy; open it with ``Engagement.open(path, readonly=True)``."""
        return self.folder / ENGAGEMENT_COPY

    @property
    def intact(self) -> bool:
        return not self.problems

    def file(self, path: str) -> Path:
        if path not in self.extracted:
            raise PackageError(f"{path} is not an extracted file of {self.source.name}.")
        return self.folder / path

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    def __enter__(self) -> OpenedPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def shown(text: str) -> str:
    """A name from an archive, safe to print: control and other unprintable characters are escaped."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" for c in text)


def _strict_json(raw: bytes, what: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise PackageError(f"{what} is not a valid package manifest: key '{key}' appears twice.")
            out[key] = value
        return out

    def no_constants(name: str) -> Any:
        raise PackageError(f"{what} is not a valid package manifest: it contains {name}, which JSON does not allow.")

    try:
        text = raw.decode("utf-8")
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except UnicodeDecodeError:
        raise PackageError(f"{what} is not UTF-8 text.") from None
    except (ValueError, RecursionError) as exc:
        raise PackageError(f"{what} is not valid JSON ({exc}).") from None


def _check_entries(infos: list[zipfile.ZipInfo], limits: Limits, name: str) -> None:
    if len(infos) > limits.max_entries:
        raise PackageError(f"{name} has {len(infos)} entries, more than the {limits.max_entries} a package may have.")
    seen: set[str] = set()
    folded: set[str] = set()
    total = 0
    for info in infos:
        entry, show = info.filename, shown(info.filename)
        if not info.flag_bits & 0x800 and not entry.isascii():
            raise PackageError(f"{name}: an entry name is not UTF-8 ({entry.encode('cp437', 'replace')!r}).")
        if entry.endswith("/"):
            # a folder entry (zip -r, a file manager) holds nothing and is ignored, if it is empty and safe
            if info.file_size or unsafe_path_reason(entry.rstrip("/") or "."):
                raise PackageError(f"{name}: entry '{show}' is a folder entry that is not empty or not safe.")
            continue
        reason = unsafe_path_reason(entry)
        if reason:
            raise PackageError(f"{name}: entry '{show}' is refused because {reason}.")
        mode = info.external_attr >> 16
        if info.create_system == 3 and mode:
            if stat.S_ISLNK(mode):
                raise PackageError(f"{name}: entry '{show}' is a symbolic link; a package holds only regular files.")
            if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                raise PackageError(f"{name}: entry '{show}' is not a regular file.")
        if info.flag_bits & 0x1:
            raise PackageError(f"{name}: entry '{show}' is encrypted; a package is never encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageError(f"{name}: entry '{show}' uses a compression method packages do not use.")
        if entry in seen or entry.casefold() in folded:
            raise PackageError(f"{name}: entry '{show}' appears twice.")
        seen.add(entry)
        folded.add(entry.casefold())
        if info.file_size > limits.max_file_bytes:
            raise PackageError(
                f"{name}: entry '{show}' declares {info.file_size} bytes, over the {limits.max_file_bytes}-byte limit per file."
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise PackageError(f"{name} would expand to more than {limits.max_total_bytes} bytes; it is refused.")
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise PackageError(
                f"{name}: entry '{show}' expands {info.file_size // max(info.compress_size, 1)} times "
                "(a zip bomb); it is refused."
            )
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in pairwise(ordered):
        minimal_end = a.header_offset + 30 + len(a.orig_filename.encode("utf-8", "replace")) + a.compress_size
        if b.header_offset < minimal_end:
            raise PackageError(
                f"{name}: entries '{shown(a.filename)}' and '{shown(b.filename)}' overlap (a zip bomb technique)."
            )


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, name: str) -> bytes:
    if info.file_size > cap:
        raise PackageError(f"{name}: {info.filename} is larger than any real one ({info.file_size} bytes).")
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise PackageError(f"{name}: {info.filename} cannot be read ({exc}).") from None
    if len(data) > cap:
        raise PackageError(f"{name}: {info.filename} is larger than it declares.")
    return data


def _parse_manifest(raw: bytes, name: str) -> Manifest:
    data = _strict_json(raw, f"{name}: manifest.json")
    if (
        isinstance(data, dict)
        and isinstance(data.get("format_version"), int)
        and data["format_version"] > FORMAT_VERSION
    ):
        raise PackageError(
            f"{name} was made by a newer auditprep (package format {data['format_version']}); upgrade to read it."
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = format_loc(err["loc"]) or "top level"
        what = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"]).rstrip(".")
        raise PackageError(f"{name}: manifest.json is not a valid package manifest (at '{where}': {what}).") from None
    paths: set[str] = set()
    for e in manifest.files:
        reason = unsafe_path_reason(e.path)
        if reason:
            raise PackageError(f"{name}: manifest.json points outside the package with '{shown(e.path)}' ({reason}).")
        if e.path in CONTROL_FILES:
            raise PackageError(f"{name}: manifest.json lists {e.path}, which cannot list itself.")
        if e.path in paths:
            raise PackageError(f"{name}: manifest.json lists '{shown(e.path)}' twice.")
        paths.add(e.path)
    for r in manifest.reports:
        if r.path not in paths:
            raise PackageError(f"{name}: manifest.json names report '{shown(r.path)}', which its file list lacks.")
    return manifest


def _extract(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, folder: Path, limits: Limits, budget: list[int]
) -> tuple[str, int]:
    """Stream one entry to ``folder``; returns (sha256, size). Raises PackageAltered on a bad CRC."""
    target = folder / info.filename
    root = os.path.realpath(folder)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    parent = os.path.realpath(target.parent)
    if os.path.commonpath([root, parent]) != root:
        raise PackageError(f"{info.filename} would be written outside the private folder; it is refused.")
    digest = hashlib.sha256()
    size = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as out, zf.open(info) as src:
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                budget[0] += len(chunk)
                if size > info.file_size or size > limits.max_file_bytes:
                    raise PackageError(f"{info.filename} holds more bytes than it declares; the package is refused.")
                if budget[0] > limits.max_total_bytes:
                    raise PackageError(
                        f"the package expands to more than {limits.max_total_bytes} bytes; it is refused."
                    )
                digest.update(chunk)
                out.write(chunk)
    except zipfile.BadZipFile as exc:
        target.unlink(missing_ok=True)
        raise PackageAltered(f"{info.filename} was altered: the archive's own checksum for it fails ({exc}).") from None
    except (zlib.error, EOFError) as exc:
        target.unlink(missing_ok=True)
        raise PackageAltered(f"{info.filename} was altered: its compressed data is damaged ({exc}).") from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return digest.hexdigest(), size


def _check_sums(opened: OpenedPackage) -> None:
    m = opened.manifest
    expected = {e.path: e.sha256 for e in m.files}
    expected[MANIFEST] = integrity.sha256(opened.manifest_bytes)
    if opened.signature is not None:
        expected[SIGNATURE] = integrity.sha256(opened.signature)
    if opened.sums is None:
        opened.problems.append("SHA256SUMS is missing.")
        return
    listed = parse_sums(opened.sums)
    if listed is None:
        opened.problems.append("SHA256SUMS was altered: it is no longer in sha256sum format.")
        return
    for path, digest in sorted(expected.items()):
        if path not in listed:
            opened.problems.append(f"SHA256SUMS was altered: it does not list {path}.")
        elif listed[path] != digest:
            if path in (MANIFEST, SIGNATURE):
                opened.problems.append(f"{path} was altered: its SHA-256 differs from the one SHA256SUMS lists.")
            else:
                opened.problems.append(f"SHA256SUMS was altered: its hash for {path} differs from manifest.json.")
    for path in sorted(set(listed) - set(expected)):
        opened.problems.append(f"SHA256SUMS was altered: it lists {path}, which the package does not have.")


def open_package(path: Path, *, limits: Limits = DEFAULT_LIMITS, require_intact: bool = True) -> OpenedPackage:
    """Validate and extract a package into a private temporary folder.

    Unsafe or unreadable packages raise PackageError (exit 2). With ``require_intact`` a package
    whose files do not match its manifest raises PackageAltered (exit 1); without it, those
    problems are listed in ``problems`` (``auditprep verify`` reports them all).
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise PackageError(f"{path} does not exist or is not a file.")
    try:
        zf = zipfile.ZipFile(path)
    except UnicodeDecodeError:
        raise PackageError(f"{path} cannot be read: an entry name is not valid UTF-8.") from None
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, NotImplementedError) as exc:
        raise PackageError(f"{path} cannot be read: the archive is truncated or damaged ({exc}).") from None
    except OSError as exc:
        raise PackageError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    with zf:
        infos = zf.infolist()
        _check_entries(infos, limits, name)
        infos = [i for i in infos if not i.filename.endswith("/")]
        by_name = {i.filename: i for i in infos}
        if MANIFEST not in by_name:
            raise PackageError(f"{path} is not an auditprep evidence package: it has no manifest.json.")
        manifest_bytes = _read_small(zf, by_name[MANIFEST], limits.max_manifest_bytes, name)
        manifest = _parse_manifest(manifest_bytes, name)
        damaged: list[str] = []

        def control(entry: str, cap: int) -> bytes | None:
            if entry not in by_name:
                return None
            try:
                return _read_small(zf, by_name[entry], cap, name)
            except PackageError:
                damaged.append(f"{entry} was altered: the archive's own checksum for it fails.")
                return b""

        sums = control(SUMS, limits.max_manifest_bytes)
        sig = control(SIGNATURE, 4096)

        folder = Path(tempfile.mkdtemp(prefix="auditprep-package-"))
        os.chmod(folder, 0o700)
        opened = OpenedPackage(path, folder, manifest, manifest_bytes, sig, sums, problems=damaged)
        opened._finalizer = weakref.finalize(opened, shutil.rmtree, str(folder), True)
        try:
            budget = [0]
            listed = {e.path for e in manifest.files}
            for e in manifest.files:
                info = by_name.get(e.path)
                if info is None:
                    opened.problems.append(f"{e.path} is missing from the package.")
                    continue
                try:
                    digest, size = _extract(zf, info, folder, limits, budget)
                except PackageAltered as exc:
                    opened.problems.append(exc.message)
                    continue
                opened.extracted.add(e.path)
                if digest != e.sha256 or size != e.size:
                    opened.problems.append(f"{e.path} was altered: its SHA-256 differs from the one in manifest.json.")
            for entry in sorted(set(by_name) - listed - set(CONTROL_FILES)):
                opened.problems.append(f"{entry} is an extra file: manifest.json does not list it.")
            if tree_hash(manifest.files) != manifest.root_hash:
                opened.problems.append("manifest.json was altered: its root hash does not match its own file list.")
            if tree_hash(e for e in manifest.files if e.role == "data") != manifest.data_root_hash:
                opened.problems.append(
                    "manifest.json was altered: its evidence root hash does not match its data files."
                )
            _check_sums(opened)
        except BaseException:
            opened.close()
            raise
    if require_intact and opened.problems:
        opened.close()
        more = f" ({len(opened.problems) - 1} more problem(s))" if len(opened.problems) > 1 else ""
        raise PackageAltered(
            f"{path} has been altered: {opened.problems[0].rstrip('.')}{more}; run 'auditprep verify {path}' for details."
        )
    return opened
