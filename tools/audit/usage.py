"""Usage: per tenant the space its backups and ISOs take against its allowance, its guests against the plan; and
right-sizing per guest from a week of PVE's own usage history (rrddata).

Backups: PVE lists a backup volume only to a principal with VM.Backup on the guest and Datastore.AllocateSpace on
the storage (check_volume_access), which a read-only token must not hold; so backup space is read from the PBS
(the snapshots of the tenant's namespace, with a PBS audit token) and is otherwise reported as not measured.
ISOs, templates and imports on the tenant's storages are listed by PVE to an auditor and always count.

Right-sizing: p95 of the CPU in use (`cpu` x `maxcpu`, in vCPUs) and of the memory in use (`mem`) over the week's
AVERAGE points; the recommendation is that p95 plus a margin (default 30 %), rounded up to whole vCPUs and to
256 MiB (at least 1 vCPU and 512 MiB). A guest allocated at least twice its recommendation is over-provisioned,
one whose recommendation exceeds its allocation under-provisioned; both are findings. Fewer than MIN_SAMPLES
points (a guest stopped most of the week) give no verdict.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.audit.findings import Category, Finding, Ownership
from tools.audit.live import ALLOWANCE_CONTENT, LiveState
from tools.audit.model import Items
from tools.mockengine import Recording

GIB = 1024**3
MIB = 1024**2
DEFAULT_MARGIN = 0.3
MIN_SAMPLES = 12
MEMORY_STEP_MIB = 256
MIN_MEMORY_MIB = 512
OVER_FACTOR = 2.0


@dataclass(frozen=True)
class TenantUsage:
    """One tenant: backup/ISO space used on its storages against the allowance; guests live against planned."""

    tenant: str
    storages: tuple[str, ...]
    used_gb: float
    allowance_gb: int | None
    backups_measured: bool
    guests_live: int
    guests_planned: int
    vcpus_live: int
    vcpus_planned: int
    memory_live_mib: int
    memory_planned_mib: int

    @property
    def over(self) -> bool:
        return self.allowance_gb is not None and self.used_gb > self.allowance_gb

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"over": self.over}


@dataclass(frozen=True)
class Sizing:
    """One guest: allocated, observed p95, recommended, and the verdict."""

    vmid: int
    name: str
    tenant: str
    vcpus: int
    memory_mib: int
    samples: int
    cpu_p95: float | None = None  # vCPUs in use
    memory_p95_mib: float | None = None
    vcpus_recommended: int | None = None
    memory_recommended_mib: int | None = None
    margin: float = DEFAULT_MARGIN

    @property
    def verdict(self) -> str:
        if self.vcpus_recommended is None or self.memory_recommended_mib is None:
            return "no data"
        over = [
            what
            for what, have, rec in (
                ("vCPU", self.vcpus, self.vcpus_recommended),
                ("memory", self.memory_mib, self.memory_recommended_mib),
            )
            if have >= OVER_FACTOR * rec and have > rec
        ]
        under = [
            what
            for what, have, rec in (
                ("vCPU", self.vcpus, self.vcpus_recommended),
                ("memory", self.memory_mib, self.memory_recommended_mib),
            )
            if rec > have
        ]
        if under:
            return "under-provisioned (" + ", ".join(under) + ")"
        if over:
            return "over-provisioned (" + ", ".join(over) + ")"
        return "right-sized"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"verdict": self.verdict}


def p95(values: list[float]) -> float:
    """The 95th percentile, nearest rank (a value that occurred)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def sizing(guest: dict[str, Any], tenant: str, margin: float) -> Sizing:
    config = guest.get("config") or {}
    vcpus = int(guest.get("maxcpu") or 0) or int(config.get("cores", 1)) * int(config.get("sockets", 1))
    memory = int((guest.get("maxmem") or 0) / MIB) or int(str(config.get("memory", 512)).split("=")[-1])
    points = [p for p in guest.get("rrd") or [] if p.get("cpu") is not None and p.get("mem") is not None]
    base = Sizing(
        int(guest["vmid"]),
        str(guest.get("name") or config.get("name") or guest["vmid"]),
        tenant,
        vcpus,
        memory,
        len(points),
        margin=margin,
    )
    if len(points) < MIN_SAMPLES:
        return base
    cpu = p95([float(p["cpu"]) * float(p.get("maxcpu") or vcpus) for p in points])
    mem = p95([float(p["mem"]) / MIB for p in points])
    want_cpu = max(1, math.ceil(round(cpu * (1 + margin), 6)))
    want_mem = max(MIN_MEMORY_MIB, math.ceil(mem * (1 + margin) / MEMORY_STEP_MIB) * MEMORY_STEP_MIB)
    return Sizing(
        base.vmid,
        base.name,
        tenant,
        vcpus,
        memory,
        len(points),
        round(cpu, 3),
        round(mem, 1),
        want_cpu,
        want_mem,
        margin,
    )


def right_sizing(live: LiveState, own: Ownership, margin: float) -> list[Sizing]:
    out = []
    for g in live.guests:
        tenant = own.pools.get(g.get("pool") or "") or own.guests.get(str(g["vmid"])) or "(platform)"
        out.append(sizing(g, tenant, margin))
    return sorted(out, key=lambda s: (s.tenant, s.name))


def backup_namespaces(planned: Items) -> dict[str, tuple[str, str]]:
    """PBS storage id -> (datastore, namespace), from the planned PBS storages."""
    return {
        key: (str(it.fields.get("datastore")), str(it.fields.get("namespace") or ""))
        for (kind, key), it in planned.items()
        if kind == "storage" and it.fields.get("type") == "pbs"
    }


