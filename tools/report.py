"""`make report`: right-sizing of a stack (setup C) - what the planned guests are allocated, per tenant and per
node, against the nodes' capacity and the over-commit limits in `proxcloud:capacity`.

Reads the planned graph (the real program under the recording mock engine, like `make plan`). Prints the tables;
writes build/report-<stack>.md and a bar chart build/report-<stack>.png. Exit 0, or 1 with --strict when a node
or the cluster is over-committed beyond its limit; 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.capacity import CapacitySpec, Resource
from model.errors import SpecError
from model.files import read_stack_config, read_yaml
from tools.mockengine import PROJECT_DIR, Recording, Registration, run_program, stack_config

VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
TENANT = "proxcloud:index:Tenant"
CAPACITY_KEY = "proxcloud:capacity"
NO_TENANT = "(platform)"
CLUSTER = "cluster"
# Provider defaults when an input is not set (pulumi-proxmoxve docs): VM 1 core x 1 socket, 512 MiB, 8 GB disk;
# container 1 core, 512 MiB, 4 GB root disk.
VM_DEFAULTS = {"cores": 1, "sockets": 1, "memory": 512, "disk": 8}
CT_DEFAULTS = {"cores": 1, "memory": 512, "disk": 4}
UNITS = {Resource.CPU: "vCPU", Resource.MEMORY: "MiB", Resource.DISK: "GB"}
CHART_SIZE_IN = (12.0, 4.8)
CHART_DPI = 100


class ReportError(Exception):
    """Bad input for the report: the message names the file, the key and the fix."""


@dataclass(frozen=True)
class Guest:
    """One VM or container as planned, with what it is allocated."""

    name: str
    kind: str  # "vm" or "ct"
    tenant: str
    node: str
    vcpus: int
    memory_mb: int
    disk_gb: int

    def of(self, resource: Resource) -> int:
        return {Resource.CPU: self.vcpus, Resource.MEMORY: self.memory_mb, Resource.DISK: self.disk_gb}[resource]


def _int(value: Any, default: int) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _size_gb(value: Any) -> int:
    """A container mount point size: an int (GB) or PVE's size string ("10G", "512M", "1T")."""
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip().upper().removesuffix("B")
    factor = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1, "T": 1024}.get(text[-1:])
    number = text[:-1] if factor is not None else text
    try:
        # Rounded up: half a GB on a datastore still takes space.
        return math.ceil(float(number) * (factor if factor is not None else 1))
    except ValueError:
        raise ReportError(f"container mount point size '{value}' is not a size like 10G") from None


def tenant_of(r: Registration, by_urn: dict[str, Registration]) -> str:
    """The tenant whose pool holds the guest (a tenant's monitoring VMs sit at stack level but in its pool), else
    the owning Tenant component up the parent chain, or NO_TENANT for platform guests."""
    pools = {t.inputs["pool"]: t.name for t in by_urn.values() if t.type == TENANT and t.inputs.get("pool")}
    pools |= {t.inputs["managed"]: t.name for t in by_urn.values() if t.type == TENANT and t.inputs.get("managed")}
    if r.inputs.get("poolId") in pools:
        return pools[r.inputs["poolId"]]
    parent = r.parent
    while parent is not None:
        owner = by_urn.get(parent)
        if owner is None:
            return NO_TENANT
        if owner.type == TENANT:
            return owner.name
        parent = owner.parent
    return NO_TENANT


