"""Fixtures for the package tests: the mini catalog, signing keys and one package exported with real PDFs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kit import MINI, build_every_record

from auditprep.catalog import Catalog, load_catalog
from auditprep.package import export_package
from auditprep.store import Engagement

# Reports rendered by these tests are never kept in the user's own report cache (the cache has tests of its own).
os.environ.setdefault("AUDITPREP_REPORT_CACHE", "off")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(MINI)


@pytest.fixture
def engagement(tmp_path: Path) -> Engagement:
    eng = build_every_record(tmp_path / "acme.engagement")
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for name in ("signer", "other"):
        key = Ed25519PrivateKey.generate()
        (folder / f"{name}.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (folder / f"{name}.pub").write_bytes(
            key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        out[name] = folder / f"{name}.pem"
        out[f"{name}.pub"] = folder / f"{name}.pub"
    return out


@pytest.fixture(scope="session")
def signed_package(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog, keys: dict[str, Path]) -> Path:
    """Exported once with the real report renderer (weasyprint) and an Ed25519 signature."""
    folder = tmp_path_factory.mktemp("signed")
    with build_every_record(folder / "acme.engagement") as eng:
        export_package(eng, catalog, folder / "acme.zip", sign_key=keys["signer"])
    return folder / "acme.zip"
