"""Export: what a package holds, its hashes, the PDF covers, the offline index, and refusals."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from kit import T0
from pkg_kit import members
from pypdf import PdfReader

from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.models import Answer
from auditprep.package import PackageAltered, PackageError, export_package
from auditprep.package.layout import Manifest, tree_hash
from auditprep.store import Engagement, integrity


def _manifest(files: dict[str, bytes]) -> Manifest:
    return Manifest.model_validate_json(files["manifest.json"])


def test_package_holds_everything_with_hashes(signed_package: Path) -> None:
    files = members(signed_package)
    m = _manifest(files)
    listed = {e.path: e for e in m.files}
    for path, data in files.items():
        if path in ("manifest.json", "SHA256SUMS", "manifest.sig"):
            continue
        assert listed[path].sha256 == integrity.sha256(data) and listed[path].size == len(data), path
    assert set(listed) == set(files) - {"manifest.json", "SHA256SUMS", "manifest.sig"}
    assert {
        "engagement/engagement.sqlite",
        "engagement/engagement.json",
        "engagement/events.json",
        "findings/findings.json",
        "answers/answers.json",
        "answers/attestations.json",
        "exceptions/exceptions.json",
        "attachments/attachments.json",
        "reports/pci-dss.pdf",
        "index.html",
    } <= set(listed)
    assert m.engagement.name == "acme <pay>" and m.frameworks == ("pci-dss",)
    assert [(s.kind, s.value) for s in m.scope] == [("aws-account", "111111111111")]
    assert m.tool.name == "auditprep" and m.created.startswith("2026-11-02T")
    assert m.root_hash == tree_hash(m.files)
    # the documented method, computed independently of the code that wrote it
    listing = sorted(
        ({"path": e.path, "sha256": e.sha256, "size": e.size, "role": e.role} for e in m.files), key=lambda e: e["path"]
    )
    canonical = json.dumps(listing, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(canonical).hexdigest() == m.root_hash
    assert m.data_root_hash == tree_hash(e for e in m.files if e.role == "data")

    answers = json.loads(files["answers/answers.json"])
    assert [a["value"] for a in answers["history"]] == ["no", "partial"]
    assert answers["current"][0]["narrative"] == "api still privileged"
    assert json.loads(files["exceptions/exceptions.json"])[0]["owner"] == "ops"
    attachment = json.loads(files["attachments/attachments.json"])[0]
    assert files[attachment["path"]] == b"%PDF-1.4 runbook"
    assert attachment["path"] == "attachments/0001-IR_runbook_v2_.pdf"
    evidence = [json.loads(files[p]) for p in files if p.startswith("evidence/")]
    assert sorted(e["id"] for e in evidence) == ["E1-00001", "E1-00002", "E2-00001"]
    gap = next(e for e in evidence if e["id"] == "E1-00002")
    assert gap["status"] == "access_denied" and gap["message"] == "not authorised"
    finding = json.loads(files["findings/findings.json"])[0]
    assert finding["status"] == "fail" and finding["evidence"] == ["E2-00001"]


def test_sha256sum_checks_the_package_with_no_tool_installed(signed_package: Path, tmp_path: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("coreutils sha256sum is not installed on this machine")
    with zipfile.ZipFile(signed_package) as zf:
        zf.extractall(tmp_path)
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "manifest.json: OK" in done.stdout and "manifest.sig: OK" in done.stdout
    (tmp_path / "findings" / "findings.json").write_text("[]")
    done = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode != 0 and "findings/findings.json: FAILED" in done.stdout


def test_pdf_cover_shows_the_evidence_root_hash(signed_package: Path) -> None:
    files = members(signed_package)
    m = _manifest(files)
    cover = PdfReader(io.BytesIO(files["reports/pci-dss.pdf"])).pages[0].extract_text().replace("\n", "")
    assert m.data_root_hash in cover
    assert m.root_hash not in cover  # the package root covers the PDF itself, so it cannot be on it
    assert "data_root_hash" in m.hashes.cover and "root_hash" in m.hashes.method


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [v for k, v in attrs if k == "href" and v]


def test_index_links_every_file_and_runs_nothing(signed_package: Path) -> None:
    files = members(signed_package)
    page = files["index.html"].decode()
    parser = _Links()
    parser.feed(page)
    targets = {h for h in parser.hrefs if not h.startswith("#")}
    assert set(files) - {"index.html"} <= targets
    assert "script" not in parser.tags and "<script" not in page.lower()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "acme &lt;pay&gt;" in page and "acme <pay>" not in page
    assert _manifest(files).data_root_hash in page


def test_export_uses_the_evidence_root_for_the_renderer(
    engagement: Engagement, catalog: Catalog, tmp_path: Path
) -> None:
    # Stands in for the report package (rendered for real in the signed package above) to capture the hash it is given.
    given: list[tuple[str, str]] = []

    def render(eng: Engagement, cat: Catalog, framework: str, out: Path, package_hash: str) -> None:
        assert eng.readonly and eng.path != engagement.path  # rendered from the snapshot, never the live file
        given.append((framework, package_hash))
        out.write_bytes(b"%PDF-1.4 cover " + package_hash.encode())

    result = export_package(engagement, catalog, tmp_path / "p.zip", render_pdf=render)
    assert given == [("pci-dss", result.data_root_hash)]
    assert result.reports == ("pci-dss",) and not result.signed
    assert members(tmp_path / "p.zip")["reports/pci-dss.pdf"].endswith(result.data_root_hash.encode())


def test_export_includes_what_is_still_in_the_write_ahead_log(
    engagement: Engagement, catalog: Catalog, tmp_path: Path
) -> None:
    engagement.record_answer(
        Answer(
            control_id="HRD-01",
            question_id="HRD-01.status",
            value="yes",
            narrative="fixed today",
            answered_by="bo",
            answered_at=T0,
        )
    )
    wal = Path(str(engagement.path) + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the latest write has not reached the main file yet
    export_package(engagement, catalog, tmp_path / "p.zip", render_pdf=None)
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(members(tmp_path / "p.zip")["engagement/engagement.sqlite"])
    with Engagement.open(copy, readonly=True) as eng:
        assert eng.answers()["HRD-01.status"].narrative == "fixed today"
        assert eng.fingerprint() == engagement.fingerprint()
    assert not Path(str(copy) + "-wal").exists()


def test_export_never_overwrites(engagement: Engagement, catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "p.zip"
    out.write_bytes(b"keep me")
    with pytest.raises(PackageError, match="already exists"):
        export_package(engagement, catalog, out, render_pdf=None)
    assert out.read_bytes() == b"keep me"
    with pytest.raises(PackageError, match="does not exist"):
        export_package(engagement, catalog, tmp_path / "missing" / "p.zip", render_pdf=None)


def test_export_refuses_an_engagement_changed_outside_auditprep(
    engagement: Engagement, catalog: Catalog, tmp_path: Path
) -> None:
    conn = sqlite3.connect(engagement.path)
    conn.execute("UPDATE answers SET value = 'yes' WHERE value = 'no'")
    conn.commit()
    conn.close()
    with pytest.raises(PackageAltered, match="fails its integrity check.*changed outside auditprep"):
        export_package(engagement, catalog, tmp_path / "p.zip", render_pdf=None)
    assert list(tmp_path.glob("*.zip")) == [] and list(tmp_path.glob(".*part")) == []


def test_signing_needs_an_ed25519_key(engagement: Engagement, catalog: Catalog, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    rsa_like = tmp_path / "ec.pem"
    rsa_like.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(InvalidInput, match="not an Ed25519 key"):
        export_package(engagement, catalog, tmp_path / "p.zip", sign_key=rsa_like, render_pdf=None)
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(InvalidInput, match="not a PEM private key"):
        export_package(engagement, catalog, tmp_path / "p.zip", sign_key=garbage, render_pdf=None)
    assert not (tmp_path / "p.zip").exists()


def test_data_files_are_reproducible(engagement: Engagement, catalog: Catalog, tmp_path: Path) -> None:
    a = export_package(engagement, catalog, tmp_path / "a.zip", render_pdf=None)
    b = export_package(engagement, catalog, tmp_path / "b.zip", render_pdf=None)
    data_a = {e.path: e.sha256 for e in a.files if e.role == "data" and e.path != "engagement/engagement.sqlite"}
    data_b = {e.path: e.sha256 for e in b.files if e.role == "data" and e.path != "engagement/engagement.sqlite"}
    assert data_a == data_b
