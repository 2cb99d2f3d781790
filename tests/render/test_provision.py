"""The shared LXC script frame: read whole before it runs (a command reading stdin cannot eat the rest), `put`
writes any content byte for byte with its mode, and compose projects land with a 0600 env file (in the chroot,
with a stand-in `docker` that records the call)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from render.cloudinit import CloudConfig, WriteFile
from render.provision import (
    ComposeProject,
    authorized_keys_script,
    compose_project_script,
    put_file,
    reconfigure_script,
    script,
)
from render.zabbix import zabbix_server_project
from tests.support.debian_chroot import chroot_run, processes_in, session
from tests.support.shell import shellcheck
from tests.support.wordpress_site import lxcwp_chroot

READS_STDIN = 'cat >/dev/null\necho "after the reader"\n'


def bash_s(text: str) -> str:
    return subprocess.run(["bash", "-s"], input=text, capture_output=True, text=True, check=True).stdout


def test_a_stdin_reader_cannot_swallow_the_script() -> None:
    assert "after the reader" in bash_s(script("t", {}, READS_STDIN))
    assert "after the reader" not in bash_s("#!/bin/bash\n" + READS_STDIN)  # twin: unwrapped, the rest is eaten


def test_put_writes_any_content_exactly(tmp_path: Path) -> None:
    content = "quotes ' \" $HOME `id` \\ \n\nno trailing newline"
    target = tmp_path / "sub" / "file"
    bash_s(script("t", {}, put_file(str(target), content, "0600", f"{os.getuid()}:{os.getgid()}")))
    assert target.read_text() == content and target.stat().st_mode & 0o777 == 0o600


def test_compose_script_passes_shellcheck(tmp_path: Path) -> None:
    text = compose_project_script(zabbix_server_project("192.168.70.10", "zabbix-db-password-1"))
    result = shellcheck(text, tmp_path, "compose.sh")
    assert result.returncode == 0, result.stdout


STUB_DOCKER = """#!/bin/sh
# stands in for Docker in the test chroot: `docker compose version` works, every call is recorded
echo "$*" >>/var/tmp/docker-calls
exit 0
"""


@pytest.fixture(scope="module")
def chroot_cache() -> Path:
    return lxcwp_chroot()


@pytest.mark.system
def test_compose_project_lands_with_a_0600_env_file(chroot_cache: Path, tmp_path: Path) -> None:
    project = zabbix_server_project("127.0.0.1", "zabbix-db-pa$$word-1")
    with session(chroot_cache, tmp_path / "overlay") as root:
        stub = root / "usr/local/bin/docker"
        stub.write_text(STUB_DOCKER)
        stub.chmod(0o755)
        run = chroot_run(root, "bash", "-s", input=compose_project_script(project), check=False)
        assert run.returncode == 0, run.stderr
        assert "zabbix-db-pa$$word-1" not in run.stdout + run.stderr
        base = root / "opt/proxcloud/zabbix"
        env, compose = base / "secrets.env", base / "compose.yaml"
        assert env.read_text() == project.env and compose.read_text() == project.compose
        assert env.stat().st_mode & 0o777 == 0o600 and env.stat().st_uid == 0
        assert compose.stat().st_mode & 0o777 == 0o644
        calls = (root / "var/tmp/docker-calls").read_text().splitlines()
        assert calls == ["compose version", "compose --project-directory /opt/proxcloud/zabbix up -d --remove-orphans"]
    assert processes_in(root) == []


def test_compose_project_paths() -> None:
    p = ComposeProject("vaultwarden", "services: {}\n", "X='y'\n")
    assert [f.path for f in p.write_files()] == [
        "/opt/proxcloud/vaultwarden/compose.yaml",
        "/opt/proxcloud/vaultwarden/secrets.env",
    ]
    assert [f.permissions for f in p.write_files()] == ["0644", "0600"]


def test_admin_keys_are_exactly_the_declared_ones(tmp_path: Path) -> None:
    """The day-2 key delivery (components/guest_exec.py AdminKeys) rewrites the whole file: an added key is there, a
    removed one is gone (twin: appending would keep it), with sshd's modes (0600 file, 0700 directory)."""
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    keys = tmp_path / ".ssh" / "authorized_keys"
    bash_s(authorized_keys_script(user, ["ssh-ed25519 AAAAold old@x", "ssh-ed25519 AAAAkeep keep@x"], str(tmp_path)))
    assert "old@x" in keys.read_text()
    bash_s(authorized_keys_script(user, ["ssh-ed25519 AAAAkeep keep@x", "ssh-ed25519 AAAAnew new@x"], str(tmp_path)))
    lines = [ln for ln in keys.read_text().splitlines() if not ln.startswith("#")]
    assert lines == ["ssh-ed25519 AAAAkeep keep@x", "ssh-ed25519 AAAAnew new@x"]
    assert keys.stat().st_mode & 0o777 == 0o600 and keys.parent.stat().st_mode & 0o777 == 0o700


def test_day2_scripts_pass_shellcheck(tmp_path: Path) -> None:
    keys = authorized_keys_script("ops", ["ssh-ed25519 AAAA a@b"])
    assert shellcheck(keys, tmp_path, "keys.sh").returncode == 0
    cfg = CloudConfig(
        hostname="r",
        ssh_keys=(),
        write_files=(WriteFile("/etc/x.conf", "a 'quoted' $value\n"),),
        runcmd=(("nft", "-c", "-f", "/etc/x.conf"), "systemctl restart nftables"),
    )
    text = reconfigure_script("r", cfg)
    assert shellcheck(text, tmp_path, "reconfigure.sh").returncode == 0
    assert "put /etc/x.conf 0644 root:root 'a '\"'\"'quoted'\"'\"' $value\n'" in text
    assert "nft -c -f /etc/x.conf\nsystemctl restart nftables\n" in text
