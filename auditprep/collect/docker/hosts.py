"""Which Docker hosts to collect from, how to connect, and what to say when a host cannot be reached.

A host is named by what the user typed: a URL (``unix://``, ``tcp://``, ``ssh://``) or the name of
a Docker context. With no host given, the Docker CLI's own order applies: ``DOCKER_HOST``, else
the current context (``DOCKER_CONTEXT`` or ``currentContext`` in the Docker config), else the
local socket.

Each host becomes one evidence scope whose label must be the same on every run so findings can
be compared: it is the normalised URL, and for a local socket (which every machine has at the
same path) the URL followed by this machine's host name in brackets, e.g.
``unix:///var/run/docker.sock (build-01)``. The label does not depend on the daemon answering,
so a host that cannot be reached keeps the scope it had before.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import docker
import requests
from docker.context import ContextAPI
from docker.tls import TLSConfig

from auditprep.errors import CollectionError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 30  # seconds per API call; image exports are streamed without a read timeout


@dataclass(frozen=True)
class HostTarget:
    """One Docker host to collect from."""

    url: str  # normalised: unix:///path, tcp://host:port, ssh://user@host[:port]
    label: str  # the evidence scope (Scope.host), stable across runs
    origin: str  # how it was chosen: "--docker", "DOCKER_HOST", "context NAME", "default socket"
    tls: TLSConfig | None = None

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0]


def without_password(url: str) -> str:
    """``url`` with any password in its user part removed (``ssh://ops:pw@h`` -> ``ssh://ops@h``).

    Host URLs become scope labels, progress lines and error messages, all of which are stored or
    shown; a password typed into one must never be."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for stop in "/?#":
        i = rest.find(stop)
        if i != -1:
            end = min(end, i)
    netloc, tail = rest[:end], rest[end:]
    if "@" not in netloc:
        return url
    userinfo, _, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0] if scheme.lower() == "ssh" else ""  # only ssh has a use for the name
    return f"{scheme}://{user + '@' if user else ''}{hostport}{tail}"


def normalise_url(url: str) -> str:
    url = without_password(url.strip())
    if url.startswith("/"):
        url = "unix://" + url
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise CollectionError(f"'{url}' is neither a Docker host URL nor a Docker context name.")
    scheme = scheme.lower()
    if scheme == "http+unix":  # how the Docker SDK stores a socket in the contexts it writes
        scheme = "unix"
    if scheme == "unix":
        return "unix://" + "/" + rest.lstrip("/")
    if scheme in ("tcp", "http", "https", "ssh"):
        try:
            parts = urlsplit(f"{scheme}://{rest}")
            hostname, _port = parts.hostname, parts.port
        except ValueError as exc:  # an unclosed [IPv6 bracket, a port that is not a number
            raise CollectionError(f"The Docker host URL '{url}' is not a valid URL ({exc}).") from None
        netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
        if not hostname:
            raise CollectionError(f"The Docker host URL '{url}' names no host.")
        if scheme in ("http", "https"):
            scheme = "tcp"
        path = parts.path.rstrip("/")
        return f"{scheme}://{netloc}{path}"
    if scheme == "npipe":
        return url
    raise CollectionError(
        f"The Docker host URL '{url}' uses the unsupported scheme '{scheme}'; use unix://, tcp:// or ssh://."
    )


def scope_label(url: str, hostname: str | None = None) -> str:
    if url.startswith(("unix://", "npipe://")):
        return f"{url} ({hostname or socket.gethostname()})"
    return url


def _tls_from_env(environ: Mapping[str, str]) -> TLSConfig | None:
    env = {k: v for k, v in environ.items() if k in ("DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY")}
    if not env:
        return None
    tls = docker.utils.kwargs_from_env(environment={"DOCKER_HOST": "tcp://x", **env}).get("tls")
    return tls if isinstance(tls, TLSConfig) else None


def _target(url: str, origin: str, environ: Mapping[str, str], tls: TLSConfig | None = None) -> HostTarget:
    wants_tls = url.strip().lower().startswith("https://")
    url = normalise_url(url)
    if url.startswith("tcp://") and tls is None:
        tls = _tls_from_env(environ) or (TLSConfig(verify=True) if wants_tls else None)
    return HostTarget(url=url, label=scope_label(url), origin=origin, tls=tls)


def _from_context(name: str | None, environ: Mapping[str, str]) -> HostTarget | None:
    try:
        ctx = ContextAPI.get_context(name)
    except docker.errors.DockerException as exc:
        raise CollectionError(f"The Docker context '{name or 'current'}' could not be read: {exc}.") from None
    if ctx is None:
        if name:
            raise CollectionError(f"There is no Docker context named '{name}' (see 'docker context ls').")
        return None
    host = ctx.Host
    if not host or ctx.name == "default":
        return None
    tls = ctx.TLSConfig if isinstance(ctx.TLSConfig, TLSConfig) else None
    return _target(host, f"context {ctx.name}", environ, tls)


