"""Shared pieces of the bash provisioning scripts piped into LXC containers (`pct exec <id> -- bash -s`).

Containers have no cloud-init: each service renders one self-contained, idempotent bash script (secrets included
as quoted shell words, so they travel on stdin and never appear in a process list or on the node's disk). The
same script runs unchanged in the tests' Debian chroot, where systemd is absent: `restart_daemon` then starts the
daemon directly and records its PID file, which is what the prelude's helpers switch on.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

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
