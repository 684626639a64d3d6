"""Take real collected evidence, remove each field a check reads, one at a time, and report every
result that turns into a pass: a check must never pass on a field it did not see.

The fields a check reads are found by running it over evidence whose data records every key
looked up (``get``, ``[]``, ``in``); each such key that exists is then removed from that one item
(from every element, for keys inside lists) and the check is run again.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from auditprep.checks.engine import CheckSpec, EvidenceView, run_check
from auditprep.models import CheckMeta, Evidence, FindingStatus

Path = tuple[str, ...]


class _Dict(dict):
    def __init__(self, data: Mapping[str, Any], path: Path, log: set[Path]):
        super().__init__({k: _track(v, (*path, k), log) for k, v in data.items()})
        self._path, self._log = path, log

    def get(self, key: Any, default: Any = None) -> Any:
        self._log.add((*self._path, key))
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._log.add((*self._path, key))
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._log.add((*self._path, key))  # type: ignore[arg-type]
        return super().__contains__(key)


def _track(value: Any, path: Path, log: set[Path]) -> Any:
    if isinstance(value, dict):
        return _Dict(value, path, log)
    if isinstance(value, list):
        return [_track(v, (*path, "*"), log) for v in value]
    return value


def _remove(data: Any, path: Path) -> bool:
    """Remove ``path`` (``*`` = every list element) from ``data`` in place; whether anything went."""
    head, rest = path[0], path[1:]
    if head == "*":
        return any([_remove(v, path[1:]) for v in data]) if isinstance(data, list) and rest else False
    if not isinstance(data, dict) or head not in data:
        return False
    if not rest:
        del data[head]
        return True
    return _remove(data[head], rest)


def _statuses(spec: CheckSpec, meta: CheckMeta, evidence: list[Evidence]) -> dict[tuple[str, str], FindingStatus]:
    # keyed by resource where there is one: a trail judged in another region is still the same trail
    return {
        ("", f.resource) if f.resource else (f.scope.label(), ""): f.status
        for f in run_check(spec, meta, (), EvidenceView(evidence))
    }


def turned_into_pass(
    evidence: list[Evidence],
    registry: Mapping[str, CheckSpec],
    metadata: Mapping[str, CheckMeta],
    defaults: Mapping[tuple[str, Path], str] = {},
) -> tuple[list[str], int]:
    """(every result that became a pass when a field it read was removed, how many removals were tried).

    ``defaults``: (check, path) pairs where the API omits the field when it holds its documented
    default, so its absence is that default and not a field the collector failed to see.
    """
    problems: list[str] = []
    tried = 0
    for check_id, spec in sorted(registry.items()):
        meta = metadata[check_id]
        wanted = [i for i, ev in enumerate(evidence) if ev.kind in spec.requires and ev.resource and ev.data]
        logs: dict[int, set[Path]] = {i: set() for i in wanted}
        tracked = list(evidence)
        for i in wanted:
            tracked[i] = evidence[i].model_copy(update={"data": _Dict(evidence[i].data, (), logs[i])})
        before = _statuses(spec, meta, tracked)
        for i in wanted:
            for path in sorted(logs[i], key=lambda p: tuple(map(str, p))):
                if path[0] == "auditprep_derived" or (check_id, path) in defaults:
                    continue  # derived by the collector itself, or a documented API default
                data = copy.deepcopy(evidence[i].data)
                if not _remove(data, path):
                    continue
                tried += 1
                changed = list(evidence)
                changed[i] = evidence[i].model_copy(update={"data": data})
                try:
                    after = _statuses(spec, meta, changed)
                except Exception as exc:  # a check that breaks on a missing field stops the whole evaluation
                    problems.append(
                        f"{check_id}: removing {'.'.join(map(str, path))} from "
                        f"{evidence[i].resource_name or evidence[i].resource} raised {exc!r}"
                    )
                    continue
                for key, status in after.items():
                    if status is FindingStatus.PASS and before.get(key) is not FindingStatus.PASS:
                        problems.append(
                            f"{check_id}: removing {'.'.join(map(str, path))} from {evidence[i].resource_name or evidence[i].resource} "
                            f"turned {key[1] or key[0]} from {before.get(key)} into pass"
                        )
    return problems, tried


def kinds(registry: Mapping[str, CheckSpec], prefix: str) -> dict[str, CheckSpec]:
    return {k: v for k, v in registry.items() if k.startswith(prefix)}


def as_list(evidence: Iterable[Evidence]) -> list[Evidence]:
    return list(evidence)
