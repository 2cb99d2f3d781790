"""The provider edge, decided from the tenants: its VM, the hosted nets it routes, forwards and secondaries.

Validated here with the router renderer's own rules (render/router.validate_router), so a forward of a port the
edge itself serves (80/443, and 22 when SSH is open) is refused before anything reaches Pulumi.
"""

from __future__ import annotations

import ipaddress

from model.errors import Problem
from model.models import VXLAN_OVERHEAD, StackSettings, TenantFile
from model.platform import EdgePlan, Forward, HostedNet, Nic, Secondary, TenantSpec, Vm
from render.router import Port, PortForward, RouterLink, RouterSpec, SecondaryAddress, validate_router

# Interface names inside the edge VM. PVE's NoCloud network-config names each NIC that has an ip config `eth<N>`
# by its MAC (qemu-server PVE/QemuServer/Cloudinit.pm `nocloud_network`), and cloud-init renames the NIC to it: the
# public net0 is eth0. The trunk net1 has no ip config, so nothing renames it and it keeps the kernel's predictable
# name for its PCI slot 0x13 (qemu-server's address of net1): ens19.
PUBLIC_NIC, TRANSIT_NIC = "eth0", "ens19"


def _hosted(tenants: list[TenantSpec], transit: str) -> list[HostedNet]:
    out = []
    for t in tenants:
        for vm in t.vms:
            for nic in vm.nics:
                if nic.bridge == transit and nic.vlan is not None and nic.ipv4 is not None and nic.routed6 is not None:
                    out.append(
                        HostedNet(f"{t.name}-{vm.name}", nic.vlan, nic.ipv4.network, nic.routed6, nic.link_local)
                    )
    return out


def resolve_edge(
    tenants: list[TenantSpec], files: dict[str, TenantFile], settings: StackSettings, config_file: str
) -> tuple[EdgePlan | None, list[Problem]]:
    """files: tenant name -> its parsed file (forwards and public_ipv4 are read from there)."""
    e = settings.edge
    if e is None:
        return None, []
    problems: list[Problem] = []
    hosted = _hosted(tenants, e.transit_vnet)
    by_vm = {h.name: h for h in hosted}
    reserved = {("tcp", 80), ("tcp", 443), ("udp", 443)} | ({("tcp", 22)} if e.admin_from else set())
    forwards: list[Forward] = []
    secondaries: list[Secondary] = []
    used: dict[tuple[str, int], str] = {}  # (proto, public port) -> the tenant file that forwards it
    for t in tenants:
        tf = files[t.name]
        hosted_vms = sorted(h.name.removeprefix(f"{t.name}-") for h in hosted if h.name.startswith(f"{t.name}-"))
        for i, f in enumerate(tf.forwards):
            net = by_vm.get(f"{t.name}-{f.vm}")
            if net is None:
                problems.append(
                    Problem(
                        t.source,
                        f"forwards[{i}].vm",
                        f"'{f.vm}' is not a VM of this tenant on a hosted net",
                        f"use one of {', '.join(hosted_vms)}" if hosted_vms else "forward to a VM without vnet/address",
                    )
                )
                continue
            if (f.proto, f.public_port) in used:
                problems.append(
                    Problem(
                        t.source,
                        f"forwards[{i}].public_port",
                        f"{f.proto}/{f.public_port} of the edge's primary address is already forwarded by "
                        f"{used[(f.proto, f.public_port)]}",
                        "pick another public port: the edge has one primary address for every tenant",
                    )
                )
                continue
            if (f.proto, f.public_port) in reserved:
                problems.append(
                    Problem(
                        t.source,
                        f"forwards[{i}].public_port",
                        f"{f.proto}/{f.public_port} of the edge's primary address is the edge's own (proxy or SSH)",
                        "pick another public port; web traffic goes through the reverse proxy",
                    )
                )
                continue
            used[(f.proto, f.public_port)] = f"{t.source} (forwards[{i}])"
            forwards.append(Forward(t.name, f.proto, f.public_port, net.vm_address, f.port or f.public_port, f.why))
        address = settings.public_addresses.get(t.name)
        if address is not None and tf.proxy is not None and not tf.proxy.public:
            net = by_vm.get(f"{t.name}-{tf.proxy.name}")
            if net is not None:
                secondaries.append(Secondary(t.name, address.ipv4.ip, net.vm_address))
    node = e.node or settings.nodes[0].name
    vm = Vm(
        tenant="provider",
        name=e.name,
        slot=0,
        vm_id=e.vm_id,
        node=node,
        role="edge",
        cores=2,
        memory_mb=2048,
        disk_gb=20,
        nics=(
            Nic(
                settings.public_bridge, e.public_ipv4, e.gateway4, 1500, "02:ED:6E:00:00:00", e.public_ipv6, e.gateway6
            ),
            Nic(e.transit_vnet, None, None, settings.underlay.mtu - VXLAN_OVERHEAD, "02:ED:6E:00:00:01"),
        ),
        ssh_keys=tuple(settings.admin_ssh_keys),
        guest_agent=True,
        stateful=False,
        protect=False,
        description="provider edge: router of hosted VMs and tenant uplinks, NAT to the world",
        pool_id="provider",
        stateless_reason="a router: its whole configuration is rendered from the spec",
    )
    plan = EdgePlan(vm, tuple(hosted), tuple(forwards), tuple(secondaries))
    if problems:
        return plan, problems
    try:  # the checks above and the models' leave nothing for it to find; any finding names its item
        validate_router(router_spec(plan, settings))
    except ValueError as exc:
        lines = [line.strip() for line in str(exc).splitlines()[1:]] or [str(exc)]
        problems += [
            Problem(config_file, "proxcloud:edge", f"router: {line}", "correct the edge setting or the item named")
            for line in lines
        ]
    return plan, problems


def router_spec(plan: EdgePlan, settings: StackSettings) -> RouterSpec:
    """The render/router.py input for the plan."""
    e = settings.edge
    assert e is not None
    return RouterSpec(
        public_nic=PUBLIC_NIC,
        public_ipv4=str(e.public_ipv4),
        gateway4=str(e.gateway4),
        public_ipv6=str(e.public_ipv6),
        gateway6=str(e.gateway6),
        internal_nic=TRANSIT_NIC,
        hosted=tuple(RouterLink(h.name, h.vlan, str(h.ipv4), str(h.ipv6), str(h.vm_link_local)) for h in plan.hosted),
        forwards=tuple(PortForward(f.proto, f.public_port, str(f.target), f.target_port) for f in plan.forwards),
        secondaries=tuple(
            SecondaryAddress(str(s.address), str(s.target), (Port("tcp", 80), Port("tcp", 443)))
            for s in plan.secondaries
        ),
        admin_from=tuple(str(n) for n in e.admin_from),
    )


def public_addresses(settings: StackSettings) -> list[ipaddress.IPv4Address]:
    return [settings.edge.public_ipv4.ip] if settings.edge is not None else []