def tenant_usage(plan: Recording, planned: Items, live: LiveState, own: Ownership) -> list[TenantUsage]:
    tenants = plan.outputs.get("tenants") or {}
    backup_storages = (plan.outputs.get("backup") or {}).get("storages") or {}
    namespaces = backup_namespaces(planned)
    measured = live.pbs_snapshots is not None
    out = []
    for tenant in sorted(own.pools.values()):
        storages = sorted({backup_storages[tenant]} if tenant in backup_storages else set())
        storages += sorted(s for s, t in own.storages.items() if t == tenant and s not in storages)
        used = 0
        for where, volumes in live.contents.items():
            if where.split("/", 1)[1] in storages:
                counted = [c for c in ALLOWANCE_CONTENT if c != "backup" or not measured]
                used += sum(int(v.get("size") or 0) for v in volumes if v.get("content") in counted)
        for sid in storages:
            if measured and sid in namespaces:
                used += sum(
                    int(snap.get("size") or 0) for snap in (live.pbs_snapshots or {}).get(namespaces[sid][1], [])
                )
        allowance = (tenants.get(tenant) or {}).get("backupAllowanceGb") or None
        mine_live = [g for g in live.guests if own.pools.get(g.get("pool") or "") == tenant]
        mine_plan = [
            it for (k, _), it in planned.items() if k == "guest" and own.pools.get(it.fields.get("pool")) == tenant
        ]
        out.append(
            TenantUsage(
                tenant=tenant,
                storages=tuple(storages),
                used_gb=round(used / GIB, 2),
                allowance_gb=allowance,
                backups_measured=measured or not any(sid in namespaces for sid in storages),
                guests_live=len(mine_live),
                guests_planned=len(mine_plan),
                vcpus_live=sum(int(g.get("maxcpu") or 0) for g in mine_live),
                vcpus_planned=sum(
                    int(it.fields.get("cores", 1)) * int(it.fields.get("sockets", 1)) for it in mine_plan
                ),
                memory_live_mib=sum(int((g.get("maxmem") or 0) / MIB) for g in mine_live),
                memory_planned_mib=sum(int(it.fields.get("memory", 0)) for it in mine_plan),
            )
        )
    return out


def usage_findings(usage: list[TenantUsage], sizes: list[Sizing]) -> list[Finding]:
    out = [
        Finding(
            Category.USAGE,
            "allowance",
            u.tenant,
            f"tenant {u.tenant}: backups and ISOs take {u.used_gb:g} GB on {', '.join(u.storages)}, over its "
            f"allowance of {u.allowance_gb} GB (backup_allowance_gb): prune or agree a larger allowance",
            planned=u.allowance_gb,
            live=u.used_gb,
            tenant=u.tenant,
        )
        for u in usage
        if u.over
    ]
    for s in sizes:
        if s.verdict.startswith(("over", "under")):
            out.append(
                Finding(
                    Category.RIGHTSIZING,
                    "guest",
                    str(s.vmid),
                    f"{s.name} (id {s.vmid}) is {s.verdict}: allocated {s.vcpus} vCPU / {s.memory_mib} MiB, p95 of the "
                    f"week {s.cpu_p95:g} vCPU / {s.memory_p95_mib:g} MiB, recommended {s.vcpus_recommended} vCPU / "
                    f"{s.memory_recommended_mib} MiB (margin {s.margin:.0%})",
                    planned=[s.vcpus, s.memory_mib],
                    live=[s.vcpus_recommended, s.memory_recommended_mib],
                    tenant=s.tenant,
                )
            )
    return out


def render_chart(stack: str, sizes: list[Sizing], path: Path) -> None:
    """Like `make report`'s chart (same size, colours and legend): per guest, allocated (grey), p95 used (blue)
    and recommended (black tick), one panel for vCPUs and one for memory; over/under-provisioned names in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tools.report import CHART_DPI, CHART_SIZE_IN

    shown = [s for s in sizes if s.vcpus_recommended is not None] or sizes
    labels = [s.name for s in shown]
    fig, axes = plt.subplots(1, 2, figsize=CHART_SIZE_IN, dpi=CHART_DPI)
    colors = plt.get_cmap("tab10")
    panels = (
        ("vCPU", [s.vcpus for s in shown], [s.cpu_p95 or 0 for s in shown], [s.vcpus_recommended for s in shown]),
        (
            "memory (GiB)",
            [s.memory_mib / 1024 for s in shown],
            [(s.memory_p95_mib or 0) / 1024 for s in shown],
            [(s.memory_recommended_mib or 0) / 1024 if s.memory_recommended_mib else None for s in shown],
        ),
    )
    x = list(range(len(shown)))
    for ax, (title, allocated, used, recommended) in zip(axes, panels, strict=True):
        ax.bar(x, allocated, width=0.7, color="lightgrey", label="allocated")
        ax.bar(x, used, width=0.4, color=colors(0), label="p95 used (week)")
        ticks = [(i, r) for i, r in enumerate(recommended) if r is not None]
        if ticks:
            ax.hlines(
                [r for _, r in ticks],
                [i - 0.35 for i, _ in ticks],
                [i + 0.35 for i, _ in ticks],
                colors="black",
                linewidth=2,
                label="recommended",
            )
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
        for tick, s in zip(ax.get_xticklabels(), shown, strict=True):
            if s.verdict.startswith(("over", "under")):
                tick.set_color("red")
        ax.set_title(title)
        ax.margins(y=0.15)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=len(names), frameon=False)
    fig.suptitle(f"proxcloud {stack}: allocated vs used (p95 of a week, margin {shown[0].margin:.0%})" if shown else "")
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=CHART_DPI)
    plt.close(fig)