def guests(recording: Recording) -> list[Guest]:
    """Every VmLegacy and ContainerLegacy of the planned graph with its allocation."""
    by_urn = recording.by_urn()
    out: list[Guest] = []
    for r in recording.resources:
        if r.type not in (VM, CT):
            continue
        i = r.inputs
        cpu, memory = i.get("cpu") or {}, i.get("memory") or {}
        if r.type == VM:
            vcpus = _int(cpu.get("cores"), VM_DEFAULTS["cores"]) * _int(cpu.get("sockets"), VM_DEFAULTS["sockets"])
            mem = _int(memory.get("dedicated"), VM_DEFAULTS["memory"])
            disks = i.get("disks") or [{}]
            disk = sum(_int(d.get("size"), VM_DEFAULTS["disk"]) for d in disks)
        else:
            vcpus = _int(cpu.get("cores"), CT_DEFAULTS["cores"])
            mem = _int(memory.get("dedicated"), CT_DEFAULTS["memory"])
            disk = _int((i.get("disk") or {}).get("size"), CT_DEFAULTS["disk"])
            disk += sum(_size_gb(m["size"]) for m in i.get("mountPoints") or [] if m.get("size") is not None)
        name = i.get("name") if r.type == VM else (i.get("initialization") or {}).get("hostname")
        out.append(
            Guest(
                name=str(name or r.name),
                kind="vm" if r.type == VM else "ct",
                tenant=tenant_of(r, by_urn),
                node=str(i.get("nodeName", "?")),
                vcpus=vcpus,
                memory_mb=mem,
                disk_gb=disk,
            )
        )
    return out


@dataclass(frozen=True)
class Usage:
    """Allocated against capacity for one resource on one node (or the cluster)."""

    allocated: int
    capacity: int | None
    limit: float | None

    @property
    def ratio(self) -> float | None:
        return self.allocated / self.capacity if self.capacity else None

    @property
    def over(self) -> bool:
        return self.ratio is not None and self.limit is not None and self.ratio > self.limit


@dataclass(frozen=True)
class RightSizing:
    """The whole report: guests, totals per tenant and node, usage against capacity, and what is flagged."""

    stack: str
    guests: tuple[Guest, ...]
    capacity: CapacitySpec | None
    stack_nodes: tuple[str, ...] = ()

    @property
    def tenants(self) -> list[str]:
        return sorted({g.tenant for g in self.guests}, key=lambda t: (t == NO_TENANT, t))

    @property
    def nodes(self) -> list[str]:
        names = {g.node for g in self.guests} | set(self.capacity.nodes if self.capacity else ())
        return sorted(names)

    def allocated(self, resource: Resource, *, tenant: str | None = None, node: str | None = None) -> int:
        return sum(
            g.of(resource)
            for g in self.guests
            if (tenant is None or g.tenant == tenant) and (node is None or g.node == node)
        )

    def usage(self, resource: Resource, node: str | None = None) -> Usage:
        """On one node, or cluster-wide when node is None."""
        cap = self.capacity
        if cap is None:
            return Usage(self.allocated(resource, node=node), None, None)
        limit = cap.overcommit.of(resource)
        if node is None:
            return Usage(self.allocated(resource), cap.total(resource), limit)
        node_cap = cap.nodes.get(node)
        return Usage(self.allocated(resource, node=node), node_cap.of(resource) if node_cap else None, limit)

    def flags(self) -> list[str]:
        """Every over-commitment beyond its limit, per node and cluster-wide, and every gap in the capacity data."""
        if self.capacity is None:
            return [f"no {CAPACITY_KEY} in the stack config: allocations shown without capacity"]
        out: list[str] = []
        for node in self.nodes:
            if node not in self.capacity.nodes:
                out.append(f"node {node}: has guests but no capacity in {CAPACITY_KEY}.nodes")
                continue
            if self.stack_nodes and node not in self.stack_nodes:
                out.append(f"node {node}: in {CAPACITY_KEY}.nodes but not in proxcloud:nodes")
            for resource in Resource:
                u = self.usage(resource, node)
                if u.over:
                    out.append(_over_text(f"node {node}", resource, u))
        for resource in Resource:
            u = self.usage(resource)
            if u.over:
                out.append(_over_text("cluster", resource, u))
        return out

    @property
    def overcommitted(self) -> bool:
        return any(self.usage(r, n).over for r in Resource for n in self.nodes) or any(
            self.usage(r).over for r in Resource
        )


def _over_text(where: str, resource: Resource, u: Usage) -> str:
    return (
        f"{where}: {resource.value} over-committed {u.ratio:.2f}x > limit {u.limit:g}x "
        f"({u.allocated} of {u.capacity} {UNITS[resource]})"
    )


def _ratio(u: Usage) -> str:
    if u.ratio is None:
        return "-"
    return f"{u.ratio:.2f}x" + (" OVER" if u.over else "")


