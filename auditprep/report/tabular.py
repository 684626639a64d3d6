"""Machine-readable views of the report context: the complete JSON, and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

CSV_COLUMNS = (
    "framework",
    "section",
    "requirement_id",
    "requirement_title",
    "designation",
    "requirement_status",
    "objectives",
    "applicability",
    "requirement_narrative",
    "control_id",
    "control_title",
    "theme",
    "control_status",
    "conflict",
    "answer",
    "answered_by",
    "answered_at",
    "attested_by",
    "attested_at",
    "exception_owner",
    "exception_expires",
    "checks_pass",
    "checks_fail",
    "checks_warn",
    "checks_not_evaluated",
    "checks_not_applicable",
    "gaps",
    "evidence_items",
    "evidence_ids",
    "narrative",
    "not_covered_reason",
    "engagement",
    "evidence_fingerprint",
    "as_of",
)
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_CELL_LIMIT = 32000  # spreadsheets refuse longer cells


def to_json(ctx: dict[str, Any]) -> bytes:
    return (json.dumps(ctx, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _cell(value: Any) -> str:
    """Text a spreadsheet shows as text: evidence strings never become formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(_FORMULA):
        text = "'" + text
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 20] + " [truncated]"
    return text


def _row(ctx: dict[str, Any], section: dict[str, Any], req: dict[str, Any], c: dict[str, Any] | None) -> dict[str, Any]:
    eng = ctx["engagement"]
    row: dict[str, Any] = {
        "engagement": eng["name"],
        "evidence_fingerprint": eng["fingerprint"],
        "as_of": eng["as_of"],
        "framework": ctx["framework"]["id"],
        "section": section["id"],
        "requirement_id": req["id"],
        "requirement_title": req["title"],
        "designation": req["designation"],
        "requirement_status": req["status"],
        "objectives": "; ".join(f"{o['id']} {o['status']} ({o['basis']})" for o in req["objectives"]),
        "applicability": req["applicability"] or req["applicability_note"],
        "requirement_narrative": req["narrative"],
        "not_covered_reason": req["not_covered"],
    }
    if c is None:
        return row
    totals = {k: 0 for k in ("pass", "fail", "warn", "not_evaluated", "not_applicable")}
    for chk in c["checks"]:
        for k in totals:
            totals[k] += chk["counts"].get(k, 0)
    ans, att, exc = c["answer"], c["attestation"], c["exception"]
    row.update(
        {
            "control_id": c["id"],
            "control_title": c["title"],
            "theme": c["theme"],
            "control_status": c["status"],
            "conflict": c["conflict"],
            "answer": ans["value"] if ans else "",
            "answered_by": ans["by"] if ans else "",
            "answered_at": ans["at"] if ans else "",
            "attested_by": att["by"] if att else "",
            "attested_at": att["at"] if att else "",
            "exception_owner": exc["owner"] if exc else "",
            "exception_expires": exc["expires"] if exc else "",
            **{f"checks_{k}": v for k, v in totals.items()},
            "gaps": " | ".join(f"{g['status']}: {g['message']}" for g in c["gaps"]),
            "evidence_items": len(c["evidence"]),
            "evidence_ids": " ".join(c["evidence"]),
            "narrative": "\n\n".join(c["narrative"]),
        }
    )
    return row


def to_csv(ctx: dict[str, Any]) -> bytes:
    """One row per (requirement, control); a requirement with no control gets one row of its own."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for section in ctx["sections"]:
        for req in section["requirements"]:
            if not req["controls"]:
                writer.writerow({k: _cell(v) for k, v in _row(ctx, section, req, None).items()})
            for cid in req["controls"]:
                row = _row(ctx, section, req, ctx["controls"][cid])
                writer.writerow({k: _cell(v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8")
