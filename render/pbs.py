"""Shell scripts run on the Proxmox Backup Server over SSH: tenant namespaces, verify and prune jobs.

The provider cannot manage PBS jobs, so pulumi-command runs these. The apply script (the Command's create and
update) reconciles the full declared set and is idempotent: it creates the namespaces and jobs that are missing,
updates those that exist, and removes the jobs it declared on an earlier run that are no longer declared (the
ids it manages are kept in a state file on the PBS host, STATE_FILE), so a change of the job set is an in-place
update of the Command, never a replacement whose old delete would undo the new create. The delete script (the
Command's delete: the whole backup plan is removed) removes only the jobs it names. Every value is
shell-quoted. Namespaces are made with `proxmox-backup-client` as the backup user, whose password arrives on
standard input (never on a command line or in the environment of SSH).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

PBM = "proxmox-backup-manager"
# The (kind, id) of every job the apply script manages, one per line; PROXCLOUD_STATE_DIR overrides the folder
# (tests run the scripts on this host).
STATE_FILE = '"${PROXCLOUD_STATE_DIR:-/var/lib/proxcloud}/pbs-jobs"'


@dataclass(frozen=True)
class PbsJob:
    """A verify or prune job of one namespace of the datastore."""

    kind: str  # "verify" | "prune"
    id: str
    store: str
    schedule: str
    ns: str
    options: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("verify", "prune"):
            raise ValueError(f"unknown PBS job kind {self.kind!r}")


def tenant_jobs(
    tenant: str,
    store: str,
    retention: dict[str, str],
    verify_schedule: str,
    prune_schedule: str,
    outdated_days: int,
) -> list[PbsJob]:
    """The two jobs every tenant namespace gets: a weekly verify and a daily prune with the retention."""
    return [
        PbsJob(
            "verify",
            f"verify-{tenant}",
            store,
            verify_schedule,
            tenant,
            (("ignore-verified", "true"), ("outdated-after", str(outdated_days))),
        ),
        PbsJob("prune", f"prune-{tenant}", store, prune_schedule, tenant, tuple(sorted(retention.items()))),
    ]


def _flags(job: PbsJob) -> str:
    pairs = [("schedule", job.schedule), ("ns", job.ns), *job.options]
    return " ".join(f"--{k} {shlex.quote(v)}" for k, v in pairs)


HEADER = """#!/bin/bash
# Managed by proxcloud (pulumi-command over SSH). Safe to run again.
set -euo pipefail
"""

FUNCTIONS = """has_job() {  # kind id: is a job with this id configured?
  proxmox-backup-manager "$1-job" list --output-format json | grep -q "\\"id\\":\\"$2\\""
}
"""
NAMESPACE_FUNCTIONS = """has_ns() {  # repository ns: does the namespace exist?
  proxmox-backup-client namespace list --repository "$1" --output-format json | grep -q "\\"ns\\":\\"$2\\""
}
"""


def apply_script(jobs: list[PbsJob], user: str, fingerprint: str) -> str:
    """Create missing namespaces and jobs, update existing jobs to the declared settings.

    `user` is the PBS user PVE backs up as (it must own the namespaces); its password is read from stdin.
    """
    lines = [
        HEADER,
        FUNCTIONS,
        NAMESPACE_FUNCTIONS,
        "IFS= read -r PBS_PASSWORD; export PBS_PASSWORD",
        f"export PBS_FINGERPRINT={shlex.quote(fingerprint)}",
    ]
    for ns, store in sorted({(j.ns, j.store) for j in jobs}):
        repo, q_ns = shlex.quote(f"{user}@localhost:{store}"), shlex.quote(ns)
        lines.append(f"has_ns {repo} {q_ns} || proxmox-backup-client namespace create {q_ns} --repository {repo}")
    for job in jobs:
        q_id = shlex.quote(job.id)
        lines.append(
            f"if has_job {job.kind} {q_id}; then {PBM} {job.kind}-job update {q_id} {_flags(job)}; "
            f"else {PBM} {job.kind}-job create {q_id} --store {shlex.quote(job.store)} {_flags(job)}; fi"
        )
    declared = "\n".join(f"{j.kind} {j.id}" for j in jobs)
    lines += [
        f"STATE={STATE_FILE}",
        'mkdir -p "$(dirname "$STATE")"',
        f"DECLARED={shlex.quote(declared)}",
        "# jobs an earlier run declared and this one does not: removed (a tenant left, a kind was dropped)",
        'if [ -f "$STATE" ]; then',
        "  while read -r kind id <&3; do",
        '    [ -n "$id" ] || continue',
        '    if ! grep -qxF "$kind $id" <<<"$DECLARED" && has_job "$kind" "$id"; then',
        f'      {PBM} "$kind-job" remove "$id"',
        "    fi",
        '  done 3<"$STATE"',
        "fi",
        'printf \'%s\\n\' "$DECLARED" >"$STATE.new" && mv "$STATE.new" "$STATE"',
    ]
    return "\n".join(lines) + "\n"


def delete_script(jobs: list[PbsJob]) -> str:
    """Remove the named jobs and the state file (namespaces and their backups stay: deleting backups is never
    automatic)."""
    lines = [HEADER, FUNCTIONS]
    for job in jobs:
        q_id = shlex.quote(job.id)
        lines.append(f"if has_job {job.kind} {q_id}; then {PBM} {job.kind}-job remove {q_id}; fi")
    lines.append(f"rm -f {STATE_FILE}")
    return "\n".join(lines) + "\n"


# Where PVE keeps a PBS storage's password: pve-storage src/PVE/Storage/PBSPlugin.pm pbs_password_file_name
# (`/etc/pve/priv/storage/<storeid>.pw`), written by pbs_set_password as "<password>\n", mode 0600, on pmxcfs
# (so one node writes it for the whole cluster).
PBS_PASSWORD_FILE = "/etc/pve/priv/storage/{storeid}.pw"


def storage_password_script(storage_ids: list[str]) -> str:
    """Set the password of each PBS storage on a PVE node, read from stdin, as PVE itself stores it.

    The provider replaces a storage.Pbs when its password changes (bpg v0.111.1 fwprovider/storage/resource_pbs.go
    `password` RequiresReplace), which would remove the storage (protected in prod) and regenerate its encryption
    key; the program ignores the password after creation and this script delivers a rotation in place."""
    lines = [HEADER, "IFS= read -r PBS_PASSWORD", "umask 077", "mkdir -p /etc/pve/priv/storage"]
    for sid in storage_ids:
        path = shlex.quote(PBS_PASSWORD_FILE.format(storeid=sid))
        lines.append(f"printf '%s\\n' \"$PBS_PASSWORD\" >{path}.tmp && mv {path}.tmp {path}")
    return "\n".join(lines) + "\n"
