"""Redaction of secret values, applied at collection before anything is stored.

Environment variable values are never kept, whatever their name: only names, with a flag for the
ones that look like secrets. Free text that may embed credentials (image history commands,
command lines) has the values after secret-looking keys replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "[REDACTED]"

_SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|"
    r"auth|session|signature|salt|dsn|connection[_-]?string|conn[_-]?str|jwt|cert|license[_-]?key)",
    re.IGNORECASE,
)
# KEY=value or KEY: value where KEY looks secret; a bare space separates a value only after a
# flag (--password VALUE), so prose such as "not authorized to perform" is left alone.
_WORD = r"[A-Za-z0-9_.-]*(?:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*"
_VALUE = r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s;&|]+)"
_INLINE = re.compile(
    rf"(?P<key>--?{_WORD})(?P<sep>\s*=\s*|\s+){_VALUE}|(?P<key2>\b{_WORD})(?P<sep2>\s*[=:]\s*){_VALUE.replace('value', 'value2')}",
    re.IGNORECASE,
)
# well-known credential shapes, redacted wherever they appear
_SHAPES = (
    re.compile(r"AKIA[0-9A-Z]{16}"),
    re.compile(r"ASIA[0-9A-Z]{16}"),
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"xox[abpr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"SWMTKN-1-[A-Za-z0-9-]+"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password@ in URLs
)


def looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def env_names(env: Iterable[str] | None) -> list[dict[str, object]]:
    """Docker-style ``NAME=value`` strings -> names with a secret-looking flag; values dropped."""
    out = []
    for item in env or ():
        name = item.split("=", 1)[0]
        out.append({"name": name, "secret_like": looks_secret(name)})
    return out


# The credential in an Authorization header, whatever its scheme, and a bare "Bearer <token>".
_AUTH_HEADER = re.compile(
    r"(?P<head>\bauthorization\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?)(?!\[REDACTED\])[^\s'\";&|]+",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(?P<head>bearer\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{12,}", re.IGNORECASE)


def text(value: str) -> tuple[str, bool]:
    """Redact credential-looking values inside free text. Returns (text, whether anything changed)."""
    original = value
    value = _AUTH_HEADER.sub(lambda m: f"{m.group('head')}{REDACTED}", value)
    value = _BEARER.sub(lambda m: f"{m.group('head')}{REDACTED}", value)
    value = _INLINE.sub(
        lambda m: (
            f"{m.group('key')}{m.group('sep')}{REDACTED}"
            if m.group("key")
            else f"{m.group('key2')}{m.group('sep2')}{REDACTED}"
        ),
        value,
    )
    for shape in _SHAPES:
        value = shape.sub(REDACTED, value)
    return value, value != original


def argv(parts: Iterable[object]) -> tuple[list[str], bool]:
    """Redact a command given as a list: each part as text, and the value after a secret-looking flag
    (``["--api-key", "VALUE"]`` keeps the secret in the next element)."""
    out: list[str] = []
    changed_any = False
    secret_next = False
    for part in parts:
        item = str(part)
        if secret_next and item:
            item, changed = REDACTED, True
        else:
            item, changed = text(item)
        secret_next = item.startswith("-") and "=" not in item and looks_secret(item.lstrip("-"))
        changed_any |= changed
        out.append(item)
    return out, changed_any
