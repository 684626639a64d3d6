"""The image inventory reader on export streams built here (no daemon needed).

The live tests read real ``docker save`` streams from the daemon; these cover the layer
arithmetic (later layers win, whiteouts, opaque directories, symlinks), each package database
format, the OCI layout, and memory that stays flat on a large image.
"""

from __future__ import annotations

import gzip
import tracemalloc

import pytest
from docker_lab import (
    OPAQUE,
    WHITEOUT,
    Symlink,
    apk_installed,
    big_save_stream,
    dpkg_status,
    layer_tar,
    os_release,
    rpm_header,
    rpmdb_sqlite,
    save_stream,
)

from auditprep.collect.docker import packages
from auditprep.collect.docker.inventory import Cancelled, InventoryError, read_export

DEBIAN = os_release("debian", "12", "Debian GNU/Linux 12 (bookworm)")
SSL = [("openssl", "3.0.11-1~deb12u2", "openssl"), ("libssl3", "3.0.11-1~deb12u2", "openssl")]


def names(inv: dict) -> dict[str, str]:
    return {p["name"]: p["version"] for p in inv["packages"]}


def test_reads_os_and_dpkg_packages_from_one_layer():
    inv = read_export(save_stream([layer_tar({"etc/os-release": DEBIAN, "var/lib/dpkg/status": dpkg_status(SSL)})]))
    assert inv["os"] == {
        "ID": "debian",
        "VERSION_ID": "12",
        "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
        "NAME": "Debian",
    }
    assert names(inv) == {"openssl": "3.0.11-1~deb12u2", "libssl3": "3.0.11-1~deb12u2"}
    assert inv["package_managers"] == ["dpkg"]
    assert {p["source"] for p in inv["packages"]} == {"openssl"}
    assert inv["layers"] == 1 and inv["notes"] == []


def test_removed_packages_are_not_listed():
    status = dpkg_status([("curl", "7.88.1-10", "")], removed=("oldpkg",))
    inv = read_export(save_stream([layer_tar({"var/lib/dpkg/status": status})]))
    assert names(inv) == {"curl": "7.88.1-10"}


def test_a_later_layer_replaces_the_database():
    first = layer_tar({"var/lib/dpkg/status": dpkg_status([("openssl", "1.0.1f-1", "")])})
    second = layer_tar({"var/lib/dpkg/status": dpkg_status([("openssl", "1.0.1g-1", "")])})
    assert names(read_export(save_stream([first, second]))) == {"openssl": "1.0.1g-1"}
    # order comes from the manifest, not from the order layers pass in the stream
    assert names(read_export(save_stream([second, first]))) == {"openssl": "1.0.1f-1"}


def test_a_whiteout_deletes_the_database_of_lower_layers():
    base = layer_tar({"etc/os-release": DEBIAN, "var/lib/dpkg/status": dpkg_status(SSL)})
    inv = read_export(save_stream([base, layer_tar({"var/lib/dpkg/status": WHITEOUT})]))
    assert inv["packages"] == [] and inv["package_managers"] == []
    assert inv["os"]["ID"] == "debian"
    # deleting a parent directory deletes it too
    inv = read_export(save_stream([base, layer_tar({"var/lib/dpkg": WHITEOUT})]))
    assert inv["packages"] == []
    assert any("no dpkg, apk or rpm package database" in n for n in inv["notes"])


def test_an_opaque_directory_hides_lower_contents_but_keeps_its_own():
    base = layer_tar({"var/lib/dpkg/status": dpkg_status([("openssl", "1.0.1f-1", "")])})
    opaque_only = layer_tar({"var/lib/dpkg": OPAQUE})
    assert read_export(save_stream([base, opaque_only]))["packages"] == []
    replaced = layer_tar({"var/lib/dpkg": OPAQUE, "var/lib/dpkg/status": dpkg_status([("zlib1g", "1:1.2.13", "")])})
    assert names(read_export(save_stream([base, replaced]))) == {"zlib1g": "1:1.2.13"}


def test_os_release_symlink_is_followed_and_whiteouts_apply_to_its_target():
    base = layer_tar({"usr/lib/os-release": DEBIAN, "etc/os-release": Symlink("../usr/lib/os-release")})
    assert read_export(save_stream([base]))["os"]["VERSION_ID"] == "12"
    absolute = layer_tar({"usr/lib/os-release": DEBIAN, "etc/os-release": Symlink("/usr/lib/os-release")})
    assert read_export(save_stream([absolute]))["os"]["ID"] == "debian"
    gone = layer_tar({"usr/lib/os-release": WHITEOUT})
    assert (
        read_export(save_stream([layer_tar({"etc/os-release": Symlink("../usr/lib/os-release")}), gone]))["os"] is None
    )


