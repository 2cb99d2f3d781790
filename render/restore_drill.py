"""The restore drill: files installed on one PVE node (a runner, its settings and guest list, a systemd timer, a
notification helper and its templates), and the scripts pulumi-command runs over SSH to install and remove them.

What one run does (`RUNNER`), for the next `PER_RUN` guests of the list (a rotation index is kept, so every
stateful guest gets its turn):

1. the newest backup: `pvesm list <pbs-storage> --content backup --vmid <id>`, last line (pve-storage lists by
   volume id, `backup/<vm|ct>/<id>/<UTC time>`, so the last is the newest: `PVE/Storage.pm` `volume_list`);
2. a free scratch ID of the declared range (`pvesh get /cluster/nextid --vmid <id>` refuses a used one,
   pve-manager `PVE/API2/Cluster.pm` `nextid`);
3. `qmrestore <backup> <scratch> --storage <vm datastore> --unique 1` (new MACs; no `--pool`, no `--start`) or
   `pct restore ... --unique 1`; then, before anything runs, the copy is cut off: protection and start-on-boot off
   (a backup of a protected guest restores protected, and `destroy_vm` refuses that: qemu-server
   `PVE/API2/Qemu.pm` `check_protection`), tagged as the drill's, every `net<N>` deleted, and for a VM the
   cloud-init drive and `cicustom` too (its snippet may live on another node's storage, and PVE regenerates the
   drive at start);
4. start it and wait up to `BOOT_TIMEOUT` seconds for it to answer: `qm guest cmd <scratch> ping` (the QEMU guest
   agent) or `pct exec <scratch> -- true`;
5. stop and destroy it (`--purge 1 --destroy-unreferenced-disks 1`), only when this run restored it (a scratch ID
   someone else took is never touched);
6. one line per guest in `results.tsv` (time, guest, backup, scratch ID, OK/FAIL, restore/boot/total seconds,
   message) and in the journal (`journalctl -u proxcloud-restore-drill`; failures at priority err).

When a guest did not come back the runner sends one error notification through PVE's notification system
(`PVE::Notify::error`, type `proxcloud-restore-drill`, templates in `/etc/pve/notification-templates/default`,
the override path proxmox-notify reads first: proxmox-rs `proxmox-notify/src/context/pve.rs` `lookup_template`)
and exits 1, so the unit is failed (`systemctl --failed`) even if mail cannot go out.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from model.drill import DrillGuest
from model.notifications import DRILL_TYPE

UNIT = "proxcloud-restore-drill"
RUNNER_PATH = "/usr/local/sbin/proxcloud-restore-drill"
NOTIFY_PATH = "/usr/local/lib/proxcloud/notify-error"
CONF_PATH = "/etc/proxcloud/restore-drill.conf"
GUESTS_PATH = "/etc/proxcloud/restore-drill.guests"
STATE_DIR = "/var/lib/proxcloud/restore-drill"
TEMPLATE_DIR = "/etc/pve/notification-templates/default"
TEMPLATE = "proxcloud-restore-drill"
RESULTS_HEADER = "time\tvmid\tname\tkind\tbackup\tscratch\tresult\trestore_s\tboot_s\ttotal_s\tmessage"


@dataclass(frozen=True)
class DrillSettings:
    """What the runner reads from its settings file."""

    storage: str  # the vm datastore restored disks go to
    scratch_first: int
    scratch_last: int
    per_run: int
    boot_timeout: int
    schedule: str
    poll: int = 10  # seconds between two checks of a booting guest
    guests: str = GUESTS_PATH
    state_dir: str = STATE_DIR
    notify: str = NOTIFY_PATH


RUNNER = r"""#!/bin/bash
# proxcloud restore drill (managed by proxcloud, render/restore_drill.py; run by proxcloud-restore-drill.timer).
# Restores the newest backup of the next guests of the list to a scratch VM ID with no network, starts it, waits
# for it to answer, records the durations and destroys it; a guest that does not come back fails the run and
# sends an error notification through PVE's notification system.
set -uo pipefail

