"""What an unfinished collection has already stored, so ``collect --resume`` can go on from there.

A collection stores each unit (one AWS account with all its regions, one Docker host) as a run of
its own as soon as the unit is done, then notes the unit and its run here. The journal sits beside
the engagement file (``NAME.collecting.json``) and is removed when a collection ends without
being interrupted. It only says what to skip: the evidence is in the engagement, and a unit whose
run the engagement does not hold is collected again. A unit stored but not yet noted (killed
between the two) is collected again too, and its new run replaces the old one's evidence.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT = 1


class JournalError(Exception):
    """The journal cannot be used as asked (one sentence)."""


def journal_path(engagement: Path) -> Path:
    return engagement.with_name(engagement.name + ".collecting.json")


@dataclass
class Journal:
    path: Path
    options: dict[str, Any]
    done: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> unit key -> run id
    started_at: str = ""
    resumed: bool = False

    @classmethod
    def start(cls, engagement: Path, options: dict[str, Any], *, resume: bool, runs: set[int]) -> Journal:
        """A new journal, or with ``resume`` the interrupted one (checked against ``options`` and the
        ``runs`` the engagement holds). Without ``resume`` an old journal is replaced."""
        path = journal_path(engagement)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if not resume or not path.exists():
            journal = cls(path, options, started_at=now)
            journal._write()
            return journal
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise ValueError("unknown format")
            saved = raw["options"]
            done = {str(src): {str(k): int(v) for k, v in units.items()} for src, units in raw["done"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise JournalError(
                f"the record of the interrupted collection ({path.name}) cannot be read ({exc}); "
                "collect again without --resume."
            ) from None
        if saved != options:
            raise JournalError(
                "the interrupted collection was started with other options "
                f"({_describe(saved)}); give the same ones with --resume, or collect without --resume."
            )
        kept = {src: {k: r for k, r in units.items() if r in runs} for src, units in done.items()}
        journal = cls(path, options, kept, str(raw.get("started_at", now)), resumed=True)
        journal._write()
        return journal

    def skip(self, source: str) -> set[str]:
        return set(self.done.get(source, {}))

    def note(self, source: str, key: str, run_id: int) -> None:
        self.done.setdefault(source, {})[key] = run_id
        self._write()

    def finish(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def _write(self) -> None:
        body = {"format": FORMAT, "started_at": self.started_at, "options": self.options, "done": self.done}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def _describe(options: dict[str, Any]) -> str:
    parts = []
    for key, value in sorted(options.items()):
        if value in (None, [], (), "", False):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts) or "no options"
