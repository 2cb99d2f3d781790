"""`make plan`: the offline plan of a stack - the real program under the recording mock engine.

Prints the resource tree by component, the counts per type and the stack outputs; writes
build/plan-<stack>.json (the graph with the resource options the engine is told and the inputs that carry other
resources' computed outputs, secrets redacted - as keyed digests when PROXCLOUD_PLAN_DIGEST_KEY is set) and
build/plan-<stack>.md (a Mermaid topology).
`--rotate KEY` plans as if the secret config value KEY had been rotated (another placeholder), so `make diff`
can show what a rotation changes. Bad input: every problem on stderr, exit code 2, no plan files written.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pulumi

from model.errors import SpecError
from tools.mockengine import (
    DIGEST_KEY_ENV,
    OFFLINE_SECRETS,
    PROJECT_DIR,
    PlanMocks,
    Recording,
    Registration,
    run_program,
    stack_config,
)

# The inputs worth showing in the tree, per resource type (everything is in the JSON).
KEY_INPUTS = (
    "resourceId",
    "poolId",
    "groupId",
    "userId",
    "roleId",
    "path",
    "tag",
    "zone",
    "vnet",
    "cidr",
    "gateway",
    "mtu",
    "peers",
    "vmId",
    "name",
    "nodeName",
    "poolId",
    "schedule",
    "storage",
    "server",
    "url",
    "contentType",
)


def plan_document(project: str, stack: str, recording: Recording) -> dict[str, Any]:
    """The plan-file shape other tooling reads."""
    return {
        "project": project,
        "stack": stack,
        "resources": [r.to_json() for r in recording.resources],
        "outputs": recording.outputs,
    }


def offline_config(stack: str, project_dir: Path = PROJECT_DIR, rotate: Sequence[str] = ()) -> dict[str, str]:
    """The stack config a plan runs with; each secret in `rotate` gets another placeholder (a rotation)."""
    config = stack_config(stack, project_dir)
    for key in rotate:
        if key not in OFFLINE_SECRETS:
            raise ValueError(f"--rotate {key}: not a secret of the stack ({', '.join(OFFLINE_SECRETS)})")
        config[key] = f"{config[key]}-rotated"
    return config


def record_plan(
    stack: str, project_dir: Path = PROJECT_DIR, rotate: Sequence[str] = (), digest_key: bytes | None = None
) -> Recording:
    """The program of `project_dir` (its __main__.py, tenant files and stack config) under the recording engine,
    with computed outputs marked (the plan's `computedInputs`). Raises pulumi.RunError on bad input."""
    return run_program(
        stack,
        config=offline_config(stack, project_dir, rotate),
        program=project_dir / "__main__.py",
        mocks=PlanMocks(mark_computed=True),
        digest_key=digest_key,
    )


def _short_type(t: str) -> str:
    return t.split(":")[-1] if t.startswith(("proxmoxve:", "random:", "command:")) else t


def _summary(r: Registration) -> str:
    parts = []
    for key in KEY_INPUTS:
        if key in r.inputs and f"{key}=" not in " ".join(parts):
            value = r.inputs[key]
            parts.append(f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}")
    if r.type == "proxmoxve:index/roleLegacy:RoleLegacy":
        parts.append(f"privileges={len(r.inputs.get('privileges', []))}")
    if r.protect:
        parts.append("protected")
    return " ".join(parts)


def render_tree(recording: Recording) -> str:
    children: dict[str | None, list[Registration]] = defaultdict(list)
    for r in recording.resources:
        children[r.parent].append(r)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for r in sorted(children.get(parent, []), key=lambda r: (r.custom, r.type, r.name)):
            lines.append(
                f"{'  ' * depth}{'-' if r.custom else '+'} {_short_type(r.type)} {r.name}  {_summary(r)}".rstrip()
            )
            walk(r.urn, depth + 1)

    walk(None, 0)
    return "\n".join(lines)


def _mid(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def render_mermaid(stack: str, recording: Recording) -> str:
    """Topology: cluster nodes with their VTEPs, per tenant (pool) its zone, VNets with VNIs, CIDRs and DHCP ranges
    and its guests on them; the provider's transit VNet and edge; the public bridge."""
    zones = recording.by_type("proxmoxve:sdn/zone/vxlan:Vxlan")
    vnets = recording.by_type("proxmoxve:sdn/vnet:Vnet")
    guests = recording.by_type("proxmoxve:index/vmLegacy:VmLegacy") + recording.by_type(
        "proxmoxve:index/containerLegacy:ContainerLegacy"
    )
    cidrs = {s.inputs.get("vnet"): s.inputs.get("cidr") for s in recording.by_type("proxmoxve:sdn/subnet:Subnet")}
    dhcp = {
        v: r for p in recording.by_type("proxcloud:index:ReverseProxy") for v, r in (p.inputs.get("dhcp") or {}).items()
    }
    pools = [p.inputs["poolId"] for p in recording.by_type("proxmoxve:index/poolLegacy:PoolLegacy")]
    zone_pool = {}
    for t in recording.by_type("proxcloud:index:Tenant"):
        zone_pool[t.inputs.get("zone")] = t.inputs.get("pool", t.name)
    nodes: dict[str, str] = {}
    for z in zones:
        nodes.update(zip(z.inputs.get("nodes", []), z.inputs.get("peers", []), strict=False))
    known_vnets = {v.inputs["resourceId"] for v in vnets}
    lines = ["```mermaid", "flowchart LR"]
    lines.append(f'  subgraph cluster["{stack}: PVE cluster (VXLAN underlay)"]')
    lines += [f'    node_{_mid(n)}["{n}<br/>VTEP {ip}"]' for n, ip in sorted(nodes.items())]
    lines.append("  end")
    for pool in pools:
        lines.append(f'  subgraph p_{_mid(pool)}["{"provider" if pool == "provider" else "tenant " + pool}"]')
        for z in zones:
            zid = z.inputs["resourceId"]
            if zone_pool.get(zid, "provider") != pool:
                continue
            lines.append(f'    zone_{_mid(zid)}{{"zone {zid}<br/>VXLAN mtu {z.inputs.get("mtu")}"}}')
            for v in vnets:
                if v.inputs.get("zone") == zid:
                    vid = v.inputs["resourceId"]
                    extra = cidrs.get(vid) or ("VLAN-aware" if v.inputs.get("vlanAware") else "")
                    extra += f"<br/>DHCP {dhcp[vid]}" if vid in dhcp else ""
                    lines.append(f'    vnet_{_mid(vid)}(["VNet {vid}<br/>VNI {v.inputs.get("tag")}<br/>{extra}"])')
                    lines.append(f"    zone_{_mid(zid)} --- vnet_{_mid(vid)}")
        for g in guests:
            if g.inputs.get("poolId") == pool:
                lines.append(
                    f'    guest_{_mid(g.name)}["{g.inputs.get("name") or g.name}<br/>id {g.inputs.get("vmId")}"]'
                )
        lines.append("  end")
    lines.append('  public(("public bridge<br/>internet"))')
    for g in guests:
        for nic in g.inputs.get("networkDevices", []) + g.inputs.get("networkInterfaces", []):
            bridge = str(nic.get("bridge"))
            target = f"vnet_{_mid(bridge)}" if bridge in known_vnets else "public"
            vlan = f"|VLAN {nic['vlanId']}|" if nic.get("vlanId") else ""
            lines.append(f"  guest_{_mid(g.name)} ---{vlan} {target}")
    for z in zones:
        lines.append(f"  cluster -.- zone_{_mid(z.inputs['resourceId'])}")
    lines.append("```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--out", default=str(PROJECT_DIR / "build"))
    parser.add_argument("--quiet", action="store_true", help="only write the files")
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="KEY",
        help=f"plan as if this secret had a new value (one of {', '.join(OFFLINE_SECRETS)}); repeatable",
    )
    parser.add_argument(
        "--project", default=str(PROJECT_DIR), help="project folder: its Pulumi.<stack>.yaml, tenants/ and __main__.py"
    )
    args = parser.parse_args(argv)
    project = Path(args.project)
    if not (project / f"Pulumi.{args.stack}.yaml").is_file():
        print(f"error: no stack config Pulumi.{args.stack}.yaml (stacks: dev, prod)", file=sys.stderr)
        return 2
    unknown = [k for k in args.rotate if k not in OFFLINE_SECRETS]
    if unknown:
        print(
            f"error: --rotate {unknown[0]}: not a secret of the stack ({', '.join(OFFLINE_SECRETS)})", file=sys.stderr
        )
        return 2
    key = os.environ.get(DIGEST_KEY_ENV)
    try:
        recording = record_plan(args.stack, project, rotate=args.rotate, digest_key=key.encode() if key else None)
    except SpecError as exc:  # the stack file itself cannot be read: the same report as the program's
        print(f"error: invalid proxcloud input:\n{exc}", file=sys.stderr)
        print("no plan written", file=sys.stderr)
        return 2
    except pulumi.RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("no plan written", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    doc = plan_document("proxcloud", args.stack, recording)
    (out / f"plan-{args.stack}.json").write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    (out / f"plan-{args.stack}.md").write_text(
        f"# proxcloud plan: stack `{args.stack}`\n\n{render_mermaid(args.stack, recording)}\n"
    )
    if not args.quiet:
        counts = Counter(r.type for r in recording.resources)
        print(f"== proxcloud plan: stack {args.stack} ({len(recording.resources)} resources) ==")
        print(render_tree(recording))
        print("\n== resources per type ==")
        for t, n in sorted(counts.items()):
            print(f"{n:6d}  {t}")
        print("\n== stack outputs ==")
        print(json.dumps(recording.outputs, indent=2, sort_keys=True))
        print(f"\nwrote {out / f'plan-{args.stack}.json'} and {out / f'plan-{args.stack}.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
