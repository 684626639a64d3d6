"""Deadlines for Docker over ssh.

The Docker SDK reaches an ``ssh://`` host either by running ``ssh HOST docker system dial-stdio``
and reading its output with no timeout, or through paramiko with no connect, banner or
authentication timeout. Against a host that accepts the connection and then says nothing, both
wait forever. Here the same transports get the deadline that ``tcp://`` has: ssh is told to give
up connecting (``ConnectTimeout``, ``BatchMode`` so it never prompts, keep-alives so a silent peer
is noticed) and every read from it waits at most ``timeout`` seconds; paramiko gets its connect,
banner and authentication timeouts.
"""

from __future__ import annotations

import io
import os
import select
import subprocess
from typing import Any

import docker
from docker.transport import sshconn


class _DeadlineReader(io.RawIOBase):
    """The ssh process's output, where a read that waits longer than the deadline raises a timeout."""

    def __init__(self, proc: subprocess.Popen[bytes], timeout: float | None):
        self._proc = proc
        self._timeout = timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        stdout = self._proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        ready, _, _ = select.select([fd], [], [], self._timeout)
        if not ready:
            raise TimeoutError(f"timed out (timeout={self._timeout:g})")
        data = os.read(fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _DeadlineSSHSocket(sshconn.SSHSocket):
    def __init__(self, host: str, timeout: float):
        super().__init__(host)
        self.deadline = timeout

    def connect(self, **_kwargs: Any) -> None:
        seconds = str(max(1, int(round(self.deadline))))
        args = ["ssh", "-o", "BatchMode=yes", "-o", f"ConnectTimeout={seconds}"]
        args += ["-o", f"ServerAliveInterval={seconds}", "-o", "ServerAliveCountMax=1"]
        if self.user:
            args += ["-l", self.user]
        if self.port:
            args += ["-p", self.port]
        args += ["--", self.host, "docker system dial-stdio"]
        env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "SSL_CERT_FILE")}
        self.proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
        )

    def recv(self, n: int) -> bytes:
        if not self.proc:
            raise OSError("the ssh connection was not started")
        return _DeadlineReader(self.proc, self.deadline).read(n) or b""

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if not self.proc:
            self.connect()
        return io.BufferedReader(_DeadlineReader(self.proc, self.deadline))

    def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            if proc.stdin and not proc.stdin.closed:
                proc.stdin.close()
        except OSError:
            pass
        proc.kill()  # terminate() could be ignored by a wedged process; the dial-stdio session holds nothing
        proc.wait()
        for stream in (proc.stdout,):
            if stream is not None:
                stream.close()


class _DeadlineSSHConnection(sshconn.SSHConnection):
    def connect(self) -> None:
        if self.ssh_transport:
            super().connect()
            return
        sock = _DeadlineSSHSocket(self.ssh_host, float(self.timeout or 0) or 60.0)
        sock.connect()
        self.sock = sock


class _DeadlineSSHPool(sshconn.SSHConnectionPool):
    def _new_conn(self) -> sshconn.SSHConnection:
        return _DeadlineSSHConnection(self.ssh_transport, self.timeout, self.ssh_host)


class _DeadlineSSHAdapter(sshconn.SSHHTTPAdapter):
    def __init__(self, base_url: str, timeout: float, *, shell_out: bool, **kwargs: Any):
        self.deadline = timeout  # read by _connect, which the parent's __init__ calls
        super().__init__(base_url, timeout, shell_out=shell_out, **kwargs)

    def _connect(self) -> None:
        if self.ssh_client:
            self.ssh_client.connect(
                **self.ssh_params, timeout=self.deadline, banner_timeout=self.deadline, auth_timeout=self.deadline
            )

    def get_connection(self, url: Any, proxies: Any = None) -> Any:
        with self.pools.lock:
            pool = self.pools.get(url)
            if pool:
                return pool
            if self.ssh_client and not self.ssh_client.get_transport():
                self._connect()
            pool = _DeadlineSSHPool(
                ssh_client=self.ssh_client, timeout=self.timeout, maxsize=self.max_pool_size, host=self.ssh_host
            )
            self.pools[url] = pool
        return pool


def ssh_client(url: str, *, timeout: float, shell_out: bool) -> docker.APIClient:
    """A ``docker.APIClient`` for ``ssh://`` whose connection and every call end within ``timeout`` seconds."""
    # built against a pinned version so the SDK makes no request before the adapter is replaced
    api = docker.APIClient(
        base_url=url, timeout=timeout, version=docker.constants.MINIMUM_DOCKER_API_VERSION, use_ssh_client=True
    )
    old = api._custom_adapter
    adapter = _DeadlineSSHAdapter(
        url, timeout, shell_out=shell_out, max_pool_size=docker.constants.DEFAULT_MAX_POOL_SIZE
    )
    old.close()
    api._custom_adapter = adapter
    api.mount("http+docker://ssh", adapter)
    api._version = api._retrieve_server_version()
    return api
