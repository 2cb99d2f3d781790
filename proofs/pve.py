"""PVE 9 facts the proofs rely on: the privilege list and the built-in roles we allow in a plan.

Cross-checked in tests against fakepve (which ships PVE 9's API schema and privilege list).
"""

from __future__ import annotations

PRIVILEGES: frozenset[str] = frozenset(
    {
        "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
        "Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
        "Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser", "SDN.Allocate", "SDN.Audit",
        "SDN.Use", "Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify",
        "Sys.PowerMgmt", "Sys.Syslog", "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone",
        "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType",
        "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.GuestAgent.Audit",
        "VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite",
        "VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.PowerMgmt", "VM.Replicate", "VM.Snapshot",
        "VM.Snapshot.Rollback",
    }
)  # fmt: skip

# Built-in roles a plan may reference. A role that is neither here nor defined in the plan makes the proof fail
# closed (an unknown role could hold anything).
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "NoAccess": frozenset(),
    "Administrator": PRIVILEGES,
    "PVEAuditor": frozenset(
        {"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"}
    ),
}

# No tenant principal may hold any of these, on any path.
FORBIDDEN_FOR_TENANTS: tuple[str, ...] = (
    "Sys.*",
    "Permissions.Modify",
    "User.Modify",
    "Realm.*",
    "Group.Allocate",
    "SDN.Allocate",
    "Datastore.Allocate",
    "Pool.Allocate",
)
# Operator principals (setup B) may not create, clone or re-size VMs.
FORBIDDEN_FOR_OPERATORS: tuple[str, ...] = (
    "VM.Allocate",
    "VM.Clone",
    "VM.Config.CPU",
    "VM.Config.Memory",
    "VM.Config.Disk",
    "VM.Config.HWType",
    "VM.Config.Network",
)


def matches(privilege: str, pattern: str) -> bool:
    """`Sys.*` matches every Sys privilege; anything else matches exactly."""
    return privilege.startswith(pattern[:-1]) if pattern.endswith(".*") else privilege == pattern
