"""Hashing shared by the store, the verifier and the export: one canonical form, one algorithm.

Every write appends an event whose ``record_hash`` is the hash of the record it wrote and whose
``hash`` chains it to the previous event. Editing a row outside the tool breaks the match with its
event; editing an event breaks the chain; the chain head (the fingerprint) pins the whole history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(record: dict[str, Any]) -> str:
    return sha256(canonical(record))


def list_hash(hashes: Iterable[str]) -> str:
    """Hash of an ordered list of hashes (the order is the caller's, and must be reproducible)."""
    h = hashlib.sha256()
    for item in hashes:
        h.update(item.encode())
        h.update(b"\n")
    return h.hexdigest()


def event_hash(prev: str, seq: int, at: str, actor: str, action: str, subject: str, rec: str) -> str:
    return sha256(canonical([prev, seq, at, actor, action, subject, rec]))
