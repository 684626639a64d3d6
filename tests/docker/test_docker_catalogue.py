"""The Docker check catalogue: every id implemented and described, and the checks' import rules."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditprep import paths
from auditprep.catalog import _CheckFile
from auditprep.checks import load_all
from auditprep.checks.docker import advisories
from auditprep.errors import InvalidInput

# the catalogue ids the project promises (the contract with controls and reports)
CATALOGUE = """
docker.daemon.runtime_version docker.daemon.userns docker.daemon.live_restore docker.daemon.logging_driver
docker.daemon.insecure_registries docker.daemon.experimental docker.daemon.tcp_tls docker.daemon.icc
docker.daemon.authz_plugin docker.container.privileged docker.container.capabilities docker.container.user
docker.container.readonly_rootfs docker.container.no_new_privileges docker.container.seccomp
docker.container.host_namespaces docker.container.devices docker.container.sensitive_mounts
docker.container.docker_socket docker.container.mount_propagation docker.container.ports_all_interfaces
docker.container.resource_limits docker.container.restart_policy docker.container.healthcheck
docker.container.env_secrets docker.container.image_digest docker.image.user docker.image.healthcheck
docker.image.history_secrets docker.image.os_eol docker.image.vulnerable_packages docker.image.age
docker.swarm.managers docker.swarm.autolock docker.swarm.overlay_encrypted docker.swarm.ca_expiry
docker.swarm.secrets_used
""".split()


def metadata():
    data = yaml.safe_load((paths.questionnaires_dir() / "checks" / "docker.yaml").read_text())
    return _CheckFile.model_validate(data).checks


def test_every_catalogue_id_is_registered_and_described():
    registered = {k for k in load_all() if k.startswith("docker.")}
    described = [c.id for c in metadata()]
    assert registered == set(CATALOGUE) == set(described)
    assert len(described) == len(set(described))


def test_metadata_cites_the_benchmark_version_with_every_reference():
    for meta in metadata():
        assert meta.references, meta.id
        for ref in meta.references:
            assert (ref.benchmark, ref.version) == ("CIS Docker Benchmark", "1.6.0")
            assert re.fullmatch(r"\d+\.\d+(\.\d+)?", ref.id), (meta.id, ref.id)
    titles = [m.title for m in metadata()]
    assert len(titles) == len(set(titles))


def test_checks_do_not_import_the_docker_sdk():
    code = "import sys, auditprep.checks as c; c.load_all(); print('docker' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_bundled_advisory_list_loads():
    known = advisories.load()
    assert {a.id for a in known.packages} >= {"CVE-2014-0160"}
    assert {a.id for a in known.runtime} >= {"CVE-2024-21626"}


def test_a_typo_in_the_advisory_list_names_file_and_line(tmp_path: Path):
    text = (paths.questionnaires_dir() / "advisories.yaml").read_text().replace("fixed_builds: []", "fixed_bilds: []")
    bad = tmp_path / "advisories.yaml"
    bad.write_text(text)
    with pytest.raises(InvalidInput) as err:
        advisories.load(bad)
    assert str(bad) in err.value.message and "fixed_bilds" in err.value.message
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if "fixed_bilds" in text_line)
    assert f":{line}:" in err.value.message
