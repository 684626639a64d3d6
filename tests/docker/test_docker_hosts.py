"""Choosing hosts (URLs, DOCKER_HOST, contexts, the local socket) and failing clearly when one is unreachable."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import signal
import socket
import threading
from pathlib import Path

import pytest

from auditprep.checks import load_all
from auditprep.checks.engine import evaluate
from auditprep.collect.docker import KINDS, collect_docker, resolve_hosts, unreachable_hosts
from auditprep.collect.docker.hosts import default_client, scope_label, unreachable_sentence
from auditprep.errors import CollectionError
from auditprep.models import CallStatus, FindingStatus, Scope


def test_urls_are_normalised_and_labelled_stably():
    env: dict[str, str] = {}
    [a, b, c] = resolve_hosts(["/var/run/docker.sock", "TCP://Build-01.example.com:2376/", "ssh://ops@build-02"], env)
    assert a.url == "unix:///var/run/docker.sock" and a.origin == "--docker"
    assert a.label == f"unix:///var/run/docker.sock ({socket.gethostname()})"
    assert b.url == "tcp://build-01.example.com:2376" and b.label == b.url and b.tls is None
    assert c.url == "ssh://ops@build-02" and c.scheme == "ssh"
    assert resolve_hosts(["/var/run/docker.sock"], env)[0].label == a.label  # same input, same scope, every run
    assert len(resolve_hosts(["unix:///var/run/docker.sock", "/var/run/docker.sock"], env)) == 1


def test_tcp_uses_the_tls_client_certificates_from_the_environment(tmp_path):
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tmp_path / name).write_text("placeholder")
    env = {"DOCKER_CERT_PATH": str(tmp_path), "DOCKER_TLS_VERIFY": "1"}
    [target] = resolve_hosts(["tcp://10.0.0.5:2376"], env)
    assert target.tls is not None and target.tls.verify and target.tls.ca_cert == str(tmp_path / "ca.pem")
    assert target.tls.cert == (str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    [from_env] = resolve_hosts(None, {"DOCKER_HOST": "tcp://10.0.0.5:2376", **env})
    assert from_env.origin == "DOCKER_HOST" and from_env.tls is not None


def test_bad_hosts_are_one_clear_sentence():
    with pytest.raises(CollectionError, match=r"unsupported scheme 'ftp'"):
        resolve_hosts(["ftp://example.com"], {})
    with pytest.raises(CollectionError, match=r"no Docker context named 'nosuch'"):
        resolve_hosts(["nosuch"], {})


def _write_context(config_dir: Path, name: str, host: str, current: bool) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "config.json").write_text(json.dumps({"currentContext": name} if current else {}))
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}}})
    )


def test_without_docker_host_the_current_context_then_the_local_socket(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    [default] = resolve_hosts(None)
    assert default.url == "unix:///var/run/docker.sock" and default.origin == "default socket"

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "cfg"))
    _write_context(tmp_path / "cfg", "build", "tcp://build-01:2375", current=True)
    [current] = resolve_hosts(None)
    assert current.url == "tcp://build-01:2375" and current.origin == "context build"
    [named] = resolve_hosts(["build"])
    assert named == current
    # DOCKER_HOST wins over the context, as with the docker CLI
    monkeypatch.setenv("DOCKER_HOST", "tcp://other:2375")
    assert resolve_hosts(None)[0].url == "tcp://other:2375"


@pytest.mark.docker
def test_collects_through_a_docker_context(docker_url, tmp_path, monkeypatch):
    if not docker_url.startswith("unix://"):
        pytest.skip("the test context points at a local socket")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    _write_context(tmp_path, "lab", docker_url, current=False)
    monkeypatch.setenv("DOCKER_CONTEXT", "lab")
    outcome = collect_docker(None, known_inventories={}, client_factory=None)
    assert outcome.targets == [scope_label(docker_url)]
    assert any(e.kind == "docker.daemon" and e.resource for e in outcome.evidence)


# --- unreachable hosts ------------------------------------------------------------------------


def _one_sentence(message: str, url: str) -> None:
    assert url in message and message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_missing_socket(tmp_path):
    url = f"unix://{tmp_path}/docker.sock"
    with pytest.raises(CollectionError) as err:
        collect_docker([url])
    _one_sentence(err.value.message, url)
    assert "socket does not exist" in err.value.message and err.value.exit_code != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused():
    url = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(CollectionError, match="connection was refused") as err:
        collect_docker([url])
    _one_sentence(err.value.message, url)


@pytest.fixture
def plain_http_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_tls_mismatch(plain_http_server):
    """The client speaks TLS; the endpoint answers plain HTTP (a daemon without TLS on that port)."""
    with pytest.raises(CollectionError, match="TLS handshake failed") as err:
        collect_docker([f"https://127.0.0.1:{plain_http_server}"])
    _one_sentence(err.value.message, f"tcp://127.0.0.1:{plain_http_server}")


def test_not_a_docker_endpoint(plain_http_server):
    with pytest.raises(CollectionError, match="not a Docker Engine API") as err:
        collect_docker([f"tcp://127.0.0.1:{plain_http_server}"])
    _one_sentence(err.value.message, f"tcp://127.0.0.1:{plain_http_server}")


def test_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts connections, never answers
    url = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    try:
        with pytest.raises(CollectionError, match=r"did not answer within 1 seconds") as err:
            collect_docker([url], client_factory=lambda target: default_client(target, timeout=1))
        _one_sentence(err.value.message, url)
    finally:
        listener.close()


@pytest.mark.docker
def test_permission_denied_on_the_socket(docker_url):
    """As an unprivileged user the daemon socket (root:docker, 0660) refuses the connection.

    The probe runs in a forked child that drops to the 'nobody' user, so it needs no other
    Python installation the unprivileged user could read."""
    if not docker_url.startswith("unix://"):
        pytest.skip("needs a local socket")
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to an unprivileged user for the probe")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        message = "no error"
        signal.alarm(30)  # a stuck child dies instead of hanging the suite
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            collect_docker([docker_url])
        except CollectionError as exc:
            message = exc.message
        except BaseException as exc:  # report anything else to the parent
            message = f"unexpected {type(exc).__name__}: {exc}"
        finally:
            os.write(write_end, message.encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        message = pipe.read()
    os.waitpid(pid, 0)
    _one_sentence(message, docker_url)
    assert "permission was denied" in message


def test_causes_are_classified_from_the_wrapped_errors():
    """Shapes the SDK raises that this host cannot produce for real (as root every socket is open)."""
    import docker
    import requests

    [target] = resolve_hosts(["unix:///var/run/docker.sock"], {})
    denied = requests.exceptions.ConnectionError(
        OSError("Connection aborted."), PermissionError(13, "Permission denied")
    )
    try:
        raise docker.errors.DockerException("Error while fetching server API version") from denied
    except docker.errors.DockerException as exc:
        assert "permission was denied" in unreachable_sentence(exc, target)
    [ssh] = resolve_hosts(["ssh://ops@build-02"], {})
    assert "ssh connection failed" in unreachable_sentence(docker.errors.DockerException("closed"), ssh)


@pytest.mark.docker
def test_one_unreachable_host_among_several_is_a_gap_not_an_abort(docker_url, tmp_path, check_metadata, collected):
    missing = f"unix://{tmp_path}/gone.sock"
    known = {e.resource: e.data for e in collected.evidence if e.kind == "docker.image_inventory" and e.resource}
    outcome = collect_docker([docker_url, missing], known_inventories=known)
    bad = Scope(host=scope_label(missing))
    gaps = [e for e in outcome.evidence if e.scope == bad]
    assert {e.kind for e in gaps} == set(KINDS)
    assert all(e.status is CallStatus.ERROR and "socket does not exist" in e.message for e in gaps)
    [sentence] = unreachable_hosts(outcome.evidence)
    _one_sentence(sentence, missing)
    assert any(
        e.scope == Scope(host=scope_label(docker_url)) and e.kind == "docker.container" for e in outcome.evidence
    )
    result = evaluate(
        outcome.evidence, {"docker.container.privileged": check_metadata["docker.container.privileged"]}, {}, load_all()
    )
    assert {f.status for f in result.findings if f.scope == bad} == {FindingStatus.NOT_EVALUATED}


def test_every_host_unreachable_raises_one_sentence(tmp_path):
    with pytest.raises(CollectionError) as err:
        collect_docker([f"unix://{tmp_path}/a.sock", f"unix://{tmp_path}/b.sock"])
    assert "1 other host(s) could not be reached either" in err.value.message
