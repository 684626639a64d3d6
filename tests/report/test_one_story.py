"""One story across deliverables: every statement of a resource's state agrees with the findings.

The demo engagement (recorded output of the real collectors, evaluated by the real checks) is
read once into its evaluated fact set; the PCI DSS report (HTML, JSON, CSV, OSCAL, and the PDF
weasyprint lays out, read back with pypdf) and the incident-response playbook (HTML and PDF) are
rendered from it. For each resource the checks judged, each deliverable's statement of its state
(inventory rows, detection sources, regions without GuardDuty, the riskiest containers, gaps,
counts, risks) is compared with the finding. A contradiction anywhere fails.

The vocabulary below is the test's own reading of the words the deliverables use; every mapping
is exercised by the demo (the test counts the comparisons it made, so it cannot pass by
comparing nothing).
"""

from __future__ import annotations

import csv
import html as htmlmod
import io
import json
import re
from collections import Counter, defaultdict

import pytest
from pypdf import PdfReader

from auditprep.models import Finding, FindingStatus
from auditprep.report import html_of, report_bytes
from auditprep.report.context import build_context
from auditprep.report.facts import Facts
from auditprep.report.playbook import build_playbook
from auditprep.store import Engagement

PASS, FAIL, WARN = FindingStatus.PASS, FindingStatus.FAIL, FindingStatus.WARN
NOT_EVALUATED = FindingStatus.NOT_EVALUATED
FRAMEWORK = "pci-dss"


@pytest.fixture(scope="module")
def story(demo):
    catalog, path = demo.catalog, demo.path
    with Engagement.open(path, readonly=True) as eng:
        facts = Facts.load(eng)
        ctx = build_context(eng, catalog, FRAMEWORK, facts=facts)
        playbook = build_playbook(eng, catalog, facts=facts)
    out = {
        "catalog": catalog,
        "path": path,
        "facts": facts,
        "ctx": ctx,
        "playbook": playbook,
        "html": report_bytes(ctx, catalog, "html").decode(),
        "json": json.loads(report_bytes(ctx, catalog, "json")),
        "csv": list(csv.DictReader(io.StringIO(report_bytes(ctx, catalog, "csv").decode()))),
        "oscal": json.loads(report_bytes(ctx, catalog, "oscal")),
        "playbook_html": html_of(playbook, catalog, "html"),
        "pdf": demo.pdf,
    }
    return out


def _by_resource(findings: list[Finding]) -> dict[str, dict[str, FindingStatus]]:
    out: dict[str, dict[str, FindingStatus]] = defaultdict(dict)
    for f in findings:
        if f.resource:
            out[f.resource][f.check] = f.status
    return out


def _region(where: str) -> str:
    return where.rsplit("/", 1)[-1]


class Tally:
    """Counts the comparisons per kind of statement, so a test that compared nothing fails."""

    def __init__(self) -> None:
        self.n: Counter[str] = Counter()

    def agree(self, what: str, stated: str, status: FindingStatus | None, allowed: dict[str, set]) -> None:
        assert status is not None, f"{what}: the deliverable states {stated!r} but no check judged it"
        assert stated in allowed, f"{what}: unexpected statement {stated!r}"
        assert status in allowed[stated], f"{what}: the deliverable says {stated!r}, the finding is {status.value}"
        self.n[what.split(" ", 1)[0]] += 1


# --- inventory rows (the same rows are in the HTML/PDF tables and the JSON) --------------------------