def resolve_hosts(hosts: Sequence[str] | None, environ: Mapping[str, str] | None = None) -> list[HostTarget]:
    """Turn the user's host list (or nothing) into targets, in order, without duplicates."""
    environ = os.environ if environ is None else environ
    targets: list[HostTarget] = []
    if hosts:
        for given in hosts:
            if "://" in given or given.startswith("/"):
                targets.append(_target(given, "--docker", environ))
            else:
                found = _from_context(given, environ)
                targets.append(found or _target(DEFAULT_SOCKET, f"context {given}", environ))
    elif environ.get("DOCKER_HOST"):
        params = docker.utils.kwargs_from_env(environment=dict(environ))
        tls = params.get("tls") if isinstance(params.get("tls"), TLSConfig) else None
        targets.append(_target(environ["DOCKER_HOST"], "DOCKER_HOST", environ, tls))
    else:
        found = _from_context(environ.get("DOCKER_CONTEXT") or None, environ)
        targets.append(found or _target(DEFAULT_SOCKET, "default socket", environ))
    unique: dict[str, HostTarget] = {}
    for t in targets:
        unique.setdefault(t.url, t)
    return list(unique.values())


ClientFactory = Callable[[HostTarget], Any]


def default_client(target: HostTarget, *, timeout: float = DEFAULT_TIMEOUT) -> docker.APIClient:
    """A low-level client for one host; negotiates the API version with the daemon (one request).

    Every connection has a deadline: ``tcp://`` and ``unix://`` through the SDK's own timeout,
    ``ssh://`` through :mod:`auditprep.collect.docker.sshdeadline` (the SDK's ssh transports wait forever
    for a host that accepts the connection but never answers)."""
    if target.scheme == "ssh":
        from auditprep.collect.docker.sshdeadline import ssh_client

        return ssh_client(target.url, timeout=timeout, shell_out=shutil.which("ssh") is not None)
    return docker.APIClient(base_url=target.url, tls=target.tls or False, timeout=timeout, version="auto")


def _chain(exc: BaseException) -> list[BaseException]:
    """The error and everything it wraps (causes, contexts, and the errors requests/urllib3 keep in args)."""
    seen: list[BaseException] = []
    queue: list[BaseException] = [exc]
    while queue and len(seen) < 50:
        current = queue.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        nested = [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *getattr(current, "args", ()),
        ]
        queue.extend(n for n in nested if isinstance(n, BaseException))
    return seen


def why_unreachable(exc: BaseException, target: HostTarget, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The cause of a failed connection as a short clause, e.g. 'the socket does not exist'."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    stated = re.search(r"timeout=(\d+(?:\.\d+)?)", text)
    if stated:
        timeout = float(stated.group(1))
    for e in chain:
        if isinstance(e, docker.errors.TLSParameterError):
            return f"the TLS settings are invalid ({e})"
        if isinstance(e, ssl.SSLError | requests.exceptions.SSLError) or "SSLError" in type(e).__name__:
            return (
                "the TLS handshake failed, so the client certificate, key or CA does not match the daemon "
                "(or the daemon does not speak TLS on that port)"
            )
    for e in chain:
        if isinstance(e, FileNotFoundError) or (isinstance(e, OSError) and e.errno == errno.ENOENT):
            return "the socket does not exist (is the daemon running, and is the path right?)"
        if isinstance(e, PermissionError) or (isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM)):
            return (
                "permission was denied on the socket (the user needs to be in the docker group, "
                "which is equivalent to root on that host)"
            )
        if isinstance(e, ConnectionRefusedError) or (isinstance(e, OSError) and e.errno == errno.ECONNREFUSED):
            return "the connection was refused (no daemon is listening there)"
        if isinstance(e, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(e, TimeoutError | socket.timeout | requests.exceptions.Timeout) or "Timeout" in type(e).__name__:
            return f"the daemon did not answer within {timeout:g} seconds"
        if isinstance(e, subprocess.CalledProcessError | FileNotFoundError):
            return "the ssh connection failed"
        if isinstance(e, docker.errors.APIError) and e.status_code in (401, 403):
            return f"the daemon refused access ({e.explanation or e.status_code})"
        if isinstance(e, docker.errors.APIError):
            return f"the endpoint answered with HTTP {e.status_code}, so it is not a Docker Engine API"
    if "timed out" in text.lower():
        return f"the daemon did not answer within {timeout:g} seconds"
    if target.scheme == "ssh":
        return (
            "the ssh connection failed (check that 'ssh' to that host works without a prompt and that the remote "
            "user may use the Docker socket)"
        )
    if "Connection aborted" in text or "RemoteDisconnected" in text or "BadStatusLine" in text:
        return (
            "the connection was closed without an answer (is this a Docker Engine API endpoint, and does it need TLS?)"
        )
    return f"the connection failed ({type(exc).__name__}: {exc})"


def unreachable_sentence(exc: BaseException, target: HostTarget, timeout: float = DEFAULT_TIMEOUT) -> str:
    return f"Could not reach the Docker daemon at {target.url}: {why_unreachable(exc, target, timeout)}."


def context_names() -> list[str]:
    """Every Docker context of this user, in the Docker CLI's order (``default`` first)."""
    try:
        return [c.Name for c in ContextAPI.contexts()]
    except docker.errors.DockerException as exc:
        raise CollectionError(f"The Docker contexts could not be read: {exc}.") from None


def read_hosts_file(path: str) -> list[str]:
    """Host URLs or context names, one a line; blank lines and ``#`` comments are ignored."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as exc:
        raise CollectionError(f"The Docker hosts file '{path}' could not be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError:
        raise CollectionError(f"The Docker hosts file '{path}' is not UTF-8 text.") from None
    out = [line.split("#", 1)[0].strip() for line in lines]
    hosts = [h for h in out if h]
    if not hosts:
        raise CollectionError(f"The Docker hosts file '{path}' names no host.")
    return hosts
