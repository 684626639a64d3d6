"""Loading the catalog: every file against its model, then every reference between files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from auditprep import paths
from auditprep.catalog import yamlsource
from auditprep.catalog.files import (
    M,
    Problems,
    _ApplicabilityFile,
    _CheckFile,
    _ConceptFile,
    _ControlFile,
    _Located,
    _parse,
    _ThemeFile,
    _yaml_files,
)
from auditprep.catalog.model import Catalog
from auditprep.models import (
    ApplicabilityKey,
    Concept,
    Control,
    Framework,
    Objective,
    QuestionType,
    Requirement,
)


def collect_problems(
    root: Path | None = None, extra_control_dirs: Sequence[Path] = ()
) -> tuple[Catalog | None, Problems]:
    """Load everything and return the catalog (when loadable) with every problem found."""
    root = root or paths.questionnaires_dir()
    problems = Problems()
    if not root.is_dir():
        problems.add(str(root), "the questionnaire folder does not exist")
        return None, problems

    themes_file, _ = _parse(_ThemeFile, root / "themes.yaml", problems)
    themes = tuple(themes_file.themes) if themes_file else ()

    def gather(model: type[M], folders: Iterable[Path], attr: str) -> list[_Located]:
        found: list[_Located] = []
        for folder in folders:
            if not folder.is_dir():
                problems.add(str(folder), "the folder does not exist")
                continue
            for path in _yaml_files(folder):
                parsed, locator = _parse(model, path, problems)
                if parsed is None or locator is None:
                    continue
                for i, obj in enumerate(getattr(parsed, attr)):
                    found.append(_Located(obj, locator, (attr, i)))
        return found

    located_controls = gather(_ControlFile, [root / "controls", *extra_control_dirs], "controls")
    located_concepts = gather(_ConceptFile, [root / "concepts"], "concepts")
    located_checks = gather(_CheckFile, [root / "checks"], "checks")
    applicability: dict[str, ApplicabilityKey] = {}
    app_where: yamlsource.Locator | None = None
    if (root / "applicability.yaml").is_file():
        app_file, app_where = _parse(_ApplicabilityFile, root / "applicability.yaml", problems)
        for i, fact in enumerate(app_file.keys if app_file else []):
            if fact.key in applicability and app_where is not None:
                problems.add(app_where.where(("keys", i, "key")), f"applicability key '{fact.key}' is defined twice")
            applicability[fact.key] = fact

    frameworks: dict[str, Framework] = {}
    fw_where: dict[str, yamlsource.Locator] = {}
    fw_dir = root / "frameworks"
    for path in _yaml_files(fw_dir) if fw_dir.is_dir() else []:
        fw, locator = _parse(Framework, path, problems)
        if fw is None or locator is None:
            continue
        if fw.id in frameworks:
            problems.add(locator.where(("id",)), f"framework '{fw.id}' is defined twice")
            continue
        frameworks[fw.id] = fw
        fw_where[fw.id] = locator

    def unique(located: list[_Located], key: str, what: str) -> dict[str, _Located]:
        out: dict[str, _Located] = {}
        for item in located:
            ident = getattr(item.obj, key)
            if ident in out:
                problems.add(item.at(key), f"duplicate {what} id '{ident}' (first defined at {out[ident].at(key)})")
            else:
                out[ident] = item
        return out

    # Coverage rules ("nobody maps this") would only echo a file that failed to parse.
    complete = not problems.items
    controls = unique(located_controls, "id", "control")
    concepts = unique(located_concepts, "key", "concept")
    checks = unique(located_checks, "id", "check")
    theme_keys = {t.key for t in themes}

    # frameworks: sections and duplicate requirements
    req_index: dict[str, dict[str, tuple[Requirement, int]]] = {}
    for fid, fw in frameworks.items():
        sections = {s.id for s in fw.sections}
        reqs: dict[str, tuple[Requirement, int]] = {}
        for i, req in enumerate(fw.requirements):
            where = fw_where[fid].where(("requirements", i, "id"))
            if req.id in reqs:
                problems.add(where, f"duplicate requirement id '{req.id}' in framework '{fid}'")
            reqs[req.id] = (req, i)
            if req.section not in sections:
                problems.add(where, f"requirement '{req.id}' names section '{req.section}', which is not listed")
        req_index[fid] = reqs

    # controls: theme, questions, references
    referenced_concepts: set[str] = set()
    referenced_checks: set[str] = set()
    seen_questions: dict[str, str] = {}
    for cid, item in controls.items():
        control: Control = item.obj
        if control.theme not in theme_keys:
            problems.add(item.at("theme"), f"control {cid} names unknown theme '{control.theme}'")
        if control.questions[0].type is not QuestionType.STATUS:
            problems.add(item.at("questions", 0), f"control {cid}: the first question must be of type 'status'")
        for qi, q in enumerate(control.questions):
            if not q.id.startswith(cid + "."):
                problems.add(item.at("questions", qi, "id"), f"question id '{q.id}' must start with '{cid}.'")
            if q.id in seen_questions:
                problems.add(item.at("questions", qi, "id"), f"duplicate question id '{q.id}'")
            seen_questions[q.id] = cid
            if q.type is QuestionType.CHOICE and len(q.choices) < 2:
                problems.add(item.at("questions", qi), f"choice question '{q.id}' needs at least two choices")
            if q.type is not QuestionType.CHOICE and q.choices:
                problems.add(item.at("questions", qi, "choices"), f"question '{q.id}' is not a choice question")
            for choice, claimed in q.claims.items():
                if choice not in q.choices:
                    problems.add(
                        item.at("questions", qi, "claims", choice),
                        f"question '{q.id}' has no choice '{choice}' to claim",
                    )
                if claimed not in checks:
                    problems.add(
                        item.at("questions", qi, "claims", choice),
                        f"question '{q.id}' claims unknown check '{claimed}'",
                    )
        for ci, check_id in enumerate(control.checks):
            referenced_checks.add(check_id)
            if check_id not in checks:
                problems.add(item.at("checks", ci), f"control {cid} names unknown check '{check_id}'")
        for ki, key in enumerate(control.concepts):
            referenced_concepts.add(key)
            if key not in concepts:
                problems.add(item.at("concepts", ki), f"control {cid} names unknown concept '{key}'")

    # organisation controls may map requirements directly: each mapping becomes an objective that
    # names the control's status question, so the link is as traceable as a built-in one
    synthetic: dict[str, dict[str, list[Objective]]] = {fid: {} for fid in frameworks}
    for cid, item in controls.items():
        control = item.obj
        for fid, mapped_ids in control.mappings.items():
            if fid not in frameworks:
                problems.add(item.at("mappings", fid), f"control {cid} maps unknown framework '{fid}'")
                continue
            for ri, rid in enumerate(mapped_ids):
                entry = req_index[fid].get(rid)
                if entry is None:
                    problems.add(
                        item.at("mappings", fid, ri), f"control {cid} maps '{rid}', which is not a {fid} requirement"
                    )
                elif entry[0].outside:
                    problems.add(
                        item.at("mappings", fid, ri),
                        f"control {cid} maps '{rid}', which {fid} lists as outside this tool's scope",
                    )
                else:
                    status_q = control.status_question
                    synthetic[fid].setdefault(rid, []).append(
                        Objective(
                            text=f"The organisation's own control {cid} ({control.title}) is in place for this "
                            "requirement, as the team answers it and its checks show.",
                            questions=(status_q.id,) if status_q else (),
                            checks=control.checks,
                        )
                    )

    # frameworks: objectives, scope and applicability of every requirement
    for fid, reqs in req_index.items():
        where_of = fw_where[fid]
        for rid, (req, i) in reqs.items():
            at = ("requirements", i)
            if req.objectives and req.outside:
                problems.add(
                    where_of.where(at + ("outside",)),
                    f"{fid} requirement '{rid}' has objectives and is also marked outside; keep one",
                )
            if not req.objectives and not req.outside and rid not in synthetic[fid]:
                problems.add(
                    where_of.where(at + ("id",)),
                    f"{fid} requirement '{rid}' has no objectives; add them or say why it is 'outside' this tool's scope",
                )
            for oi, obj in enumerate(req.objectives):
                oat = at + ("objectives", oi)
                if not obj.questions and not obj.checks:
                    problems.add(
                        where_of.where(oat),
                        f"{fid} {rid} objective {oi + 1} names no question or check, so nothing can show it",
                    )
                for qi, qid in enumerate(obj.questions):
                    if complete and qid not in seen_questions:
                        problems.add(
                            where_of.where(oat + ("questions", qi)), f"{fid} {rid} names unknown question '{qid}'"
                        )
                for ci, check_id in enumerate(obj.checks):
                    if complete and check_id not in checks:
                        problems.add(
                            where_of.where(oat + ("checks", ci)), f"{fid} {rid} names unknown check '{check_id}'"
                        )
            for key, values in req.applies_when.items():
                spec = applicability.get(key)
                if spec is None:
                    problems.add(
                        where_of.where(at + ("applies_when", key)),
                        f"{fid} {rid} names unknown applicability key '{key}'",
                    )
                    continue
                bad = [v for v in values if spec.values and v not in spec.values]
                if bad:
                    problems.add(
                        where_of.where(at + ("applies_when", key)),
                        f"{fid} {rid}: '{bad[0]}' is not a value of {key} ({', '.join(spec.values)})",
                    )
            if req.applies_when and not req.not_applicable:
                problems.add(
                    where_of.where(at + ("applies_when",)),
                    f"{fid} {rid} is conditional but gives no 'not_applicable' reason",
                )
    for fid, extra in synthetic.items():
        if not extra:
            continue
        fw = frameworks[fid]
        frameworks[fid] = fw.model_copy(
            update={
                "requirements": tuple(
                    r.model_copy(update={"objectives": r.objectives + tuple(extra[r.id])}) if r.id in extra else r
                    for r in fw.requirements
                )
            }
        )

    for key, item in concepts.items():
        concept: Concept = item.obj
        for ri, rel in enumerate(concept.related):
            if rel not in concepts:
                problems.add(item.at("related", ri), f"concept '{key}' relates to unknown concept '{rel}'")
        for fid, rids in concept.requirements.items():
            if fid not in frameworks:
                problems.add(item.at("requirements", fid), f"concept '{key}' names unknown framework '{fid}'")
                continue
            for ri, rid in enumerate(rids):
                if rid not in req_index[fid]:
                    problems.add(
                        item.at("requirements", fid, ri),
                        f"concept '{key}' cites '{rid}', which is not a {fid} requirement",
                    )
        if complete and controls and key not in referenced_concepts:
            problems.add(item.at("key"), f"concept '{key}' is referenced by no control")

    for check_id, item in checks.items():
        if complete and controls and check_id not in referenced_checks:
            problems.add(item.at("id"), f"check '{check_id}' informs no control")

    catalog = Catalog(
        themes=themes,
        controls={k: v.obj for k, v in controls.items()},
        frameworks=frameworks,
        concepts={k: v.obj for k, v in concepts.items()},
        checks={k: v.obj for k, v in checks.items()},
        applicability=applicability,
    )
    # every control's mappings are what the objectives derive: one source of truth for every view
    derived = catalog.control_requirements
    catalog = Catalog(
        themes=catalog.themes,
        controls={
            cid: c.model_copy(update={"mappings": {fid: reqs for fid, reqs in derived.get(cid, {}).items() if reqs}})
            for cid, c in catalog.controls.items()
        },
        frameworks=catalog.frameworks,
        concepts=catalog.concepts,
        checks=catalog.checks,
        applicability=catalog.applicability,
    )
    return catalog, problems