def _table(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    return [header, *rows]


def tenant_rows(report: RightSizing) -> list[list[str]]:
    rows = []
    for tenant in report.tenants:
        for node in report.nodes:
            n = [g for g in report.guests if g.tenant == tenant and g.node == node]
            if n:
                rows.append(
                    [
                        tenant,
                        node,
                        str(len(n)),
                        str(sum(g.vcpus for g in n)),
                        str(sum(g.memory_mb for g in n)),
                        str(sum(g.disk_gb for g in n)),
                    ]
                )
    return _table(["tenant", "node", "guests", "vCPU", "memory MiB", "disk GB"], rows)


def node_rows(report: RightSizing) -> list[list[str]]:
    rows = []
    for node in [*report.nodes, None]:
        row = [node or CLUSTER]
        for resource in Resource:
            u = report.usage(resource, node)
            row += [f"{u.allocated}/{u.capacity if u.capacity is not None else '?'}", _ratio(u)]
        rows.append(row)
    header = ["node"]
    for resource in Resource:
        limit = report.capacity.overcommit.of(resource) if report.capacity else None
        header += [f"{resource.value} {UNITS[resource]}", f"ratio (limit {limit:g}x)" if limit else "ratio"]
    return _table(header, rows)


def guest_rows(report: RightSizing) -> list[list[str]]:
    rows = [
        [g.tenant, g.name, g.kind, g.node, str(g.vcpus), str(g.memory_mb), str(g.disk_gb)]
        for g in sorted(report.guests, key=lambda g: (g.tenant, g.name))
    ]
    return _table(["tenant", "guest", "kind", "node", "vCPU", "memory MiB", "disk GB"], rows)


def text_table(table: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "|".join("---" for _ in table[0]) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    return "\n".join(lines)


def render_text(report: RightSizing) -> str:
    flags = report.flags()
    parts = [
        f"== right-sizing: stack {report.stack} ({len(report.guests)} guests) ==",
        "\n-- allocated per tenant and node --",
        text_table(tenant_rows(report)),
        "\n-- nodes and cluster: allocated/capacity, over-commit ratio --",
        text_table(node_rows(report)),
        "\n-- flags --",
        "\n".join(f"! {f}" for f in flags) if flags else "none: every node and the cluster are within the limits",
    ]
    return "\n".join(parts)


def render_markdown(report: RightSizing, chart: str) -> str:
    flags = report.flags()
    flag_text = (
        "\n".join(f"- **{f}**" for f in flags) if flags else "None: every node and the cluster are within limits."
    )
    return f"""# Right-sizing: stack `{report.stack}`

Allocated vCPU, memory and disk of every planned VM and container, per tenant and node, against the capacity and
the over-commit limits in `{CAPACITY_KEY}`. Compare with the monitoring data (Grafana) before changing a size.

![allocated vs capacity]({chart})

## Flags

{flag_text}

## Per tenant and node

{markdown_table(tenant_rows(report))}

## Nodes and cluster

{markdown_table(node_rows(report))}

## Guests

{markdown_table(guest_rows(report))}
"""


def render_chart(report: RightSizing, path: Path) -> None:
    """Per resource, one panel: stacked bars per tenant for each node and the cluster, the capacity as a black
    line and the over-commit limit as a red dashed line; the ratio above each bar, in red when over the limit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns: list[str | None] = [*report.nodes, None]
    labels = [c or CLUSTER for c in columns]
    fig, axes = plt.subplots(1, len(Resource), figsize=CHART_SIZE_IN, dpi=CHART_DPI)
    colors = plt.get_cmap("tab10")
    for ax, resource in zip(axes, Resource, strict=True):
        scale = 1024 if resource is Resource.MEMORY else 1
        unit = "GiB" if resource is Resource.MEMORY else UNITS[resource]
        bottoms = [0.0] * len(columns)
        for t_index, tenant in enumerate(report.tenants):
            heights = [report.allocated(resource, tenant=tenant, node=c) / scale for c in columns]
            ax.bar(labels, heights, bottom=bottoms, color=colors(t_index % 10), label=tenant, width=0.6)
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        for x, column in enumerate(columns):
            u = report.usage(resource, column)
            if u.capacity is not None:
                ax.hlines(u.capacity / scale, x - 0.4, x + 0.4, colors="black", linewidth=2)
                if u.limit is not None and u.limit != 1:
                    ax.hlines(u.capacity * u.limit / scale, x - 0.4, x + 0.4, colors="red", linestyles="dashed")
            if u.ratio is not None:
                ax.annotate(
                    f"{u.ratio:.2f}x",
                    (x, bottoms[x]),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    color="red" if u.over else "black",
                    fontweight="bold" if u.over else "normal",
                )
        ax.set_title(f"{resource.value} ({unit})")
        ax.set_ylabel(unit)
        ax.margins(y=0.15)
    handles, names = axes[0].get_legend_handles_labels()
    handles += [
        plt.Line2D([], [], color="black", linewidth=2),
        plt.Line2D([], [], color="red", linestyle="dashed"),
    ]
    names += ["capacity", "over-commit limit"]
    fig.legend(handles, names, loc="lower center", ncol=min(len(names), 6), frameon=False)
    fig.suptitle(f"proxcloud {report.stack}: allocated vs capacity")
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=CHART_DPI)
    plt.close(fig)


def load_capacity(raw: Any, source: str) -> CapacitySpec:
    try:
        return CapacitySpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{CAPACITY_KEY}.{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"] for e in exc.errors()
        )
        raise ReportError(f"{source}: {problems}") from None


def stack_capacity(stack: str, project_dir: Path, override: Path | None) -> CapacitySpec | None:
    """The capacity from --capacity FILE (same shape as the config value), else from Pulumi.<stack>.yaml."""
    if override is not None:
        data, problems = read_yaml(override, str(override))
        if problems:
            raise ReportError("\n".join(str(p) for p in problems))
        return load_capacity(data, str(override))
    path = project_dir / f"Pulumi.{stack}.yaml"
    config, problems = read_stack_config(path, path.name)  # the one reader of every input file (model.files)
    if problems:
        raise ReportError("\n".join(str(p) for p in problems))
    raw = config.get(CAPACITY_KEY)
    return None if raw is None else load_capacity(raw, path.name)


def build_report(
    stack: str, project_dir: Path = PROJECT_DIR, capacity_file: Path | None = None
) -> tuple[RightSizing, Recording]:
    capacity = stack_capacity(stack, project_dir, capacity_file)
    # The program does not read the capacity: keep the key out of its config (StackSettings rejects unknown keys).
    config = {k: v for k, v in stack_config(stack, project_dir).items() if k != CAPACITY_KEY}
    recording = run_program(stack, config=config, program=project_dir / "__main__.py")
    nodes = json.loads(config.get("proxcloud:nodes", "[]"))
    report = RightSizing(
        stack=stack,
        guests=tuple(guests(recording)),
        capacity=capacity,
        stack_nodes=tuple(n["name"] for n in nodes if isinstance(n, dict) and "name" in n),
    )
    return report, recording


def main(argv: list[str] | None = None) -> int:
    import pulumi

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", default=str(PROJECT_DIR / "build"))
    parser.add_argument("--capacity", type=Path, help=f"a YAML file shaped like {CAPACITY_KEY}, instead of the stack's")
    parser.add_argument("--strict", action="store_true", help="exit 1 when anything is over-committed")
    parser.add_argument("--quiet", action="store_true", help="only write the files")
    args = parser.parse_args(argv)
    if not (PROJECT_DIR / f"Pulumi.{args.stack}.yaml").is_file():
        print(f"error: no stack config Pulumi.{args.stack}.yaml (stacks: dev, prod)", file=sys.stderr)
        return 2
    try:
        report, _ = build_report(args.stack, PROJECT_DIR, args.capacity)
    except (ReportError, SpecError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except pulumi.RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chart = out / f"report-{args.stack}.png"
    render_chart(report, chart)
    (out / f"report-{args.stack}.md").write_text(render_markdown(report, chart.name), encoding="utf-8")
    if not args.quiet:
        print(render_text(report))
        print(f"\nwrote {out / f'report-{args.stack}.md'} and {chart}")
    return 1 if args.strict and report.overcommitted else 0


if __name__ == "__main__":
    sys.exit(main())
