"""OSCAL 1.1 assessment results from the report context.

One result per report: each control becomes an observation (its narrative, how it was assessed,
the evidence it rests on), each covered requirement a finding whose target status follows the
requirement's status, failing controls open risks and recorded exceptions approved deviations.
Identifiers are UUIDv5 derived from the engagement fingerprint, so the same engagement always
gives the same document.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

OSCAL_VERSION = "1.1.2"
NS = "urn:auditprep:oscal"
_NAMESPACE = uuid.UUID("6f1c2b1e-3d4a-5b6c-8d7e-9f0a1b2c3d4e")

# requirement status -> (objective state, objective reason, implementation status)
# verdict -> (objective state, reason, implementation status). The implementation status is what the
# team stated; it is left out where nobody stated one (never "planned" on the tool's own initiative).
_STATE: dict[str, tuple[str, str, str | None]] = {
    "in_place": ("satisfied", "pass", "implemented"),
    "in_place_ccw": ("satisfied", "pass", "alternative"),
    "attested": ("not-satisfied", "other", "implemented"),
    "not_in_place": ("not-satisfied", "fail", None),
    "not_tested": ("not-satisfied", "other", None),
    "exception": ("not-satisfied", "other", None),
    "not_applicable": ("satisfied", "other", "not-applicable"),
}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def control_token(framework: str, requirement: str) -> str:
    """An OSCAL token for a requirement id: NIST style (``ac-2.1``) for 800-53, prefixed otherwise."""
    if framework == "fedramp-moderate":
        m = re.fullmatch(r"([A-Za-z]{2})-(\d+)((?:\(\d+\))*)", requirement)
        if m:
            enh = "".join(f".{n}" for n in re.findall(r"\((\d+)\)", m.group(3)))
            return f"{m.group(1).lower()}-{int(m.group(2))}{enh}"
    body = re.sub(r"\(([^)]*)\)", r"_\1", requirement)
    body = re.sub(r"[^A-Za-z0-9._-]+", "_", body).strip("_")
    return f"{re.sub(r'[^A-Za-z0-9._-]+', '_', framework)}_{body}"


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value or "-"}


def _text(paragraphs: list[str]) -> str:
    return "\n\n".join(p for p in paragraphs if p) or "-"


def build_oscal(ctx: dict[str, Any]) -> dict[str, Any]:
    eng, fw = ctx["engagement"], ctx["framework"]
    seed = f"{eng['fingerprint']}:{fw['id']}"
    start = eng["evidence_from"] or eng["created_at"]
    end = eng["as_of"]
    if end < start:
        end = start
    controls = ctx["controls"]
    evidence = {e["id"]: e for e in ctx["evidence"]}
    back_matter_uuid = _uuid(seed, "engagement")
    party = _uuid(seed, "party")

    observations = []
    obs_of: dict[str, str] = {}
    people: dict[str, str] = {}

    def person(name: str) -> str:
        return people.setdefault(name, _uuid(seed, "person", name))

    # FedRAMP: a control's open risk is due when the earliest POA&M item behind it is (RA-5 windows)
    due_of: dict[tuple[str, str], str] = {}
    for item in (ctx.get("poam") or {}).get("items", []):
        if item["kind"] == "check":
            key = (item["source_id"], item["asset"])
            due_of[key] = min(due_of.get(key, item["due"]), item["due"])
    for cid, c in controls.items():
        methods = ["EXAMINE"]
        if c["answer"] is not None:
            methods.append("INTERVIEW")
        if any(sum(chk["counts"].values()) for chk in c["checks"]):
            methods.append("TEST")
        relevant = []
        for eid in c["evidence"]:
            ev = evidence.get(eid)
            if ev is None:
                relevant.append(
                    {
                        "description": f"{eid}: from an earlier collection run kept in the engagement",
                        "props": [_prop("evidence-id", eid)],
                    }
                )
                continue
            relevant.append(
                {
                    "href": f"#{back_matter_uuid}",
                    "description": (
                        f"{eid}: {ev['operation']} for {ev['resource_name'] or ev['resource'] or 'the scope'} in "
                        f"{ev['scope']} at {ev['collected_at']}"
                    ),
                    "props": [_prop("sha256", ev["sha256"]), _prop("evidence-id", eid)],
                }
            )
        for doc in c["documents"]:
            relevant.append(
                {
                    "description": f"Document {doc['filename']} added by {doc['added_by']}",
                    "props": [_prop("sha256", doc["sha256"])],
                }
            )
        obs_uuid = _uuid(seed, "observation", cid)
        obs_of[cid] = obs_uuid
        props = [_prop("control-status", c["status"]), _prop("conflict", "yes" if c["conflict"] else "no")]
        actors = []
        if c["answer"] is not None:  # who answered and who attested stay with what they said
            props += [_prop("answered-by", c["answer"]["by"]), _prop("answered-at", c["answer"]["at"])]
            actors.append({"type": "party", "actor-uuid": person(c["answer"]["by"])})
        if c["attestation"] is not None:
            props += [_prop("attested-by", c["attestation"]["by"]), _prop("attested-at", c["attestation"]["at"])]
            actors.append({"type": "party", "actor-uuid": person(c["attestation"]["by"])})
        observation: dict[str, Any] = {
            "uuid": obs_uuid,
            "title": f"{cid} {c['title']}",
            "description": _text(c["narrative"]),
            "props": props,
            "methods": methods,
            "types": ["control-objective"],
            "collected": (c["answer"]["at"] if c["answer"] else None) or end,
        }
        if actors:
            observation["origins"] = [{"actors": actors}]
        if relevant:
            observation["relevant-evidence"] = relevant
        observations.append(observation)

    risks = []
    risk_of: dict[str, list[str]] = {}
    for cid, c in controls.items():
        fails = [g for g in c["gaps"] if g["status"] == "fail"]
        if c["exception"] is not None:
            exc = c["exception"]
            rid = _uuid(seed, "risk", cid, "exception")
            risks.append(
                {
                    "uuid": rid,
                    "title": f"Exception to {cid} {c['title']}",
                    "description": exc["rationale"] or "-",
                    "statement": f"Risk accepted by {exc['owner']} until {exc['expires']}.",
                    "status": "deviation-approved",
                    "deadline": f"{exc['expires']}T00:00:00Z",
                    "related-observations": [{"observation-uuid": obs_of[cid]}],
                }
            )
            risk_of.setdefault(cid, []).append(rid)
        elif fails:
            rid = _uuid(seed, "risk", cid, "gaps")
            risk: dict[str, Any] = {
                "uuid": rid,
                "title": f"Gaps in {cid} {c['title']}",
                "description": " ".join(g["message"] for g in fails[:20]) or "-",
                "statement": fails[0]["remediation"] or "Remediate the failing configuration.",
                "status": "open",
                "props": [_prop("failing-results", str(len(fails)))],
                "related-observations": [{"observation-uuid": obs_of[cid]}],
            }
            dues = [
                d
                for (check, asset), d in due_of.items()
                for g in fails
                if check == g["check"] and g["resource"] in asset
            ]
            if dues:
                risk["deadline"] = f"{min(dues)}T23:59:59Z"
                risk["props"].append(
                    _prop("deadline-basis", "FedRAMP RA-5 window from first detection (see the POA&M)")
                )
            risks.append(risk)
            risk_of.setdefault(cid, []).append(rid)

    findings = []
    reviewed = []
    for section in ctx["sections"]:
        for req in section["requirements"]:
            if req["status"] == "not_covered":
                continue
            token = control_token(fw["id"], req["id"])
            reviewed.append({"control-id": token})
            state, reason, impl = _STATE[req["status"]]
            paragraphs = req["narrative"].split("\n\n")
            finding: dict[str, Any] = {
                "uuid": _uuid(seed, "finding", req["id"]),
                "title": f"{fw['name']} {req['id']} {req['title']}",
                "description": _text(paragraphs),
                "props": [_prop("requirement-id", req["id"]), _prop("status", req["status"])],
                "target": {
                    "type": "objective-id",
                    "target-id": token,
                    "title": req["title"],
                    "status": {"state": state, "reason": reason, "remarks": req["status_label"]},
                },
            }
            if impl is not None:
                finding["target"]["implementation-status"] = {"state": impl}
            related = [{"observation-uuid": obs_of[cid]} for cid in req["controls"] if cid in obs_of]
            if related:
                finding["related-observations"] = related
            rrisks = [{"risk-uuid": r} for cid in req["controls"] for r in risk_of.get(cid, [])]
            if rrisks:
                finding["related-risks"] = rrisks
            findings.append(finding)

    result: dict[str, Any] = {
        "uuid": _uuid(seed, "result"),
        "title": f"auditprep assessment of {eng['name']} against {fw['name']} {fw['version']}",
        "description": (
            f"Container controls of {eng['organisation'] or eng['name']} assessed from the team's "
            f"answers and automated evidence; {ctx['summary']['not_covered']} requirement(s) are outside "
            "what the tool covers and are not reviewed here."
        ),
        "start": start,
        "end": end,
        "props": [_prop("evidence-fingerprint", eng["fingerprint"])],
        "reviewed-controls": {"control-selections": [{"include-controls": reviewed}]}
        if reviewed
        else {"control-selections": [{"include-all": {}}]},
        "observations": observations,
        "findings": findings,
    }
    if risks:
        result["risks"] = risks
    if not observations:
        del result["observations"]
    if not findings:
        del result["findings"]
    resource: dict[str, Any] = {
        "uuid": back_matter_uuid,
        "title": f"Engagement {eng['name']} evidence",
        "description": "The engagement record the observations rest on; its fingerprint pins every item.",
        "props": [_prop("evidence-fingerprint", eng["fingerprint"])],
    }
    if eng["package_hash"]:
        resource["props"].append(_prop("package-root-hash", eng["package_hash"]))
    metadata: dict[str, Any] = {
        "title": f"{fw['name']} {fw['version']} assessment results: {eng['name']}",
        "last-modified": end,
        "version": eng["fingerprint"][:16],
        "oscal-version": OSCAL_VERSION,
        "props": [_prop("tool", f"auditprep {ctx['tool']['version']}")],
    }
    parties = [{"uuid": uid, "type": "person", "name": name} for name, uid in people.items()]
    if eng["organisation"]:
        parties.insert(0, {"uuid": party, "type": "organization", "name": eng["organisation"]})
    if parties:
        metadata["parties"] = parties
    return {
        "assessment-results": {
            "uuid": _uuid(seed, "assessment-results"),
            "metadata": metadata,
            "import-ap": {
                "href": f"#{back_matter_uuid}",
                "remarks": "No separate assessment plan: the scope is the engagement named in the back matter.",
            },
            "results": [result],
            "back-matter": {"resources": [resource]},
        }
    }
