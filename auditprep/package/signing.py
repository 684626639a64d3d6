"""Ed25519 signatures over the exact bytes of manifest.json.

The signature file is the raw 64-byte signature, so anyone can check it without auditprep:
``openssl pkeyutl -verify -pubin -inkey key.pub -rawin -in manifest.json -sigfile manifest.sig``.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditprep.errors import InvalidInput
from auditprep.store import integrity


def _read(path: Path, what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the {what} {path}: {exc.strerror or exc}.") from None
    if len(data) > 64 * 1024:
        raise InvalidInput(f"{path} is too large to be a PEM {what}.")
    return data


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise InvalidInput(
            f"{path} is protected by a password; export an unencrypted Ed25519 PEM key to sign."
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInput(f"{path} is not a PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"{path} is not an Ed25519 key; packages are signed with Ed25519 only.")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInput(f"{path} is not a PEM public key.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidInput(f"{path} is not an Ed25519 public key.")
    return key


def key_fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return integrity.sha256(raw)


def sign(key: Ed25519PrivateKey, manifest: bytes) -> bytes:
    return key.sign(manifest)


def verify(key: Ed25519PublicKey, manifest: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        return False
    return True
