"""index.html: one static page that lets anyone browse a package offline.

No JavaScript, no external resources (a Content-Security-Policy forbids both), every value
escaped, and a relative link to every file in the package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from auditprep import __version__
from auditprep.models import Evidence
from auditprep.package.layout import (
    COVER_NOTE,
    ENGAGEMENT_COPY,
    FileEntry,
    ReportEntry,
    attachment_path,
    evidence_path,
)
from auditprep.store import Engagement, iso

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;color:#1b1f24;
padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1rem}
table{border-collapse:collapse;width:100%;font-size:.88rem;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;word-break:break-all}
.muted{color:#57606a}.fail{color:#a40e26;font-weight:600}.warn{color:#7d4e00;font-weight:600}.pass{color:#116329}
nav a{margin-right:1rem}
"""


def _a(path: str, label: str | None = None) -> str:
    return f'<a href="{escape(quote(path, safe="/"))}">{escape(label or path)}</a>'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def render_index(
    eng: Engagement,
    *,
    created: str,
    entries: Sequence[FileEntry],
    reports: Sequence[ReportEntry],
    data_root_hash: str,
    signed: bool,
    evidence: Sequence[tuple[int, Evidence]],
) -> bytes:
    info = eng.info()
    out: list[str] = []
    w = out.append
    w('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">')
    w("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
    w(f"<title>Evidence package: {_e(info.name)}</title><style>{_CSS}</style></head><body>")
    w(f"<h1>Evidence package: {_e(info.name)}</h1>")
    w(
        f'<p class="muted">{_e(info.organisation)} &middot; frameworks: {_e(", ".join(info.frameworks))} &middot; '
        f"created {_e(created)} by auditprep {_e(__version__)}</p>"
    )
    w(
        "<nav>"
        + " ".join(
            _a(f"#{s}", t)
            for s, t in (
                ("check", "Checking"),
                ("reports", "Reports"),
                ("findings", "Findings"),
                ("answers", "Answers"),
                ("exceptions", "Exceptions"),
                ("attachments", "Attachments"),
                ("evidence", "Evidence"),
                ("files", "All files"),
            )
        )
        + "</nav>"
    )

    w('<h2 id="check">Checking this package</h2>')
    w(
        _table(
            ("Hash", "Value"),
            [
                ("Data root hash (every file of the package)", f'<span class="hash">{_e(data_root_hash)}</span>'),
                (
                    "Engagement fingerprint (head of its event chain)",
                    f'<span class="hash">{_e(eng.fingerprint())}</span>',
                ),
                (
                    "Package root hash",
                    "in " + _a("manifest.json") + " (<code>root_hash</code>); it covers this page too, "
                    "so this page cannot show it",
                ),
            ],
        )
    )
    w(f"<p>{_e(COVER_NOTE)}</p>")
    w(
        "<p>Without any tool: unpack the archive and run <code>sha256sum -c SHA256SUMS</code> in its folder. "
        "With auditprep: <code>auditprep verify PACKAGE.zip</code> also checks the root hashes, the engagement's "
        "event chain and that every JSON file agrees with the engagement copy.</p>"
    )
    if signed:
        w(
            "<p>This package is signed (Ed25519, " + _a("manifest.sig") + "). Check it with the signer's public key: "
            "<code>auditprep verify PACKAGE.zip --public-key KEY.pub</code>, or "
            "<code>openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in manifest.json -sigfile manifest.sig</code>.</p>"
        )
    else:
        w("<p>This package is not signed.</p>")

    w('<h2 id="reports">Reports</h2>')
    if reports:
        w("<ul>" + "".join(f"<li>{_a(r.path, f'{r.framework} report (PDF)')}</li>" for r in reports) + "</ul>")
    else:
        w('<p class="muted">No PDF report was rendered into this package.</p>')
    w(
        "<p>Engagement: "
        + ", ".join(_a(p) for p in ("engagement/engagement.json", "engagement/events.json", ENGAGEMENT_COPY))
        + " (the engagement copy opens "
        "read-only with <code>auditprep review</code>).</p>"
    )

    findings = eng.findings()
    counts = Counter(f.status.value for f in findings)
    w('<h2 id="findings">Findings</h2>')
    w(
        "<p>"
        + _a("findings/findings.json")
        + " &middot; "
        + _e(", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(counts.items())) or "no findings")
        + "</p>"
    )
    ev_paths = {ev.id: evidence_path(ev, run) for run, ev in evidence}
    order = {"fail": 0, "warn": 1, "not_evaluated": 2, "pass": 3, "not_applicable": 4}
    rows: list[tuple[str, ...]] = []
    for f in sorted(findings, key=lambda f: (order.get(f.status.value, 9), f.check, f.resource)):
        links = ", ".join(_a(ev_paths[e], e) for e in f.evidence if e in ev_paths)
        rows.append(
            (
                f'<span class="{_e(f.status.value)}">{_e(f.status.value)}</span>',
                _e(f.severity.value),
                _e(f.check),
                _e(f.resource or f.scope.label()),
                _e(f.message),
                _e(", ".join(f.controls)),
                links,
            )
        )
    if rows:
        w(_table(("Status", "Severity", "Check", "Resource", "Result", "Controls", "Evidence"), rows))

    w('<h2 id="answers">Answers</h2>')
    w(
        "<p>"
        + _a("answers/answers.json")
        + " (current answers and their full history) &middot; "
        + _a("answers/attestations.json")
        + "</p>"
    )
    answered = [
        (_e(a.control_id), _e(a.question_id), _e(a.value), _e(a.narrative), _e(a.answered_by), _e(iso(a.answered_at)))
        for a in eng.answers().values()
    ]
    if answered:
        w(_table(("Control", "Question", "Answer", "Narrative", "By", "At"), answered))
    atts = eng.attestations().values()
    if atts:
        w("<h3>Attestations</h3>")
        w(
            _table(
                ("Control", "Attested by", "At", "Re-attest every (days)"),
                [(_e(a.control_id), _e(a.attested_by), _e(iso(a.attested_at)), _e(a.reattest_days)) for a in atts],
            )
        )

    w('<h2 id="exceptions">Exceptions</h2><p>' + _a("exceptions/exceptions.json") + "</p>")
    exc = eng.exceptions()
    if exc:
        w(
            _table(
                ("Control", "Owner", "Rationale", "Expires", "Recorded by"),
                [(_e(x.control_id), _e(x.owner), _e(x.rationale), _e(iso(x.expires)), _e(x.recorded_by)) for x in exc],
            )
        )

    w('<h2 id="attachments">Attachments (manual evidence)</h2><p>' + _a("attachments/attachments.json") + "</p>")
    attachments = eng.attachments()
    if attachments:
        w(
            _table(
                ("File", "Control", "Description", "Type", "Added by", "At"),
                [
                    (
                        _a(attachment_path(a.id, a.filename), a.filename),
                        _e(a.control_id or ""),
                        _e(a.description),
                        _e(a.media_type),
                        _e(a.added_by),
                        _e(iso(a.added_at)),
                    )
                    for a in attachments
                ],
            )
        )

    w('<h2 id="evidence">Evidence</h2>')
    w(
        "<p>Raw responses as collected, with secret values redacted before they were stored. "
        "<em>current</em> marks the items of the latest run for each source and scope. <em>Call</em> is the AWS "
        "request id or the Docker Engine API request each item came from; <em>Record SHA-256</em> identifies the "
        "record (call, scope, resource, time, request ids and the SHA-256 of its content).</p>"
    )
    runs = {r.id: r for r in eng.runs()}
    by_run: dict[int, list[Evidence]] = {}
    for run_id, ev in evidence:
        by_run.setdefault(run_id, []).append(ev)
    current = {ev.id for ev in eng.current_evidence(with_data=False)}
    for run_id, items in by_run.items():
        r = runs.get(run_id)
        head = f"Run {run_id}"
        if r is not None:
            head += f": {r.source} by {r.actor} ({r.identity or 'unknown identity'}), {iso(r.started_at)}"
        w(f"<h3>{_e(head)}</h3>")
        w(
            _table(
                ("Item", "Kind", "Resource", "Scope", "Status", "Call", "Record SHA-256", "Current"),
                [
                    (
                        _a(evidence_path(ev, run_id), ev.id),
                        _e(ev.kind),
                        _e(ev.resource_name or ev.resource),
                        _e(ev.scope.label()),
                        _e(ev.status.value),
                        "<br>".join(f"<code>{_e(c)}</code>" for c in (*ev.request_ids, *ev.api_paths)),
                        f'<span class="hash">{_e(ev.record_hash)}</span>',
                        "yes" if ev.id in current else "",
                    )
                    for ev in items
                ],
            )
        )

    w('<h2 id="files">All files</h2>')
    files = [
        (_a(e.path), _e(e.size), f'<span class="hash">{_e(e.sha256)}</span>')
        for e in sorted(entries, key=lambda e: e.path)
    ]
    files += [(_a(p), "", "listed in SHA256SUMS") for p in ("manifest.json", *(("manifest.sig",) if signed else ()))]
    files.append((_a("SHA256SUMS"), "", ""))
    w(_table(("Path", "Bytes", "SHA-256"), files))
    w("</body></html>\n")
    return "".join(out).encode()
