"""ssh:// hosts fail in bounded time, and a password typed into a host URL is never kept.

The silent host is a listener on 127.0.0.1 that accepts connections and never says a word (no
ssh banner, no HTTP): the shape of a wedged sshd or a port forward to nowhere.
"""

from __future__ import annotations

import socket
import time

import pytest

from auditprep.collect.docker import collect_docker, resolve_hosts
from auditprep.collect.docker.hosts import default_client, normalise_url
from auditprep.collect.docker.sshdeadline import ssh_client
from auditprep.errors import CollectionError


@pytest.fixture
def silent_port():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel completes the handshakes; nothing is ever read or written
    yield listener.getsockname()[1]
    listener.close()


def _one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith(".") and "Traceback" not in message


def test_ssh_to_a_host_that_never_answers_gives_up_within_the_deadline(silent_port):
    url = f"ssh://ops@127.0.0.1:{silent_port}"
    started = time.monotonic()
    with pytest.raises(CollectionError) as err:
        collect_docker([url], client_factory=lambda target: default_client(target, timeout=2))
    took = time.monotonic() - started
    assert took < 15, f"took {took:.1f} s against a 2 s deadline"
    _one_sentence(err.value.message)
    assert url in err.value.message


def test_ssh_through_paramiko_has_the_same_deadline(silent_port):
    """Without an ssh binary the SDK uses paramiko, which has no connect or banner timeout of its own."""
    started = time.monotonic()
    with pytest.raises(CollectionError) as err:
        collect_docker(
            [f"ssh://ops@127.0.0.1:{silent_port}"],
            client_factory=lambda target: ssh_client(target.url, timeout=2, shell_out=False),
        )
    assert time.monotonic() - started < 15
    _one_sentence(err.value.message)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://admin:S3cretHostPw@127.0.0.1:2376", "tcp://127.0.0.1:2376"),
        ("tcp://:S3cretHostPw@127.0.0.1:2375/", "tcp://127.0.0.1:2375"),
        ("ssh://ops:S3cretHostPw@build-02", "ssh://ops@build-02"),
        ("ssh://ops:S3cretHostPw@build-02:2222", "ssh://ops@build-02:2222"),
    ],
)
def test_a_password_in_a_host_url_is_dropped_before_it_becomes_a_scope(given, kept):
    [target] = resolve_hosts([given], {})
    assert target.url == kept and target.label == kept
    [from_env] = resolve_hosts(None, {"DOCKER_HOST": given})
    assert "S3cretHostPw" not in from_env.url + from_env.label


def test_an_unclosed_ipv6_bracket_is_one_sentence():
    with pytest.raises(CollectionError, match="is not a valid URL") as err:
        normalise_url("http://[::1")
    _one_sentence(err.value.message)


def test_an_unreachable_host_with_a_password_never_shows_it(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(CollectionError) as err:
        collect_docker([f"https://admin:S3cretHostPw@127.0.0.1:{port}"])
    assert "S3cretHostPw" not in err.value.message and "admin" not in err.value.message
