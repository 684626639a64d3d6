"""The demo engagement: Larkspur Pay, a fictional card-payments processor.

Its evidence is the recorded output of the real collectors run against a simulated estate (moto's
AWS server and a real Docker Engine with a swarm; see tests/demo/record.py). Building the demo
stores that evidence as collection runs, three collections two weeks apart with the estate changed
in between, evaluates each collection with the real checks as it ends, and adds what a team would
have recorded: its period and applicability, a sample drawn for the assessor, answers, a document,
attestations by a second person and an exception. No finding is written by hand.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from auditprep.catalog import Catalog
from auditprep.errors import AuditprepError
from auditprep.models import Answer, Attestation, ControlException, Evidence, Source
from auditprep.store import Engagement, parse_iso
from auditprep.store.workpapers import record_decision, record_worksheet

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "recording.json"
ANSWERS = HERE / "answers.json"
FRAMEWORKS = ("pci-dss", "hipaa", "hitrust", "fedramp-moderate", "fedramp-20x")


DEMO_NAME = "Larkspur Pay 2026 assessment"


def default_demo_path() -> Path:
    """Where ``auditprep demo`` keeps its engagement: the user data folder, kept between runs."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("auditprep")) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "larkspur-pay.engagement"


def is_demo(path: Path) -> bool:
    """Whether ``path`` holds the demo engagement (and nothing else a user made)."""
    try:
        with Engagement.open(path, readonly=True) as eng:
            return eng.info().name == DEMO_NAME
    except AuditprepError:
        return False


def remove_previous_demo(path: Path) -> None:
    """Delete an earlier demo engagement at ``path``, and refuse anything that is not one."""
    if not path.exists():
        return
    if not is_demo(path):
        raise AuditprepError(f"{path} exists and is not the demo engagement; it was left untouched.")
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _draw(eng: Engagement, spec: dict, actor: str) -> None:
    """A sample the team drew for the assessor, exactly as ``auditprep sample`` draws it."""
    from auditprep.evaluate import population, sampling
    from auditprep.store.history import record_sample

    pop = population.of_engagement(eng, spec["population"])
    drawn = sampling.draw(spec["population"], pop.members, spec["size"], spec["seed"])
    record_sample(
        eng,
        population=spec["population"],
        population_hash=drawn.population_hash,
        total=drawn.total,
        seed=spec["seed"],
        method=drawn.method,
        members=[m.id for m in drawn.members],
        actor=actor,
    )


def build_demo(path: Path, catalog: Catalog) -> Path:
    """Create a fresh demo engagement at ``path`` (which must not exist)."""
    from auditprep.application.evaluation import reevaluate

    try:
        recording = json.loads(RECORDING.read_text(encoding="utf-8"))
        story = json.loads(ANSWERS.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AuditprepError(f"the bundled demo data cannot be read ({exc}); reinstall auditprep.") from None
    recorded_at = parse_iso(recording["recorded_at"])
    clock_now = [recorded_at]

    def clock() -> datetime:
        clock_now[0] += timedelta(seconds=1)
        return clock_now[0]

    with Engagement.create(
        path,
        name=story["name"],
        organisation=story["organisation"],
        frameworks=FRAMEWORKS,
        actor=story["lead"],
        clock=clock,
    ) as eng:
        eng.set_meta(
            story["lead"],
            period_start=story["period_start"],
            period_end=story["period_end"],
            applicability=json.dumps(story["applicability"], sort_keys=True),
        )
        for kind, value, note in story["scope"]:
            eng.add_scope(story["lead"], kind, value, note)
        runs = recording["runs"]
        for n, run in enumerate(runs):
            # each run is stored when it finished, and each collection evaluated as it ended
            clock_now[0] = parse_iso(run.get("finished_at", run["started_at"]))
            eng.add_run(
                actor=story["engineer"],
                source=Source(run["source"]),
                started_at=parse_iso(run["started_at"]),
                evidence=[Evidence.model_validate(e) for e in run["evidence"]],
                identity=run["identity"],
                targets=run["targets"],
            )
            if n + 1 == len(runs) or runs[n + 1].get("collection") != run.get("collection"):
                reevaluate(eng, catalog, story["engineer"])
        clock_now[0] = max(clock_now[0], recorded_at)
        for s in story.get("samples", []):
            _draw(eng, s, story["lead"])
        answers = []
        for control_id, entries in story["answers"].items():
            if control_id not in catalog.controls:
                continue
            for question_id, (value, narrative, who) in entries.items():
                answers.append(
                    Answer(
                        control_id=control_id,
                        question_id=question_id,
                        value=value,
                        narrative=narrative,
                        answered_by=story[who],
                        answered_at=clock(),
                    )
                )
        eng.record_answers(answers)
        for doc in story["documents"]:
            if doc["control"] in catalog.controls:
                eng.attach(
                    doc["text"].encode("utf-8"),
                    filename=doc["filename"],
                    media_type=doc["media_type"],
                    actor=story["lead"],
                    control_id=doc["control"],
                    description=doc["description"],
                )
        answered_by = {a.control_id: a.answered_by for a in answers}
        for control_id in story["attested"]:
            if control_id in catalog.controls:
                # a second person attests: the lead for the engineer's answers, the CISO for the lead's
                attester = story["ciso"] if answered_by.get(control_id) == story["lead"] else story["lead"]
                eng.attest(
                    Attestation(control_id=control_id, attested_by=attester, attested_at=clock(), reattest_days=180)
                )
        for exc in story["exceptions"]:
            exc_id = eng.add_exception(
                ControlException(
                    control_id=exc["control"],
                    owner=exc["owner"],
                    rationale=exc["rationale"],
                    expires=clock() + timedelta(days=exc["days"]),
                    recorded_by=story["lead"],
                    recorded_at=clock(),
                )
            )
            if exc.get("worksheet"):
                record_worksheet(eng, exc_id, exc["worksheet"], story[exc.get("worksheet_by", "lead")])
        hipaa = catalog.frameworks.get("hipaa")
        addressable = [r.id for r in hipaa.requirements if r.designation == "addressable"] if hipaa else []
        for spec, decision, rationale, who in story.get("decisions", []):
            if spec in addressable:
                record_decision(eng, spec, decision, rationale, story[who], addressable)
    return path
