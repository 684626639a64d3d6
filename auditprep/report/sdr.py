"""The FedRAMP 20x Security Decision Record (SDR) in FedRAMP's JSON schema, from the report context.

For each of the 46 Key Security Indicators it states what SDR-CSX-KSI asks, in short sentences
that each trace to a check result, an evaluation date, an answer and its author, an attached
document, or the framework map:

* implementation: the measures (the KSI's objectives) and what speaks to each, and the cycle of
  each persistent measure, observed from the collection runs recorded; or, for a KSI outside this
  tool, the reason and the resulting risk;
* validation: verification that the measures demonstrate the KSI (with what they cannot show),
  whether the automation is sufficient, and the results of the measures with their dates;
* assessment: the independent assessment the team recorded, if any.

The implementation status is stated only where the evidence decides it: a KSI the team merely
attests, or that nothing has measured yet, carries no status rather than a claimed one.
"""

from __future__ import annotations

from typing import Any

from auditprep.catalog import Catalog
from auditprep.report.ksi_metrics import FRAMEWORK, History, check_sources, ksi_checks
from auditprep.report.output import ReportError
from auditprep.store import Engagement, iso

SCHEMA_FILE = "fedramp-security-decision-record-schema-2026-06-24.json"
PACKAGE_FACT = "fedramp.package-overview"

_DONE = ("met", "attested")
_SOURCES = {"aws": "AWS", "docker": "Docker"}
_OUTSIDE_RISK = (
    "Resulting risk to customers: this record holds no evidence for the indicator, so until those records "
    "are examined customers rely on the provider's own account of it."
)


def package_uri(ctx: dict[str, Any]) -> tuple[str, bool]:
    """The Certification Package Overview URI recorded on the engagement, else a URN naming the engagement."""
    from urllib.parse import urlsplit

    given = ctx["engagement"]["applicability"].get(PACKAGE_FACT) or []
    if given:
        parts = urlsplit(given[0])
        if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in given[0]):
            raise ReportError(
                f"{PACKAGE_FACT} is '{given[0]}', which is not a full http(s) address; record it again with "
                f"'auditprep applicability ENGAGEMENT {PACKAGE_FACT}=https://...'."
            )
        return given[0], True
    return f"urn:auditprep:engagement:{ctx['engagement']['fingerprint']}", False


def _status(req: dict[str, Any]) -> str | None:
    status = req["status"]
    if status in ("in_place", "in_place_ccw"):
        return "Implemented"
    if status in ("not_in_place", "exception"):
        done = any(o["status"] in _DONE for o in req["objectives"])
        return "Partially Implemented" if done else "Not Implemented"
    return None  # attested, not tested, not applicable: the evidence does not decide it


def _day(stamp: str) -> str:
    return stamp[:10]


def _doc_type(name: str) -> str:
    low = name.lower()
    if "policy" in low:
        return "Policy"
    if any(w in low for w in ("procedure", "runbook", "playbook", "plan")):
        return "Procedure"
    return "Report"


