"""Export an engagement as a self-contained evidence package (a zip an assessor can trust offline).

The export works from a snapshot: the engagement is copied with SQLite's backup API through a
read-only connection (so content still in the write-ahead log is included), and every JSON file,
report and the index are produced from that copy. The package therefore describes exactly one
state of the engagement, however the original changes meanwhile.

Hash order (why the PDF covers show the evidence root hash and not the package root hash):
1. the data files are built and ``data_root_hash`` is computed over them;
2. each framework's PDF is rendered with ``data_root_hash`` on its cover;
3. index.html is written; ``root_hash`` is computed over data, reports and index;
4. manifest.json records both, SHA256SUMS covers every file and the manifest, and the optional
   Ed25519 signature covers the manifest's exact bytes.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditprep import __version__
from auditprep.catalog import Catalog
from auditprep.package import signing
from auditprep.package.errors import PackageAltered, PackageError
from auditprep.package.index import render_index
from auditprep.package.layout import (
    COVER_NOTE,
    FORMAT,
    FORMAT_VERSION,
    HASH_METHOD,
    INDEX,
    MANIFEST,
    SIGNATURE,
    SUMS,
    EngagementSummary,
    FileEntry,
    Hashes,
    Manifest,
    ReportEntry,
    ScopeItem,
    SignatureInfo,
    ToolInfo,
    all_evidence,
    data_files,
    dump,
    entry,
    sums_text,
    tree_hash,
)
from auditprep.store import Engagement, integrity, iso
from auditprep.store.engagement import readonly_uri
from auditprep.store.verify import verify_engagement

PdfRenderer = Callable[[Engagement, Catalog, str, Path, str], None]


def report_pdf(eng: Engagement, catalog: Catalog, framework: str, out: Path, package_hash: str) -> None:
    """The real PDF renderer (the report package), imported only when a package is exported."""
    from auditprep.report import render_report

    render_report(eng, catalog, framework=framework, fmt="pdf", out=out, package_hash=package_hash)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    root_hash: str
    data_root_hash: str
    files: tuple[FileEntry, ...]
    signed: bool
    reports: tuple[str, ...]


def snapshot(source: Path, dest: Path) -> None:
    """Copy an engagement file, WAL content included, into a single self-contained file."""
    try:
        src = sqlite3.connect(readonly_uri(Path(source)), uri=True)
    except sqlite3.Error as exc:
        raise PackageError(f"cannot read {source} to export it ({exc}).") from None
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.execute("VACUUM")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise PackageError(f"cannot copy {source} into the package ({exc}).") from None
    finally:
        src.close()


def _zip_info(path: str, created: str) -> zipfile.ZipInfo:
    y, mo, d = int(created[0:4]), int(created[5:7]), int(created[8:10])
    h, mi, s = int(created[11:13]), int(created[14:16]), int(created[17:19])
    info = zipfile.ZipInfo(path, date_time=(max(y, 1980), mo, d, h, mi, s))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    return info


def _write_zip(out: Path, members: list[tuple[str, bytes]], created: str) -> None:
    folder = out.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise PackageError(f"cannot write {out}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            with zipfile.ZipFile(fh, "w", allowZip64=True) as zf:
                for path, data in members:
                    zf.writestr(_zip_info(path, created), data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        if out.exists():
            raise PackageError(f"{out} appeared while the package was being written; nothing was overwritten.")
        os.replace(tmp, out)
    except OSError as exc:
        raise PackageError(f"cannot write {out}: {exc.strerror or exc}; no package was written.") from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def export_package(
    eng: Engagement,
    catalog: Catalog,
    out: Path,
    *,
    sign_key: Path | None = None,
    render_pdf: PdfRenderer | None = report_pdf,
    progress: Callable[[str, int, int], None] | None = None,
) -> ExportResult:
    """Write the package for ``eng`` to ``out`` (which must not exist yet).

    ``render_pdf`` renders one framework's PDF with the evidence root hash on its cover; pass
    None to leave the reports out. The real renderer (``report_pdf``) renders the frameworks' reports
    side by side in worker processes and takes an unchanged report from the cache (``pdfs``).
    ``progress(framework, done, total)`` is told as each report is ready. ``sign_key`` is an
    unencrypted Ed25519 private key in PEM.
    """
    out = Path(out)
    if out.exists():
        raise PackageError(f"{out} already exists; choose another name (a package is never overwritten).")
    if not out.parent.is_dir():
        raise PackageError(f"cannot write {out}: the folder {out.parent} does not exist.")
    key = signing.load_private_key(sign_key) if sign_key is not None else None
    created = iso(eng.clock())

    with tempfile.TemporaryDirectory(prefix="auditprep-export-") as tmp:
        copy = Path(tmp) / "engagement.sqlite"
        snapshot(eng.path, copy)
        with Engagement.open(copy, readonly=True) as snap:
            problems = verify_engagement(snap)
            if problems:
                more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
                raise PackageAltered(
                    f"{eng.path} fails its integrity check, so it cannot be exported: {problems[0]}{more}."
                )
            info = snap.info()
            members = data_files(snap, copy.read_bytes())
            data_entries = [entry(p, b, "data") for p, b in members]
            data_root = tree_hash(data_entries)

            reports: list[ReportEntry] = []
            report_entries: list[FileEntry] = []
            if render_pdf is not None:
                for fid in info.frameworks:
                    if fid not in catalog.frameworks:
                        raise PackageError(
                            f"the engagement names framework '{fid}', which the questionnaires do not define."
                        )
                if render_pdf is report_pdf:  # the real reports: side by side, unchanged ones from the cache
                    from auditprep.package.pdfs import render_reports

                    pdfs = render_reports(
                        copy, catalog, info.frameworks, Path(tmp), data_root, snap.fingerprint(), progress=progress
                    )
                else:
                    pdfs = {}
                    for fid in info.frameworks:
                        pdfs[fid] = Path(tmp) / f"{fid}.pdf"
                        render_pdf(snap, catalog, fid, pdfs[fid], data_root)
                for fid in info.frameworks:
                    data = pdfs[fid].read_bytes()
                    path = f"reports/{fid}.pdf"
                    members.append((path, data))
                    report_entries.append(entry(path, data, "report"))
                    reports.append(ReportEntry(framework=fid, path=path))

            index = render_index(
                snap,
                created=created,
                entries=[*data_entries, *report_entries],
                reports=reports,
                data_root_hash=data_root,
                signed=key is not None,
                evidence=all_evidence(snap),
            )
            members.append((INDEX, index))
            entries = [*data_entries, *report_entries, entry(INDEX, index, "index")]
            manifest = Manifest(
                format=FORMAT,
                format_version=FORMAT_VERSION,
                tool=ToolInfo(name="auditprep", version=__version__),
                created=created,
                engagement=EngagementSummary(
                    name=info.name,
                    organisation=info.organisation,
                    created_at=iso(info.created_at),
                    created_by=info.created_by,
                    period_start=info.period_start,
                    period_end=info.period_end,
                    fingerprint=snap.fingerprint(),
                    events=len(snap.events()),
                ),
                frameworks=info.frameworks,
                scope=tuple(ScopeItem(kind=k, value=v, note=n) for k, v, n in snap.scope_items()),
                reports=tuple(reports),
                signature=(
                    SignatureInfo(
                        algorithm="ed25519", file=SIGNATURE, public_key_sha256=signing.key_fingerprint(key.public_key())
                    )
                    if key is not None
                    else None
                ),
                hashes=Hashes(method=HASH_METHOD, cover=COVER_NOTE),
                data_root_hash=data_root,
                root_hash=tree_hash(entries),
                files=tuple(sorted(entries, key=lambda e: e.path)),
            )

    manifest_bytes = dump(manifest.model_dump(mode="json"))
    control: list[tuple[str, bytes]] = [(MANIFEST, manifest_bytes)]
    if key is not None:
        control.append((SIGNATURE, signing.sign(key, manifest_bytes)))
    sums = sums_text([(e.path, e.sha256) for e in entries] + [(p, integrity.sha256(b)) for p, b in control])
    _write_zip(out, [*control, (SUMS, sums), *sorted(members)], created)
    return ExportResult(
        path=out,
        root_hash=manifest.root_hash,
        data_root_hash=data_root,
        files=manifest.files,
        signed=key is not None,
        reports=tuple(r.framework for r in reports),
    )
