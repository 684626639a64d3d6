"""A corpus of secret shapes planted in real container configuration never reaches anything stored.

Each shape lives where it lives in practice (a command's argv, a shell command line, a health
check, a label value) on containers created on the real daemon, and two more are passwords typed
into Docker host URLs. One real ``collect`` through the command line, then the HTML and JSON
reports and the evidence package are written; the secret bytes must appear in none of them, nor
in anything the commands printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
import zipfile

import pytest
from docker_lab import LAB_LABEL, busybox_layer, image_archive

pytestmark = pytest.mark.docker

TAG = uuid.uuid4().hex[:6]
# where -> (secret bytes, how the container carries them)
CORPUS: dict[str, tuple[str, dict]] = {}


def _plant(where: str, secret: str, **create: object) -> None:
    CORPUS[where] = (secret, create)


_plant("mysql -pX", f"mysqlpw{TAG}", command=["mysql", "-uroot", f"-pmysqlpw{TAG}", "ledger"])
_plant("mysql -p X", f"mysqlsep{TAG}", command=["mysqldump", "-u", "root", "-p", f"mysqlsep{TAG}", "ledger"])
_plant("curl -u user:X", f"curlpw{TAG}", command=["curl", "-u", f"admin:curlpw{TAG}", "https://api.example"])
_plant("redis://:X@ in argv", f"redisarg{TAG}", command=["app", "--cache", f"redis://:redisarg{TAG}@cache:6379/0"])
_plant("--pwd=X", f"pwdflag{TAG}", command=["app", f"--pwd=pwdflag{TAG}"])
_plant("sshpass -p X", f"sshpasspw{TAG}", command=["sshpass", "-p", f"sshpasspw{TAG}", "ssh", "backup@store"])
_plant("shell line", f"shellpw{TAG}", command=["/bin/sh", "-c", f"redis-cli -a shellpw{TAG} ping && sleep 300"])
_plant(
    "healthcheck -pX",
    f"healthpw{TAG}",
    healthcheck={"Test": ["CMD-SHELL", f"mysqladmin ping -h 127.0.0.1 -uroot -phealthpw{TAG}"], "Interval": 10**10},
)
_plant("label redis://:X@", f"labelpw{TAG}", labels={"cache.url": f"redis://:labelpw{TAG}@cache:6379"})
_plant(
    "label token shape", f"sk_live_{TAG}Ab9Cd8Ef7Gh6Ij5Kl4", labels={"billing.key": f"sk_live_{TAG}Ab9Cd8Ef7Gh6Ij5Kl4"}
)
_plant("high-entropy argument", f"Qw7Er5Ty3Ui1Op9As{TAG}Df2Gh4", command=["app", f"Qw7Er5Ty3Ui1Op9As{TAG}Df2Gh4"])
HOST_PASSWORDS = {"https URL": f"httpspw{TAG}", "ssh URL": f"sshurlpw{TAG}"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITPREP_USER": "tester"}
    proc = subprocess.run(
        [sys.executable, "-m", "auditprep", *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def stored(docker_api, docker_url, tmp_path_factory):
    """Everything one collection of the corpus leaves on disk, and everything the commands printed."""
    tmp = tmp_path_factory.mktemp("corpus")
    image = f"auditprep-corpus-{TAG}/busybox:1"
    list(docker_api.load_image(image_archive(image, [busybox_layer()])))
    created = []
    try:
        for i, (_secret, create) in enumerate(CORPUS.values()):
            create = dict(create)
            labels = {LAB_LABEL: f"corpus-{TAG}", **create.pop("labels", {})}
            cid = docker_api.create_container(
                image,
                command=create.pop("command", ["/bin/sleep", "300"]),
                name=f"auditprep-corpus-{TAG}-{i}",
                labels=labels,
                host_config=docker_api.create_host_config(network_mode="none"),
                **create,
            )["Id"]
            created.append(cid)
        eng = tmp / "corpus.engagement"
        printed = []
        proc = _cli("init", str(eng), "--framework", "pci-dss")
        assert proc.returncode == 0, proc.stderr
        https = f"https://admin:{HOST_PASSWORDS['https URL']}@127.0.0.1:{_closed_port()}"
        ssh = f"ssh://ops:{HOST_PASSWORDS['ssh URL']}@127.0.0.1:{_closed_port()}"
        proc = _cli("collect", str(eng), "--no-aws", "--docker", docker_url, "--docker", https, "--docker", ssh)
        assert proc.returncode == 4, proc.stderr  # two hosts unreachable: stored, but partial
        printed.append(proc.stdout + proc.stderr)
        outputs = []
        for fmt in ("html", "json"):
            out = tmp / f"report.{fmt}"
            proc = _cli("report", str(eng), "--framework", "pci-dss", "-o", str(out))
            assert proc.returncode == 0, proc.stderr
            outputs.append(out)
        package = tmp / "package.zip"
        proc = _cli("export", str(eng), "-o", str(package), "--no-pdf")
        assert proc.returncode == 0, proc.stderr
        for command in (("status", str(eng)), ("findings", str(eng))):
            proc = _cli(*command)
            printed.append(proc.stdout + proc.stderr)
        yield {"engagement": eng, "reports": outputs, "package": package, "printed": "\n".join(printed)}
    finally:
        for cid in created:
            docker_api.remove_container(cid, force=True)
        docker_api.remove_image(image, force=True)


def _everything(stored) -> dict[str, bytes]:
    blobs = {"engagement file": stored["engagement"].read_bytes(), "terminal output": stored["printed"].encode()}
    for wal in stored["engagement"].parent.glob(stored["engagement"].name + "-*"):
        blobs[wal.name] = wal.read_bytes()
    for report in stored["reports"]:
        blobs[report.name] = report.read_bytes()
    with zipfile.ZipFile(stored["package"]) as zf:
        for info in zf.infolist():
            blobs[f"package member {info.filename}"] = zf.read(info)
    return blobs


@pytest.mark.parametrize("where", [*CORPUS, *HOST_PASSWORDS])
def test_the_secret_bytes_are_stored_nowhere(stored, where):
    secret = CORPUS[where][0] if where in CORPUS else HOST_PASSWORDS[where]
    leaks = [name for name, data in _everything(stored).items() if secret.encode() in data]
    assert not leaks, f"{where}: the secret is in {leaks}"


def test_the_corpus_was_really_collected(stored):
    """Guards against a false pass: the containers are in the evidence, by name, with their redactions."""
    blobs = _everything(stored)
    assert f"auditprep-corpus-{TAG}-0".encode() in blobs["engagement file"]
    assert b"[REDACTED]" in blobs["engagement file"]
    assert b"tcp://127.0.0.1:" in blobs["engagement file"] and b"ssh://ops@127.0.0.1:" in blobs["engagement file"]
