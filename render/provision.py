"""Shared pieces of the bash provisioning scripts piped into LXC containers (`pct exec <id> -- bash -s`).

Containers have no cloud-init: each service renders one self-contained, idempotent bash script (secrets included
as quoted shell words, so they travel on stdin and never appear in a process list or on the node's disk). The
same script runs unchanged in the tests' Debian chroot, where systemd is absent: `restart_daemon` then starts the
daemon directly and records its PID file, which is what the prelude's helpers switch on.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from render.cloudinit import DOCKER_KEY_FINGERPRINT, DOCKER_PACKAGES, CloudConfig, WriteFile

ENV_FILE = "secrets.env"
"""Every compose project reads its secrets from this file in its directory (0600 root; Compose reads it as root)."""
ENV_FILE_MODE = 0o600

PRELUDE = r"""set -euo pipefail
umask 022
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

log() { printf 'proxcloud-%s: %s\n' "$ROLE" "$*" >&2; }

have_systemd() { [ -d /run/systemd/system ]; }

ensure_packages() {  # install only what is missing: a second run (or an offline test) needs no network
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

put() {  # put PATH MODE OWNER CONTENT: write atomically, mode set before the content lands
  local path=$1 mode=$2 owner=$3 tmp
  install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  printf '%s' "$4" >"$tmp"  # printf is a builtin: the content never shows in a process list
  mv -f "$tmp" "$path"
}

stop_pidfile() {  # without systemd: stop a daemon by its pid file and wait for it to go
  local pidfile=$1 pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

sql_string() {  # a MariaDB string literal (backslash and quote escaped)
  local s=${1//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}
"""


def script(role: str, values: Mapping[str, object], body: str) -> str:
    """A complete script: shebang, the prelude, `readonly` values (shell-quoted), then the role's body."""
    header = "\n".join(f"readonly {k}={shlex.quote(str(v))}" for k, v in values.items())
    # The script arrives on bash's stdin: wrapped in a function, it is read whole before anything runs, and every
    # command gets /dev/null as stdin, so no command (a2dismod, apt-get, mariadb, ...) can swallow the script's rest.
    return (
        f"#!/bin/bash\n# Managed by proxcloud: {role} provisioning. Safe to run again (every step checks first).\n"
        f"readonly ROLE={shlex.quote(role)}\n{header}\n{PRELUDE}\nmain() {{\n{body}\n}}\nmain </dev/null\n"
    )


def put_file(path: str, content: str, mode: str = "0644", owner: str = "root:root") -> str:
    """One `put` line writing `content` (quoted, any characters) to `path`."""
    q = shlex.quote
    return f"put {q(path)} {q(mode)} {q(owner)} {q(content)}\n"


@dataclass(frozen=True)
class ComposeProject:
    """One Docker Compose project directory: compose.yaml (no secret, 0644) and secrets.env (0600 root)."""

    name: str
    compose: str
    env: str
    base_dir: str = "/opt/proxcloud"

    @property
    def directory(self) -> str:
        return f"{self.base_dir}/{self.name}"

    def write_files(self) -> tuple[WriteFile, ...]:
        """For a CloudConfig (cloud-init writes them before runcmd) or `compose_project_script`."""
        return (
            WriteFile(f"{self.directory}/compose.yaml", self.compose, permissions="0644"),
            WriteFile(f"{self.directory}/{ENV_FILE}", self.env, permissions=f"0{ENV_FILE_MODE:o}"),
        )

    def up_command(self) -> tuple[str, ...]:
        return ("docker", "compose", "--project-directory", self.directory, "up", "-d", "--remove-orphans")


_DOCKER_BODY = r"""
# Docker from Docker's own repository (docs.docker.com/engine/install/debian), key checked by fingerprint.
# Skipped when Docker with the compose plugin is already there (a second run, or a prepared template).
if ! { command -v docker >/dev/null && docker compose version >/dev/null 2>&1; }; then
  ensure_packages ca-certificates curl gpg
  install -d -m 0755 /etc/apt/keyrings
  curl --fail --silent --show-error --location --proto '=https' -o /etc/apt/keyrings/docker.asc \
    https://download.docker.com/linux/debian/gpg
  fpr=$(gpg --show-keys --with-colons /etc/apt/keyrings/docker.asc | awk -F: '$1 == "fpr" {print $10; exit}')
  if [ "$fpr" != "$DOCKER_FPR" ]; then
    rm -f /etc/apt/keyrings/docker.asc
    log "Docker's key has fingerprint $fpr, expected $DOCKER_FPR: not trusting it"; exit 1
  fi
  chmod 0644 /etc/apt/keyrings/docker.asc
  repo="https://download.docker.com/linux/debian bookworm stable"
  printf 'deb [arch=%s signed-by=/etc/apt/keyrings/docker.asc] %s\n' "$(dpkg --print-architecture)" "$repo" \
    >/etc/apt/sources.list.d/docker.list
  ensure_packages $DOCKER_PACKAGES
  if have_systemd; then systemctl enable --now --quiet docker; fi
fi
"""


def compose_project_script(project: ComposeProject) -> str:
    """Run a compose project in a container with `nesting` on: Docker (Docker's repository), the project's files
    (env file 0600 root), then `docker compose up -d`. The env file content travels on stdin like every secret."""
    files = "".join(put_file(f.path, f.content, f.permissions, f.owner) for f in project.write_files())
    up = " ".join(shlex.quote(a) for a in project.up_command())
    values = {"DOCKER_FPR": DOCKER_KEY_FINGERPRINT, "DOCKER_PACKAGES": " ".join(DOCKER_PACKAGES)}
    body = _DOCKER_BODY + f'log "compose project {project.name}"\n' + files + f'{up}\nlog "done"\n'
    return script(f"compose-{project.name}", values, body)


KEYS_HEADER = "# Managed by proxcloud (proxcloud:adminSshKeys): edits here are overwritten on the next key change.\n"

_KEYS_BODY = r"""
home=${KEY_HOME:-$(getent passwd "$KEY_USER" | cut -d: -f6)}
if [ -z "$home" ]; then log "no user $KEY_USER here"; exit 1; fi
group=$(id -gn "$KEY_USER")
put "$home/.ssh/authorized_keys" 0600 "$KEY_USER:$group" "$KEYS"
chown "$KEY_USER:$group" "$home/.ssh"
chmod 0700 "$home/.ssh"
log "$(grep -vc '^#' "$home/.ssh/authorized_keys") keys for $KEY_USER"
"""


def authorized_keys_script(user: str, keys: Sequence[str], home: str = "") -> str:
    """Make `keys` exactly the keys `user` logs in with: ~user/.ssh/authorized_keys rewritten atomically (0600, the
    directory 0700, both the user's), so a removed key stops working too. `home` overrides the passwd entry."""
    text = KEYS_HEADER + "".join(f"{k}\n" for k in keys)
    return script("ssh-keys", {"KEY_USER": user, "KEY_HOME": home, "KEYS": text}, _KEYS_BODY)


def reconfigure_script(role: str, cfg: CloudConfig) -> str:
    """For a running VM whose cloud-config only writes files and runs idempotent commands (checks, enables,
    restarts): the files written again, then the runcmd run again. Its first boot stays cloud-init's; this is how a
    later change of the same config reaches it (components/vm.py `reconfigure`)."""
    files = "".join(put_file(f.path, f.content, f.permissions, f.owner) for f in cfg.write_files)
    commands = "".join(f"{c if isinstance(c, str) else shlex.join(c)}\n" for c in cfg.runcmd)
    return script(f"{role}-reconfigure", {}, f'log "files"\n{files}log "commands"\n{commands}log "done"\n')