def test_alpine_apk_database():
    layer = layer_tar(
        {
            "etc/os-release": os_release("alpine", "3.12.0", "Alpine Linux v3.12"),
            "lib/apk/db/installed": apk_installed(
                [("libssl1.0", "1.0.1f-r0", "openssl"), ("musl", "1.1.24-r9", "musl")]
            ),
        }
    )
    inv = read_export(save_stream([layer]))
    assert inv["package_managers"] == ["apk"]
    ssl = next(p for p in inv["packages"] if p["name"] == "libssl1.0")
    assert ssl == {"manager": "apk", "name": "libssl1.0", "version": "1.0.1f-r0", "source": "openssl", "arch": "x86_64"}


def test_rpm_sqlite_database(tmp_path):
    db = rpmdb_sqlite(
        tmp_path,
        [
            rpm_header("openssl-libs", "1.0.1e", "15.el6", epoch=1, source="openssl-1.0.1e-15.el6.src.rpm"),
            rpm_header("bash", "4.1.2", "48.el6", source="bash-4.1.2-48.el6.src.rpm"),
            rpm_header("gpg-pubkey", "c105b9de", "4e0fd3a3"),
        ],
    )
    inv = read_export(save_stream([layer_tar({"var/lib/rpm/rpmdb.sqlite": db})]))
    assert inv["package_managers"] == ["rpm"]
    assert names(inv) == {"openssl-libs": "1:1.0.1e-15.el6", "bash": "4.1.2-48.el6"}
    assert next(p for p in inv["packages"] if p["name"] == "openssl-libs")["source"] == "openssl"


def test_rpm_berkeley_db_is_noted_not_guessed():
    inv = read_export(save_stream([layer_tar({"var/lib/rpm/Packages": b"\0" * 4096})]))
    assert inv["packages"] == [] and inv["package_managers"] == ["rpm"]
    assert any("Berkeley DB" in n and "Trivy" in n for n in inv["notes"])


def test_distroless_status_directory():
    layer = layer_tar(
        {
            "var/lib/dpkg/status.d/libssl3": dpkg_status([("libssl3", "3.0.11-1~deb12u2", "openssl")]).replace(
                b"Status: install ok installed\n", b""
            ),
            "var/lib/dpkg/status.d/libssl3.md5sums": b"abc  usr/lib/x\n",
        }
    )
    assert names(read_export(save_stream([layer]))) == {"libssl3": "3.0.11-1~deb12u2"}


def test_oci_layout_and_compressed_layers():
    plain = layer_tar({"etc/os-release": DEBIAN})
    packed = gzip.compress(layer_tar({"var/lib/dpkg/status": dpkg_status(SSL)}))
    inv = read_export(save_stream([plain, packed], oci=True))
    assert inv["os"]["ID"] == "debian" and names(inv)["openssl"] == "3.0.11-1~deb12u2"


def test_memory_stays_flat_on_a_large_image():
    size = 96 * 1024 * 1024
    tracemalloc.start()
    try:
        inv = read_export(big_save_stream(size, {"etc/os-release": DEBIAN, "var/lib/dpkg/status": dpkg_status(SSL)}))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert inv["bytes_read"] > size
    assert names(inv)["openssl"] == "3.0.11-1~deb12u2"
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while reading a {size}-byte image"


def test_damaged_streams_raise_a_clear_error():
    with pytest.raises(InventoryError, match="not a tar archive|damaged"):
        read_export(iter([b"this is not a tar archive" * 40]))
    data = b"".join(save_stream([layer_tar({"etc/os-release": DEBIAN})]))
    without_manifest = data[: data.index(b"manifest.json")]
    with pytest.raises(InventoryError):
        read_export(iter([without_manifest]))


def test_cancellation_stops_the_read():
    with pytest.raises(Cancelled):
        read_export(save_stream([layer_tar({"etc/os-release": DEBIAN})], chunk=512), cancelled=lambda: True)


def test_parsers_handle_quoting_sources_and_continuations():
    osr = packages.parse_os_release(
        b'# comment\nID="ubuntu"\nVERSION_ID=\'14.04\'\nPRETTY_NAME="Ubuntu \\"Trusty\\""\nHOME_URL=x\n'
    )
    assert osr == {"ID": "ubuntu", "VERSION_ID": "14.04", "PRETTY_NAME": 'Ubuntu "Trusty"'}
    status = (
        b"Package: libssl1.0.0\nStatus: install ok installed\nSource: openssl (1.0.1f-1)\nVersion: 1.0.1f-1ubuntu2\n"
        b"Description: x\n more\n .\n end\n"
    )
    assert packages.parse_dpkg_status(status) == [
        {"manager": "dpkg", "name": "libssl1.0.0", "version": "1.0.1f-1ubuntu2", "source": "openssl", "arch": ""}
    ]
    assert packages.parse_rpm_header(b"\0\0") is None
