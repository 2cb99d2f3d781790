"""What PVE's notification system must deliver to the admins, and who they are: the matcher as data.

PVE (pve-manager, pve-ha-manager, proxmox-notify) sends every notification with a severity and metadata fields;
a matcher picks notifications by them and names the targets that get them. The sources that send what the
admins must see, read at the commits named in docs/operations.md:

* backups: pve-manager `PVE/VZDump.pm` `send_notification`: fields `type=vzdump`, `hostname`, `job-id`;
  severity `error` when any guest failed (`info` otherwise, so success is never mailed);
* replication: pve-manager `PVE/API2/Replication.pm` `_handle_job_err`: `PVE::Notify::error` with
  `type=replication`, `job-id`, `hostname` (after 1, 2, 3 failures, then with falling frequency);
* HA fencing: pve-ha-manager `src/PVE/HA/NodeStatus.pm` (`$send_fence_state_email`: `type=fencing`,
  `hostname` = the fenced node), sent through `PVE::HA::Env::PVE2::send_notification` = `PVE::Notify::error`;
* the restore drill (render/restore_drill.py): `PVE::Notify::error` with `type=proxcloud-restore-drill`.

The matcher's syntax and meaning are proxmox-notify's (proxmox-rs `proxmox-notify/src/matcher.rs`):
`exact:<field>=<v1>,<v2>` matches when the field equals one of the values, `match-severity` lists severities,
and `mode all` needs every directive to match. So one matcher with `exact:type=...` and severity `error` routes
exactly the failures above, and nothing else (package updates, forwarded system mail: severity unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.errors import Problem
from model.models import StackSettings

CONFIG_NAMESPACE = "proxcloud"
SMTP_TARGET = "proxcloud-smtp"
ADMIN_MATCHER = "proxcloud-admin-failures"
DRILL_TYPE = "proxcloud-restore-drill"

# type value -> who sends it, with severity error on failure (see the module docstring for the sources).
ADMIN_TYPES: tuple[tuple[str, str], ...] = (
    ("vzdump", "a backup job with a failed guest (pve-manager PVE/VZDump.pm send_notification)"),
    ("replication", "a failing storage replication job (pve-manager PVE/API2/Replication.pm)"),
    ("fencing", "HA fencing of a node (pve-ha-manager src/PVE/HA/NodeStatus.pm)"),
    (DRILL_TYPE, "a restore drill whose restored guest did not come back (render/restore_drill.py)"),
)


@dataclass(frozen=True)
class MatcherSpec:
    """A PVE notification matcher, in PVE's field names."""

    name: str
    match_field: tuple[str, ...]
    match_severity: tuple[str, ...]
    mode: str
    targets: tuple[str, ...]
    comment: str


def admin_matcher() -> MatcherSpec:
    """Failures of backups, replication, HA fencing and the restore drill go to the SMTP target."""
    return MatcherSpec(
        name=ADMIN_MATCHER,
        match_field=("exact:type=" + ",".join(t for t, _ in ADMIN_TYPES),),
        match_severity=("error",),
        mode="all",
        targets=(SMTP_TARGET,),
        comment="proxcloud: failed backups, replication, HA fencing and restore drills to the admins",
    )


def admin_addresses(settings: StackSettings) -> list[str]:
    """The admins' addresses: `notifications.mailto`, else the stack's admin address `backup.mailto`."""
    if settings.notifications is not None and settings.notifications.mailto:
        return list(settings.notifications.mailto)
    return [settings.backup.mailto] if settings.backup is not None else []


def check_notifications(settings: StackSettings, config_file: str) -> list[Problem]:
    """Rules across the stack settings that one model cannot see."""
    n = settings.notifications
    if n is None or admin_addresses(settings):
        return []
    return [
        Problem(
            config_file,
            f"{CONFIG_NAMESPACE}:notifications.mailto",
            "no admin address: the stack has neither notifications.mailto nor backup.mailto",
            "list the admins' addresses in notifications.mailto",
        )
    ]
