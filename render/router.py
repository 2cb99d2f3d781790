"""The provider edge router (setups B and D): gateway of every hosted /30, router of every hosted /64, SNAT of tenant
egress over the primary public IPv4, DNAT of declared port forwards and per-tenant secondary addresses; nftables +
systemd-networkd.

IPv6 on a hosted link is routed, not on-link: the edge holds only the fixed link-local `fe80::1` there (the VM's
IPv6 gateway) and routes the VM's /64 to the VM's own link-local address (EUI-64 of its fixed MAC). So the edge
never asks the link for an address of the /64 (neighbour discovery only ever resolves link-local addresses), and
the VM may use any address of its /64 - on its NIC, a loopback or a bridge of its own - without announcing it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from render.cloudinit import CloudConfig, WriteFile

NETWORKD_DIR = "/etc/systemd/network"
NFTABLES_PATH = "/etc/nftables.conf"
TABLE = "proxcloud"
# The edge's address on every hosted link: the VM's IPv6 gateway. One fixed link-local for all links (each VLAN is
# its own link), so a VM's gateway never depends on the edge's MAC.
EDGE_LINK_LOCAL = ipaddress.IPv6Address("fe80::1")
LINK_LOCAL_64 = ipaddress.IPv6Network("fe80::/64")  # where the kernel's link-local addresses live
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# ICMP the Internet needs to work (path MTU, errors, ping) and IPv6 neighbour discovery on every link.
ICMP4 = ("echo-request", "destination-unreachable", "time-exceeded", "parameter-problem")
ICMP6_FORWARD = ("echo-request", "destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem")
ICMP6_INPUT = (
    *ICMP6_FORWARD,
    "nd-router-solicit",
    "nd-router-advert",
    "nd-neighbor-solicit",
    "nd-neighbor-advert",
    "mld-listener-query",
    "mld-listener-report",
    "mld2-listener-report",
)


class Proto(StrEnum):
    """Transport protocol of a forwarded or opened port."""

    TCP = "tcp"
    UDP = "udp"


@dataclass(frozen=True)
class Port:
    """One transport port (used for IPv6 opens and secondary-address forwards)."""

    proto: Proto | str
    port: int


@dataclass(frozen=True)
class RouterLink:
    """The router's view of one link (a hosted VM's model.platform.HostedNet, or a tenant edge's): its own VLAN on
    the internal NIC, an RFC 1918 /30 and a /64.

    The router takes the first address of the /30 (the gateway), the VM the second. The /64 is routed to the VM's
    link-local address `vm_link_local`; the router's IPv6 address on the link is `EDGE_LINK_LOCAL`.
    """

    name: str
    vlan: int
    ipv4: str
    ipv6: str
    vm_link_local: str  # the VM's EUI-64 link-local (from its fixed MAC): next hop of the /64
    open_v6: tuple[Port, ...] = ()  # inbound IPv6 allowed to the /64 (routed, no NAT); nothing else comes in


@dataclass(frozen=True)
class PortForward:
    """A port of the primary public IPv4 forwarded to a hosted VM."""

    proto: Proto | str
    public_port: int
    target: str
    target_port: int | None = None  # default: the same as public_port


@dataclass(frozen=True)
class SecondaryAddress:
    """A tenant's own public IPv4, forwarded (declared ports only, port kept) to the tenant's edge VM."""

    address: str
    target: str
    ports: tuple[Port, ...] = (Port(Proto.TCP, 80), Port(Proto.TCP, 443))


@dataclass(frozen=True)
class RouterSpec:
    """Everything the provider edge router needs; checked by `validate_router`."""

    public_nic: str
    public_ipv4: str  # interface form, e.g. 203.0.113.10/24
    gateway4: str
    public_ipv6: str  # interface form, e.g. 2001:db8::10/64
    gateway6: str
    internal_nic: str
    hosted: tuple[RouterLink, ...]
    forwards: tuple[PortForward, ...] = ()
    secondaries: tuple[SecondaryAddress, ...] = ()
    admin_from: tuple[str, ...] = ()  # networks allowed to SSH to the router itself
    serve_http: bool = True  # the edge's own reverse proxy listens on 80/443 of the primary address


def vlan_link(net: RouterLink) -> str:
    """The VLAN interface name (<= 15 characters, as Linux requires)."""
    return f"vlan{net.vlan}"


def gateway4(net: RouterLink) -> ipaddress.IPv4Interface:
    n = ipaddress.IPv4Network(net.ipv4)
    return ipaddress.IPv4Interface(f"{n.network_address + 1}/{n.prefixlen}")


def vm_address4(net: RouterLink) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Network(net.ipv4).network_address + 2


def gateway6(net: RouterLink) -> ipaddress.IPv6Interface:
    """The router's IPv6 address on the link (the VM's gateway): the fixed link-local, never one of the /64."""
    return ipaddress.IPv6Interface(f"{EDGE_LINK_LOCAL}/{LINK_LOCAL_64.prefixlen}")


def vm_address6(net: RouterLink) -> ipaddress.IPv6Address:
    """The address cloud-init configures on the VM (as a /128: the rest of the /64 is the VM's to use)."""
    return ipaddress.IPv6Network(net.ipv6).network_address + 2


def reserved_ports(spec: RouterSpec) -> set[tuple[str, int]]:
    """Ports of the primary address the router itself answers on; a forward of one would hijack it."""
    ports = {("tcp", 80), ("tcp", 443), ("udp", 443)}  # the edge's reverse proxy (HTTP/3 on udp/443)
    if spec.admin_from:
        ports.add(("tcp", 22))
    return ports


def _port_ok(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535


def _proto(value: object, where: str, errors: list[str]) -> str:
    try:
        return Proto(str(value)).value
    except ValueError:
        errors.append(f"{where}: proto {value!r} must be tcp or udp")
        return "tcp"


def validate_router(spec: RouterSpec) -> None:
    """Raises ValueError listing every problem of the router spec (each naming the item and the fix)."""
    errors: list[str] = []
    try:
        pub4 = ipaddress.IPv4Interface(spec.public_ipv4)
        if ipaddress.IPv4Address(spec.gateway4) not in pub4.network:
            errors.append(f"gateway4 {spec.gateway4} is not in the public network {pub4.network}")
    except ValueError as exc:
        errors.append(f"public_ipv4/gateway4: {exc}")
        pub4 = ipaddress.IPv4Interface("192.0.2.1/32")
    try:
        pub6 = ipaddress.IPv6Interface(spec.public_ipv6)
        gw6 = ipaddress.IPv6Address(spec.gateway6)
        if gw6 not in pub6.network and not gw6.is_link_local:
            errors.append(f"gateway6 {gw6} is neither in {pub6.network} nor link-local")
    except ValueError as exc:
        errors.append(f"public_ipv6/gateway6: {exc}")
        pub6 = ipaddress.IPv6Interface("2001:db8::1/128")
    for nic in (spec.public_nic, spec.internal_nic):
        if not nic or len(nic) > 15 or "/" in nic or " " in nic:
            errors.append(f"interface name {nic!r} must be 1-15 characters without '/' or spaces")
    if spec.public_nic == spec.internal_nic:
        errors.append("public_nic and internal_nic must be different interfaces")

    vm_addresses: dict[ipaddress.IPv4Address, str] = {}
    seen_vlans: dict[int, str] = {}
    nets4: list[tuple[ipaddress.IPv4Network, str]] = []
    nets6: list[tuple[ipaddress.IPv6Network, str]] = [(pub6.network, "the public IPv6 network")]
    for net in spec.hosted:
        where = f"hosted {net.name!r}"
        if not isinstance(net.vlan, int) or not 1 <= net.vlan <= 4094:
            errors.append(f"{where}: vlan {net.vlan!r} must be 1-4094")
        elif net.vlan in seen_vlans:
            errors.append(f"{where}: vlan {net.vlan} is already used by {seen_vlans[net.vlan]!r}")
        else:
            seen_vlans[net.vlan] = net.name
        try:
            n4 = ipaddress.IPv4Network(net.ipv4)
            if n4.prefixlen != 30 or not any(n4.subnet_of(p) for p in RFC1918):
                errors.append(f"{where}: ipv4 {n4} must be an RFC 1918 /30")
            for other, owner in nets4:
                if n4.overlaps(other):
                    errors.append(f"{where}: ipv4 {n4} overlaps {other} of {owner!r}")
            nets4.append((n4, net.name))
            vm_addresses[vm_address4(net)] = net.name
        except ValueError as exc:
            errors.append(f"{where}: ipv4 {net.ipv4!r}: {exc}")
        try:
            n6 = ipaddress.IPv6Network(net.ipv6)
            if n6.prefixlen != 64:
                errors.append(f"{where}: ipv6 {n6} must be a /64")
            for other, owner in nets6:
                if n6.overlaps(other):
                    errors.append(f"{where}: ipv6 {n6} overlaps {other} of {owner!r}")
            nets6.append((n6, net.name))
        except ValueError as exc:
            errors.append(f"{where}: ipv6 {net.ipv6!r}: {exc}")
        try:
            hop = ipaddress.IPv6Address(net.vm_link_local)
            if hop not in LINK_LOCAL_64 or hop == EDGE_LINK_LOCAL:
                errors.append(
                    f"{where}: vm_link_local {hop} must be the VM's own link-local address in {LINK_LOCAL_64} "
                    f"(not the edge's {EDGE_LINK_LOCAL})"
                )
        except ValueError as exc:
            errors.append(f"{where}: vm_link_local {net.vm_link_local!r}: {exc}")
        for p in net.open_v6:
            _proto(p.proto, where, errors)
            if not _port_ok(p.port):
                errors.append(f"{where}: open_v6 port {p.port!r} must be 1-65535")

    def target_ok(target: str, where: str) -> None:
        try:
            addr = ipaddress.IPv4Address(target)
        except ValueError:
            errors.append(f"{where}: target {target!r} is not an IPv4 address")
            return
        if addr not in vm_addresses:
            errors.append(f"{where}: target {addr} is not the VM address (second address) of any hosted /30")

    reserved = reserved_ports(spec)
    used: dict[tuple[str, int], int] = {}
    for i, fw in enumerate(spec.forwards):
        where = f"forward {i} ({fw.proto}/{fw.public_port} -> {fw.target})"
        proto = _proto(fw.proto, where, errors)
        if not _port_ok(fw.public_port) or (fw.target_port is not None and not _port_ok(fw.target_port)):
            errors.append(f"{where}: ports must be 1-65535")
        if (proto, fw.public_port) in reserved:
            errors.append(
                f"{where}: {proto}/{fw.public_port} of the primary address belongs to the edge itself "
                "(its reverse proxy or SSH); route web traffic through the reverse proxy or pick another port"
            )
        if (proto, fw.public_port) in used:
            errors.append(
                f"{where}: {proto}/{fw.public_port} is already forwarded by forward {used[(proto, fw.public_port)]}"
            )
        used.setdefault((proto, fw.public_port), i)
        target_ok(fw.target, where)

    seen_addresses = {pub4.ip}
    for sec in spec.secondaries:
        where = f"secondary {sec.address}"
        try:
            addr = ipaddress.IPv4Address(sec.address)
            if addr in seen_addresses:
                errors.append(f"{where}: address is the primary address or declared twice")
            seen_addresses.add(addr)
        except ValueError as exc:
            errors.append(f"{where}: {exc}")
        if not sec.ports:
            errors.append(f"{where}: declare the ports to forward (e.g. tcp/80 and tcp/443)")
        for p in sec.ports:
            _proto(p.proto, where, errors)
            if not _port_ok(p.port):
                errors.append(f"{where}: port {p.port!r} must be 1-65535")
        target_ok(sec.target, where)
    for a in spec.admin_from:
        try:
            ipaddress.ip_network(a)
        except ValueError as exc:
            errors.append(f"admin_from {a!r}: {exc}")
    if errors:
        raise ValueError("invalid edge router:\n  " + "\n  ".join(errors))


# ---------------------------------------------------------------------------------------------------- nftables


def _set(items: Iterable[object]) -> str:
    values = [str(i) for i in items]
    return values[0] if len(values) == 1 else "{ " + ", ".join(values) + " }"


def _by_proto(ports: Sequence[Port]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for p in ports:
        out.setdefault(Proto(str(p.proto)).value, []).append(p.port)
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def nftables_ruleset(spec: RouterSpec) -> str:
    """/etc/nftables.conf for the edge: default drop in input and forward, only what the spec declares is let in."""
    validate_router(spec)
    pub = f'"{spec.public_nic}"'
    primary = ipaddress.IPv4Interface(spec.public_ipv4).ip
    links = {net.name: f'"{vlan_link(net)}"' for net in spec.hosted}
    by_vm = {vm_address4(net): net for net in spec.hosted}

    inp = [
        "type filter hook input priority filter; policy drop;",
        "ct state established,related accept",
        "ct state invalid drop",
        'iif "lo" accept',
        f"icmp type {_set(ICMP4)} accept",
        f"icmpv6 type {_set(ICMP6_INPUT)} accept",
    ]
    if spec.serve_http:
        inp += [f"iifname {pub} tcp dport {{ 80, 443 }} accept", f"iifname {pub} udp dport 443 accept"]
    admin4 = [a for a in spec.admin_from if ipaddress.ip_network(a).version == 4]
    admin6 = [a for a in spec.admin_from if ipaddress.ip_network(a).version == 6]
    if admin4:
        inp.append(f"ip saddr {_set(admin4)} tcp dport 22 accept")
    if admin6:
        inp.append(f"ip6 saddr {_set(admin6)} tcp dport 22 accept")

    fwd = [
        "type filter hook forward priority filter; policy drop;",
        "ct state established,related accept",
        "ct state invalid drop",
        f"icmp type {_set(ICMP4)} accept",
        f"icmpv6 type {_set(ICMP6_FORWARD)} accept",
    ]
    for net in spec.hosted:
        # Egress only from the link's own prefixes (no spoofing), only to the Internet (no tenant-to-tenant).
        fwd.append(f"iifname {links[net.name]} oifname {pub} ip saddr {net.ipv4} accept")
        fwd.append(f"iifname {links[net.name]} oifname {pub} ip6 saddr {net.ipv6} accept")
        for proto, ports in _by_proto(net.open_v6).items():
            fwd.append(
                f"iifname {pub} oifname {links[net.name]} ip6 daddr {net.ipv6} {proto} dport {_set(ports)} accept"
            )
    pre: list[str] = ["type nat hook prerouting priority dstnat; policy accept;"]
    for fw in spec.forwards:
        proto = Proto(str(fw.proto)).value
        target = ipaddress.IPv4Address(fw.target)
        tport = fw.target_port or fw.public_port
        link = links[by_vm[target].name]
        pre.append(f"iifname {pub} ip daddr {primary} {proto} dport {fw.public_port} dnat ip to {target}:{tport}")
        fwd.append(f"iifname {pub} oifname {link} ip daddr {target} {proto} dport {tport} ct status dnat accept")
    for sec in spec.secondaries:
        target = ipaddress.IPv4Address(sec.target)
        link = links[by_vm[target].name]
        for proto, ports in _by_proto(sec.ports).items():
            pre.append(f"iifname {pub} ip daddr {sec.address} {proto} dport {_set(ports)} dnat ip to {target}")
            fwd.append(
                f"iifname {pub} oifname {link} ip daddr {target} {proto} dport {_set(ports)} ct status dnat accept"
            )
    post = [
        "type nat hook postrouting priority srcnat; policy accept;",
        f"oifname {pub} ip saddr @hosted4 snat ip to {primary}",
    ]

    def chain(name: str, rules: list[str]) -> list[str]:
        return [f"\tchain {name} {{", *(f"\t\t{r}" for r in rules), "\t}"]

    hosted4 = ", ".join(sorted((n.ipv4 for n in spec.hosted), key=lambda n: ipaddress.IPv4Network(n)))
    lines = [
        "#!/usr/sbin/nft -f",
        "# proxcloud provider edge: rendered from the platform spec; edits are overwritten.",
        # Re-applying replaces only our table (others, e.g. Docker's, are left alone), atomically.
        f"table inet {TABLE}",
        f"delete table inet {TABLE}",
        "",
        f"table inet {TABLE} {{",
        "\tset hosted4 {",
        "\t\ttype ipv4_addr",
        "\t\tflags interval",
        *([f"\t\telements = {{ {hosted4} }}"] if hosted4 else []),
        "\t}",
        "",
        *chain("input", inp),
        "",
        *chain("forward", fwd),
        "",
        *chain("prerouting", pre),
        "",
        *chain("postrouting", post),
        "}",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------- systemd-networkd


def _unit(sections: list[tuple[str, list[tuple[str, object]]]]) -> str:
    parts = []
    for name, keys in sections:
        parts.append(f"[{name}]\n" + "".join(f"{k}={v}\n" for k, v in keys))
    return "\n".join(parts)


def networkd_files(spec: RouterSpec) -> dict[str, str]:
    """systemd-networkd files (path -> text) for Debian 12 (systemd 252, where IPForward= is the forwarding key).

    Named 05-/06-/07- so that they sort before the 10-netplan-*.network files cloud-init's netplan writes for the
    same NICs: networkd uses the first matching file, so these win.
    """
    validate_router(spec)
    primary = ipaddress.IPv4Interface(spec.public_ipv4)
    public: list[tuple[str, object]] = [("Description", "proxcloud edge: public uplink"), ("Address", primary)]
    public += [("Address", f"{s.address}/32") for s in spec.secondaries]
    public += [
        ("Address", ipaddress.IPv6Interface(spec.public_ipv6)),
        ("Gateway", spec.gateway4),
        ("Gateway", spec.gateway6),
        ("IPv6AcceptRA", "no"),
        ("IPForward", "yes"),
    ]
    files = {
        f"{NETWORKD_DIR}/05-public.network": _unit([("Match", [("Name", spec.public_nic)]), ("Network", public)]),
        f"{NETWORKD_DIR}/06-internal.network": _unit(
            [
                ("Match", [("Name", spec.internal_nic)]),
                (
                    "Network",
                    [
                        ("Description", "proxcloud edge: trunk of the hosted VLANs"),
                        ("LinkLocalAddressing", "no"),
                        ("IPv6AcceptRA", "no"),
                        *(("VLAN", vlan_link(n)) for n in sorted(spec.hosted, key=lambda n: n.vlan)),
                    ],
                ),
            ]
        ),
    }
    for net in spec.hosted:
        link = vlan_link(net)
        files[f"{NETWORKD_DIR}/07-{link}.netdev"] = _unit(
            [
                ("NetDev", [("Name", link), ("Kind", "vlan"), ("Description", f"hosted {net.name}")]),
                ("VLAN", [("Id", net.vlan)]),
            ]
        )
        files[f"{NETWORKD_DIR}/07-{link}.network"] = _unit(
            [
                ("Match", [("Name", link)]),
                (
                    "Network",
                    [
                        ("Description", f"gateway of hosted {net.name}"),
                        ("Address", gateway4(net)),
                        # IPv6: only the fixed link-local here (beside the kernel's own); no address of the /64 and
                        # no router advertisements: the VM's gateway is configured, its /64 routed below.
                        ("Address", gateway6(net)),
                        ("IPv6AcceptRA", "no"),
                        ("IPv6SendRA", "no"),
                        ("IPForward", "yes"),
                    ],
                ),
                ("Route", [("Destination", ipaddress.IPv6Network(net.ipv6)), ("Gateway", net.vm_link_local)]),
            ]
        )
    return files


def router_cloud_config(hostname: str, ssh_keys: Iterable[str], spec: RouterSpec) -> CloudConfig:
    """The provider edge router VM: systemd-networkd owns the links, nftables the filter and NAT (checked on boot)."""
    files = [WriteFile(path, text) for path, text in sorted(networkd_files(spec).items())]
    files.append(WriteFile(NFTABLES_PATH, nftables_ruleset(spec), permissions="0755"))
    return CloudConfig(
        hostname=hostname,
        ssh_keys=tuple(ssh_keys),
        packages=("nftables",),
        write_files=tuple(files),
        runcmd=(
            ("nft", "-c", "-f", NFTABLES_PATH),
            ("systemctl", "enable", "--now", "nftables"),
            ("systemctl", "restart", "nftables"),
            ("systemctl", "enable", "systemd-networkd"),
            ("systemctl", "restart", "systemd-networkd"),
        ),
    )