CONF=${PROXCLOUD_DRILL_CONF:-/etc/proxcloud/restore-drill.conf}
# shellcheck source=/dev/null
. "$CONF"
TAG=proxcloud-restore-drill
RESULTS="$STATE_DIR/results.tsv"
NEXT="$STATE_DIR/next"
INFLIGHT="$STATE_DIR/inflight"
mkdir -p "$STATE_DIR"

log() { printf '%s\n' "$*"; }
err() {  # a failure line: priority err in the journal
  if [ -n "${JOURNAL_STREAM:-}" ]; then printf '<3>%s\n' "$*"; else printf '%s\n' "$*" >&2; fi
}

exec 9>"$STATE_DIR/lock"
if ! flock -n 9; then
  err "FAIL another restore drill is still running"
  exit 1
fi

exists() {  # kind id: is the guest configured on this node?
  if [ "$1" = qemu ]; then qm config "$2" >/dev/null 2>&1; else pct config "$2" >/dev/null 2>&1; fi
}

owned() {  # kind id: a copy this drill restored (tagged by it)?
  local conf
  if [ "$1" = qemu ]; then conf=$(qm config "$2" 2>/dev/null); else conf=$(pct config "$2" 2>/dev/null); fi
  printf '%s\n' "$conf" | grep -q "^tags: .*$TAG"
}

teardown() {  # kind id: stop and destroy a scratch copy of this drill
  if [ "$1" = qemu ]; then
    qm stop "$2" --skiplock 1 >/dev/null 2>&1 || true
    qm set "$2" --protection 0 --skiplock 1 >/dev/null 2>&1 || true
    qm destroy "$2" --purge 1 --destroy-unreferenced-disks 1 --skiplock 1
  else
    pct stop "$2" >/dev/null 2>&1 || true
    pct set "$2" --protection 0 >/dev/null 2>&1 || true
    pct destroy "$2" --purge 1 --destroy-unreferenced-disks 1
  fi
}

# A copy a crashed run left behind: the ID it was restoring, or any tagged copy in the range.
if [ -s "$INFLIGHT" ]; then
  read -r left kind_left < "$INFLIGHT" || true
  if [ -n "${left:-}" ] && exists "${kind_left:-qemu}" "$left"; then
    log "removing scratch copy $left left by an earlier run"
    teardown "${kind_left:-qemu}" "$left" || err "FAIL could not remove scratch copy $left"
  fi
  rm -f "$INFLIGHT"
fi
for ((id = SCRATCH_FIRST; id <= SCRATCH_LAST; id++)); do
  for kind in qemu lxc; do
    if owned "$kind" "$id"; then
      log "removing scratch copy $id left by an earlier run"
      teardown "$kind" "$id" || err "FAIL could not remove scratch copy $id"
    fi
  done
done

free_id() {  # a scratch ID no guest of the cluster uses
  local id
  for ((id = SCRATCH_FIRST; id <= SCRATCH_LAST; id++)); do
    if pvesh get /cluster/nextid --vmid "$id" >/dev/null 2>&1; then
      printf '%s\n' "$id"
      return 0
    fi
  done
  return 1
}

newest() {  # storage vmid: the volume id of the newest backup (pvesm lists them by volume id = by time)
  pvesm list "$1" --content backup --vmid "$2" | awk 'NR > 1 && $1 != "" { v = $1 } END { if (v != "") print v }'
}

restore() {  # kind backup id
  if [ "$1" = qemu ]; then
    qmrestore "$2" "$3" --storage "$STORAGE" --unique 1
  else
    pct restore "$3" "$2" --storage "$STORAGE" --unique 1
  fi
}

isolate() {  # kind id source-vmid: no protection, no start on boot, our tag, no NIC (and no cloud-init drive)
  local del
  if [ "$1" = qemu ]; then
    qm set "$2" --protection 0 --onboot 0 --tags "$TAG" --description "proxcloud restore drill of $3" || return 1
    del=$(qm config "$2" |
      awk -F: '/^net[0-9]+:/ || /^cicustom:/ || /^(ide|sata|scsi)[0-9]+:.*cloudinit/ { print $1 }' |
      paste -sd, -) || return 1
    if [ -n "$del" ]; then qm set "$2" --delete "$del" || return 1; fi
  else
    pct set "$2" --protection 0 --onboot 0 --tags "$TAG" --description "proxcloud restore drill of $3" || return 1
    del=$(pct config "$2" | awk -F: '/^net[0-9]+:/ { print $1 }' | paste -sd, -) || return 1
    if [ -n "$del" ]; then pct set "$2" --delete "$del" || return 1; fi
  fi
}

