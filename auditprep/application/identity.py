"""Who is acting: the person named in the user's settings, so every record carries a real name.

``AUDITPREP_USER`` overrides the settings (scripts, CI). Without either, records that state what a
person said (answers, attestations, exceptions) cannot be made from the command line, and anything
else is recorded with the login account marked as unconfirmed, never passed off as a name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from auditprep.errors import InvalidInput

SETTINGS = ("name", "email")
HOW_TO = 'run: auditprep config set name "Your Name" email you@example.com (or set AUDITPREP_USER)'


def config_path() -> Path:
    override = os.environ.get("AUDITPREP_CONFIG")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("auditprep", appauthor=False)) / "config.json"


def load_settings() -> dict[str, str]:
    path = config_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(f"cannot read the settings file {path}: {exc.strerror or exc}.") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidInput(f"the settings file {path} is not valid JSON; fix or delete it.") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"the settings file {path} is not a JSON object; fix or delete it.")
    return {k: str(v) for k, v in data.items() if k in SETTINGS and isinstance(v, str)}


def save_settings(values: dict[str, str]) -> Path:
    unknown = sorted(set(values) - set(SETTINGS))
    if unknown:
        raise InvalidInput(f"unknown setting '{unknown[0]}'; the settings are: {', '.join(SETTINGS)}.")
    for key, value in values.items():
        if not value.strip():
            raise InvalidInput(f"the {key} cannot be empty.")
        if any(ord(ch) < 32 for ch in value):
            raise InvalidInput(f"the {key} cannot contain control characters.")
    merged = {**load_settings(), **{k: v.strip() for k, v in values.items()}}
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def person() -> str | None:
    """The named person acting, or None when nobody has said who they are."""
    explicit = os.environ.get("AUDITPREP_USER", "").strip()
    if explicit:
        return explicit
    settings = load_settings()
    name = settings.get("name", "").strip()
    if not name:
        return None
    email = settings.get("email", "").strip()
    return f"{name} <{email}>" if email else name


def system_account() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def actor() -> str:
    """Who performs an action: the named person, else the login account marked as unconfirmed."""
    return person() or f"{system_account()} (name not configured)"


def require_person(what: str) -> str:
    """The named person, or one clear error: a statement by a person needs that person's name."""
    who = person()
    if who is None:
        raise InvalidInput(f"{what} records who made it, and auditprep does not know your name; {HOW_TO}.")
    return who
