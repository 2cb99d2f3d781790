"""Intended connectivity: every flow the platform allows, each with the reason it exists.

This is the policy (data); components/firewall.py turns it into PVE firewall resources, and the reachability
proof (tests/proofs/test_reachability.py) checks the planned firewall against an intended matrix written there
by hand. North-south: only the proxies (80/443) and declared forwards are reachable from outside. East-west: a
guest accepts only what its role needs, from the roles that need it. On a VNet with a DHCP range, its hosts (the
tenant's own VMs, not in the plan: `CLIENTS`) reach their router for DHCP and DNS, and the router answers them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from model.containers import Container
from model.platform import Platform, TenantSpec, Vm
from services import KINDS, present

Guest = Vm | Container

INTERNET = "internet"
CLIENTS = "clients"  # every host of one VNet (Flow.vnet), the tenant's own VMs included: DHCP and DNS at the router
DHCP_SERVER, DHCP_CLIENT, DNS = 67, 68, 53  # udp ports of DHCP (RFC 2131 section 4.1) and DNS

# role -> (source role, protocol, port, why). Sources are roles of the same tenant, or "internet". The platform's
# own roles (a tenant's plain web and db VMs), then every service kind's (services/*/__init__.py).
PLATFORM_INBOUND: dict[str, tuple[tuple[str, str, int, str], ...]] = {
    "web": (("proxy", "tcp", 80, "the web tier is published only through the reverse proxy"),),
    "db": (("web", "tcp", 3306, "MariaDB for the web tier only"),),
}
ROLE_INBOUND: dict[str, tuple[tuple[str, str, int, str], ...]] = {
    **PLATFORM_INBOUND,
    **{role: inbound for kind in KINDS for role, inbound in kind.inbound.items()},
}


@dataclass(frozen=True)
class Flow:
    """Traffic allowed to reach `dst` (a VM name) from `src` (a VM name or "internet")."""

    tenant: str
    src: str
    dst: str
    proto: str
    port: int
    why: str
    source_cidrs: tuple[str, ...] = ()  # for "internet" and CLIENTS: only these networks (empty: any address)
    vnet: str | None = None  # for CLIENTS: the VNet whose hosts send or receive it
    sport: int | None = None  # a fixed source port (DHCP: clients send from 68, the server from 67)


def source_address(src: Guest, dst: Guest) -> ipaddress.IPv4Address | None:
    """The address traffic from `src` to `dst` carries: on a VNet both share, else (routed by the tenant's proxy
    between its VNets) the source's first tenant-VNet address. None: no tenant network between them."""
    bridges = {n.bridge for n in dst.nics}
    lan = [n for n in src.nics if n.ipv4 is not None and n.vlan is None]
    for nic in lan:
        if nic.bridge in bridges:
            return nic.ipv4.ip  # type: ignore[union-attr]
    dst_lan = [n for n in dst.nics if n.ipv4 is not None and n.vlan is None]
    return lan[0].ipv4.ip if lan and dst_lan else None  # type: ignore[union-attr]


def tenant_flows(t: TenantSpec) -> list[Flow]:
    """The flows into a tenant's guests: by role, and its declared forwards (from the internet)."""
    flows: list[Flow] = []
    for dst in t.guests:
        for src_role, proto, port, why in ROLE_INBOUND.get(dst.role, ()):
            if src_role == INTERNET:
                flows.append(Flow(t.name, INTERNET, dst.name, proto, port, why))
                continue
            for src in t.guests:
                if src.role == src_role and src.name != dst.name and source_address(src, dst) is not None:
                    flows.append(Flow(t.name, src.name, dst.name, proto, port, why))
    flows += [f for kind in present(t) for f in kind.flows(t)]  # an agent on every guest, logs from every guest
    return flows