def test_inventory_rows_agree_with_the_findings(story) -> None:
    facts, inv = story["facts"], story["json"]["environment"]
    judged = _by_resource(facts.findings)
    t = Tally()
    services_of: dict[str, set[str]] = defaultdict(set)
    for res in judged:
        m = re.fullmatch(r"arn:aws:ecs:[^:]+:\d+:service/([^/]+)/(.+)", res)
        if m:
            services_of[m.group(1)].add(m.group(2))
    for c in inv["ecs_clusters"]:
        f = judged.get(c["arn"], {})
        listed = {s["name"] for s in inv["ecs_services"] if s["cluster"] == c["name"]}
        assert c["services"] == len(listed) == len(services_of.get(c["name"], set())), c
        t.n["services"] += 1
        t.agree(
            "insights " + c["name"],
            c["insights"],
            f.get("aws.ecs.cluster_container_insights"),
            {"enabled": {PASS}, "enhanced": {PASS}, "disabled": {FAIL}},
        )
        t.agree(
            "exec_logging " + c["name"],
            c["exec_logging"],
            f.get("aws.ecs.cluster_exec_logging"),
            {"OVERRIDE": {PASS, WARN, FAIL}, "DEFAULT": {WARN}, "NONE": {FAIL}},
        )
    for s in inv["ecs_services"]:
        f = judged[s["arn"]]
        t.agree(
            "public_ip " + s["name"],
            s["public_ip"],
            f.get("aws.ecs.service_public_ip"),
            {"ENABLED": {FAIL}, "DISABLED": {PASS}},
        )
        t.agree(
            "exec " + s["name"],
            s["exec"],
            f.get("aws.ecs.service_exec_enabled"),
            {"yes": {FAIL, WARN}, "no": {PASS}, "unknown": {NOT_EVALUATED}},
        )
    for td in inv["task_definitions"]:
        f = judged[td["arn"]]
        # per container: ECS reads an absent setting as false, so "unknown" would contradict a verdict
        stated = {c["privileged"] for c in td["containers"]} | {c["read_only"] for c in td["containers"]}
        assert "unknown" not in stated, td["name"]
        privileged = "yes" if any(c["privileged"] == "yes" for c in td["containers"]) else "no"
        t.agree("privileged " + td["name"], privileged, f.get("aws.ecs.task_privileged"), {"yes": {FAIL}, "no": {PASS}})
        read_only = "yes" if all(c["read_only"] == "yes" for c in td["containers"]) else "no"
        t.agree(
            "read_only " + td["name"], read_only, f.get("aws.ecs.task_readonly_rootfs"), {"yes": {PASS}, "no": {FAIL}}
        )
        users = {c["user"] for c in td["containers"]}
        user = "image default" if "image default" in users else ("root" if users & {"root", "0"} else "named")
        t.agree(
            "user " + td["name"],
            user,
            f.get("aws.ecs.task_nonroot"),
            {"image default": {NOT_EVALUATED, FAIL, PASS}, "root": {FAIL}, "named": {PASS}},
        )
        # "image default" is never a pass unless the image's own user was resolved to a non-root one
        if user == "image default" and f.get("aws.ecs.task_nonroot") is PASS:
            msg = facts.about("aws.ecs.task_nonroot", td["arn"]).message
            assert "image" in msg, msg
    for c in inv["eks_clusters"]:
        f = judged[c["arn"]]
        t.agree(
            "secrets " + c["name"],
            c["secrets_encryption"],
            f.get("aws.eks.secrets_encryption"),
            {"yes": {PASS}, "no": {FAIL, WARN}},
        )
        t.agree(
            "logging " + c["name"],
            "none" if c["logging"] == "none" else "some",
            f.get("aws.eks.control_plane_logging"),
            {"none": {FAIL}, "some": {PASS, WARN}},
        )
    for c in inv["containers"]:
        f = judged[c["id"]]
        t.agree(
            "privileged " + c["name"],
            c["privileged"],
            f.get("docker.container.privileged"),
            {"yes": {FAIL}, "no": {PASS}},
        )
        t.agree(
            "read_only " + c["name"],
            c["read_only"],
            f.get("docker.container.readonly_rootfs"),
            {"yes": {PASS}, "no": {FAIL}},
        )
        t.agree(
            "user " + c["name"],
            "root" if c["user"].startswith("root") or c["user"] == "0" else "named",
            f.get("docker.container.user"),
            {"root": {FAIL}, "named": {PASS}},
        )
    # every kind of row was compared, more than once where the demo has several
    for what in (
        "services",
        "insights",
        "exec_logging",
        "public_ip",
        "exec",
        "privileged",
        "read_only",
        "user",
        "secrets",
        "logging",
    ):
        assert t.n[what] >= 1, what
    assert t.n["privileged"] >= 4 and t.n["services"] == len(inv["ecs_clusters"]) >= 2