answers() {  # kind id: does the guest answer?
  if [ "$1" = qemu ]; then
    timeout 60 qm guest cmd "$2" ping >/dev/null 2>&1
  else
    timeout 60 pct exec "$2" -- true >/dev/null 2>&1
  fi
}

start_and_wait() {  # kind id: start the copy and wait until it answers
  local deadline
  if [ "$1" = qemu ]; then qm start "$2" || return 1; else pct start "$2" || return 1; fi
  deadline=$(($(date +%s) + BOOT_TIMEOUT))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if answers "$1" "$2"; then return 0; fi
    sleep "$POLL"
  done
  answers "$1" "$2"
}

record() {  # vmid name kind backup scratch result restore_s boot_s total_s message
  [ -s "$RESULTS" ] || printf '%s\n' "$RESULTS_HEADER" > "$RESULTS"
  local line
  line=$(date -u +%FT%TZ)
  for field in "$@"; do line+=$'\t'"$field"; done
  printf '%s\n' "$line" >> "$RESULTS"
  if [ "$6" = OK ]; then
    log "OK $2 ($1) came back from $4 as $5: restore ${7}s, boot ${8}s, total ${9}s"
  else
    err "FAIL $2 ($1): ${10} (backup ${4}, scratch ${5})"
  fi
}

drill_one() {  # vmid kind storage name: 0 when the guest came back
  local vmid=$1 kind=$2 store=$3 name=$4 volid scratch t0 t1 t2 result=FAIL msg="" restored=0
  t0=$(date +%s)
  if ! volid=$(newest "$store" "$vmid") || [ -z "$volid" ]; then
    record "$vmid" "$name" "$kind" - - FAIL 0 0 0 "no backup of $vmid found on $store"
    return 1
  fi
  if ! scratch=$(free_id); then
    record "$vmid" "$name" "$kind" "$volid" - FAIL 0 0 0 "no free scratch ID in $SCRATCH_FIRST-$SCRATCH_LAST"
    return 1
  fi
  printf '%s %s\n' "$scratch" "$kind" > "$INFLIGHT"
  log "restoring $name ($vmid) from $volid to $scratch"
  if restore "$kind" "$volid" "$scratch"; then
    restored=1
    t1=$(date +%s)
    if ! isolate "$kind" "$scratch" "$vmid"; then
      msg="could not cut the restored copy off the network"
    elif start_and_wait "$kind" "$scratch"; then
      result=OK
    else
      msg="did not answer within ${BOOT_TIMEOUT}s of its start"
    fi
  else
    t1=$(date +%s)
    msg="restore failed"
  fi
  t2=$(date +%s)
  if [ "$restored" = 1 ] || owned "$kind" "$scratch"; then
    if ! teardown "$kind" "$scratch"; then
      result=FAIL
      msg="${msg:+$msg; }the scratch copy $scratch could not be destroyed"
    fi
  fi
  exists "$kind" "$scratch" || rm -f "$INFLIGHT"
  record "$vmid" "$name" "$kind" "$volid" "$scratch" "$result" \
    $((t1 - t0)) $((t2 - t1)) $((t2 - t0)) "${msg:-came back}"
  [ "$result" = OK ]
}

ids=()
kinds=()
stores=()
names=()
while IFS=$'\t' read -r vmid kind store name; do
  case "$vmid" in '' | '#'*) continue ;; esac
  ids+=("$vmid")
  kinds+=("$kind")
  stores+=("$store")
  names+=("$name")