class _Ksi:
    def __init__(self, builder: SdrBuilder, req: dict[str, Any]):
        self.b = builder
        self.req = req
        self.model = builder.fw_reqs[req["id"]]
        self.checks = ksi_checks(self.model)

    def implementation(self) -> list[str]:
        req, model = self.req, self.model
        related = ", ".join(model.related) or "none listed by FedRAMP"
        out = [
            f"**{req['id']}: {req['title']}** ({self.b.section_titles[req['section']]}). "
            f"Related NIST SP 800-53 controls: {related}."
        ]
        if req["not_covered"]:
            out.append(f"No measure of this indicator is available in this tool: {req['not_covered']}")
            out.append(_OUTSIDE_RISK)
            return out
        for i, o in enumerate(req["objectives"], 1):
            parts = []
            if o["checks"]:
                parts.append("automated checks " + ", ".join(o["checks"]))
            if o["questions"]:
                parts.append("the team's answers to " + ", ".join(o["questions"]))
            if o["expected_documents"]:
                parts.append("documents: " + "; ".join(o["expected_documents"]))
            out.append(f"Measure {i}: {o['text'].strip()} Shown by {'; '.join(parts)}.")
        out += self.cycles()
        return out

    def cycles(self) -> list[str]:
        out = []
        for source in check_sources(self.checks):
            c = self.b.history.cycle(source)
            name = _SOURCES.get(source, source)
            out.append(
                f"Cycle: the {source} checks are evaluated after each collection from {name}; "
                f"{name} evidence was {c['words']}."
            )
        if not self.checks:
            out.append("Cycle: no measure of this indicator is automated; the team's answers stand until re-attested.")
        for cid in self.req["controls"]:
            att = self.b.controls.get(cid, {}).get("attestation")
            if att:
                out.append(
                    f"Cycle: the answers of {cid} were attested by {att['by']} on {_day(att['at'])} "
                    f"and are due again by {_day(att['due'])}."
                )
        return out

    def validation(self) -> list[str]:
        req = self.req
        if req["not_covered"]:
            return [
                "Not validated by this tool: nothing in the engagement measures this indicator. "
                "No acceptance of the reason by a senior official is recorded in this engagement."
            ]
        limits = [f"measure {i}: {o['limits'].strip()}" for i, o in enumerate(req["objectives"], 1) if o["limits"]]
        out = [
            f"Verification: the measures are the objectives auditprep's FedRAMP 20x map "
            f"({self.b.fw_version}) binds to {req['id']}; each names the checks, answers and documents that "
            "speak to it, and the verdict is met only when all of them hold."
            + (" What the measures cannot show: " + " ".join(limits) if limits else "")
        ]
        out.append(self.automation())
        when = self.b.evaluated_at
        for i, o in enumerate(req["objectives"], 1):
            dated = f" (evaluation of {_day(when)})" if o["checks"] and when else ""
            out.append(f"Measure {i} result{dated}: {o['status_label']}. {o['reason']}")
            if o["status"] == "not_tested":
                out.append(
                    f"Measure {i} is not available yet; resulting risk: until it is taken, this part of "
                    f"{req['id']} rests on nothing this record can show."
                )
            for c in o["check_results"]:
                out.append(f"Measure {i} evidence: {c['sentence']}")
            if o["evidence"]:
                ids = o["evidence"]
                more = f" and {len(ids) - 12} more" if len(ids) > 12 else ""
                out.append(
                    f"Measure {i} evidence records: {', '.join(ids[:12])}{more} (each with its hash in the "
                    "engagement and the report's evidence index)."
                )
            for a in o["answers"]:
                att = a.get("attestation")
                second = (
                    f", attested by {att['by']} on {_day(att['at'])}" if att else ", not attested by a second person"
                )
                out.append(
                    f"Measure {i} answer: {a['question']} answered \u201c{a['value']}\u201d by {a['by']} on "
                    f"{_day(a['at'])}{second}."
                )
        summary = self.b.metrics_summary(req["id"])
        if summary:
            out.append(summary)
        out.append(f"Verdict: {req['status_label']}. {req['verdict_reason']}")
        return out

    def automation(self) -> str:
        objs = self.req["objectives"]
        manual = [str(i) for i, o in enumerate(objs, 1) if not o["checks"]]
        mixed = [str(i) for i, o in enumerate(objs, 1) if o["checks"] and (o["questions"] or o["expected_documents"])]
        unjudged = sorted(
            {
                c["id"]
                for o in objs
                for c in o["check_results"]
                if c["counts"].get("not_evaluated", 0) or c["counts"].get("warn", 0)
            }
        )
        if not self.checks:
            return (
                "Automation: none; every measure rests on the team's answers and documents, which a person "
                "verifies. Automation is not sufficient to demonstrate this indicator on its own."
            )
        if manual:
            lead = (
                f"Automation: partial; measure(s) {', '.join(manual)} rest on the team's answers and documents, "
                "which automation cannot show."
            )
        else:
            lead = "Automation: every measure has automated checks."
        if mixed:
            lead += (
                f" In measure(s) {', '.join(mixed)} the checks verify the configuration and the team's answers "
                "cover the practice around it, which automation cannot."
            )
        judged = any(c["counts"].get("pass", 0) or c["counts"].get("fail", 0) for o in objs for c in o["check_results"])
        if unjudged:
            return lead + f" Some results could not be judged ({', '.join(unjudged)}), so it is not yet sufficient."
        if not judged:
            return (
                lead
                + " No check has judged anything yet (nothing in the collected scope, or no results), so the automation shows nothing yet."
            )
        if manual or mixed:
            return lead + " The automated part is sufficient only for what its checks judge."
        return lead + " Each check was judged wherever it applies in the latest evaluation, which suffices."

    def reviews(self) -> list[str]:
        """What an assessor wrote, in a review loaded into the engagement, about this KSI's controls or evidence."""
        controls = set(self.req["controls"])
        evidence = {e for o in self.req["objectives"] for e in o["evidence"]}
        out = []
        for c in self.b.comments:
            if (c.target_kind == "control" and c.target_id in controls) or (
                c.target_kind == "evidence" and c.target_id in evidence
            ):
                flag = f", flagged {c.flag}" if c.flag != "none" else ""
                out.append(
                    f"Assessor review: {c.author} on {c.at:%Y-%m-%d}, about {c.target_kind} {c.target_id}{flag}: "
                    f"{c.text or '(no text)'}"
                )
        return out

    def tests(self) -> list[str]:
        out = []
        for check in self.checks:
            meta = self.b.catalog.checks.get(check)
            out.append(f"{check}: {meta.title if meta else check}")
        for o in self.req["objectives"]:
            out += [f"answer: {q}" for q in o["questions"] if f"answer: {q}" not in out]
            out += [f"examine: {d}" for d in o["expected_documents"] if f"examine: {d}" not in out]
        return out

    def evidence(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        when = self.b.evaluated_at
        for o in self.req["objectives"]:
            for c in o["check_results"]:
                if c["id"] in seen:
                    continue
                seen.add(c["id"])
                counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in c["counts"].items() if n)
                item = {
                    "evidenceType": "Configuration",
                    "evidenceDescription": f"Check {c['id']} ({c['title']}): {counts or 'no results'}.",
                    "evidenceText": c["sentence"],
                }
                if when:
                    item["lastUpdated"] = _day(when)
                out.append(item)
            for a in o["answers"]:
                key = f"answer:{a['question']}"
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    {
                        "evidenceType": "Audit Record",
                        "evidenceDescription": f"Answer to {a['question']} recorded by {a['by']} in the engagement.",
                        "evidenceText": f"{a['value']}: {a['narrative']}".strip().rstrip(":"),
                        "lastUpdated": _day(a["at"]),
                    }
                )
            for d in o["documents"]:
                key = f"doc:{d['sha256']}"
                if key in seen:
                    continue
                seen.add(key)
                doc = self.b.documents.get(d["sha256"], {})
                out.append(
                    {
                        "evidenceType": _doc_type(f"{d['filename']} {doc.get('description', '')}"),
                        "evidenceDescription": f"{d['filename']} (SHA-256 {d['sha256']}), attached to {d['control']}"
                        + (f" by {doc['added_by']}" if doc.get("added_by") else "")
                        + (f": {doc['description']}" if doc.get("description") else ""),
                        "evidenceLocation": f"urn:sha256:{d['sha256']}",
                        **({"lastUpdated": _day(doc["added_at"])} if doc.get("added_at") else {}),
                    }
                )
        return out

    def as_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"ksiId": self.req["id"]}
        status = None if self.req["not_covered"] else _status(self.req)
        if status:
            item["ksiImplementationStatus"] = status
        item |= {
            "ksiImplementation": self.implementation(),
            "ksiValidation": self.validation(),
            "ksiAssessment": self.b.assessment() + self.reviews(),
            "ksiTests": self.tests(),
            "ksiEvidence": self.evidence(),
        }
        return item


