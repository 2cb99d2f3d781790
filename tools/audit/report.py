"""The audit's report: a summary and every finding by category, the usage and right-sizing tables; as text
(stdout), Markdown (build/audit-<stack>.md) and JSON (build/audit-<stack>.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tools.audit.findings import Category, Finding
from tools.audit.usage import Sizing, TenantUsage
from tools.report import markdown_table, text_table

WHAT = {
    Category.DRIFT: "objects missing, extra or different from the plan",
    Category.PENDING: "SDN changes PVE has not applied",
    Category.UNMANAGED: "objects in tenant pools or on tenant paths that nobody declared",
    Category.SQUAT: "VM ids the spec allocates, held by other guests",
    Category.ISOLATION: "the plan's isolation proofs, failed on the live permissions",
    Category.USABILITY: "privileges the plan grants that the cluster no longer does",
    Category.USAGE: "tenants over their backup/ISO allowance",
    Category.RIGHTSIZING: "guests over- or under-provisioned for a week of use",
}


@dataclass
class Audit:
    """One audit run."""

    stack: str
    endpoint: str
    pve_version: str
    findings: list[Finding] = field(default_factory=list)
    usage: list[TenantUsage] = field(default_factory=list)
    sizes: list[Sizing] = field(default_factory=list)
    compared: int = 0
    reads: int = 0

    def by_category(self) -> dict[str, list[Finding]]:
        return {c: [f for f in self.findings if f.category == c] for c in Category.ORDER}

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "endpoint": self.endpoint,
            "pveVersion": self.pve_version,
            "clean": not self.findings,
            "summary": {c: len(fs) for c, fs in self.by_category().items()},
            "findings": [f.to_json() for f in self.findings],
            "usage": [u.to_json() for u in self.usage],
            "rightSizing": [s.to_json() for s in self.sizes],
            "compared": self.compared,
            "reads": self.reads,
        }


def usage_table(audit: Audit) -> list[list[str]]:
    rows = [
        [
            u.tenant,
            ",".join(u.storages) or "-",
            f"{u.used_gb:g}",
            str(u.allowance_gb) if u.allowance_gb else "-",
            "OVER" if u.over else ("" if u.backups_measured else "backups not measured"),
            f"{u.guests_live}/{u.guests_planned}",
            f"{u.vcpus_live}/{u.vcpus_planned}",
            f"{u.memory_live_mib}/{u.memory_planned_mib}",
        ]
        for u in audit.usage
    ]
    header = ["tenant", "storages", "used GB", "allowance GB", "", "guests live/plan", "vCPU", "memory MiB"]
    return [header, *rows]


def sizing_table(audit: Audit) -> list[list[str]]:
    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:g}"

    rows = [
        [
            s.tenant,
            s.name,
            str(s.vmid),
            f"{s.vcpus}",
            num(s.cpu_p95),
            num(s.vcpus_recommended),
            f"{s.memory_mib}",
            num(s.memory_p95_mib),
            num(s.memory_recommended_mib),
            str(s.samples),
            s.verdict,
        ]
        for s in audit.sizes
    ]
    header = ["tenant", "guest", "id", "vCPU", "p95", "rec.", "MiB", "p95", "rec.", "points", "verdict"]
    return [header, *rows]


def render_text(audit: Audit) -> str:
    cats = audit.by_category()
    lines = [
        f"== proxcloud audit: stack {audit.stack} at {audit.endpoint} (PVE {audit.pve_version}) ==",
        f"{audit.compared} planned objects compared, {audit.reads} reads (GET only)",
        "",
    ]
    if not audit.findings:
        lines.append("clean: the cluster is the plan")
    for cat, found in cats.items():
        lines.append(f"{cat:13s} {len(found):4d}  {WHAT[cat]}")
    for cat, found in cats.items():
        if found:
            lines += ["", f"-- {cat} --", *(f"! {f.message}" for f in found)]
    if audit.usage:
        lines += ["", "-- usage per tenant --", text_table(usage_table(audit))]
    if audit.sizes:
        margin = audit.sizes[0].margin
        lines += ["", f"-- right-sizing (p95 of a week, margin {margin:.0%}) --", text_table(sizing_table(audit))]
    return "\n".join(lines)


def render_markdown(audit: Audit, chart: str) -> str:
    cats = audit.by_category()
    summary = markdown_table([["category", "findings", "what"], *([c, str(len(f)), WHAT[c]] for c, f in cats.items())])
    parts = [
        f"# Audit: stack `{audit.stack}`",
        "",
        f"`{audit.endpoint}`, PVE {audit.pve_version}: {audit.compared} planned objects compared, "
        f"{audit.reads} reads (GET only). "
        + ("**Clean: the cluster is the plan.**" if not audit.findings else f"**{len(audit.findings)} findings.**"),
        "",
        summary,
    ]
    for cat, found in cats.items():
        if found:
            parts += ["", f"## {cat}", "", *(f"- {f.message}" for f in found)]
    parts += ["", "## Usage per tenant", "", markdown_table(usage_table(audit))]
    parts += ["", "## Right-sizing", "", f"![allocated vs used]({chart})", "", markdown_table(sizing_table(audit))]
    return "\n".join(parts) + "\n"


def render_json(audit: Audit) -> str:
    return json.dumps(audit.to_json(), indent=2, sort_keys=False, default=str) + "\n"
