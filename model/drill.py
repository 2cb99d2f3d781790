"""The restore drill as data: which guests it restores, in which order, and the rules its settings must meet.

Scratch IDs must lie outside every ID the spec can allocate, now and later, so a drill can never restore over
(or destroy) a real guest and a future guest never collides with a drill's scratch copy:

* tenant number * 1000 + slot: numbers 1-9999 and slots 1-99 give 1001..9999099, so the band 1000..9999999
  is refused as a whole;
* `mirror`: the address without dots (model/load.py `_mirror`), refused when any IPv4 address mirrors to an
  ID of the range (`mirrored_by`);
* pinned IDs (tenant files, the edge): refused when one lies in the range today; a later pin into the range is
  refused the same way when its file is loaded.

The drill restores only guests it can check: containers (`pct exec`) and VMs with the QEMU guest agent
(`qm guest cmd ping`); a stateful VM without the agent is listed as not drilled, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from model.errors import Problem
from model.models import StackSettings
from model.platform import Platform, TenantSpec

CONFIG_NAMESPACE = "proxcloud"
AUTO_BAND = (1000, 9_999_999)  # tenant number (1-9999) * 1000 + slot (1-99)
TIME = re.compile(r"(?<![0-9])([01][0-9]|2[0-3]):([0-5][0-9])(?![0-9])")


@dataclass(frozen=True)
class DrillGuest:
    """One guest the drill restores: its ID, PVE type, PBS storage and name."""

    vm_id: int
    kind: str  # "qemu" | "lxc"
    storage: str  # the tenant's PBS storage, pbs-<tenant>
    name: str
    tenant: str


def mirrored_by(vm_id: int) -> str | None:
    """An IPv4 address whose `mirror` VM ID is vm_id (its four octets written without dots, read as a number)."""
    digits = str(vm_id)

    def split(rest: str, parts: int) -> list[str] | None:
        if parts == 0:
            return [] if not rest else None
        for width in (1, 2, 3):
            head, tail = rest[:width], rest[width:]
            if len(head) < width or (width > 1 and head[0] == "0") or int(head) > 255:
                continue
            found = split(tail, parts - 1)
            if found is not None:
                return [head, *found]
        return None

    # `_mirror` reads the joined octets as a number, so leading zero octets vanish: 0.0.0.100 -> 100.
    for zeros in range(4):
        octets = split("0" * zeros + digits, 4)
        if octets:
            return ".".join(octets)
    return None


def drill_guests(platform: Platform) -> tuple[list[DrillGuest], list[tuple[str, str]]]:
    """(guests the drill restores, ordered by VM ID; (name, why) of stateful guests it cannot check)."""
    guests: list[DrillGuest] = []
    skipped: list[tuple[str, str]] = []
    for t in platform.tenants:
        for g in t.guests:
            if not g.stateful:
                continue
            agent = getattr(g, "guest_agent", None)
            if agent is False:
                skipped.append((g.name, "no QEMU guest agent: nothing can check that the restored VM answers"))
                continue
            kind = "qemu" if agent is True else "lxc"
            guests.append(DrillGuest(g.vm_id, kind, f"pbs-{t.name}", g.name, t.name))
    return sorted(guests, key=lambda d: d.vm_id), skipped


def check_drill(tenants: list[TenantSpec], settings: StackSettings, config_file: str) -> list[Problem]:
    """The drill's settings against the nodes, the backup window and every VM ID of the stack."""
    b = settings.backup
    d = b.restore_drill if b is not None else None
    if b is None or d is None:
        return []
    field = f"{CONFIG_NAMESPACE}:backup.restoreDrill"
    problems: list[Problem] = []
    nodes = [n.name for n in settings.nodes]
    if d.node not in nodes:
        problems.append(Problem(config_file, f"{field}.node", f"'{d.node}' is not a node of this stack ({nodes})"))
    first, last = d.scratch_ids.first, d.scratch_ids.last
    ids = f"{field}.scratchIds"
    if first <= AUTO_BAND[1] and last >= AUTO_BAND[0]:
        problems.append(
            Problem(
                config_file,
                ids,
                f"{first}-{last} meets {AUTO_BAND[0]}-{AUTO_BAND[1]}, the IDs tenant number * 1000 + slot gives",
                "use IDs from 10000000 up, e.g. 999999900-999999909",
            )
        )
    mirrors = [(i, a) for i in range(first, last + 1) if (a := mirrored_by(i)) is not None]
    if mirrors:
        shown = ", ".join(f"{i} (mirror of {a})" for i, a in mirrors[:3])
        problems.append(
            Problem(
                config_file,
                ids,
                f"{len(mirrors)} of these IDs can be a guest's `mirror` VM ID: {shown}",
                "pick IDs no IPv4 address mirrors to, e.g. 999999900-999999909",
            )
        )
    taken = [(g.vm_id, g.name, t.source) for t in tenants for g in t.guests if first <= g.vm_id <= last]
    if settings.edge is not None and first <= settings.edge.vm_id <= last:
        taken.append((settings.edge.vm_id, "the provider edge", f"{CONFIG_NAMESPACE}:edge.vmId"))
    for vm_id, name, source in taken:
        problems.append(
            Problem(config_file, ids, f"{vm_id} is the VM ID of {name} ({source})", "move the scratch range")
        )
    for hh, mm in TIME.findall(d.schedule):
        hhmm = f"{hh}:{mm}"
        if b.window.contains(hhmm):
            problems.append(
                Problem(
                    config_file,
                    f"{field}.schedule",
                    f"{hhmm} is inside the backup window {b.window.start}-{b.window.end}: the drill would compete "
                    "with the nightly jobs for the PBS",
                    "schedule it outside the window",
                )
            )
    return problems