class SdrBuilder:
    def __init__(self, catalog: Catalog, ctx: dict[str, Any], history: History, comments: list[Any] | None = None):
        self.comments = comments or []  # reviewer comments loaded into the engagement (auditprep.review)
        self.catalog = catalog
        self.ctx = ctx
        self.history = history
        fw = catalog.frameworks[FRAMEWORK]
        self.fw_version = fw.version
        self.fw_reqs = {r.id: r for r in fw.requirements}
        self.section_titles = {s.id: s.title for s in fw.sections}
        self.controls = ctx["controls"]
        self.documents = {d["sha256"]: d for d in ctx["documents"]}
        self.evaluated_at = iso(history.evaluations[-1].at) if history.evaluations else ""
        self._assessment: list[str] | None = None

    def metrics_summary(self, rid: str) -> str:
        month = self.history.summary(rid, 30)
        if not month:
            return ""
        year = self.history.summary(rid, 365) or month
        rate = f"{month['pass_rate']:.0%}" if month["pass_rate"] is not None else "not computable"
        last_fail = f"; last failing day {month['last_fail']}" if month["last_fail"] else ""
        return (
            f"Metrics: over the 30 days to {month['to']} the automated measure was taken on "
            f"{month['days_measured']} day(s): {month['days_pass']} passing, {month['days_fail']} failing, "
            f"{month['days_not_evaluated']} not judged (pass rate {rate}{last_fail}); over the year, "
            f"{year['days_measured']} day(s) measured. Daily data: the ksi-metrics file of this engagement."
        )

    def assessment(self) -> list[str]:
        if self._assessment is None:
            ans = self.ctx["controls"].get("AUD-07", {}).get("details", [])
            control = self.catalog.controls.get("AUD-07")
            text = next((q.text for q in control.questions if q.id == "AUD-07.assessed"), None) if control else None
            done = next((d for d in ans if d["question"] == text), None)
            if done and done["answer"]:
                self._assessment = [
                    f"The team records that the last independent assessment of the container platform finished "
                    f"on {done['answer']} (AUD-07.assessed, answered by {done['by']} on {_day(done['at'])}); its "
                    "statements are not held in this engagement."
                ]
            else:
                self._assessment = ["No independent assessment is recorded in this engagement."]
        return list(self._assessment)

    def requirements(self) -> list[dict[str, Any]]:
        eng = self.ctx["engagement"]
        reqs = [r for s in self.ctx["sections"] for r in s["requirements"]]
        counts: dict[str, int] = {}
        for r in reqs:
            counts[r["status_label"]] = counts.get(r["status_label"], 0) + 1
        tally = ", ".join(f"{n} {label.lower()}" for label, n in counts.items())
        evals = self.history.evaluations
        span = (
            f"{len(evals)} evaluation(s) from {_day(iso(evals[0].at))} to {_day(iso(evals[-1].at))}"
            if evals
            else "no evaluation yet"
        )
        tool = self.ctx["tool"]
        return [
            {
                "frrID": "SDR-CSO-MTD",
                "frrImplementation": [
                    f"Version {eng['fingerprint'][:16]} (the engagement fingerprint {eng['fingerprint']}); "
                    f"last updated {eng['as_of']}; source of update: {tool['name']} {tool['version']} from "
                    f"engagement {eng['name']}."
                ],
            },
            {
                "frrID": "SDR-CSX-KSI",
                "frrImplementation": [
                    f"Each of the 46 Key Security Indicators is stated below with its measures, their cycle, "
                    f"verification, automation and results, written by auditprep from engagement {eng['name']} "
                    f"(fingerprint {eng['fingerprint']}) as of {eng['as_of']}."
                ],
                "frrValidation": [f"Verdicts of the 46 indicators: {tally}."],
            },
            {
                "frrID": "SDR-CSX-KMT",
                "frrImplementation": [
                    f"The metric history holds {span}: per indicator, the state of its automated measure at every "
                    "evaluation, the last of each day, and 30-day and one-year summaries (auditprep report "
                    "--format ksi-metrics from the same engagement)."
                ],
            },
        ]

    def build(self) -> dict[str, Any]:
        uri, recorded = package_uri(self.ctx)
        eng = self.ctx["engagement"]
        tool = self.ctx["tool"]
        return {
            "certificationPackageOverviewUri": uri,
            "metadata": {
                "version": f"{eng['fingerprint'][:16]}",
                "lastUpdated": eng["as_of"],
                "sourceOfUpdate": f"{tool['name']} {tool['version']} from engagement {eng['name']} "
                f"(fingerprint {eng['fingerprint']})",
                "packageOverviewRecorded": recorded,
            },
            "fedRampRequirements": self.requirements(),
            "keySecurityIndicators": [_Ksi(self, r).as_dict() for s in self.ctx["sections"] for r in s["requirements"]],
        }


def build_sdr(eng: Engagement, catalog: Catalog, ctx: dict[str, Any], history: History | None = None) -> dict[str, Any]:
    """The SDR document (FedRAMP's schema) for the fedramp-20x report context ``ctx``."""
    from auditprep.review import review_comments

    comments = [c for _, c in review_comments(eng)]
    return SdrBuilder(catalog, ctx, history or History.load(eng, catalog), comments).build()
