"""Summaries of an engagement for the terminal and for scripts: status and findings.

Read-only over the store; the same numbers feed the CLI, the TUI dashboard and the report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from auditprep.catalog import Catalog
from auditprep.evaluate import freshness
from auditprep.evaluate.posture import Posture, Status
from auditprep.models import CallStatus, FindingStatus
from auditprep.store import Engagement, iso
from auditprep.textfmt import table

COUNT_KEYS = ("controls", "answered", "in_place", "gaps", "exceptions", "not_evaluated", "conflicts")


def engagement_posture(eng: Engagement, catalog: Catalog) -> Posture:
    return Posture.of(eng, catalog, eng.clock())


def _counts(postures: list[Any]) -> dict[str, int]:
    c = Counter(cp.status for cp in postures)
    return {
        "controls": len(postures),
        "answered": sum(1 for cp in postures if cp.answer is not None),
        "in_place": c[Status.IN_PLACE],
        "gaps": c[Status.PARTIAL] + c[Status.NOT_IN_PLACE],
        "exceptions": c[Status.EXCEPTION],
        "not_evaluated": c[Status.NOT_EVALUATED],
        "conflicts": sum(1 for cp in postures if cp.conflict),
    }


def collection_summary(eng: Engagement) -> dict[str, Any]:
    runs = eng.runs()
    gaps = Counter()
    for ev in eng.current_evidence(with_data=False):
        if ev.status is not CallStatus.COLLECTED:
            gaps[ev.status.value] += 1
    return {
        "runs": len(runs),
        "last": iso(runs[-1].finished_at) if runs else None,
        "evidence_items": eng.evidence_count(),
        "gaps": dict(sorted(gaps.items())),
    }


def status_report(eng: Engagement, catalog: Catalog) -> dict[str, Any]:
    info = eng.info()
    posture = engagement_posture(eng, catalog)
    frameworks: dict[str, Any] = {}
    for fid in info.frameworks:
        if fid not in catalog.frameworks:
            continue
        mine = posture.framework_controls(fid)
        themes = {}
        for theme in catalog.themes:
            in_theme = [cp for cp in mine if cp.control.theme == theme.key]
            if in_theme:
                themes[theme.key] = _counts(in_theme)
        reqs = posture.requirements(fid)
        req_status = Counter(r.status.value for r in reqs)
        frameworks[fid] = {
            "name": f"{catalog.frameworks[fid].name} {catalog.frameworks[fid].version}",
            "total": _counts(mine),
            "themes": themes,
            "requirements": dict(sorted(req_status.items())),
        }
        if catalog.frameworks[fid].summary_by_section:
            frameworks[fid]["sections"] = section_verdicts(catalog, fid, reqs)
    findings = Counter(f.status.value for f in eng.findings())
    return {
        "engagement": info.name,
        "organisation": info.organisation,
        "fingerprint": eng.fingerprint(),
        "frameworks": frameworks,
        "collection": collection_summary(eng),
        "findings": dict(sorted(findings.items())),
        "freshness": freshness.of_engagement(eng, catalog),
    }


SECTION_KEYS = ("requirements", "in_place", "attested", "not_in_place", "exception", "not_tested", "not_covered")


def section_verdicts(catalog: Catalog, fid: str, reqs: list[Any]) -> dict[str, dict[str, Any]]:
    """Requirement verdicts per section (for FedRAMP 20x: Key Security Indicators per theme)."""
    out: dict[str, dict[str, Any]] = {}
    for sec in catalog.frameworks[fid].sections:
        c = Counter(r.status.value for r in reqs if r.requirement.section == sec.id)
        out[sec.id] = {
            "title": sec.title,
            "requirements": sum(c.values()),
            "in_place": c["in_place"] + c["in_place_ccw"],
            **{k: c[k] for k in SECTION_KEYS[2:]},
            "not_applicable": c["not_applicable"],
        }
    return out


def section_table(sections: dict[str, dict[str, Any]], labels: tuple[str, ...]) -> str:
    rows: list[tuple[str, ...]] = [labels]
    for sid, c in sections.items():
        rows.append((sid, *(str(c[k]) for k in SECTION_KEYS)))
    return table(rows, right=range(1, len(SECTION_KEYS) + 1))


def verdict_sentence(counts: dict[str, int]) -> str:
    """'Requirements (280 in the standard): 17 in place (verified), 15 attested, not verified, ...'."""
    c = Counter(counts)
    parts = [
        f"{c['in_place'] + c['in_place_ccw']} in place (verified)",
        f"{c['attested']} attested, not verified",
        f"{c['not_in_place']} not in place",
    ]
    if c["exception"]:
        parts.append(f"{c['exception']} under an exception")
    parts += [
        f"{c['not_tested']} not tested",
        f"{c['not_applicable']} not applicable",
        f"{c['not_covered']} outside this tool",
    ]
    return f"Requirements ({sum(c.values())} in the standard): " + ", ".join(parts) + "."


def render_status(report: dict[str, Any]) -> str:
    org = f" ({report['organisation']})" if report["organisation"] else ""
    out = [f"Engagement {report['engagement']}{org}", ""]
    header = ("THEME", "CONTROLS", "ANSWERED", "IN PLACE", "GAPS", "EXCEPTIONS", "NOT EVALUATED")
    for fid, fw in report["frameworks"].items():
        out.append(f"{fw['name']} [{fid}]")
        rows = [header]
        for theme, c in fw["themes"].items():
            rows.append((theme, *(str(c[k]) for k in COUNT_KEYS[:6])))
        t = fw["total"]
        rows.append(("total", *(str(t[k]) for k in COUNT_KEYS[:6])))
        out.append(table(rows, right=range(1, 7)))
        out.append(verdict_sentence(fw["requirements"]))
        if "sections" in fw:
            out.append("Requirement verdicts by theme:")
            out.append(
                section_table(
                    fw["sections"],
                    ("THEME", "TOTAL", "IN PLACE", "ATTESTED", "NOT IN PLACE", "EXCEPTION", "NOT TESTED", "OUTSIDE"),
                )
            )
        if t["conflicts"]:
            out.append(f"Conflicts: {t['conflicts']} control(s) answered 'in place' while a check fails.")
        out.append("")
    col = report["collection"]
    if col["runs"]:
        gaps = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in col["gaps"].items()) or "none"
        out.append(
            f"Evidence: {col['evidence_items']} item(s) from {col['runs']} collection run(s), last {col['last']}; gaps: {gaps}."
        )
    else:
        out.append("Evidence: nothing collected yet (run 'auditprep collect').")
    if report["findings"]:
        out.append("Findings: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report["findings"].items()) + ".")
    out.extend(freshness.render(report["freshness"]))
    out.append(f"Fingerprint: {report['fingerprint']}")
    return "\n".join(out)


def findings_rows(eng: Engagement, catalog: Catalog, framework: str | None = None) -> list[dict[str, Any]]:
    relevant = None
    if framework:
        relevant = {cid for cid, c in catalog.controls.items() if c.mappings.get(framework)}
    rows = []
    for f in eng.findings():
        controls = [c for c in f.controls if relevant is None or c in relevant]
        if relevant is not None and not controls:
            continue
        rows.append(
            {
                "check": f.check,
                "title": f.title,
                "status": f.status.value,
                "severity": f.severity.value,
                "resource": f.resource,
                "account": f.scope.account,
                "region": f.scope.region,
                "host": f.scope.host,
                "message": f.message,
                "controls": controls,
                "evidence": list(f.evidence),
            }
        )
    return rows


_ORDER = {
    s.value: i
    for i, s in enumerate(
        (
            FindingStatus.FAIL,
            FindingStatus.WARN,
            FindingStatus.NOT_EVALUATED,
            FindingStatus.PASS,
            FindingStatus.NOT_APPLICABLE,
        )
    )
}


def render_findings(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No findings yet (run 'auditprep collect')."
    ordered = sorted(rows, key=lambda r: (_ORDER[r["status"]], r["check"], r["resource"]))
    lines = [
        table(
            [
                ("STATUS", "SEVERITY", "CHECK", "WHERE"),
                *(
                    (
                        r["status"],
                        r["severity"],
                        r["check"],
                        r["host"] or "/".join(x for x in (r["account"], r["region"]) if x) or "-",
                    )
                    for r in ordered
                ),
            ]
        )
    ]
    lines.append("")
    for r in ordered:
        if r["status"] in ("fail", "warn", "not_evaluated"):
            lines.append(f"- [{r['status']}] {r['message']}")
    return "\n".join(lines)


def render_collect_summary(summary: Any) -> str:
    """Per source, service and scope: how many calls were collected, denied, throttled or failed."""
    rows = [("SOURCE", "SERVICE", "SCOPE", "COLLECTED", "NOT ENABLED", "DENIED", "THROTTLED", "FAILED")]
    for r in summary.results:
        if r.error:
            rows.append((r.source, "-", "-", "0", "0", "0", "0", "unreachable"))
            continue
        for (service, scope), c in sorted(r.counts().items()):
            rows.append(
                (
                    r.source,
                    service,
                    scope,
                    str(c["collected"]),
                    str(c["not_enabled"]),
                    str(c["access_denied"]),
                    str(c["throttled"]),
                    str(c["error"]),
                )
            )
    lines = [table(rows, right=range(3, 8))]
    gaps, seen = [], set()
    for ev in summary.gaps():  # one line per distinct cause: a dead host fails every kind the same way
        key = (ev.scope.label(), ev.resource, ev.operation, ev.status, ev.message)
        if key not in seen:
            seen.add(key)
            gaps.append(ev)
    if gaps:
        lines.append("")
        lines.append("Gaps (these checks are reported as not evaluated, never as passing):")
        for ev in gaps[:50]:
            target = f" {ev.resource_name or ev.resource}" if ev.resource else ""
            detail = f": {ev.message}" if ev.message else ""
            lines.append(f"- {ev.scope.label()}{target}: {ev.operation} {ev.status.value.replace('_', ' ')}{detail}")
        if len(gaps) > 50:
            lines.append(f"- ... and {len(gaps) - 50} more (see 'auditprep findings').")
    return "\n".join(lines)
