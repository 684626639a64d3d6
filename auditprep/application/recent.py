"""The short list of recently opened engagements shown by the picker.

Kept as a small JSON file under the user data folder (platformdirs). Nothing is read or created
until the picker asks; a missing or damaged list is simply empty, because losing it loses nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LIMIT = 10


@dataclass(frozen=True)
class RecentEngagement:
    path: Path
    name: str
    opened_at: str  # ISO 8601, UTC

    @property
    def exists(self) -> bool:
        return self.path.is_file()


def default_recent_file() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("auditprep", appauthor=False)) / "recent.json"


class RecentList:
    def __init__(self, path: Path | None = None):
        self._path = path

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = default_recent_file()
        return self._path

    def load(self) -> list[RecentEngagement]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return [
                RecentEngagement(Path(r["path"]), str(r.get("name", "")), str(r.get("opened_at", "")))
                for r in raw.get("recent", [])
            ][:LIMIT]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return []

    def remember(self, path: Path, name: str, at: datetime) -> None:
        """Put ``path`` first; a failure to write the list is ignored (it is a convenience)."""
        path = Path(path).resolve()
        entries = [RecentEngagement(path, name, at.isoformat())]
        entries += [e for e in self.load() if e.path != path]
        doc = {"recent": [{"path": str(e.path), "name": e.name, "opened_at": e.opened_at} for e in entries[:LIMIT]]}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            pass

    def forget(self, path: Path) -> None:
        entries = [e for e in self.load() if e.path != Path(path).resolve()]
        doc = {"recent": [{"path": str(e.path), "name": e.name, "opened_at": e.opened_at} for e in entries]}
        try:
            self.path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        except OSError:
            pass
