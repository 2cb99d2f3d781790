"""Test helper: a real Debian 12 (bookworm) chroot with given packages, cached under .cache/ between runs.

The cache is built once (debootstrap minbase + apt-get install) and marked complete by a marker file written
last, holding the package list: a missing marker, or a different list, means rebuild. Each test gets a throwaway
overlayfs copy (`session`), so provisioning never dirties the cache; mounts and daemons are undone in `finally`.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_DIR / ".cache" / "chroot"
MIRROR = "http://deb.debian.org/debian"
MARKER = ".proxcloud-chroot-ready"


def require_root() -> None:
    """The chroot needs mounts and chroot(2): fail loudly (never skip) when not root."""
    assert os.geteuid() == 0, (
        "the chroot integration tests build a Debian chroot and must run as root (CI runs `make test` as root); "
        "run it with sudo"
    )
    for tool in ("debootstrap", "mount", "chroot"):
        assert shutil.which(tool), f"{tool} is not installed: run `make test`, which installs deps/apt-*.txt"


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)  # type: ignore[call-overload]


def _mount_api(root: Path) -> list[Path]:
    """proc and a bind of /dev; returns what to unmount (reverse order)."""
    mounted: list[Path] = []
    (root / "proc").mkdir(exist_ok=True)
    _run(["mount", "-t", "proc", "proc", str(root / "proc")])
    mounted.append(root / "proc")
    _run(["mount", "--bind", "/dev", str(root / "dev")])
    mounted.append(root / "dev")
    return mounted


def _unmount(paths: list[Path]) -> None:
    for p in reversed(paths):
        subprocess.run(["umount", "--lazy", str(p)], check=False, capture_output=True)


def _policy_rc_d(root: Path) -> None:
    p = root / "usr/sbin/policy-rc.d"
    p.write_text("#!/bin/sh\n# package installs must not start services in the test chroot\nexit 101\n")
    p.chmod(0o755)


def cached_chroot(name: str, packages: tuple[str, ...]) -> Path:
    """A bookworm chroot with `packages` installed, built once and reused while the marker matches."""
    root = CACHE_DIR / name
    want = "\n".join(sorted(packages)) + "\n"
    marker = root / MARKER
    if marker.exists() and marker.read_text() == want:
        return root
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    _run(["debootstrap", "--variant=minbase", "bookworm", str(root), MIRROR])
    _policy_rc_d(root)
    mounted = _mount_api(root)
    try:
        env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
        _run(["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], env=env)
        _run(["chroot", str(root), "apt-get", "clean"], env=env)
    finally:
        _unmount(mounted)
    marker.write_text(want)  # last: a half-built chroot never looks ready
    return root


def processes_in(root: Path) -> list[int]:
    """PIDs of processes whose root directory is inside `root` (daemons the provisioning started)."""
    found = []
    target = str(root.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            if os.readlink(entry / "root").startswith(target):
                found.append(int(entry.name))
    return found


def stop_processes(root: Path) -> None:
    """TERM, then KILL, each process running inside the chroot, by PID."""
    pids = processes_in(root)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if Path(f"/proc/{p}").exists()]
        time.sleep(0.2)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextmanager
def session(cache: Path, work: Path) -> Iterator[Path]:
    """A writable overlay of the cached chroot with proc and /dev mounted; everything undone on exit."""
    upper, wdir, merged = work / "upper", work / "work", work / "root"
    for d in (upper, wdir, merged):
        d.mkdir(parents=True)
    _run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={cache},upperdir={upper},workdir={wdir}",
            str(merged),
        ]
    )
    mounted: list[Path] = [merged]
    try:
        mounted += _mount_api(merged)
        yield merged
    finally:
        stop_processes(merged)
        _unmount(mounted)


def chroot_run(
    root: Path, *cmd: str, check: bool = True, timeout: float = 300, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command inside the chroot (a clean environment, like cloud-init's runcmd as root).

    `input` is fed to its stdin: `chroot_run(root, "bash", "-s", input=script)` is what `pct exec <id> -- bash -s`
    does with a container's provisioning script.
    """
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "HOME": "/root"}
    return subprocess.run(
        ["chroot", str(root), *cmd],
        env=env,
        text=True,
        capture_output=True,
        check=check,
        timeout=timeout,
        input=input,
    )


def tar_gz(top: str, files: dict[str, str]) -> bytes:
    """A release-style archive: every file under one top directory (what the provisioning scripts unpack)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the chroot shares the host's network)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
