"""Restore drill coverage over a planned graph: on a stack with a drill, every stateful guest that can be checked
(a container, or a VM with the QEMU guest agent) is in the drill's guest list, and no scratch ID is a planned guest.

The guest list is read back from the install command's script (render/restore_drill.py `parse_guest_list`), so
this checks what would land on the node, not the spec that produced it. Not modelled: whether the guests' newest
backups exist (the drill itself finds out), the rotation (every guest is reached once per ceil(n / per run) runs).
"""

from __future__ import annotations

import re

from proofs.backup import stateful_guests
from proofs.privileges import CT, VM
from render.restore_drill import parse_guest_list
from tools.mockengine import Recording

CMD = "command:remote:Command"
MARK = re.compile(r"restore-drill\.guests 0644 <<'(PROXCLOUD_EOF_\d+)'\n(.*?)\n\1", re.S)
CONF = re.compile(r"SCRATCH_FIRST=(\d+)\nSCRATCH_LAST=(\d+)")


def drill_commands(rec: Recording) -> list[str]:
    return [c.inputs["create"] for c in rec.by_type(CMD) if "restore-drill.guests" in str(c.inputs.get("create"))]


def drilled(rec: Recording) -> set[int]:
    out: set[int] = set()
    for script in drill_commands(rec):
        for match in MARK.finditer(script):
            out |= {vmid for vmid, _, _, _ in parse_guest_list(match.group(2))}
    return out


def undrilled(rec: Recording) -> list[str]:
    """Stateful, checkable guests missing from the drill (empty on a stack without a drill)."""
    if not drill_commands(rec):
        return []
    ids = drilled(rec)
    missing = []
    for g in stateful_guests(rec):
        checkable = g.type == CT or (g.type == VM and (g.inputs.get("agent") or {}).get("enabled") is True)
        if checkable and int(g.inputs["vmId"]) not in ids:
            missing.append(g.name)
    return missing


def scratch_collisions(rec: Recording) -> list[str]:
    """Planned guests whose VM ID lies in a drill's scratch range."""
    out = []
    for script in drill_commands(rec):
        m = CONF.search(script)
        assert m, "drill settings not found in the install script"
        first, last = int(m.group(1)), int(m.group(2))
        out += [g.name for g in rec.by_type(VM) + rec.by_type(CT) if first <= int(g.inputs.get("vmId") or 0) <= last]
    return out
