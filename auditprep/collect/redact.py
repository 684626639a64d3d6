"""Redaction of secret values, applied at collection before anything is stored.

Environment variable values are never kept, whatever their name: only names, with a flag for the
ones that look like secrets. Free text that may embed credentials (image history commands,
command lines, label values) is redacted by four kinds of detector:

- keywords: the value after a secret-looking key or flag (``--password X``, ``DB_PASS=X``,
  ``--pwd=X``), with detect-secrets' keyword list added to ours;
- credentials in URLs (``postgres://u:X@db``, ``redis://:X@cache``);
- the argv shapes of programs that take a password in a flag of their own (``mysql -pX``,
  ``curl -u admin:X``, ``redis-cli -a X``, ``sshpass -p X``, ``mongosh -p X``);
- token shapes: detect-secrets' vendor detectors (AWS, GitHub, GitLab, Slack, Stripe, JWT, ...)
  and high-entropy strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from functools import cache

REDACTED = "[REDACTED]"

_SECRET_NAME = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|"
    r"auth|session|signature|salt|dsn|connection[_-]?string|conn[_-]?str|jwt|cert|license[_-]?key)",
    re.IGNORECASE,
)
# KEY=value or KEY: value where KEY looks secret; a bare space separates a value only after a
# flag (--password VALUE), so prose such as "not authorized to perform" is left alone.
try:  # the keyword list of a maintained secret scanner, where it is installed
    from detect_secrets.plugins.keyword import DENYLIST as _LIBRARY_KEYWORDS
except ImportError:  # pragma: no cover - a dependency; kept optional so redaction never stops working
    _LIBRARY_KEYWORDS = ()
_KEYWORDS = "|".join(
    dict.fromkeys(
        [
            r"pass(?:word|wd|phrase)?",
            "secret",
            "token",
            r"api[_-]?key",
            r"access[_-]?key",
            r"private[_-]?key",
            "credential",
            "auth",
            *(k.replace("_?", "[_-]?") for k in _LIBRARY_KEYWORDS),
        ]
    )
)
_WORD = rf"[A-Za-z0-9_.-]*(?:{_KEYWORDS})[A-Za-z0-9_.-]*"
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
    re.compile(r"(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"),  # user:password@ and :password@ in URLs
)


@cache
def _library_shapes() -> tuple[re.Pattern[str], ...]:
    """Token shapes from detect-secrets' vendor detectors, each matched whole."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:  # pragma: no cover
        return ()
    # keyword-style and context-style detectors are covered above; public IPs are not secrets
    skip = {
        "ArtifactoryDetector",
        "BasicAuthDetector",
        "CloudantDetector",
        "IbmCloudIamDetector",
        "IbmCosHmacDetector",
        "IPPublicDetector",
        "KeywordDetector",
        "NpmDetector",
        "PrivateKeyDetector",
        "SoftlayerDetector",
    }
    out = []
    for cls in get_mapping_from_secret_type_to_class().values():
        if cls.__name__ in skip:
            continue
        for pattern in getattr(cls, "denylist", ()):
            if pattern.groups == 0 or cls.__name__ in ("GitHubTokenDetector", "GitLabTokenDetector"):
                out.append(pattern)
    return tuple(out)


# high entropy: a long token of base64/base62 letters with upper, lower and digits that is not hex
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{24,}(?![A-Za-z0-9+/_=-])")
_HEX = re.compile(r"[0-9a-fA-F]+")
ENTROPY_BITS = 4.0  # per character; random base62 of 24+ characters is above it, words and names below


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _high_entropy(match: re.Match[str]) -> str:
    token = match.group(0)
    core = token.strip("=")
    if (
        _HEX.fullmatch(core)
        or not (any(c.isupper() for c in core) and any(c.islower() for c in core) and any(c.isdigit() for c in core))
        or "/" in core.strip("/")
        and core.count("/") > 2  # a path, not a key
        or _entropy(core) < ENTROPY_BITS
    ):
        return token
    return REDACTED


