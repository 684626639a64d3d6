"""Store reads and writes for evidence over the period: evidence of every run, and recorded samples.

Kept apart from ``engagement.py``: functions taking the open ``Engagement`` and using its
transaction and event chain, so a sample drawn is recorded like every other write (one event
whose hash pins the whole selection, checked by ``auditprep verify``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditprep.models import Evidence
from auditprep.store.engagement import Engagement, iso, parse_iso


def evidence_in_period(
    eng: Engagement, kinds: Sequence[str], start: datetime | None, end: datetime | None
) -> list[Evidence]:
    """Evidence of ``kinds`` from every run (not only the latest) collected within [start, end)."""
    marks = ",".join("?" * len(kinds))
    where = [f"e.kind IN ({marks})"]
    params: list[Any] = list(kinds)
    if start is not None:
        where.append("e.collected_at >= ?")
        params.append(iso(start))
    if end is not None:
        where.append("e.collected_at < ?")
        params.append(iso(end))
    rows = eng._query(  # noqa: SLF001 - the store's own read helper
        f"SELECT {eng._EVIDENCE_COLS}, b.data FROM evidence e JOIN blobs b ON b.sha256 = e.sha256 "  # noqa: SLF001
        f"WHERE {' AND '.join(where)} ORDER BY e.run_id, e.rowid",
        params,
    )
    return [eng._row_to_evidence(r, json.loads(r[18])) for r in rows]  # noqa: SLF001


@dataclass(frozen=True)
class Sample:
    id: int
    population: str
    population_hash: str
    total: int
    size: int
    seed: str
    method: str
    members: tuple[str, ...]
    drawn_by: str
    drawn_at: datetime

    @property
    def reference(self) -> str:
        return f"S-{self.id:03d}"


def sample_record(s: dict[str, Any]) -> dict[str, Any]:
    """The hashed form of a sample row (what its event pins)."""
    return {
        "population": s["population"],
        "population_hash": s["population_hash"],
        "total": s["total"],
        "size": s["size"],
        "seed": s["seed"],
        "method": s["method"],
        "members": list(s["members"]),
        "drawn_by": s["drawn_by"],
        "drawn_at": s["drawn_at"],
    }


def record_sample(
    eng: Engagement,
    *,
    population: str,
    population_hash: str,
    total: int,
    seed: str,
    method: str,
    members: Sequence[str],
    actor: str,
) -> Sample:
    rec = sample_record(
        {
            "population": population,
            "population_hash": population_hash,
            "total": total,
            "size": len(members),
            "seed": seed,
            "method": method,
            "members": list(members),
            "drawn_by": actor,
            "drawn_at": iso(eng.clock()),
        }
    )
    with eng._tx() as cur:  # noqa: SLF001
        seq = eng._event(cur, actor, "sample.draw", f"sample of {population}", rec)  # noqa: SLF001
        cur.execute(
            "INSERT INTO samples (population, population_hash, total, size, seed, method, members, drawn_by, drawn_at,"
            " event_seq) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                population,
                population_hash,
                total,
                rec["size"],
                seed,
                method,
                json.dumps(rec["members"]),
                actor,
                rec["drawn_at"],
                seq,
            ),
        )
        sid = int(cur.lastrowid or 0)
    return samples(eng, sid)[0]


def samples(eng: Engagement, sample_id: int | None = None) -> list[Sample]:
    """Every sample drawn, in order (or one)."""
    if not _has_samples(eng):
        return []  # a file from before samples were kept, opened read-only
    cond, params = ("WHERE id = ?", (sample_id,)) if sample_id is not None else ("", ())
    rows = eng._query(  # noqa: SLF001
        "SELECT id, population, population_hash, total, size, seed, method, members, drawn_by, drawn_at FROM samples "
        f"{cond} ORDER BY event_seq, id",
        params,
    )
    return [
        Sample(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])), r[8], parse_iso(r[9])) for r in rows
    ]


def verify_samples(eng: Engagement, by_seq: dict[int, tuple[str, str]], seen: set[int]) -> list[str]:
    """Every sample row against the event that recorded it."""
    from auditprep.store import integrity

    problems: list[str] = []
    if not _has_samples(eng):
        return problems
    for r in eng._query(  # noqa: SLF001
        "SELECT id, population, population_hash, total, size, seed, method, members, drawn_by, drawn_at, event_seq"
        " FROM samples"
    ):
        rec = sample_record(
            dict(
                zip(
                    (
                        "population",
                        "population_hash",
                        "total",
                        "size",
                        "seed",
                        "method",
                        "members",
                        "drawn_by",
                        "drawn_at",
                    ),
                    (*r[1:7], json.loads(r[7]), r[8], r[9]),
                    strict=True,
                )
            )
        )
        ev = by_seq.get(r[10])
        if ev is None or ev[0] != "sample.draw":
            problems.append(f"sample {r[0]} has no matching 'sample.draw' event (added outside auditprep)")
        elif integrity.record_hash(rec) != ev[1]:
            problems.append(f"sample {r[0]} was changed outside auditprep")
        seen.add(r[10])
    return problems


def _has_samples(eng: Engagement) -> bool:
    rows = eng._query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'samples'")  # noqa: SLF001
    return bool(rows)