done < "$GUESTS"
total=${#ids[@]}
if [ "$total" -eq 0 ]; then
  log "restore drill: no guest to drill"
  exit 0
fi

start=0
if [ -s "$NEXT" ]; then start=$(cat "$NEXT"); fi
case "$start" in '' | *[!0-9]*) start=0 ;; esac
count=$((PER_RUN < total ? PER_RUN : total))
failed=0
details=""
for ((k = 0; k < count; k++)); do
  i=$(((start + k) % total))
  if ! drill_one "${ids[i]}" "${kinds[i]}" "${stores[i]}" "${names[i]}"; then
    failed=$((failed + 1))
    details+="$(tail -n 1 "$RESULTS" | cut -f 2-)"$'\n'
  fi
done
printf '%s\n' $(((start + count) % total)) > "$NEXT"

log "restore drill: $((count - failed)) of $count guests came back (results: $RESULTS)"
if [ "$failed" -gt 0 ]; then
  if ! printf '%s' "$details" |
    "$NOTIFY" "$TEMPLATE" "$TYPE" "failed=$failed" "tested=$count" "results-file=$RESULTS"; then
    err "FAIL the failure notification could not be sent (the unit fails all the same)"
  fi
  exit 1
fi
"""

NOTIFY_HELPER = r"""#!/usr/bin/perl
# Managed by proxcloud (render/restore_drill.py): send an error notification through PVE's notification system.
# usage: notify-error TEMPLATE TYPE [key=value ...] < details
# The matchers see metadata `type` = TYPE and `hostname` = this node; the templates get every key=value, the
# details (standard input) and PVE's common data (hostname, fqdn, cluster-name).
use strict;
use warnings;

use PVE::Notify;

my ($template, $type, @pairs) = @ARGV;
die "usage: notify-error TEMPLATE TYPE [key=value ...] < details\n" if !defined($type);

my $data = PVE::Notify::common_template_data();
for my $pair (@pairs) {
    my ($key, $value) = split(/=/, $pair, 2);
    die "not key=value: $pair\n" if !defined($value);
    $data->{$key} = $value;
}
my $details = do { local $/; <STDIN> };
$data->{details} = defined($details) ? $details : '';

PVE::Notify::error($template, $data, { type => $type, hostname => $data->{hostname} });
"""

SUBJECT = "Restore drill on {{hostname}}: {{failed}} of {{tested}} guests did not come back\n"
BODY = """The restore drill on {{hostname}} restored the newest backups of {{tested}} guests without network;
{{failed}} did not come back (vmid, name, type, backup, scratch ID, result, seconds, reason):

{{details}}
Every run is recorded in {{results-file}} on {{hostname}}; the run's log:
journalctl -u proxcloud-restore-drill.service on {{hostname}}.
"""


def templates() -> dict[str, str]:
    """Notification templates by file name (proxmox-notify reads `<name>-subject.txt.hbs`, `<name>-body.txt.hbs`)."""
    return {f"{TEMPLATE}-subject.txt.hbs": SUBJECT, f"{TEMPLATE}-body.txt.hbs": BODY}


def conf(s: DrillSettings) -> str:
    """The runner's settings (a shell file it sources)."""
    pairs = [
        ("STORAGE", s.storage),
        ("SCRATCH_FIRST", str(s.scratch_first)),
        ("SCRATCH_LAST", str(s.scratch_last)),
        ("PER_RUN", str(s.per_run)),
        ("BOOT_TIMEOUT", str(s.boot_timeout)),
        ("POLL", str(s.poll)),
        ("GUESTS", s.guests),
        ("STATE_DIR", s.state_dir),
        ("NOTIFY", s.notify),
        ("TEMPLATE", TEMPLATE),
        ("TYPE", DRILL_TYPE),
        ("RESULTS_HEADER", RESULTS_HEADER),
    ]
    body = "".join(f"{k}={shlex.quote(v)}\n" for k, v in pairs)
    head = f"# Managed by proxcloud (render/restore_drill.py); schedule: {s.schedule}\n"
    return head + "# shellcheck disable=SC2034  # read by the runner, which sources this file\n" + body


def guest_list(guests: Sequence[DrillGuest]) -> str:
    """One guest per line: vmid, qemu|lxc, PBS storage, name (tab-separated), in drill order."""
    head = "# vmid\tkind\tstorage\tname (managed by proxcloud; drilled in this order, PER_RUN per run)\n"
    return head + "".join(f"{g.vm_id}\t{g.kind}\t{g.storage}\t{g.name}\n" for g in guests)


