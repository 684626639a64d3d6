"""Reproducible samples that cover every variant of a population before filling at random.

An assessor's sample must be representative (each platform and account that runs the workloads)
and reproducible (anyone can draw it again and get the same members). So members are grouped by
variant; one member of each variant is drawn at random within it; the rest of the sample is drawn
at random, without replacement, from the members left. The random generator is seeded from the
seed given and the population's kind, and members are ordered by id first, so the same seed over
the same population always gives the same sample. The method is written out in words.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass

from auditprep.errors import AuditprepError
from auditprep.evaluate.population import Member


class SampleError(AuditprepError):
    """A sample that cannot be drawn as asked (one sentence for the user)."""

    exit_code = 2
    title = "Sample"


@dataclass(frozen=True)
class Drawn:
    members: tuple[Member, ...]
    method: str
    population_hash: str
    variants: int
    total: int


def population_hash(members: Sequence[Member]) -> str:
    """Identifies the population a sample was drawn from: the sorted member ids, hashed."""
    return hashlib.sha256("\n".join(sorted(m.id for m in members)).encode()).hexdigest()


def variant_key(m: Member) -> str:
    return "/".join(f"{k}={v}" for k, v in sorted(m.variant.items()) if v)


def draw(kind: str, members: Sequence[Member], size: int, seed: str) -> Drawn:
    if size < 1:
        raise SampleError("--size must be at least 1.")
    ordered = sorted(members, key=lambda m: m.id)
    if not ordered:
        raise SampleError(f"the {kind} population is empty, so nothing can be sampled from it.")
    groups: dict[str, list[Member]] = {}
    for m in ordered:
        groups.setdefault(variant_key(m), []).append(m)
    if size < len(groups):
        raise SampleError(
            f"a sample of {size} cannot cover the {len(groups)} variants of the {kind} population "
            f"({', '.join(sorted(groups))}); use --size {len(groups)} or more."
        )
    size = min(size, len(ordered))
    rng = random.Random(f"auditprep-sample/{kind}/{seed}")
    chosen: list[Member] = [rng.choice(groups[key]) for key in sorted(groups)]
    picked = {m.id for m in chosen}
    rest = [m for m in ordered if m.id not in picked]
    chosen += rng.sample(rest, size - len(chosen))
    method = (
        f"Stratified by variant, then simple random: the {len(ordered)} members fall into {len(groups)} variant(s) "
        f"(platform and account or host); one member of each was drawn at random within it, then "
        f"{size - len(groups)} more were drawn at random without replacement from the other {len(rest)}. "
        f"Generator: Python's random.Random seeded with 'auditprep-sample/{kind}/{seed}', members ordered by id, "
        "so the same seed over the same population gives the same sample."
    )
    return Drawn(tuple(chosen), method, population_hash(ordered), len(groups), len(ordered))