def _table_rows(page: str, marker: str) -> list[list[str]]:
    """Cells of the first table after ``marker`` in rendered HTML, as text."""
    start = page.index(marker)
    table = page[start : page.index("</table>", start)]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = [
            htmlmod.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        if cells:
            rows.append([" ".join(c) for c in cells])
    return rows


def test_rendered_cluster_table_counts_the_services_it_lists(story) -> None:
    rows = _table_rows(story["html"], "<h2>ECS clusters</h2>")
    services = _table_rows(story["html"], "<h2>ECS services</h2>")
    assert rows and services
    for name, where, count, *_ in rows:
        listed = [s for s in services if s[1] == name and s[2] == where]
        assert int(count) == len(listed), (name, count, listed)
    assert any(int(r[2]) >= 2 for r in rows)  # payments-prod and its two services


# --- the playbook ------------------------------------------------------------------------------------------

_SOURCES = {"GuardDuty": "aws.guardduty.enabled", "Security Hub CSPM": "aws.securityhub.enabled"}


def _worst(found: list[Finding]) -> FindingStatus | None:
    statuses = {f.status for f in found}
    for s in (FAIL, NOT_EVALUATED, WARN, PASS):
        if s in statuses:
            return s
    return None


def _check_detection(rows: list[list[str]], facts: Facts) -> int:
    compared = 0
    seen = set()
    for source, where, state in rows:
        if source not in _SOURCES:
            continue
        status = _worst(facts.of_check(_SOURCES[source], region=_region(where)))
        assert status is not None, (source, where)
        if status is PASS:
            assert state.startswith("enabled"), (source, where, state)
        else:
            assert not state.startswith("enabled"), (source, where, state, status)
            if status is FAIL:
                assert state.startswith("not enabled"), (source, where, state)
        seen.add((source, _region(where)))
        compared += 1
    # every region the checks judged has its row
    for source, check in _SOURCES.items():
        for f in facts.of_check(check):
            if f.status is not FindingStatus.NOT_APPLICABLE:
                assert (source, f.scope.region) in seen, (source, f.scope.region)
    return compared


def test_playbook_states_detection_sources_as_the_checks_found_them(story) -> None:
    facts, page = story["facts"], story["playbook_html"]
    rows = _table_rows(page, '<section id="detect">')
    assert _check_detection(rows, facts) >= 4  # GuardDuty and Security Hub in both regions
    # Security Hub fails in the PCI report: the playbook must not call it enabled anywhere
    hub_fails = [f for f in facts.of_check("aws.securityhub.enabled") if f.status is FAIL]
    assert hub_fails
    pci_hub = [
        g for c in story["json"]["controls"].values() for g in c["gaps"] if g["check"] == "aws.securityhub.enabled"
    ]
    assert {g["status"] for g in pci_hub} == {"fail"}


def test_playbook_names_regions_without_guardduty_and_only_those(story) -> None:
    facts, page = story["facts"], story["playbook_html"]
    without = {f.scope.region for f in facts.of_check("aws.guardduty.enabled") if f.status is not PASS}
    with_gd = {f.scope.region for f in facts.of_check("aws.guardduty.enabled") if f.status is PASS}
    assert without and with_gd
    start = page.index('id="no-guardduty"')
    section = page[start : page.index("</ul>", start)]
    named = set(re.findall(r"<li>\s*([a-z]{2}-[a-z]+-\d):", section))
    assert named == without


def test_playbook_captures_the_riskiest_containers_first(story) -> None:
    facts, page = story["facts"], story["playbook_html"]
    names = {c["id"]: c["name"] for c in facts.inventory.containers}
    risky = {
        names[f.resource]
        for check in ("docker.container.privileged", "docker.container.docker_socket")
        for f in facts.failing(check)
    }
    safe = (
        set(names.values())
        - risky
        - {
            names[f.resource]
            for check in ("docker.container.host_namespaces", "docker.container.sensitive_mounts")
            for f in facts.failing(check)
        }
    )
    assert risky and safe
    start = page.index('id="riskiest"')
    section = page[start : page.index("<h2", start + 10)]
    for name in risky:
        assert f"docker inspect {name} &gt; {name}-inspect.json" in section, name
        assert f"docker export --output {name}-filesystem.tar {name}" in section, name
    for name in safe:
        assert name not in section, name


# --- JSON, CSV and OSCAL ----------------------------------------------------------------------------------


def _control_findings(facts: Facts, cid: str) -> list[Finding]:
    return [f for f in facts.findings if cid in f.controls]


def test_json_csv_and_oscal_state_each_result_as_the_findings_do(story) -> None:
    facts, data, rows, oscal = story["facts"], story["json"], story["csv"], story["oscal"]
    # the JSON states the same inventory the playbook was drafted from
    assert data["environment"] == json.loads(json.dumps(story["playbook"]["environment"]))
    csv_gaps = {r["control_id"]: r["gaps"] for r in rows if r["control_id"]}
    result = oscal["assessment-results"]["results"][0]
    obs_status = {
        o["title"].split(" ", 1)[0]: {p["name"]: p["value"] for p in o["props"]}["control-status"]
        for o in result["observations"]
    }
    risks = {r["title"]: r for r in result.get("risks", [])}
    compared = 0
    for cid, c in data["controls"].items():
        found = _control_findings(facts, cid)
        want_gaps = sorted((f.check, f.resource, f.status.value) for f in found if f.status in (FAIL, WARN))
        got_gaps = sorted((g["check"], g["resource"], g["status"]) for g in c["gaps"])
        assert got_gaps == want_gaps, cid
        for chk in c["checks"]:
            counts = Counter(f.status.value for f in found if f.check == chk["id"])
            assert {k: v for k, v in chk["counts"].items() if v} == dict(counts), (cid, chk["id"])
        # CSV: the gaps cell lists exactly the failing and warning results
        want_cell = sorted(f"{f.status.value}: {f.message}" for f in found if f.status in (FAIL, WARN))
        got_cell = sorted(x for x in csv_gaps.get(cid, "").split(" | ") if x)
        if cid in csv_gaps:
            assert [x.lstrip("'") for x in got_cell] == want_cell, cid
        # OSCAL: the observation carries the control's status; failing results open a risk
        assert obs_status[cid] == c["status"], cid
        fails = [f for f in found if f.status is FAIL]
        risk = risks.get(f"Gaps in {cid} {c['title']}")
        if c["exception"] is None and fails:
            assert risk is not None, cid
            if len(fails) <= 20:  # the risk quotes up to 20 failing results
                for f in fails:
                    assert f.message in risk["description"], (cid, f.message)
        else:
            assert risk is None, cid
        compared += len(found)
    assert compared >= 100


# --- the PDFs, read back -----------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.slow
def test_pdfs_tell_the_same_story(story) -> None:
    facts = story["facts"]
    playbook_pdf, report_pdf = story["pdf"]("playbook"), story["pdf"](FRAMEWORK)
    # the playbook: every detection source as the checks found it
    reader = PdfReader(playbook_pdf)
    text = _squash(" ".join(p.extract_text() for p in reader.pages))
    for f in facts.of_check("aws.securityhub.enabled"):
        where = f"{f.scope.account}/{f.scope.region}"
        word = "enabled" if f.status is PASS else "not enabled"
        assert f"Security Hub CSPM {where} {word}" in text, where
    for f in facts.of_check("aws.guardduty.enabled"):
        where = f"{f.scope.account}/{f.scope.region}"
        assert f"GuardDuty {where} {'enabled' if f.status is PASS else 'not enabled'}" in text, where
    # the framework report: the scope chapter's cluster table, as printed
    reader = PdfReader(report_pdf)
    marks = {m.title: reader.get_destination_page_number(m) for m in reader.outline if not isinstance(m, list)}
    first = marks["2 Scope and environment"]
    last = min(p for p in marks.values() if p > first)
    scope = _squash(" ".join(reader.pages[i].extract_text() for i in range(first, last)))
    scope = re.sub(r"-\s+", "-", scope)  # narrow table cells wrap names at their own hyphens
    for c in facts.inventory.ecs_clusters:
        listed = [s for s in facts.inventory.ecs_services if s["cluster_arn"] == c["arn"]]
        m = re.search(re.escape(f"{c['name']} {c['where']}") + r" (\d+)", scope)
        assert m, c["name"]
        assert int(m.group(1)) == len(listed), (c["name"], m.group(1), len(listed))
