"""Test helper: a real rsyslogd (non-root paths, foreground) reading a private unix socket and forwarding with
the rendered action, and a TCP collector on 127.0.0.1 that can be stopped and restarted on the same port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOOPBACK = "127.0.0.1"


def rsyslogd_binary() -> str:
    exe = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None)
    assert exe, "rsyslogd is not installed: run `make test`, which installs deps/apt-*.txt (deps/apt-logs.txt)"
    return exe


def rsyslog_check(conf: Path) -> subprocess.CompletedProcess[str]:
    """`rsyslogd -N1 -f conf`: the daemon's own configuration check (rc 0 = valid)."""
    return subprocess.run(
        [rsyslogd_binary(), "-N1", "-f", str(conf)], capture_output=True, text=True, check=False, timeout=30
    )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Collector:
    """A line-oriented TCP listener on 127.0.0.1 standing in for Graylog's Syslog TCP input."""

    def __init__(self, port: int = 0) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._server: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self.port = port
        self.start()

    def start(self) -> None:
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((LOOPBACK, self.port))
        srv.listen(8)
        srv.settimeout(0.2)
        self.port = srv.getsockname()[1]
        self._server = srv
        t = threading.Thread(target=self._accept, args=(srv,), daemon=True)
        t.start()
        self._threads.append(t)

    def _accept(self, srv: socket.socket) -> None:
        while self._server is srv:
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(0.2)
            with self._lock:
                self._conns.append(conn)
            t = threading.Thread(target=self._read, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _read(self, conn: socket.socket) -> None:
        buf = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                if conn.fileno() == -1:
                    return
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            *complete, buf = buf.split(b"\n")
            with self._lock:
                self.lines += [line.decode() for line in complete if line]

    def stop(self) -> None:
        """Like the collector going down: the listening socket and every open connection are closed."""
        srv, self._server = self._server, None
        if srv is not None:
            srv.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for t in self._threads:
            t.join(timeout=2)
        self._threads = []

    def received(self) -> list[str]:
        with self._lock:
            return list(self.lines)


class Rsyslogd:
    """rsyslogd -n with its own config, pid file, work directory and input socket (all in a temp directory)."""

    def __init__(self, forward_conf: str, workdir: Path) -> None:
        self.workdir = workdir
        self.socket_path = workdir / "log.sock"
        self.spool = workdir / "spool"
        self.spool.mkdir(exist_ok=True)
        (workdir / "forward.conf").write_text(forward_conf)
        self.conf = workdir / "rsyslog.conf"
        self.conf.write_text(
            f'global(workDirectory="{self.spool}")\n'
            # Only the private socket: the test must not read or disturb the machine's /dev/log.
            'module(load="imuxsock" SysSock.Use="off")\n'
            f'input(type="imuxsock" Socket="{self.socket_path}" RateLimit.Interval="0")\n'
            # rsyslogd's own messages (action suspended/resumed, queue errors) to a file the test can read.
            f'if $syslogfacility-text == "syslog" then action(type="omfile" file="{workdir / "internal.log"}")\n'
            f'include(file="{workdir / "forward.conf"}")\n'
            # A local file after the forwarding, as Debian's /var/log/syslog: a line is in it once the main queue
            # has handed it to the forwarding action's queue (actions run in order).
            f'action(type="omfile" file="{workdir / "local.log"}")\n'
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.output = workdir / "rsyslogd.out"
        self.internal = workdir / "internal.log"

    def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        pidfile = self.workdir / "rsyslogd.pid"
        with self.output.open("ab") as log:
            self.proc = subprocess.Popen(
                [rsyslogd_binary(), "-n", "-f", str(self.conf), "-i", str(pidfile)], stdout=log, stderr=log
            )
        wait_for(lambda: self.socket_path.exists(), 10, "rsyslogd's input socket")

    def internal_messages(self) -> str:
        """What rsyslogd said about itself so far (stdout/stderr and its syslog-facility messages)."""
        texts = [p.read_text(errors="replace") for p in (self.output, self.internal) if p.exists()]
        return "\n".join(texts)

    def handed_to_forwarding(self, lines: list[str]) -> bool:
        """Every line went through the main queue into the forwarding action's queue."""
        local = self.workdir / "local.log"
        text = local.read_text(errors="replace") if local.exists() else ""
        return all(f" {line}\n" in text for line in lines)

    def send(self, lines: list[str]) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            for line in lines:
                s.sendto(f"<14>proxcloud-test: {line}".encode(), str(self.socket_path))

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM by PID, wait; SIGKILL if it does not stop in time. Returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                return proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
                raise AssertionError(f"rsyslogd did not stop within {timeout}s of SIGTERM") from None
        return proc.returncode


@contextlib.contextmanager
def short_tmpdir() -> Iterator[Path]:
    """A short path: unix socket paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="rsl-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
