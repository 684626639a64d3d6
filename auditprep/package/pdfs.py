"""The package's PDF reports: rendered side by side in worker processes, and not rendered again
when nothing they show has changed.

Rendering is CPU-bound (weasyprint) and one report does not need another, so each framework's
report is rendered in a process of its own, as many at a time as there are cores.

A rendered report is kept in a cache (``AUDITPREP_REPORT_CACHE``, else the user cache folder;
``off`` turns it off) under a key made of everything its bytes depend on: the engagement
fingerprint (the head of its event chain, which moves with any recorded change), the framework,
the evidence root hash printed on its cover, the tool's version, the questionnaires, the
templates and weasyprint's version. A different engagement state can therefore never find an
entry, and an entry is used only if its bytes still have the hash recorded beside them.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from auditprep import __version__
from auditprep.catalog import Catalog

Progress = Callable[[str, int, int], None]  # (framework, reports done, reports in all)

_catalog: Catalog | None = None  # in a worker process: the catalog, sent once per worker


def cache_dir() -> Path | None:
    setting = os.environ.get("AUDITPREP_REPORT_CACHE", "")
    if setting.lower() == "off":
        return None
    if setting:
        return Path(setting)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("auditprep")) / "reports"


def _digest_catalog(catalog: Catalog) -> str:
    c = catalog
    content = (
        c.themes,
        sorted(c.controls.items()),
        sorted(c.frameworks.items()),
        sorted(c.concepts.items()),
        sorted(c.checks.items()),
        sorted(c.applicability.items()),
    )
    return hashlib.sha256(repr(content).encode()).hexdigest()


def _digest_templates() -> str:
    from auditprep.report.html import templates_root

    h = hashlib.sha256()
    root = templates_root()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_key(catalog: Catalog, fingerprint: str, framework: str, package_hash: str) -> str:
    from importlib.metadata import version

    parts = [
        __version__,
        version("weasyprint"),
        fingerprint,
        framework,
        package_hash,
        _digest_catalog(catalog),
        _digest_templates(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cached(folder: Path | None, key: str, out: Path) -> bool:
    if folder is None:
        return False
    pdf, recorded = folder / f"{key}.pdf", folder / f"{key}.sha256"
    try:
        data = pdf.read_bytes()
        if hashlib.sha256(data).hexdigest() != recorded.read_text(encoding="ascii").strip():
            return False
    except OSError:
        return False
    out.write_bytes(data)
    return True


def _keep(folder: Path | None, key: str, rendered: Path) -> None:
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        data = rendered.read_bytes()
        tmp = folder / f".{key}.{os.getpid()}.part"
        tmp.write_bytes(data)
        os.replace(tmp, folder / f"{key}.pdf")
        (folder / f"{key}.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n", encoding="ascii")
    except OSError:
        pass  # a cache that cannot be written only costs time next time


def _start_worker(catalog: Catalog) -> None:
    global _catalog
    _catalog = catalog


def _render_in_worker(snapshot: str, framework: str, out: str, package_hash: str) -> str:
    from auditprep.report import render_report
    from auditprep.store import Engagement

    assert _catalog is not None
    with Engagement.open(Path(snapshot), readonly=True) as eng:
        render_report(eng, _catalog, framework=framework, fmt="pdf", out=Path(out), package_hash=package_hash)
    return framework


def render_reports(
    snapshot: Path,
    catalog: Catalog,
    frameworks: Sequence[str],
    folder: Path,
    package_hash: str,
    fingerprint: str,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
) -> dict[str, Path]:
    """Each framework's PDF report of the engagement ``snapshot`` (read-only), in ``folder``."""
    cache = cache_dir()
    out = {fid: folder / f"{fid}.pdf" for fid in frameworks}
    keys = {fid: cache_key(catalog, fingerprint, fid, package_hash) for fid in frameworks}
    todo = [fid for fid in frameworks if not _cached(cache, keys[fid], out[fid])]
    done = len(frameworks) - len(todo)
    if progress is not None:
        progress("", done, len(frameworks))
    if not todo:
        return out
    width = max(1, min(len(todo), workers or os.cpu_count() or 1))
    if width == 1:
        for fid in todo:
            _start_worker(catalog)
            _render_in_worker(str(snapshot), fid, str(out[fid]), package_hash)
            _keep(cache, keys[fid], out[fid])
            done += 1
            if progress is not None:
                progress(fid, done, len(frameworks))
        return out
    # the longest reports first (a report's time follows its framework's requirement count), so that
    # fewer workers than reports finish together rather than one long report starting last
    todo.sort(key=lambda fid: -len(catalog.frameworks[fid].requirements) if fid in catalog.frameworks else 0)
    # spawned, not forked: the parent may have threads (a progress line) holding locks a fork would copy
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(width, mp_context=spawn, initializer=_start_worker, initargs=(catalog,)) as pool:
        futures = {pool.submit(_render_in_worker, str(snapshot), fid, str(out[fid]), package_hash): fid for fid in todo}
        for fut in as_completed(futures):
            fid = fut.result()
            _keep(cache, keys[fid], out[fid])
            done += 1
            if progress is not None:
                progress(fid, done, len(frameworks))
    return out


def clear_cache() -> None:
    folder = cache_dir()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
