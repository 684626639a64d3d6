"""The POA&M as an OSCAL 1.1 plan-of-action-and-milestones document.

Each POA&M item becomes three linked objects, as OSCAL models them: an observation (what was seen,
on which asset, by which tool or person, when), a risk (its likelihood, impact and rating, its
deadline, the proposed milestones, and a deviation request where an exception was recorded) and
the poam-item that ties them together. Assets are inventory items of the local definitions, the
tool a component. Identifiers are UUIDv5 from the engagement fingerprint and the item's source, so
the same engagement always gives the same document.
"""

from __future__ import annotations

from typing import Any

from auditprep.report.oscal import OSCAL_VERSION, _prop, _uuid

FACETS = "https://fedramp.gov/ns/oscal"  # the system FedRAMP's OSCAL POA&M uses for its risk facets


def _end_of(day: str) -> str:
    return f"{day}T23:59:59Z"


def _start_of(day: str) -> str:
    return f"{day}T00:00:00Z"


def build_poam_oscal(ctx: dict[str, Any]) -> dict[str, Any]:
    eng, fw, poam = ctx["engagement"], ctx["framework"], ctx["poam"]
    seed = f"{eng['fingerprint']}:{fw['id']}:poam"
    tool = _uuid(seed, "component", "auditprep")
    org = _uuid(seed, "party", "organisation")
    assessor_party: dict[str, str] = {}
    inventory: dict[str, str] = {}
    observations, risks, items = [], [], []
    for item in poam["items"]:
        key = f"{item['kind']}:{item['source_id']}:{item['asset']}"
        asset = inventory.setdefault(item["asset"], _uuid(seed, "asset", item["asset"]))
        if item["kind"] == "assessor":
            who = item["detector"]
            actor = {"type": "party", "actor-uuid": assessor_party.setdefault(who, _uuid(seed, "party", who))}
            methods = ["EXAMINE"]
        else:
            actor = {"type": "tool", "actor-uuid": tool}
            methods = ["TEST"]
        origin = {"actors": [actor]}
        obs_uuid, risk_uuid = _uuid(seed, "observation", key), _uuid(seed, "risk", key)
        observation: dict[str, Any] = {
            "uuid": obs_uuid,
            "title": item["weakness"],
            "description": item["description"] or item["weakness"],
            "props": [_prop("detector", item["detector"]), _prop("source-identifier", item["source_id"])],
            "methods": methods,
            "types": ["finding"],
            "origins": [origin],
            "subjects": [{"subject-uuid": asset, "type": "inventory-item", "title": item["asset"]}],
            "collected": _start_of(item["detected"]),
        }
        if item["evidence"]:
            observation["relevant-evidence"] = [
                {"description": f"Evidence {eid} in the engagement record", "props": [_prop("evidence-id", eid)]}
                for eid in item["evidence"]
            ]
        observations.append(observation)
        props = [
            _prop("poam-id", item["id"]),
            _prop("original-detection-date", item["detected"]),
            _prop("severity", item["severity"]),
            _prop("vendor-dependency", "yes" if item["vendor_dependency"] else "no"),
            _prop("days-past-deadline", str(item["days_over"])),
        ]
        if item["cve"]:
            props.append(_prop("cve-id", item["cve"]))
        description = item["description"] or item["weakness"]
        if item["deviation"]:
            props.append(_prop("deviation-request", "pending"))
            description += (
                f"\n\nDeviation requested: an exception recorded by {item['deviation_owner']} until "
                f"{item['deviation_expires']} accepts this risk ({item['deviation']}); the authorising "
                "official's decision is not recorded."
            )
        risk: dict[str, Any] = {
            "uuid": risk_uuid,
            "title": item["weakness"],
            "description": description,
            "statement": f"Likelihood {item['likelihood']} ({item['likelihood_basis']}) and impact {item['impact']}.",
            "props": props,
            "status": "deviation-requested" if item["deviation"] else "open",
            "origins": [origin],
            "characterizations": [
                {
                    "origin": {"actors": [{"type": "tool", "actor-uuid": tool}]},
                    "facets": [
                        {"name": "likelihood", "system": FACETS, "value": item["likelihood"].lower()},
                        {"name": "impact", "system": FACETS, "value": item["impact"].lower()},
                        {"name": "risk", "system": FACETS, "value": item["risk"].lower()},
                    ],
                }
            ],
            "deadline": _end_of(item["due"]),
            "remediations": [
                {
                    "uuid": _uuid(seed, "remediation", key),
                    "lifecycle": "planned",
                    "title": "Remediation plan",
                    "description": item["remediation"],
                    "remarks": poam["milestone_note"],
                    "tasks": [
                        {
                            "uuid": _uuid(seed, "milestone", key, str(n)),
                            "type": "milestone",
                            "title": m["description"],
                            "timing": {"on-date": {"date": _end_of(m["due"])}},
                        }
                        for n, m in enumerate(item["milestones"], 1)
                    ],
                }
            ],
            "related-observations": [{"observation-uuid": obs_uuid}],
        }
        risks.append(risk)
        poam_item: dict[str, Any] = {
            "uuid": _uuid(seed, "poam-item", key),
            "title": f"{item['id']} {item['weakness']}",
            "description": item["remediation"],
            "props": [_prop("poam-id", item["id"]), *[_prop("control-id", c) for c in item["controls"]]],
            "origins": [origin],
            "related-observations": [{"observation-uuid": obs_uuid}],
            "related-risks": [{"risk-uuid": risk_uuid}],
        }
        if item["comments"]:
            poam_item["remarks"] = " ".join(item["comments"])
        items.append(poam_item)

    parties = [{"uuid": uid, "type": "person", "name": who} for who, uid in assessor_party.items()]
    if eng["organisation"]:
        parties.insert(0, {"uuid": org, "type": "organization", "name": eng["organisation"]})
    metadata: dict[str, Any] = {
        "title": f"Plan of action and milestones: {eng['name']} ({fw['name']})",
        "last-modified": eng["as_of"],
        "version": eng["fingerprint"][:16],
        "oscal-version": OSCAL_VERSION,
        "props": [
            _prop("tool", f"auditprep {ctx['tool']['version']}"),
            _prop("evidence-fingerprint", eng["fingerprint"]),
        ],
    }
    if parties:
        metadata["parties"] = parties
    local: dict[str, Any] = {
        "components": [
            {
                "uuid": tool,
                "type": "software",
                "title": "auditprep",
                "description": "The assessment tool whose checks and scan imports found the weaknesses.",
                "status": {"state": "operational"},
            }
        ]
    }
    if inventory:
        local["inventory-items"] = [
            {"uuid": uid, "description": asset, "props": [_prop("asset-id", asset)]} for asset, uid in inventory.items()
        ]
    doc: dict[str, Any] = {
        "uuid": _uuid(seed, "poam"),
        "metadata": metadata,
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": _uuid(seed, "system")},
        "local-definitions": local,
        "poam-items": items,
    }
    if observations:
        doc["observations"] = observations
        doc["risks"] = risks
    return {"plan-of-action-and-milestones": doc}