def dhcp_flows(t: TenantSpec) -> list[Flow]:
    """DHCP and DNS between a tenant's router (its proxy) and the hosts of every VNet that declares a DHCP range.

    A client has no address until it has a lease: its requests come from 0.0.0.0 to the broadcast address, and the
    router's offers go to the broadcast address or to an address conntrack has never seen, so neither direction is
    a reply the firewall lets through by state: each is a flow of its own."""
    if t.proxy is None:
        return []
    router = t.proxy.name
    flows: list[Flow] = []
    for v in t.vnets:
        if v.dhcp is None:
            continue
        lan = (str(v.cidr),)
        flows += [
            Flow(t.name, CLIENTS, router, "udp", DHCP_SERVER, f"DHCP: hosts of {v.id} ask their router for a lease",
                 vnet=v.id, sport=DHCP_CLIENT),
            Flow(t.name, router, CLIENTS, "udp", DHCP_CLIENT, f"DHCP: the router's offers and acks on {v.id}",
                 vnet=v.id, sport=DHCP_SERVER),
            Flow(t.name, CLIENTS, router, "udp", DNS, f"DNS: the router resolves for the hosts of {v.id}",
                 source_cidrs=lan, vnet=v.id),
            Flow(t.name, CLIENTS, router, "tcp", DNS, f"DNS over TCP (long answers) for the hosts of {v.id}",
                 source_cidrs=lan, vnet=v.id),
        ]  # fmt: skip
    return flows


def forward_flows(platform: Platform) -> list[Flow]:
    """Declared forwards: the hosted VM accepts its port from the internet (DNAT keeps the source)."""
    if platform.edge is None:
        return []
    by_address = {(t.name, str(n.ipv4.ip)): g for t in platform.tenants for g in t.guests for n in g.nics if n.ipv4}
    return [
        Flow(f.tenant, INTERNET, by_address[(f.tenant, str(f.target))].name, f.proto, f.target_port, f.why)
        for f in platform.edge.forwards
    ]


def edge_flows(platform: Platform) -> list[Flow]:
    """What reaches the provider edge itself: forwarded ports, tenants' secondaries' 80/443, SSH from admins."""
    if platform.edge is None:
        return []
    name = platform.edge.vm.name
    flows = [
        Flow("provider", INTERNET, name, f.proto, f.public_port, f"DNAT to {f.tenant}: {f.why}")
        for f in platform.edge.forwards
    ]
    if platform.edge.secondaries:
        flows += [
            Flow("provider", INTERNET, name, "tcp", port, "tenants' public addresses, DNATed to their proxies")
            for port in (80, 443)
        ]
    admins = tuple(str(n) for n in platform.settings.edge.admin_from) if platform.settings.edge else ()
    if admins:
        flows.append(Flow("provider", INTERNET, name, "tcp", 22, "SSH for the operators", admins))
    return flows


def all_flows(platform: Platform) -> list[Flow]:
    return (
        [f for t in platform.tenants for f in tenant_flows(t) + dhcp_flows(t)]
        + forward_flows(platform)
        + edge_flows(platform)
    )


@dataclass(frozen=True)
class HostEgress:
    """Traffic the PVE nodes themselves start toward a service outside the cluster, with the reason."""

    src: str  # a node name
    dst: str  # host name or address of the service
    proto: str
    port: int
    why: str


def host_egress(platform: Platform) -> list[HostEgress]:
    """What the nodes send out. The datacenter firewall's output policy is ACCEPT (components/firewall.py), so
    no host rule is written for these: the list states what must keep passing if that policy is ever tightened,
    and tests/proofs/test_host_egress.py checks the planned host firewall lets each through."""
    n = platform.settings.notifications
    if n is None:
        return []
    why = (
        "PVE's notification system mails the admins through the SMTP relay (failed backups and replication, HA "
        "fencing, restore drills); every node sends its own, and the datacenter output policy ACCEPT lets it out"
    )
    return [HostEgress(node, n.server, "tcp", n.effective_port, why) for node in platform.node_names]