# Programs that take a password in a flag of their own (not named after a secret):
# program -> (flags whose value is attached or follows, flags whose value is USER:PASSWORD)
_MYSQL = ({"-p"}, set())
_PROGRAMS: dict[str, tuple[set[str], set[str]]] = {
    **dict.fromkeys(
        ("mysql", "mysqldump", "mysqladmin", "mysqlcheck", "mysqlimport", "mysqlshow", "mysqlpump", "mysqlsh"), _MYSQL
    ),
    **dict.fromkeys(("mariadb", "mariadb-dump", "mariadb-admin", "mariadb-check", "mariadb-import"), _MYSQL),
    **dict.fromkeys(
        ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport", "mongoimport", "mongostat", "mongotop"),
        ({"-p"}, set()),
    ),
    "sshpass": ({"-p"}, set()),
    "redis-cli": ({"-a"}, set()),
    "valkey-cli": ({"-a"}, set()),
    "curl": (set(), {"-u", "--user", "-U", "--proxy-user"}),
    "smbclient": (set(), {"-U", "--user"}),
}
_SEPARATORS = {";", "&&", "||", "|", "&", "\n"}


def _program_tokens(tokens: list[str]) -> list[str]:
    """The tokens of one command line with the passwords of password-taking programs replaced."""
    out = list(tokens)
    rules: tuple[set[str], set[str]] | None = None
    pending: str | None = None  # "value" or "userpass": what the next token is
    for i, raw in enumerate(tokens):
        token = raw.strip("'\"")
        if pending is not None:
            if pending == "value":
                out[i] = REDACTED
            else:
                user, sep, _ = token.partition(":")
                if sep:
                    out[i] = f"{user}:{REDACTED}"
            pending = None
            continue
        if token in _SEPARATORS or raw.endswith(";"):
            rules = None
            continue
        name = token.rsplit("/", 1)[-1]
        if name in _PROGRAMS:
            rules = _PROGRAMS[name]
            continue
        if rules is None or not token.startswith("-"):
            continue
        valued, userpass = rules
        for flag in valued:
            if token == flag:
                pending = "value"
            elif token.startswith(flag) and not token.startswith("--") and len(token) > len(flag):
                out[i] = flag + REDACTED
        for flag in userpass:
            if token == flag:
                pending = "userpass"
            elif token.startswith(flag + "=") or (not flag.startswith("--") and token.startswith(flag)):
                value = token[len(flag) :].lstrip("=")
                user, sep, _ = value.partition(":")
                if sep:
                    out[i] = f"{token[: len(token) - len(value)]}{user}:{REDACTED}"
    return out


_TOKEN = re.compile(r"\S+")


def _programs_in_text(value: str) -> str:
    if not any(name in value for name in _PROGRAMS):
        return value
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(value)]
    tokens = [value[a:b] for a, b in spans]
    new = _program_tokens(tokens)
    if new == tokens:
        return value
    out, last = [], 0
    for (a, b), token in zip(spans, new, strict=True):
        out.append(value[last:a])
        out.append(token)
        last = b
    out.append(value[last:])
    return "".join(out)


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
    value = _programs_in_text(value)
    for shape in _library_shapes():
        value = shape.sub(REDACTED, value)
    value = _CANDIDATE.sub(_high_entropy, value)
    return value, value != original


def argv(parts: Iterable[object]) -> tuple[list[str], bool]:
    """Redact a command given as a list: each part as text, and the value after a secret-looking flag
    (``["--api-key", "VALUE"]`` keeps the secret in the next element)."""
    out: list[str] = []
    changed_any = False
    secret_next = False
    items = [str(part) for part in parts]
    by_program = _program_tokens(items)
    changed_any = by_program != items
    for item in by_program:
        if secret_next and item:
            item, changed = REDACTED, True
        else:
            item, changed = text(item)
        secret_next = item.startswith("-") and "=" not in item and looks_secret(item.lstrip("-"))
        changed_any |= changed
        out.append(item)
    return out, changed_any
