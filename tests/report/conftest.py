"""Engagements for the report tests.

``synthetic``: evidence, findings, answers and an exception written through the store's own API,
for fast tests of the context, the formats and the error paths.

``real``: evidence collected for real from the AWS estate the AWS tests plant in moto (over HTTP)
and from the Docker daemon lab the Docker tests build, evaluated by the real checks, then
answered like a team would, with an exception. The moto server, the planted world and the Docker
lab are the AWS and Docker test suites' own fixtures, imported here rather than copied.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from auditprep.catalog import Catalog, load_catalog
from auditprep.models import Source
from auditprep.store import Engagement

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
if str(TESTS / "docker") not in sys.path:
    sys.path.insert(0, str(TESTS / "docker"))

from aws import world  # noqa: E402
from aws.conftest import _post, moto_endpoint, short_retry_sleeps  # noqa: E402,F401
from aws.conftest import aws as _aws_env  # noqa: E402
from aws.trail_proxy import TrailProxy  # noqa: E402
from reportkit import (  # noqa: E402
    ACCOUNT,
    ATTACH_HTML,
    ENGINEER,
    FRAMEWORKS,
    LEAD,
    REGION,
    T0,
    Clock,
    record_team_work,
    render_pdf,
    synthetic_evidence,
    synthetic_findings,
)


def _load_docker_conftest():
    spec = importlib.util.spec_from_file_location("report_docker_conftest", TESTS / "docker" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_docker = _load_docker_conftest()
docker_url = _docker.docker_url
docker_api = _docker.docker_api
lab = _docker.lab


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def synthetic(tmp_path: Path, catalog: Catalog) -> Engagement:
    """An engagement with hand-made evidence and findings (through the store's API), answers and an exception."""
    eng = Engagement.create(
        tmp_path / "synthetic.engagement",
        name="acme-2026",
        organisation="Acme Pay",
        frameworks=["pci-dss", "hipaa"],
        actor=LEAD,
        clock=Clock(),
    )
    eng.set_meta(LEAD, period_start="2026-01-01", period_end="2026-12-31")
    _, stored = eng.add_run(
        actor=ENGINEER,
        source=Source.AWS,
        started_at=T0,
        evidence=synthetic_evidence(),
        identity="arn:aws:iam::111111111111:user/ben",
        targets=[f"{ACCOUNT}/{REGION}"],
    )
    eng.replace_findings(synthetic_findings(stored), ENGINEER)
    record_team_work(eng)
    yield eng
    eng.close()


# --- real ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog, moto_endpoint: str, lab, docker_url: str):  # noqa: F811
    """Evidence collected from moto's planted AWS estate and the Docker lab, evaluated, then answered."""
    from auditprep.application.collecting import collect as collect_into
    from auditprep.collect.run import AwsOptions, aws_runner, docker_runner

    lab.create("report-attach", lab.tag("busybox"), user=ATTACH_HTML)
    folder = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as mp, TrailProxy(moto_endpoint) as trail:
        _aws_env.__wrapped__(trail, mp, folder)
        world.plant(lambda path, body: _post(moto_endpoint, path, body))
        eng = Engagement.create(
            folder / "larkspur.engagement",
            name="larkspur-2026",
            organisation="Larkspur Pay",
            frameworks=list(FRAMEWORKS),
            actor=LEAD,
            clock=Clock(),
        )
        eng.set_meta(LEAD, period_start="2026-01-01", period_end="2026-12-31")
        eng.add_scope(LEAD, "account", world.ACCOUNT_A, "payments production")
        summary = collect_into(
            eng,
            catalog,
            [
                ("aws", aws_runner(AwsOptions(regions=(world.R1, world.R2), role_arns=(world.ROLE_B,), max_rps=1000))),
                ("docker", docker_runner([docker_url])),
            ],
            actor=ENGINEER,
        )
    assert [r.error for r in summary.results] == ["", ""], summary.results
    record_team_work(eng)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def pdfs(real, tmp_path_factory) -> dict[str, Path]:
    """The four framework PDFs, rendered two at a time in worker processes (weasyprint is CPU-bound)."""
    folder = tmp_path_factory.mktemp("pdf")
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=spawn) as pool:
        jobs = {fid: pool.submit(render_pdf, str(real.path), fid, str(folder / f"{fid}.pdf")) for fid in FRAMEWORKS}
        return {fid: Path(job.result()) for fid, job in jobs.items()}
