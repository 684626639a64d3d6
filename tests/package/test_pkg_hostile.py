"""Packages can come from anyone: each hostile archive gets one clear error and writes nothing outside
a private temporary folder (which is removed again)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest
from pkg_kit import forge, members, patch_entry, rewrite, with_entries

from auditprep.package import Limits, PackageAltered, PackageError, open_package, verify_target
from auditprep.package.layout import dump


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where tempfile puts things during the test, so we can see what was left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _refused(path: Path, match: str, private_tmp: Path, **kwargs: object) -> PackageError:
    with pytest.raises(PackageError, match=match) as err:
        open_package(path, **kwargs)  # type: ignore[arg-type]
    assert err.value.exit_code == 2 and "\n" not in err.value.message
    assert list(private_tmp.iterdir()) == []  # nothing extracted, nothing left behind
    report = verify_target(path, **{k: v for k, v in kwargs.items() if k == "limits"})  # type: ignore[arg-type]
    assert report.exit_code == 2 and report.unreadable == err.value.message
    assert list(private_tmp.iterdir()) == []
    return err.value


def _info(name: str, mode: int = 0o100644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "climbs out of the package"),
        ("evidence/../../evil.txt", "climbs out of the package"),
        ("..\\evil.txt", "contains a backslash"),
        ("C:/evil.txt", "is an absolute path"),
        ("evidence/./x.json", "empty or '.' component"),
        ("evidence/x\x01.json", "control characters"),
        ("evidence/$(reboot).json", "characters a package never uses"),
    ],
)
def test_unsafe_entry_names_are_refused(
    signed_package: Path, tmp_path: Path, private_tmp: Path, name: str, why: str
) -> None:
    hostile = with_entries(signed_package, tmp_path / "h.zip", [(_info(name), b"owned")])
    err = _refused(hostile, "is refused because it .*" + re.escape(why), private_tmp)
    assert all(c.isprintable() for c in err.message)
    assert not (private_tmp.parent / "evil.txt").exists() and not (private_tmp / "evil.txt").exists()


def test_absolute_path_is_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    target = str(tmp_path / f"evil-{uuid.uuid4().hex}.txt")  # an absolute path a careless extractor would write
    assert target.startswith("/")
    hostile = with_entries(signed_package, tmp_path / "h.zip", [(_info(target), b"owned")])
    _refused(hostile, "is an absolute path", private_tmp)
    assert not os.path.exists(target)


def test_symlink_is_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    hostile = with_entries(
        signed_package, tmp_path / "h.zip", [(_info("evidence/link", stat.S_IFLNK | 0o777), b"/etc/passwd")]
    )
    _refused(hostile, "entry 'evidence/link' is a symbolic link", private_tmp)


def test_device_and_folder_entries_are_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    fifo = with_entries(signed_package, tmp_path / "f.zip", [(_info("evidence/pipe", stat.S_IFIFO | 0o644), b"")])
    _refused(fifo, "is not a regular file", private_tmp)
    stuffed = with_entries(signed_package, tmp_path / "d.zip", [(_info("evidence/sub/", stat.S_IFDIR | 0o755), b"x")])
    _refused(stuffed, "is a folder entry that is not empty", private_tmp)


def test_folder_entries_of_a_rezipped_package_are_ignored(signed_package: Path, tmp_path: Path) -> None:
    """zip -r and file managers add folder entries: harmless, so the package still verifies, and an
    altered file is still named."""
    src = zipfile.ZipFile(signed_package)
    folders = sorted({n.rsplit("/", 1)[0] + "/" for n in src.namelist() if "/" in n})
    for altered in (False, True):
        out = tmp_path / f"rezipped-{altered}.zip"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for folder in folders:
                dst.writestr(_info(folder, stat.S_IFDIR | 0o755), b"")
            for info in src.infolist():
                data = src.read(info.filename)
                if altered and info.filename == "findings/findings.json":
                    data = data.replace(b'"fail"', b'"pass"', 1)
                dst.writestr(info.filename, data)
        report = verify_target(out)
        if altered:
            assert report.exit_code == 1 and any("findings/findings.json" in p for p in report.problems), report
        else:
            assert report.exit_code == 0, report.problems or report.unreadable


def test_duplicate_names_are_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    dup = with_entries(signed_package, tmp_path / "d.zip", [(_info("findings/findings.json"), b"[]")])
    _refused(dup, "entry 'findings/findings.json' appears twice", private_tmp)
    case = with_entries(signed_package, tmp_path / "c.zip", [(_info("Findings/findings.json"), b"[]")])
    _refused(case, "appears twice", private_tmp)


def test_zip_bomb_is_refused_by_its_ratio(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    hostile = tmp_path / "bomb.zip"
    rewrite(signed_package, hostile)
    with zipfile.ZipFile(hostile, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("evidence/bomb.json", "w") as fh:
        block = b"\0" * (1 << 20)
        for _ in range(64):
            fh.write(block)
    err = _refused(hostile, r"entry 'evidence/bomb.json' expands \d+ times \(a zip bomb\)", private_tmp)
    assert int(err.message.split("expands ")[1].split(" ")[0]) > 500


def test_size_entry_count_and_total_limits(signed_package: Path, private_tmp: Path) -> None:
    _refused(signed_package, "over the 1000-byte limit per file", private_tmp, limits=Limits(max_file_bytes=1000))
    _refused(
        signed_package, "would expand to more than 20000 bytes", private_tmp, limits=Limits(max_total_bytes=20_000)
    )
    _refused(
        signed_package,
        r"has \d+ entries, more than the 5 a package may have",
        private_tmp,
        limits=Limits(max_entries=5),
    )


def test_declared_sizes_are_not_trusted(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    # findings.json claims to be 10 bytes; the extractor stops at the claim and the content no longer checks out
    hostile = tmp_path / "lie.zip"
    hostile.write_bytes(patch_entry(signed_package.read_bytes(), b"findings/findings.json", file_size=10))
    with pytest.raises(PackageAltered, match="findings/findings.json was altered"):
        open_package(hostile)
    assert list(private_tmp.iterdir()) == []
    report = verify_target(hostile)
    assert report.exit_code == 1 and any(p.startswith("findings/findings.json was altered") for p in report.problems)


def test_entries_not_in_the_manifest_are_never_extracted(
    signed_package: Path, tmp_path: Path, private_tmp: Path
) -> None:
    hostile = with_entries(signed_package, tmp_path / "x.zip", [(_info("evidence/run-0001/planted.json"), b"{}")])
    with pytest.raises(PackageAltered, match="planted.json is an extra file"):
        open_package(hostile)
    assert list(private_tmp.iterdir()) == []
    with open_package(hostile, require_intact=False) as opened:
        assert not (opened.folder / "evidence" / "run-0001" / "planted.json").exists()
        assert opened.engagement_path.is_file() and stat.S_IMODE(opened.folder.stat().st_mode) == 0o700
        folder = opened.folder
    assert not folder.exists()


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "engagement/../../x"])
def test_manifest_pointing_outside_is_refused(
    signed_package: Path, tmp_path: Path, private_tmp: Path, path: str
) -> None:
    manifest = json.loads(members(signed_package)["manifest.json"])
    manifest["files"][0]["path"] = path
    hostile = rewrite(signed_package, tmp_path / "m.zip", replace={"manifest.json": dump(manifest)})
    _refused(hostile, "manifest.json points outside the package", private_tmp)


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        (b"not json", "is not valid JSON"),
        (b'{"format": "auditprep-package", "format": "x"}', "key 'format' appears twice"),
        (b'{"root_hash": NaN}', "contains NaN"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b'{"format": "auditprep-package", "format_version": 1, "extra": 1}', "is not a valid package manifest"),
        (b'{"format": "auditprep-package", "format_version": 9}', "made by a newer auditprep"),
    ],
)
def test_bad_manifests_are_refused(
    signed_package: Path, tmp_path: Path, private_tmp: Path, manifest: bytes, why: str
) -> None:
    hostile = rewrite(signed_package, tmp_path / "m.zip", replace={"manifest.json": manifest})
    _refused(hostile, why, private_tmp)


def test_a_zip_without_a_manifest_is_not_a_package(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    _refused(rewrite(signed_package, tmp_path / "n.zip", drop=("manifest.json",)), "has no manifest.json", private_tmp)


def test_non_utf8_names_are_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    base = with_entries(signed_package, tmp_path / "b.zip", [(_info("evidence/aaaa.json"), b"{}")])
    cp437 = tmp_path / "cp437.zip"
    cp437.write_bytes(patch_entry(base.read_bytes(), b"evidence/aaaa.json", new_name=b"evidence/\xff\xfe\xfd\xfc.json"))
    _refused(cp437, "an entry name is not UTF-8", private_tmp)
    flagged = tmp_path / "flagged.zip"
    flagged.write_bytes(
        patch_entry(base.read_bytes(), b"evidence/aaaa.json", new_name=b"evidence/\xff\xfe\xfd\xfc.json", flags=0x800)
    )
    _refused(flagged, "an entry name is not valid UTF-8", private_tmp)


def test_truncated_archive_is_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    raw = signed_package.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 10):
        (tmp_path / "t.zip").write_bytes(raw[:cut])
        _refused(tmp_path / "t.zip", "the archive is truncated or damaged", private_tmp)


def test_encrypted_and_overlapping_entries_are_refused(signed_package: Path, tmp_path: Path, private_tmp: Path) -> None:
    enc = tmp_path / "enc.zip"
    enc.write_bytes(patch_entry(signed_package.read_bytes(), b"findings/findings.json", flags=0x1))
    _refused(enc, "entry 'findings/findings.json' is encrypted", private_tmp)
    overlap = tmp_path / "overlap.zip"
    overlap.write_bytes(
        patch_entry(
            signed_package.read_bytes(), b"findings/findings.json", header_offset_of=b"exceptions/exceptions.json"
        )
    )
    _refused(overlap, "overlap", private_tmp)


def test_nothing_in_a_package_is_executed(signed_package: Path, tmp_path: Path) -> None:
    # a hostile engagement copy with a trigger, hashed consistently into the package: verify names it and never opens it
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(members(signed_package)["engagement/engagement.sqlite"])
    conn = sqlite3.connect(copy)
    conn.execute("CREATE VIEW answers_v AS SELECT * FROM answers")
    conn.commit()
    conn.close()
    report = verify_target(
        forge(signed_package, tmp_path / "f.zip", {"engagement/engagement.sqlite": copy.read_bytes()})
    )
    assert report.exit_code == 1
    assert any(
        "the engagement copy is not a plain engagement" in p and "view ('answers_v')" in p for p in report.problems
    )
