"""DHCP on a tenant's VNets, decided from the spec: where ranges may lie, and the tenant router's DHCP server.

A VNet's `dhcp` range is served by the tenant's router (its proxy, render/dhcp.py). The range must lie inside the
VNet's subnet, leave out its gateway (the router) and every static address the spec gives a guest on that VNet
(VMs, containers, service guests) or a proxy route points at there, so a dynamic lease never takes an address the
platform relies on. Ranges of different VNets cannot overlap: their subnets do not (model/load.py). Every declared
guest on a served VNet gets a fixed lease (its NIC's MAC and static address).
"""

from __future__ import annotations

import ipaddress

from model.containers import Container
from model.errors import Problem
from model.models import StackSettings
from model.platform import TenantSpec, Vm, Vnet
from render.dhcp import DhcpLan, DhcpServer, StaticLease, validate_dhcp


def _guests_on(
    vnet: Vnet, guests: tuple[Vm | Container, ...]
) -> list[tuple[Vm | Container, str, ipaddress.IPv4Address]]:
    """(guest, MAC, address) of every guest NIC on the VNet."""
    return [(g, n.mac, n.ipv4.ip) for g in guests for n in g.nics if n.bridge == vnet.id and n.ipv4 is not None]


def check_dhcp(t: TenantSpec, settings: StackSettings) -> list[Problem]:
    """Every problem of the tenant's DHCP ranges, at `vnets[i].dhcp...` with a fix."""
    problems: list[Problem] = []
    for i, vnet in enumerate(t.vnets):
        pool = vnet.dhcp
        if pool is None:
            continue
        field = f"vnets[{i}].dhcp"
        if t.proxy is None:
            problems.append(
                Problem(
                    t.source,
                    field,
                    f"nothing serves DHCP on {vnet.id}: the tenant has no router (DHCP runs on its proxy)",
                    "add a proxy to the tenant, or remove dhcp",
                )
            )
        first, last = vnet.cidr.network_address + 1, vnet.cidr.broadcast_address - 1
        for key, address in (("start", pool.start), ("end", pool.end)):
            if not first <= address <= last:
                problems.append(
                    Problem(
                        t.source,
                        f"{field}.{key}",
                        f"{address} is not a host address of {vnet.id} {vnet.cidr}",
                        f"keep the range inside {first}-{last}",
                    )
                )
        if vnet.gateway in pool:
            problems.append(
                Problem(
                    t.source,
                    field,
                    f"range {pool} contains the gateway {vnet.gateway} (the router's own address)",
                    "start the range after the gateway or end it before",
                )
            )
        taken = [(g.name, a) for g, _, a in _guests_on(vnet, t.guests) if a in pool]
        problems += [
            Problem(
                t.source,
                field,
                f"range {pool} contains {address}, the static address of {name}",
                "move the range or the guest's address: a dynamic lease must never take a declared guest's address",
            )
            for name, address in taken
        ]
        if t.proxy is not None:
            problems += [
                Problem(
                    t.source,
                    f"proxy.routes[{j}].upstream",
                    f"{r.upstream} lies in the DHCP range {pool} of {vnet.id}: the route would follow whichever "
                    "machine holds that lease",
                    "give the upstream a static address outside the range, or move the range",
                )
                for j, r in enumerate(t.proxy.routes)
                if r.upstream in pool
            ]
    return problems


def check_dhcp_server(t: TenantSpec, settings: StackSettings) -> list[Problem]:
    """The renderer's own check of the server the ranges make (render/dhcp.py `validate_dhcp`): a safety net, run
    only once every other problem is gone (a duplicate guest address would otherwise show here again)."""
    server = dhcp_server(t, settings)
    if server is None:
        return []
    try:
        validate_dhcp(server)
    except ValueError as exc:
        return [Problem(t.source, "vnets", str(exc), "report it: the spec's own checks should have refused this")]
    return []


def dhcp_server(t: TenantSpec, settings: StackSettings) -> DhcpServer | None:
    """The tenant router's DHCP server (render/dhcp.py input), or None when no VNet declares a range."""
    served = [v for v in t.vnets if v.dhcp is not None]
    if t.proxy is None or not served:
        return None
    router = t.vm(t.proxy.name)
    lans = []
    for vnet in served:
        assert vnet.dhcp is not None
        leases = tuple(StaticLease(mac, str(a), g.name) for g, mac, a in _guests_on(vnet, t.guests) if g != router)
        lans.append(
            DhcpLan(
                vnet=vnet.id,
                router=str(vnet.gateway),  # the router holds every VNet's gateway address
                cidr=str(vnet.cidr),
                start=str(vnet.dhcp.start),
                end=str(vnet.dhcp.end),
                lease_time=vnet.dhcp.lease_time,
                mtu=vnet.mtu,
                leases=leases,
            )
        )
    return DhcpServer(tuple(lans), tuple(str(d) for d in settings.dns_servers))
