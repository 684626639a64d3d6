"""Verify: export -> verify -> tamper with each part -> verify fails and names what was altered."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import zipfile
from pathlib import Path

import pytest
from pkg_kit import forge, members, rewrite

from auditprep.catalog import Catalog
from auditprep.package import export_package, verify_target
from auditprep.package.layout import Manifest, dump
from auditprep.store import Engagement

EVIDENCE = "evidence/run-0002/E2-00001.json"


def test_intact_signed_package_verifies(signed_package: Path, keys: dict[str, Path]) -> None:
    report = verify_target(signed_package, public_key=keys["signer.pub"])
    assert report.ok and report.exit_code == 0, report.problems
    assert report.signature == "valid" and report.kind == "package"
    assert report.root_hash == Manifest.model_validate_json(members(signed_package)["manifest.json"]).root_hash
    text = report.render()
    assert "is intact" in text and report.root_hash in text and report.data_root_hash in text


def test_signature_present_but_no_key_is_said_not_silent(signed_package: Path) -> None:
    report = verify_target(signed_package)
    assert report.exit_code == 0 and report.signature == "unchecked"
    assert any("signature was not checked" in n for n in report.notes)
    assert "not checked" in report.render()


def test_wrong_public_key_fails_naming_the_signature(signed_package: Path, keys: dict[str, Path]) -> None:
    report = verify_target(signed_package, public_key=keys["other.pub"])
    assert report.exit_code == 1 and report.signature == "invalid"
    assert len(report.problems) == 1 and "manifest.sig does not match manifest.json" in report.problems[0]
    assert "another signing key" in report.problems[0]


def test_an_altered_evidence_byte_is_named(signed_package: Path, tmp_path: Path) -> None:
    original = members(signed_package)[EVIDENCE]
    altered = original.replace(b'"Privileged": true', b'"Privileged": false')
    assert altered != original and len(altered) == len(original) + 1
    report = verify_target(rewrite(signed_package, tmp_path / "t.zip", replace={EVIDENCE: altered}))
    assert report.exit_code == 1
    assert f"{EVIDENCE} was altered: its SHA-256 differs from the one in manifest.json." in report.problems
    assert "ALTERED: " + EVIDENCE in report.render()


@pytest.mark.parametrize("part", [EVIDENCE, "SHA256SUMS", "manifest.sig"])
def test_a_flipped_byte_inside_the_archive_is_named(signed_package: Path, tmp_path: Path, part: str) -> None:
    with zipfile.ZipFile(signed_package) as zf:
        info = zf.getinfo(part)
    raw = bytearray(signed_package.read_bytes())
    name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
    raw[info.header_offset + 30 + name_len + extra_len + info.compress_size // 2] ^= 0x01
    (tmp_path / "flip.zip").write_bytes(bytes(raw))
    report = verify_target(tmp_path / "flip.zip")
    assert report.exit_code == 1
    assert [p for p in report.problems if p.startswith(f"{part} was altered")], report.problems


def test_an_altered_manifest_is_named_and_breaks_the_signature(
    signed_package: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    manifest = json.loads(members(signed_package)["manifest.json"])
    manifest["engagement"]["organisation"] = "Someone Else"
    altered = rewrite(signed_package, tmp_path / "t.zip", replace={"manifest.json": dump(manifest)})
    report = verify_target(altered, public_key=keys["signer.pub"])
    assert report.exit_code == 1
    assert "manifest.json was altered: its SHA-256 differs from the one SHA256SUMS lists." in report.problems
    assert any(p.startswith("manifest.sig does not match manifest.json") for p in report.problems)
    assert "manifest.json describes the engagement differently from the engagement copy." in report.problems


def test_an_altered_sha256sums_is_named(signed_package: Path, tmp_path: Path) -> None:
    sums = members(signed_package)["SHA256SUMS"].decode().splitlines()
    line = next(i for i, s in enumerate(sums) if s.endswith("findings/findings.json"))
    sums[line] = "0" * 64 + sums[line][64:]
    report = verify_target(
        rewrite(signed_package, tmp_path / "t.zip", replace={"SHA256SUMS": ("\n".join(sums) + "\n").encode()})
    )
    assert report.problems == [
        "SHA256SUMS was altered: its hash for findings/findings.json differs from manifest.json."
    ]
    report = verify_target(rewrite(signed_package, tmp_path / "u.zip", drop=("SHA256SUMS",)))
    assert report.problems == ["SHA256SUMS is missing."]


def test_an_altered_signature_is_named_with_or_without_the_key(
    signed_package: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    sig = bytearray(members(signed_package)["manifest.sig"])
    sig[0] ^= 0xFF
    altered = rewrite(signed_package, tmp_path / "t.zip", replace={"manifest.sig": bytes(sig)})
    without_key = verify_target(altered)
    assert without_key.problems == ["manifest.sig was altered: its SHA-256 differs from the one SHA256SUMS lists."]
    with_key = verify_target(altered, public_key=keys["signer.pub"])
    assert with_key.exit_code == 1 and with_key.signature == "invalid"
    assert any(p.startswith("manifest.sig does not match") for p in with_key.problems)
    stripped = verify_target(rewrite(signed_package, tmp_path / "s.zip", drop=("manifest.sig",)))
    assert "manifest.sig is missing although manifest.json says the package is signed." in stripped.problems


def test_missing_and_extra_files_are_named(signed_package: Path, tmp_path: Path) -> None:
    report = verify_target(
        rewrite(
            signed_package,
            tmp_path / "t.zip",
            drop=("exceptions/exceptions.json",),
            add={"evidence/run-0002/E2-99999.json": b"{}"},
        )
    )
    assert report.exit_code == 1
    assert "exceptions/exceptions.json is missing from the package." in report.problems
    assert "evidence/run-0002/E2-99999.json is an extra file: manifest.json does not list it." in report.problems


def test_a_consistent_forgery_of_a_json_file_disagrees_with_the_engagement_copy(
    signed_package: Path, tmp_path: Path
) -> None:
    original = members(signed_package)["findings/findings.json"]
    forged = forge(
        signed_package, tmp_path / "f.zip", {"findings/findings.json": original.replace(b'"fail"', b'"pass"')}
    )
    report = verify_target(forged)
    assert report.problems == ["findings/findings.json does not agree with the engagement copy it was exported from."]


def test_a_forged_engagement_copy_fails_its_event_chain(signed_package: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(members(signed_package)["engagement/engagement.sqlite"])
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE exceptions SET expires = '2099-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    report = verify_target(
        forge(signed_package, tmp_path / "f.zip", {"engagement/engagement.sqlite": copy.read_bytes()})
    )
    assert "engagement copy: exception 1 on HRD-01 was changed outside auditprep" in report.problems
    assert "exceptions/exceptions.json does not agree with the engagement copy it was exported from." in report.problems


def test_a_forged_request_id_in_the_engagement_copy_is_detected(signed_package: Path, tmp_path: Path) -> None:
    evidence = json.loads(members(signed_package)["evidence/run-0001/E1-00001.json"])
    assert evidence["request_ids"] == ["6f1e2c3a-0b9d-4e8f-a7c6-5d4b3a291807"] and evidence["sha256"]
    assert evidence["sha256"] != evidence["content_sha256"]
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(members(signed_package)["engagement/engagement.sqlite"])
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE evidence SET request_ids = '[\"6f1e2c3a-0b9d-4e8f-a7c6-000000000000\"]' WHERE id = 'E1-00001'")
    conn.commit()
    conn.close()
    report = verify_target(
        forge(signed_package, tmp_path / "f.zip", {"engagement/engagement.sqlite": copy.read_bytes()})
    )
    assert "engagement copy: collection run 1 or its evidence was changed outside auditprep" in report.problems
    assert "evidence/run-0001/E1-00001.json does not agree with the engagement copy it was exported from." in (
        report.problems
    )


def test_a_forged_request_id_in_an_evidence_file_is_detected(signed_package: Path, tmp_path: Path) -> None:
    path = "evidence/run-0001/E1-00001.json"
    original = members(signed_package)[path]
    forged = forge(signed_package, tmp_path / "f.zip", {path: original.replace(b"5d4b3a291807", b"5d4b3a291808")})
    report = verify_target(forged)
    assert report.problems == [f"{path} does not agree with the engagement copy it was exported from."]


def test_unsigned_package_with_a_key_given_fails(
    engagement: Engagement, catalog: Catalog, keys: dict[str, Path], tmp_path: Path
) -> None:
    export_package(engagement, catalog, tmp_path / "p.zip", render_pdf=None)
    assert verify_target(tmp_path / "p.zip").exit_code == 0
    report = verify_target(tmp_path / "p.zip", public_key=keys["signer.pub"])
    assert report.problems == ["the package is not signed, but a public key was given to check its signature."]


def test_verify_an_engagement_file_directly(engagement: Engagement, tmp_path: Path) -> None:
    report = verify_target(engagement.path)
    assert report.exit_code == 0 and report.kind == "engagement" and report.fingerprint == engagement.fingerprint()
    tampered = tmp_path / "tampered.engagement"
    engagement.close()
    shutil.copy(engagement.path, tampered)
    conn = sqlite3.connect(tampered)
    conn.execute("UPDATE answers SET narrative = 'all good' WHERE value = 'partial'")
    conn.commit()
    conn.close()
    report = verify_target(tampered)
    assert report.exit_code == 1 and report.problems == ["answer 2 to HRD-01.status was changed outside auditprep"]


def test_unreadable_targets_exit_2(tmp_path: Path, keys: dict[str, Path]) -> None:
    assert verify_target(tmp_path / "nope.zip").exit_code == 2
    assert "is a folder" in verify_target(tmp_path).unreadable
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello, not a package")
    assert "neither an evidence package" in verify_target(junk).unreadable
    junk.write_bytes(b"PK\x03\x04 truncated")
    assert "truncated or damaged" in verify_target(junk).unreadable
    report = verify_target(junk, public_key=keys["signer"])  # a private key where the public one goes
    assert report.exit_code == 2 and "not a PEM public key" in report.unreadable


def test_an_engagement_with_a_trigger_is_not_opened(engagement: Engagement, tmp_path: Path) -> None:
    engagement.close()
    hostile = tmp_path / "hostile.engagement"
    shutil.copy(engagement.path, hostile)
    conn = sqlite3.connect(hostile)
    conn.execute("CREATE TABLE loot (x TEXT)")
    conn.execute("CREATE TRIGGER t AFTER INSERT ON answers BEGIN INSERT INTO loot VALUES ('x'); END")
    conn.commit()
    conn.close()
    report = verify_target(hostile)
    assert report.exit_code == 2 and "contains a trigger ('t')" in report.unreadable


@pytest.mark.parametrize(
    "part", ["manifest.json", "SHA256SUMS", "manifest.sig", EVIDENCE, "reports/pci-dss.pdf", "index.html"]
)
def test_every_part_is_covered(signed_package: Path, keys: dict[str, Path], tmp_path: Path, part: str) -> None:
    data = bytearray(members(signed_package)[part])
    data[len(data) // 2] ^= 0x20
    report = verify_target(
        rewrite(signed_package, tmp_path / "t.zip", replace={part: bytes(data)}), public_key=keys["signer.pub"]
    )
    assert report.exit_code in (1, 2) and not report.ok
    text = report.render()
    assert part in text, text
