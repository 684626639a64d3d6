"""What every import shares: reading the file, naming a bad record, redaction and provenance.

A third-party file is untrusted input: it is read as strict JSON only, its size is capped, every
record is validated before anything is stored, and the first bad record is named (by index and
its own id) in the one error the user sees. Secret values are redacted from each record before it
becomes evidence, exactly as collectors do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditprep.collect import redact
from auditprep.errors import InvalidInput
from auditprep.models import Evidence
from auditprep.store import integrity

MAX_FILE_BYTES = 256 * 1024 * 1024  # far above any real result file; parsed JSON takes several times this
_ENV_KEY = re.compile(r"^(env|environment|environment_?variables|env_?vars?)$", re.IGNORECASE)
_SECRET_KEY = re.compile(
    r"(password|passwd|secret_?(access_)?key|private_?key|api_?key|auth_?token|session_?token)$", re.IGNORECASE
)


# Only unambiguous credential shapes are redacted inside third-party prose: the key=value rule
# collectors apply to command lines would garble ordinary sentences such as "authentication is on".
_CREDENTIAL_SHAPES = redact._SHAPES  # noqa: SLF001


class ImportFileError(InvalidInput):
    """A file given to ``auditprep import`` is unreadable, foreign, or has a bad record (exit 2)."""

    title = "Import"


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: bytes
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Parsed:
    """What a parser made of a whole file, before anything is stored."""

    tool: str
    tool_version: str
    records: int
    evidence: list[Evidence] = field(default_factory=list)
    subjects: set[tuple[str, str]] = field(default_factory=set)  # (collector, subject) this file supersedes


def read_source(path: Path) -> tuple[SourceFile, Any]:
    path = Path(path)
    from auditprep.safeio import read_regular

    raw = read_regular(path, MAX_FILE_BYTES, "a result file", ImportFileError)
    source = SourceFile(path, raw, integrity.sha256(raw))
    if not raw.strip():
        raise ImportFileError(f"{path} is empty; nothing was imported.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            f"{path} is not UTF-8 text, so it is not a JSON result file; nothing was imported."
        ) from None

    def no_constants(name: str) -> Any:
        raise ImportFileError(f"{path} contains {name}, which JSON does not allow; nothing was imported.")

    try:
        data = json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); nothing was imported."
        ) from None
    except RecursionError:
        raise ImportFileError(f"{path} is nested too deeply to be a result file; nothing was imported.") from None
    except ValueError:  # an integer longer than Python converts, and the like
        raise ImportFileError(
            f"{path} is not a result file (it holds a value that cannot be read, such as a number thousands of digits long); nothing was imported."
        ) from None
    try:  # a lone surrogate (\\ud800) decodes from JSON but can never be stored
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ImportFileError(f"{path} holds text that is not valid Unicode; nothing was imported.") from None
    return source, data


def bad_record(source: SourceFile, where: str, problem: str) -> ImportFileError:
    return ImportFileError(f"{source.path}: {where}: {problem}; nothing was imported from this file.")


def validation_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "missing":
        return f"required field '{loc}' is missing"
    msg = str(err["msg"]).rstrip(".")
    return f"field '{loc}' is invalid ({msg})" if loc else msg


def looks_like(data: Any) -> str:
    """A guess at what format a file really is, for the error when it is not the one asked for."""
    if isinstance(data, dict):
        if "Findings" in data:
            return "ASFF (an object with 'Findings'; use --format asff)"
        if "SchemaVersion" in data and ("ArtifactName" in data or "Results" in data):
            return "a Trivy report (use --format trivy)"
        return "a JSON object of another kind"
    if isinstance(data, list) and data and isinstance(data[0], dict):
        first = data[0]
        if "class_uid" in first or "finding_info" in first:
            return "OCSF findings (use --format prowler-ocsf)"
        if "ProductArn" in first and "GeneratorId" in first:
            return "a list of ASFF findings (use --format asff)"
    return "something else"


def parse_time(value: Any, default: datetime) -> datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return default
    if isinstance(value, str) and value:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        try:
            return dt.astimezone(UTC)
        except OverflowError:  # year 9999 with an offset east or west of UTC
            return default
    return default


def scrub(obj: Any, path: str = "") -> tuple[Any, list[str]]:
    """A copy of ``obj`` with secret values redacted, and the paths where something was removed.

    Environment variable values are dropped whatever their names (as collectors do), values of
    keys named like passwords or keys are replaced, and credential shapes inside any text go
    (access keys, tokens, private keys, passwords in URLs).
    """
    found: list[str] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                here = f"{where}.{key}" if where else str(key)
                if _ENV_KEY.match(str(key)) and item:
                    out[key] = _env(item, here)
                elif _SECRET_KEY.search(str(key)) and isinstance(item, (str, int, float)) and item not in ("", None):
                    out[key] = redact.REDACTED
                    found.append(here)
                else:
                    out[key] = walk(item, here)
            return out
        if isinstance(value, list):
            return [walk(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, str):
            text = value
            for shape in _CREDENTIAL_SHAPES:
                text = shape.sub(redact.REDACTED, text)
            if text != value:
                found.append(where)
            return text
        return value

    def _env(value: Any, where: str) -> Any:
        found.append(where)
        if isinstance(value, list):
            names: list[Any] = []
            for item in value:
                if isinstance(item, str):
                    names.append(item.split("=", 1)[0] + "=" + redact.REDACTED)
                elif isinstance(item, dict):
                    names.append(
                        {k: (redact.REDACTED if str(k).lower() == "value" else walk(v, where)) for k, v in item.items()}
                    )
                else:
                    names.append(redact.REDACTED)
            return names
        if isinstance(value, dict):
            return {k: redact.REDACTED for k in value}
        return redact.REDACTED

    return walk(obj, path), found


def provenance(source: SourceFile, fmt: str, tool: str, version: str, index: str, subject: str = "") -> dict[str, Any]:
    return {
        "format": fmt,
        "tool": tool,
        "tool_version": version,
        "file": source.name,
        "file_sha256": source.sha256,
        "record": index,
        "subject": subject,
    }
