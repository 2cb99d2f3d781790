"""DHCP and DNS of a tenant router's VNets: a dnsmasq configuration (setup D: the router serves the tenant's VMs).

One dnsmasq on the tenant's proxy serves every VNet that declares a DHCP range: addresses from the range, fixed
leases for the guests the platform declares (their MAC and static address), the router's own address on that VNet
as the only gateway and as resolver, the VNet's MTU. No other option is configured - no classless static routes
(DHCP options 121/249), so a client's only route out is its router, where the firewall decides. dnsmasq listens on
the router's LAN addresses only (each bound on its own, never the wildcard, never the uplink) and forwards DNS to
the stack's resolvers. Checked by dnsmasq itself (`dnsmasq --test`) in the tests and on the router before use.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

CONF_PATH = "/etc/dnsmasq.d/proxcloud.conf"  # Debian's dnsmasq reads /etc/dnsmasq.d (CONFIG_DIR in its defaults)
PACKAGE = "dnsmasq"
MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
TAG = re.compile(r"[A-Za-z][A-Za-z0-9]*")
HOST = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")
LEASE = re.compile(r"[1-9][0-9]*[mhdw]?")


@dataclass(frozen=True)
class StaticLease:
    """A guest the platform declares: its NIC's MAC always gets its static address (and its name in DNS)."""

    mac: str
    address: str
    name: str


@dataclass(frozen=True)
class DhcpLan:
    """One VNet the router serves."""

    vnet: str  # tags the range and its options
    router: str  # the router's address on the VNet: gateway and resolver of its clients
    cidr: str
    start: str
    end: str
    lease_time: str
    mtu: int
    leases: tuple[StaticLease, ...] = ()


@dataclass(frozen=True)
class DhcpServer:
    """Everything the tenant router's dnsmasq serves; checked by `validate_dhcp`."""

    lans: tuple[DhcpLan, ...]
    upstreams: tuple[str, ...] = ()  # resolvers DNS is forwarded to; empty: the router's own (its resolv.conf)


def validate_dhcp(server: DhcpServer) -> None:
    """Raises ValueError listing every problem (each naming the VNet or lease)."""
    errors: list[str] = []
    if not server.lans:
        errors.append("no VNet to serve")
    seen_nets: list[tuple[ipaddress.IPv4Network, str]] = []
    macs: dict[str, str] = {}
    for lan in server.lans:
        where = f"vnet {lan.vnet!r}"
        if not TAG.fullmatch(lan.vnet):
            errors.append(f"{where}: a dnsmasq tag must be letters and digits, a letter first")
        try:
            net = ipaddress.IPv4Network(lan.cidr)
            router, start, end = (ipaddress.IPv4Address(a) for a in (lan.router, lan.start, lan.end))
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
            continue
        hosts = (net.network_address + 1, net.broadcast_address - 1)
        for other, owner in seen_nets:
            if net.overlaps(other):
                errors.append(f"{where}: {net} overlaps {other} of {owner!r}")
        seen_nets.append((net, lan.vnet))
        if not hosts[0] <= router <= hosts[1]:
            errors.append(f"{where}: router {router} is not a host address of {net}")
        if not (hosts[0] <= start <= end <= hosts[1]):
            errors.append(f"{where}: range {start}-{end} is not an ordered range of host addresses of {net}")
        if start <= router <= end:
            errors.append(f"{where}: range {start}-{end} contains the router {router}")
        if not LEASE.fullmatch(lan.lease_time):
            errors.append(f"{where}: lease time {lan.lease_time!r} is not seconds or a number with m, h, d or w")
        if not 576 <= lan.mtu <= 9000:
            errors.append(f"{where}: mtu {lan.mtu} is not 576-9000")
        addresses: set[ipaddress.IPv4Address] = {router}
        for lease in lan.leases:
            at = f"{where} lease {lease.name!r}"
            if not MAC.fullmatch(lease.mac):
                errors.append(f"{at}: {lease.mac!r} is not a MAC address")
            elif lease.mac.upper() in macs:
                errors.append(f"{at}: MAC {lease.mac} is already leased to {macs[lease.mac.upper()]!r}")
            macs[lease.mac.upper()] = lease.name
            if not HOST.fullmatch(lease.name):
                errors.append(f"{at}: {lease.name!r} is not a host name")
            try:
                address = ipaddress.IPv4Address(lease.address)
            except ValueError as exc:
                errors.append(f"{at}: {exc}")
                continue
            if not hosts[0] <= address <= hosts[1]:
                errors.append(f"{at}: {address} is not a host address of {net}")
            if start <= address <= end:
                errors.append(f"{at}: {address} lies in the range {start}-{end}, which is for dynamic leases")
            if address in addresses:
                errors.append(f"{at}: {address} is the router's or another lease's address")
            addresses.add(address)
    for upstream in server.upstreams:
        try:
            ipaddress.IPv4Address(upstream)
        except ValueError as exc:
            errors.append(f"upstream {upstream!r}: {exc}")
    if errors:
        raise ValueError("invalid DHCP server:\n  " + "\n  ".join(errors))


def _lines(server: DhcpServer) -> list[str]:
    out = [
        "# proxcloud: DHCP and DNS of this router's VNets, rendered from the platform spec; edits are overwritten.",
        "# Only the router's LAN addresses, each bound on its own: never the wildcard, never the uplink.",
        *(f"listen-address={lan.router}" for lan in server.lans),
        "bind-dynamic",
        "# DNS for the VNets' hosts: names of the leases, everything else from the upstream resolvers;",
        "# nothing from the router's own /etc/hosts (its name there is 127.0.1.1).",
        "no-hosts",
        "domain-needed",
        "bogus-priv",
    ]
    if server.upstreams:
        out += ["no-resolv", *(f"server={u}" for u in server.upstreams)]
    out += [
        "# The router is the only DHCP server on these VNets: answer at once, also for leases it does not know.",
        "dhcp-authoritative",
    ]
    for lan in server.lans:
        net = ipaddress.IPv4Network(lan.cidr)
        tag = lan.vnet
        out += [
            f"# VNet {lan.vnet} {net}: the router {lan.router} is the only gateway and the resolver; no other routes.",
            f"dhcp-range=set:{tag},{lan.start},{lan.end},{net.netmask},{lan.lease_time}",
            f"dhcp-option=tag:{tag},option:router,{lan.router}",
            f"dhcp-option=tag:{tag},option:dns-server,{lan.router}",
            f"dhcp-option=tag:{tag},option:mtu,{lan.mtu}",
            *(f"dhcp-host={x.mac.lower()},{x.address},{x.name}" for x in lan.leases),
        ]
    return out


def dnsmasq_conf(server: DhcpServer) -> str:
    """The dnsmasq configuration file (CONF_PATH)."""
    validate_dhcp(server)
    return "\n".join(_lines(server)) + "\n"


def check_command(path: str = CONF_PATH) -> tuple[str, ...]:
    """dnsmasq's own syntax and semantics check of the file (exit 0: ok)."""
    return ("dnsmasq", "--test", f"--conf-file={path}")
