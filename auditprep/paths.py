"""Where the shipped data lives, from a checkout and from an installed wheel.

In a checkout the folders sit beside the package; in a wheel they are installed inside it as
``auditprep/_data/{questionnaires,templates}`` (see pyproject's force-include).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name} folder is missing from this installation")


def questionnaires_dir() -> Path:
    return _data_dir("questionnaires")


def templates_dir() -> Path:
    return _data_dir("templates")
