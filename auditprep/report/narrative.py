"""Sentences an assessor can read, written from the team's answers and the automated findings.

The generator groups findings by check and by outcome, names resources and where they live
("in account 111111111111 (eu-west-1)"), gives counts, and says plainly when an answer and the
evidence disagree. It never decides a status: statuses come from ``auditprep.evaluate.posture``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditprep.models import Finding, FindingStatus, Scope

# what a check judges, from the prefix of its id
_NOUNS = (
    ("aws.ecs.task_", ("task definition", "task definitions")),
    ("aws.ecs.service_", ("ECS service", "ECS services")),
    ("aws.ecs.cluster_", ("ECS cluster", "ECS clusters")),
    ("aws.eks.", ("EKS cluster", "EKS clusters")),
    ("aws.ecr.image_", ("image", "images")),
    ("aws.ecr.registry_", ("registry", "registries")),
    ("aws.ecr.", ("repository", "repositories")),
    ("aws.inspector.", ("scope", "scopes")),
    ("aws.cloudtrail.", ("trail", "trails")),
    ("aws.logs.", ("log group", "log groups")),
    ("aws.elb.", ("listener", "listeners")),
    ("aws.acm.", ("certificate", "certificates")),
    ("aws.kms.", ("key", "keys")),
    ("docker.daemon.", ("Docker daemon", "Docker daemons")),
    ("docker.container.", ("container", "containers")),
    ("docker.image.", ("image", "images")),
    ("docker.swarm.", ("swarm", "swarms")),
)

SHOWN = 6  # resources named in a sentence before "and N more"


def noun(check_id: str, n: int) -> str:
    for prefix, (one, many) in _NOUNS:
        if check_id.startswith(prefix):
            return one if n == 1 else many
    return "resource" if n == 1 else "resources"


def join_words(items: Sequence[str], conj: str = "and") -> str:
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def scope_phrase(scopes: Iterable[Scope]) -> str:
    """'in account 111111111111 (eu-west-1, us-east-1) and on Docker host unix:///...'."""
    by_account: dict[str, set[str]] = defaultdict(set)
    hosts: set[str] = set()
    other = False
    for s in scopes:
        if s.host:
            hosts.add(s.host)
        elif s.account:
            by_account[s.account].add(s.region or "")
        else:
            other = True
    parts = []
    if by_account:
        accounts = []
        for acct in sorted(by_account):
            regions = sorted(r for r in by_account[acct] if r)
            accounts.append(f"{acct} ({', '.join(regions)})" if regions else acct)
        parts.append(("in account " if len(accounts) == 1 else "in accounts ") + join_words(accounts))
    if hosts:
        names = sorted(hosts)
        parts.append(("on Docker host " if len(names) == 1 else "on Docker hosts ") + join_words(names))
    if other and not parts:
        parts.append("across the engagement")
    return join_words(parts)


def _name(f: Finding, names: Mapping[str, str]) -> str:
    if not f.resource:
        return f.scope.label()
    name = names.get(f.resource) or f.resource.rsplit("/", 1)[-1]
    return name


def _named_list(findings: Sequence[Finding], names: Mapping[str, str]) -> str:
    labels = sorted({f"{_name(f, names)} ({f.scope.label()})" if f.resource else _name(f, names) for f in findings})
    if len(labels) > SHOWN:
        return f"{', '.join(labels[:SHOWN])} and {len(labels) - SHOWN} more"
    return join_words(labels)


def check_sentence(check_id: str, title: str, findings: Sequence[Finding], names: Mapping[str, str]) -> str:
    """One or two sentences summarising every result of one check for one control."""
    by: dict[FindingStatus, list[Finding]] = defaultdict(list)
    for f in findings:
        by[f.status].append(f)
    judged = by[FindingStatus.PASS] + by[FindingStatus.FAIL] + by[FindingStatus.WARN]
    n = len(judged)
    out: list[str] = []
    if judged:
        where = scope_phrase(f.scope for f in judged)
        passing = len(by[FindingStatus.PASS])
        if passing == n:
            what = f"the one {noun(check_id, 1)}" if n == 1 else f"all {n} {noun(check_id, n)}"
            out.append(f"{title}: confirmed for {what} checked {where}.")
        else:
            out.append(
                f"{title}: {passing} of {n} {noun(check_id, n)} checked {where} {'meets' if passing == 1 else 'meet'} it."
            )
            if by[FindingStatus.FAIL]:
                fails = by[FindingStatus.FAIL]
                out.append(f"It fails for {_named_list(fails, names)}.")
            if by[FindingStatus.WARN]:
                warns = by[FindingStatus.WARN]
                out.append(f"It needs attention for {_named_list(warns, names)}.")
    elif by[FindingStatus.NOT_EVALUATED]:
        out.append(f"{title}: not evaluated.")
    elif by[FindingStatus.NOT_APPLICABLE]:
        absent = by[FindingStatus.NOT_APPLICABLE]
        out.append(
            f"{title}: not applicable, because nothing it judges was found {scope_phrase(f.scope for f in absent)}."
        )
    if judged and by[FindingStatus.NOT_EVALUATED]:
        ne = by[FindingStatus.NOT_EVALUATED]
        out.append(f"It could not be evaluated {scope_phrase(f.scope for f in ne)}.")
    return " ".join(out)


def answer_sentence(label: str, narrative: str) -> str:
    if narrative:
        return narrative if narrative.rstrip().endswith((".", "!", "?", ")", '"')) else narrative.rstrip() + "."
    return f"The team answered \u201c{label}\u201d without describing how the control is met."


def control_paragraphs(view: dict[str, Any]) -> list[str]:
    """The narrative of a control: the team's account, the automated evidence, and any conflict.

    Exceptions are not retold here: every format shows them in their own place (owner, expiry).
    """
    paras: list[str] = []
    ans = view["answer"]
    if ans is not None:
        paras.append(answer_sentence(ans["label"], ans["narrative"]))
    else:
        paras.append(
            "The team has not answered this control yet, so it cannot be shown as in place: automated "
            "evidence shows how systems are configured, not that a procedure is followed."
        )
    checks = [c for c in view["checks"] if c["sentence"]]
    if checks:
        paras.append(" ".join(c["sentence"] for c in checks))
    elif view["control_checks"]:
        paras.append("No automated results are recorded for this control yet.")
    for text in view.get("contradictions", ()):
        paras.append("Conflict: " + text)
    fails = sum(c["counts"].get("fail", 0) for c in view["checks"])
    if view["conflict"] and fails and ans and ans["value"] in ("yes", "n-a"):
        claimed = "in place" if ans and ans["value"] == "yes" else "not applicable"
        paras.append(
            f"Conflict: the team answered \u201c{claimed}\u201d, but {plural(fails, 'automated result')} "
            f"{'fails' if fails == 1 else 'fail'}. The control is reported as partially in place until the "
            "configuration or the answer changes."
        )
    return paras


# --- requirement narratives, written from the objectives ------------------------------------------

BASIS_WORDS = {
    "automated": "automated evidence",
    "document": "an attached document",
    "attested": "the team's answer alone",
    "none": "nothing yet",
}

DEFAULT_LIMITS = {
    "automated": (
        "This is the configuration at the time it was collected; it does not show that the setting held "
        "throughout the period, nor that anyone acted on what it produces."
    ),
    "document": "The document is the team's; auditprep records its hash but does not judge its content.",
    "attested": "No collected evidence or attached document verifies the answer; it is the team's statement.",
    "none": "",
}


def _day(value: str) -> str:
    return value[:10] if value else ""


def objective_paragraphs(obj: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What was examined, what it shows, what it does not show, what the team attests, what is open."""
    out: list[str] = []
    rows = [evidence[e] for e in obj["evidence"] if e in evidence]
    if rows:
        ops = sorted({r["operation"] for r in rows})
        scopes = sorted({r["scope"] for r in rows})
        times = sorted(r["collected_at"] for r in rows)
        span = _day(times[0]) if _day(times[0]) == _day(times[-1]) else f"{_day(times[0])} to {_day(times[-1])}"
        more = f" and {len(ops) - 4} more call(s)" if len(ops) > 4 else ""
        out.append(
            f"Examined: {join_words(ops[:4])}{more} in {join_words(scopes[:4])}"
            f"{f' and {len(scopes) - 4} more scope(s)' if len(scopes) > 4 else ''}, collected {span} "
            f"({plural(len(rows), 'evidence record')})."
        )
    shows = [c["sentence"] for c in obj["check_results"] if c["sentence"]]
    if shows:
        out.append("Shows: " + " ".join(shows))
    elif obj["checks"]:
        out.append("Shows: the named checks have no results for this engagement yet.")
    limits = obj["limits"] or DEFAULT_LIMITS.get(obj["basis"], "")
    if limits:
        out.append("Does not show: " + limits)
    for a in obj["answers"]:
        said = f" \u201c{a['narrative']}\u201d" if a["narrative"] else ""
        att = a.get("attestation")
        attested = f" Attested by {att['by']} on {_day(att['at'])}." if att else " Not attested by a second person."
        out.append(
            f"Team: {a['by']} answered \u201c{a['value']}\u201d to {a['question']} on {_day(a['at'])}.{said}{attested}"
        )
    if obj["unanswered"]:
        out.append("Not answered yet: " + join_words(obj["unanswered"]) + ".")
    if obj["documents"]:
        by_control: dict[str, list[str]] = defaultdict(list)
        for d in obj["documents"]:
            by_control[d["control"]].append(f"{d['filename']} ({d['sha256'][:12]})")
        out.append(
            "Documents attached: "
            + "; ".join(f"to {cid}, {join_words(names)}" for cid, names in sorted(by_control.items()))
            + "."
        )
    elif obj["expected_documents"]:
        out.append("Documents that would verify it: " + "; ".join(obj["expected_documents"]) + " (none attached).")
    if obj["document_missing"]:
        out.append("The answer refers to a document, but no document is attached to its control.")
    if obj["status"] not in ("met", "not_applicable"):
        out.append("Open: " + obj["reason"])
    return out


def requirement_narrative(req: Mapping[str, Any], evidence: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole narrative of one requirement as plain text (the JSON report's ``narrative``)."""
    if req["status"] == "not_covered":
        return f"{req['id']} ({req['title']}) is outside this tool's scope: {req['not_covered']}"
    if req["status"] == "not_applicable" and req["applicability"]:
        return f"{req['id']} ({req['title']}) does not apply to this engagement: {req['applicability']}"
    paras = []
    for i, obj in enumerate(req["objectives"], 1):
        basis = BASIS_WORDS.get(obj["basis"], obj["basis"])
        head = f"Objective {i} ({obj['status_label'].lower()}, on {basis}): {obj['text']}"
        lines = obj["narrative"] if "narrative" in obj else objective_paragraphs(obj, evidence)
        paras.append(" ".join([head, *lines]))
    if req["applicability_note"]:
        paras.append(req["applicability_note"])
    paras.append(f"Verdict: {req['status_label']}. {req['verdict_reason']}")
    return "\n\n".join(paras)