def parse_guest_list(text: str) -> list[tuple[int, str, str, str]]:
    """The guest list back as (vmid, kind, storage, name), for the proofs."""
    out = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            vmid, kind, storage, name = line.split("\t")
            out.append((int(vmid), kind, storage, name))
    return out


def service_unit() -> str:
    return f"""[Unit]
Description=proxcloud restore drill: restore the newest backups without network, check they answer, destroy them
After=pve-cluster.service pvedaemon.service
ConditionPathExists={CONF_PATH}

[Service]
Type=oneshot
ExecStart={RUNNER_PATH}
SyslogIdentifier={UNIT}
TimeoutStartSec=12h
Nice=10
"""


def timer_unit(schedule: str) -> str:
    return f"""[Unit]
Description=proxcloud restore drill, on schedule

[Timer]
OnCalendar={schedule}
Persistent=false

[Install]
WantedBy=timers.target
"""


def _heredoc(path: str, text: str, mode: str | None, n: int) -> str:
    marker = f"PROXCLOUD_EOF_{n}"
    assert marker not in text
    target = f'"$ROOT"{shlex.quote(path)}'
    if mode is None:  # pmxcfs (/etc/pve): plain writes, it keeps its own modes
        return f"cat > {target} <<'{marker}'\n{text}{marker}\n"
    return f"put {target} {mode} <<'{marker}'\n{text}{marker}\n"


def files(s: DrillSettings, guests: Sequence[DrillGuest]) -> list[tuple[str, str, str | None]]:
    """(path, content, mode) of everything the drill installs; mode None: on pmxcfs, no chmod."""
    out: list[tuple[str, str, str | None]] = [
        (CONF_PATH, conf(s), "0644"),
        (GUESTS_PATH, guest_list(guests), "0644"),
        (RUNNER_PATH, RUNNER, "0755"),
        (NOTIFY_PATH, NOTIFY_HELPER, "0755"),
        (f"/etc/systemd/system/{UNIT}.service", service_unit(), "0644"),
        (f"/etc/systemd/system/{UNIT}.timer", timer_unit(s.schedule), "0644"),
    ]
    out += [(f"{TEMPLATE_DIR}/{name}", text, None) for name, text in templates().items()]
    return out


HEADER = """#!/bin/bash
# Managed by proxcloud (pulumi-command over SSH to the drill node). Safe to run again.
set -euo pipefail
ROOT=${PROXCLOUD_ROOT:-}
"""


def install_script(s: DrillSettings, guests: Sequence[DrillGuest]) -> str:
    """Write every file (atomically, with its mode), reload systemd, enable and start the timer."""
    lines = [
        HEADER,
        'put() {  # path mode: standard input to path, atomically\n  local tmp\n  tmp=$(mktemp "$1.XXXXXX")\n'
        '  cat > "$tmp"\n  chmod "$2" "$tmp"\n  mv -f "$tmp" "$1"\n}\n',
        'mkdir -p "$ROOT/etc/proxcloud" "$ROOT/usr/local/sbin" "$ROOT/usr/local/lib/proxcloud" '
        f'"$ROOT/etc/systemd/system" "$ROOT"{shlex.quote(s.state_dir)} "$ROOT"{shlex.quote(TEMPLATE_DIR)}\n',
    ]
    lines += [_heredoc(path, text, mode, n) for n, (path, text, mode) in enumerate(files(s, guests))]
    lines.append(f"systemctl daemon-reload\nsystemctl enable --now {UNIT}.timer\n")
    return "".join(lines)


def remove_script() -> str:
    """Stop and remove the drill; its results file stays (the record of past drills)."""
    paths = " ".join(f'"$ROOT"{shlex.quote(p)}' for p, _, _ in files(DrillSettings("x", 0, 0, 1, 1, "daily"), []))
    return (
        HEADER
        + f"systemctl disable --now {UNIT}.timer >/dev/null 2>&1 || true\n"
        + f"rm -f {paths}\n"
        + "systemctl daemon-reload\n"
    )
