"""Firewall reachability over a planned graph: which flows the PVE firewall lets through, and why.

`FirewallModel.from_recording(rec)` reads the firewall resources of a `tools.mockengine.Recording` and answers
`allowed(src, dst, proto, port) -> Verdict(ok, reason)`, `reaches(...) -> bool`,
`matrix(endpoints) -> {(src, dst): {(proto, port), ...}}` and `dhcp(vnet, server, client) -> Verdict` (a whole
DHCP exchange on one VNet).

Modelled PVE semantics (PVE firewall docs and PVE/Firewall.pm):
* Datacenter switch: `cluster.FirewallLegacy.enabled` off (or absent) means nothing is filtered anywhere.
* Guest firewall: `firewall.OptionsLegacy.enabled` (default off), `inputPolicy` (default DROP),
  `outputPolicy` (default ACCEPT); a guest without options or with `enabled=false` is unfiltered. Its `dhcp`
  option (default off) as proxmox-firewall (nftables) applies it before the guest's rules: on, udp 68->67 out and
  67->68 in are accepted; off, both are dropped (`allow-`/`block-dhcp-in`/`-out` in its proxmox-firewall.nft;
  pve-firewall's Firewall.pm `ruleset_create_vm_chain` accepts them when on and adds nothing when off). A NIC whose
  `firewall` flag is off (VmLegacy `networkDevices[]`, ContainerLegacy `networkInterfaces[]`) is unfiltered
  on that NIC even if the guest firewall is on.
* Path of a flow to a guest: the source guest's OUT rules (if the source is a filtered guest NIC), then the
  `forward` rules of every VNet the flow passes (the source's and the destination's VNet, once each; a VNet
  is the NIC's `bridge`), then the destination's IN rules. Each stage: the first matching rule wins, in list
  order (`pos` when given), ACCEPT passes the stage, DROP and REJECT stop the flow; no match means the
  stage's policy. Rules with `enabled=false` are skipped.
* VNet level: `VnetFirewallRules` (components/vnet_firewall.py) `options.enable` (default off) and
  `options.policy_forward` (default ACCEPT); only `forward` rules and `group` insertions count there.
* Security groups (`cluster.firewall.security.GroupLegacy`) are expanded in place where a rule has
  `securityGroup` (or `type: group`, `action: <group>`); the insertion's `iface` and `enabled` apply to every
  rule of the group; the group's rules of the stage's direction are used.
* Matching: `iface` (`net<N>` = the NIC's index), `proto` (names or numbers: tcp 6, udp 17, icmp 1), `dport`
  and `sport` (single, `a:b` ranges, comma lists, service names from a small /etc/services table; a probe comes
  from an ephemeral source port, 50000, unless it names one, as the DHCP exchange does), `source`/`dest` as
  IPs, CIDRs, `a-b` ranges, comma lists, aliases (`name`, `dc/name`, `guest/name`) and IP sets (`+name`,
  `+dc/name`, `+guest/name`; guest scope first for a bare name) with `nomatch` entries excluding addresses.
  A rule with a `dport` but no `proto` never matches (PVE refuses it).
* Macros: HTTP (tcp 80), HTTPS (tcp 443), Web (tcp 80, 443), SSH (tcp 22), MySQL (tcp 3306), PostgreSQL
  (tcp 5432), DNS (udp 53, tcp 53), Ping (icmp echo-request), as defined in PVE/Firewall.pm; other macros
  raise an error rather than be guessed.

Not modelled (assumed or out of scope):
* Connection tracking: replies of an accepted flow are assumed to pass (PVE accepts ESTABLISHED,RELATED
  first), so each flow is judged on its first packet only.
* IPv6 (addresses and rules with IPv6 are ignored; the proof is IPv4-only: tests/proofs/test_reachability.py
  checks that no planned rule can match IPv6 - none names an IPv6 address or leaves both source and destination
  open - so every guest's IPv6 input, a hosted VM's routed /64 included, is its DROP policy), ICMP types (any icmp rule
  matches any icmp probe), `log`, ipfilter, MAC filter, the NDP and RA options, rate limits.
* Datacenter and node (host) rules and the host `forwardPolicy`: they filter traffic to and routed by the
  PVE hosts, not between guests on bridges/VNets.
* Routing and NAT: whether a route exists is not checked; an allowed flow means "the firewall does not stop
  it". `internet` is an address outside every guest subnet (203.0.113.10, TEST-NET-3) with no firewall of its
  own; a flow from it enters at the destination's VNet and NIC. An IPv4 endpoint that is no guest's address (a
  tenant's own VM, not in the plan) has no firewall of its own either, and sits on the VNet of the guest NIC whose
  subnet holds it.
* VNet forward rules take effect only with the nftables `proxmox-firewall`; the model assumes it is in use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

CLUSTER_FW = "proxmoxve:cluster/firewallLegacy:FirewallLegacy"
OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
GROUP = "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy"
IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy"
ALIAS = "proxmoxve:firewall/aliasLegacy:AliasLegacy"
VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
VNET_FW = "pulumi-python:dynamic/proxcloud:VnetFirewallRules"

INTERNET = "internet"
INTERNET_IP = "203.0.113.10"

# PVE/Firewall.pm $pve_fw_macros (the ones the project uses); port None = every port of that protocol.
MACROS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "http": (("tcp", "80"),),
    "https": (("tcp", "443"),),
    "web": (("tcp", "80"), ("tcp", "443")),
    "ssh": (("tcp", "22"),),
    "mysql": (("tcp", "3306"),),
    "postgresql": (("tcp", "5432"),),
    "dns": (("udp", "53"), ("tcp", "53")),
    "ping": (("icmp", None),),
}
PROTO_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp"}
SERVICES = {"ssh": 22, "http": 80, "https": 443, "domain": 53, "mysql": 3306, "postgresql": 5432, "ntp": 123}
MAX_PORT = 65535
EPHEMERAL = 50000  # the source port of a probe that names none: a client's, which no rule of the plan names
DHCP_SERVER, DHCP_CLIENT = 67, 68
UNSPECIFIED, BROADCAST = ipaddress.IPv4Address("0.0.0.0"), ipaddress.IPv4Address("255.255.255.255")

Probe = tuple[str, int | None]


class Verdict(NamedTuple):
    """Whether a flow passes, and the stages that decided it (human-readable)."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


class FirewallModelError(ValueError):
    """The planned graph uses something this model cannot judge (an unknown macro, a missing ipset...)."""


@dataclass(frozen=True)
class Rule:
    """One rule, or one security-group insertion (`group` set)."""

    type: str
    action: str
    proto: str | None = None
    dport: str | None = None
    sport: str | None = None
    source: str | None = None
    dest: str | None = None
    iface: str | None = None
    macro: str | None = None
    enabled: bool = True
    group: str | None = None
    label: str = ""

    @classmethod
    def from_inputs(cls, raw: dict[str, Any], label: str) -> Rule:
        def text(key: str) -> str | None:
            value = raw.get(key)
            return None if value in (None, "", "[unknown]") else str(value)

        group = text("securityGroup")
        rtype = text("type") or ("group" if group else "in")
        action = text("action") or ""
        if rtype == "group" and not group:
            group = action
        enabled = raw.get("enabled", raw.get("enable", True))
        return cls(
            type=rtype,
            action=action.upper() if rtype != "group" else action,
            proto=(text("proto") or "").lower() or None,
            dport=text("dport"),
            sport=text("sport"),
            source=text("source"),
            dest=text("dest"),
            iface=text("iface"),
            macro=text("macro"),
            enabled=enabled not in (False, 0, "0", "false"),
            group=group,
            label=label,
        )


@dataclass(frozen=True)
class Nic:
    """One guest NIC: its index (`net<N>`), bridge (VNet id), address and firewall flag."""

    index: int
    bridge: str | None
    address: ipaddress.IPv4Interface | None
    firewall: bool
    gateway: bool


@dataclass
class Guest:
    """A VM or container as the firewall sees it."""

    name: str
    vm_id: int | None
    nics: list[Nic]
    enabled: bool = False
    input_policy: str = "DROP"
    output_policy: str = "ACCEPT"
    dhcp: bool = False
    rules: list[Rule] = field(default_factory=list)
    ipsets: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


@dataclass
class VnetFirewall:
    """One VNet's firewall (from VnetFirewallRules)."""

    vnet: str
    enabled: bool = False
    policy_forward: str = "ACCEPT"
    rules: list[Rule] = field(default_factory=list)


def _ordered(raw_rules: Sequence[dict[str, Any]], where: str) -> list[Rule]:
    indexed = [(r.get("pos") if isinstance(r.get("pos"), int) else i, i, r) for i, r in enumerate(raw_rules or [])]
    return [Rule.from_inputs(r, f"{where} rule {i}") for _, i, r in sorted(indexed, key=lambda t: (t[0], t[1]))]


def _ports(spec: str) -> list[tuple[int, int]]:
    """PVE dport syntax -> inclusive ranges."""
    out = []
    for item in spec.replace(" ", "").split(","):
        if not item:
            continue
        if ":" in item:
            low, high = item.split(":", 1)
            out.append((int(low), int(high)))
        elif item.isdigit():
            out.append((int(item), int(item)))
        elif item in SERVICES:
            out.append((SERVICES[item], SERVICES[item]))
        else:
            raise FirewallModelError(f"unknown port or service {item!r} in dport {spec!r}")
    return out


def _guest_key(inputs: dict[str, Any]) -> int | None:
    for key in ("vmId", "containerId"):
        value = inputs.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
    return None


class FirewallModel:
    """The firewall of a planned graph, ready to judge flows."""

    def __init__(self) -> None:
        self.cluster_enabled = False
        self.guests: dict[str, Guest] = {}
        self.groups: dict[str, list[Rule]] = {}
        self.ipsets: dict[str, list[tuple[str, bool]]] = {}
        self.aliases: dict[str, str] = {}
        self.vnets: dict[str, VnetFirewall] = {}

    # ------------------------------------------------------------------ building

    @classmethod
    def from_recording(cls, recording: Any) -> FirewallModel:
        """Read every firewall-relevant registration of a `tools.mockengine.Recording`."""
        model = cls()
        by_id: dict[int, Guest] = {}
        for reg in recording.resources:
            if reg.type in (VM, CT):
                guest = model._guest_from(reg.name, reg.inputs, reg.type)
                if guest.name in model.guests:
                    raise FirewallModelError(f"two guests named {guest.name!r}: endpoint names must be unique")
                model.guests[guest.name] = guest
                if guest.vm_id is not None:
                    by_id[guest.vm_id] = guest

        def guest_of(inputs: dict[str, Any], what: str) -> Guest | None:
            key = _guest_key(inputs)
            if key is None:
                return None
            if key not in by_id:
                raise FirewallModelError(f"{what} targets guest {key}, which is not in the plan")
            return by_id[key]

        for reg in recording.resources:
            inputs = reg.inputs
            if reg.type == CLUSTER_FW:
                model.cluster_enabled = bool(inputs.get("enabled", False))
            elif reg.type == OPTIONS:
                guest = guest_of(inputs, f"OptionsLegacy {reg.name}")
                if guest is not None:
                    guest.enabled = bool(inputs.get("enabled", False))
                    guest.input_policy = str(inputs.get("inputPolicy") or "DROP").upper()
                    guest.output_policy = str(inputs.get("outputPolicy") or "ACCEPT").upper()
                    guest.dhcp = bool(inputs.get("dhcp", False))
            elif reg.type == RULES:
                guest = guest_of(inputs, f"RulesLegacy {reg.name}")
                if guest is not None:
                    guest.rules = _ordered(inputs.get("rules") or [], f"{guest.name}")
            elif reg.type == GROUP:
                name = str(inputs.get("name") or reg.name)
                model.groups[name] = _ordered(inputs.get("rules") or [], f"group {name}")
            elif reg.type == IPSET:
                name = str(inputs.get("name") or reg.name)
                entries = [(str(c.get("name")), bool(c.get("nomatch", False))) for c in inputs.get("cidrs") or []]
                guest = guest_of(inputs, f"IpsetLegacy {reg.name}")
                (guest.ipsets if guest is not None else model.ipsets)[name] = entries
            elif reg.type == ALIAS:
                name = str(inputs.get("name") or reg.name).lower()
                guest = guest_of(inputs, f"AliasLegacy {reg.name}")
                (guest.aliases if guest is not None else model.aliases)[name] = str(inputs.get("cidr"))
            elif reg.type == VNET_FW:
                vnet = str(inputs.get("vnet"))
                options = inputs.get("options") or {}
                model.vnets[vnet] = VnetFirewall(
                    vnet=vnet,
                    enabled=bool(options.get("enable", False)),
                    policy_forward=str(options.get("policy_forward") or "ACCEPT").upper(),
                    rules=_ordered(inputs.get("rules") or [], f"vnet {vnet}"),
                )
        return model

    @staticmethod
    def _guest_from(resource_name: str, inputs: dict[str, Any], typ: str) -> Guest:
        name = inputs.get("name") or (inputs.get("initialization") or {}).get("hostname")  # VM name / CT hostname
        # "[secret]", or "[secret:<digest>]" in a plan made with a digest key (tools/mockengine.py)
        known = isinstance(name, str) and name != "[unknown]" and not name.startswith("[secret")
        name = name if known else resource_name
        devices = inputs.get("networkDevices" if typ == VM else "networkInterfaces") or []
        configs = (inputs.get("initialization") or {}).get("ipConfigs") or []
        nics = []
        for index, device in enumerate(devices):
            ipv4 = (configs[index].get("ipv4") or {}) if index < len(configs) else {}
            address = ipv4.get("address")
            try:
                parsed = ipaddress.IPv4Interface(address) if address not in (None, "dhcp") else None
            except ValueError:
                parsed = None  # IPv6 or unknown: not modelled
            nics.append(
                Nic(
                    index=index,
                    bridge=device.get("bridge"),
                    address=parsed,
                    firewall=bool(device.get("firewall", False)),
                    gateway=bool(ipv4.get("gateway")),
                )
            )
        return Guest(name=name, vm_id=_guest_key(inputs), nics=nics)

    # ------------------------------------------------------------------ addresses

    def endpoint_ip(self, endpoint: str, toward: ipaddress.IPv4Address | None = None) -> ipaddress.IPv4Address:
        """The address an endpoint uses: a guest's NIC on the peer's subnet, else its gateway NIC, else NIC 0."""
        if endpoint == INTERNET:
            return ipaddress.IPv4Address(INTERNET_IP)
        guest = self.guests.get(endpoint)
        if guest is None:
            return ipaddress.IPv4Address(endpoint)
        nic = self._nic_for(guest, toward)
        if nic is None or nic.address is None:
            raise FirewallModelError(f"guest {endpoint!r} has no IPv4 address in the plan")
        return nic.address.ip

    @staticmethod
    def _nic_for(guest: Guest, peer: ipaddress.IPv4Address | None) -> Nic | None:
        with_ip = [n for n in guest.nics if n.address is not None]
        if peer is not None:
            for nic in with_ip:
                if peer in nic.address.network:  # type: ignore[union-attr]
                    return nic
        for nic in with_ip:
            if nic.gateway:
                return nic
        return with_ip[0] if with_ip else (guest.nics[0] if guest.nics else None)

    def _guest_by_ip(self, ip: ipaddress.IPv4Address) -> tuple[Guest, Nic] | None:
        for guest in self.guests.values():
            for nic in guest.nics:
                if nic.address is not None and nic.address.ip == ip:
                    return guest, nic
        return None

    def _resolve_alias(self, name: str, guest: Guest | None) -> str:
        scope, _, bare = name.rpartition("/")
        bare = bare.lower()
        if scope in ("", "guest") and guest is not None and bare in guest.aliases:
            return guest.aliases[bare]
        if scope in ("", "dc") and bare in self.aliases:
            return self.aliases[bare]
        raise FirewallModelError(f"alias {name!r} is not defined in the plan")

    def _in_ipset(self, ref: str, ip: ipaddress.IPv4Address, guest: Guest | None) -> bool:
        scope, _, name = ref[1:].rpartition("/")
        entries = None
        if scope in ("", "guest") and guest is not None:
            entries = guest.ipsets.get(name)
        if entries is None and scope in ("", "dc"):
            entries = self.ipsets.get(name)
        if entries is None:
            raise FirewallModelError(f"ipset {ref!r} is not defined in the plan")
        matched = False
        for cidr, nomatch in entries:
            if self._address_matches(cidr, ip, guest):
                if nomatch:
                    return False
                matched = True
        return matched

    def _address_matches(self, spec: str | None, ip: ipaddress.IPv4Address, guest: Guest | None) -> bool:
        if spec is None:
            return True
        if spec.startswith("+"):
            return self._in_ipset(spec, ip, guest)
        if spec[0].isalpha() and ":" not in spec:
            spec = self._resolve_alias(spec, guest)
        for element in spec.split(","):
            element = element.strip()
            if "-" in element:
                low, high = (ipaddress.ip_address(p) for p in element.split("-", 1))
                if low.version == 4 and low <= ip <= high:  # type: ignore[operator]
                    return True
                continue
            network = ipaddress.ip_network(element, strict=False)
            if network.version == 4 and ip in network:
                return True
        return False

    # ------------------------------------------------------------------ rule evaluation

    def _expand(self, rules: Iterable[Rule], direction: str) -> Iterable[Rule]:
        """Rules of one direction in order, security groups expanded in place (their iface/enabled applied)."""
        for rule in rules:
            if not rule.enabled:
                continue
            if rule.group is not None:
                if rule.group not in self.groups:
                    raise FirewallModelError(f"{rule.label}: security group {rule.group!r} is not in the plan")
                for inner in self.groups[rule.group]:
                    if inner.enabled and inner.type == direction:
                        yield Rule(
                            type=inner.type,
                            action=inner.action,
                            proto=inner.proto,
                            dport=inner.dport,
                            sport=inner.sport,
                            source=inner.source,
                            dest=inner.dest,
                            iface=rule.iface or inner.iface,
                            macro=inner.macro,
                            label=f"{rule.label} -> {inner.label}",
                        )
            elif rule.type == direction:
                yield rule

    def _matches(
        self,
        rule: Rule,
        src: ipaddress.IPv4Address,
        dst: ipaddress.IPv4Address,
        proto: str,
        port: int | None,
        iface: str | None,
        guest: Guest | None,
        sport: int = EPHEMERAL,
    ) -> bool:
        if rule.iface is not None and rule.iface != iface:
            return False
        if not self._address_matches(rule.source, src, guest) or not self._address_matches(rule.dest, dst, guest):
            return False
        if rule.macro is not None:
            entries = MACROS.get(rule.macro.lower())
            if entries is None:
                known = sorted(MACROS)
                raise FirewallModelError(f"{rule.label}: macro {rule.macro!r} is not modelled (known: {known})")
            return any(self._proto_port(p, d, proto, port) for p, d in entries)
        if (rule.dport is not None or rule.sport is not None) and rule.proto is None:
            return False
        if rule.sport is not None and proto != "icmp" and not self._proto_port(None, rule.sport, proto, sport):
            return False
        return self._proto_port(rule.proto, rule.dport, proto, port)

    @staticmethod
    def _proto_port(rule_proto: str | None, rule_dport: str | None, proto: str, port: int | None) -> bool:
        if rule_proto is not None and PROTO_NUMBERS.get(rule_proto, rule_proto) != proto:
            return False
        if rule_dport is None or proto == "icmp":
            return True
        return port is not None and any(low <= port <= high for low, high in _ports(rule_dport))

    def _stage(
        self,
        rules: Iterable[Rule],
        direction: str,
        policy: str,
        flow: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address, str, int | None, int],
        iface: str | None,
        guest: Guest | None,
        where: str,
    ) -> tuple[bool, str]:
        src, dst, proto, port, sport = flow
        for rule in self._expand(rules, direction):
            if self._matches(rule, src, dst, proto, port, iface, guest, sport):
                return rule.action == "ACCEPT", f"{where}: {rule.label} {rule.action}"
        return policy == "ACCEPT", f"{where}: no rule matched, policy {policy}"

    def _guest_stage(
        self,
        guest: Guest,
        nic: Nic,
        direction: str,
        flow: tuple[ipaddress.IPv4Address, ipaddress.IPv4Address, str, int | None, int],
    ) -> tuple[bool, str]:
        """One guest's IN or OUT chain for a flow on one of its NICs: the `dhcp` option first, then its rules."""
        where = f"{guest.name} {direction.upper()}"
        if not (guest.enabled and nic.firewall):
            return True, f"{where}: unfiltered (firewall off on guest or net{nic.index})"
        _, _, proto, port, sport = flow
        client_side = (DHCP_CLIENT, DHCP_SERVER) if direction == "out" else (DHCP_SERVER, DHCP_CLIENT)
        if proto == "udp" and (sport, port) == client_side:
            state = "on: allow" if guest.dhcp else "off: block"
            return guest.dhcp, f"{where}: dhcp option {state}-dhcp-{direction}"
        policy = guest.output_policy if direction == "out" else guest.input_policy
        return self._stage(guest.rules, direction, policy, flow, f"net{nic.index}", guest, where)

    def _vnet_of(self, ip: ipaddress.IPv4Address) -> str | None:
        """The VNet of an address no guest has (a tenant's own VM): the bridge of a guest NIC whose subnet holds it."""
        for guest in self.guests.values():
            for nic in guest.nics:
                if nic.address is not None and ip in nic.address.network and nic.bridge:
                    return nic.bridge
        return None

    def _judge(
        self,
        what: str,
        src: tuple[Guest | None, Nic | None, ipaddress.IPv4Address],
        dst: tuple[Guest | None, Nic | None, ipaddress.IPv4Address],
        proto: str,
        port: int | None,
        sport: int,
        passed: Sequence[str],
    ) -> Verdict:
        """A new flow through the source guest's OUT chain, the forward chains of the VNets `passed`, and the
        destination guest's IN chain (each guest: on the NIC given; None: no firewall of its own)."""
        (src_guest, src_nic, src_ip), (dst_guest, dst_nic, dst_ip) = src, dst
        flow = (src_ip, dst_ip, proto, port, sport)
        if not self.cluster_enabled:
            return Verdict(True, f"{what}: datacenter firewall disabled, nothing is filtered")
        steps: list[str] = []
        if src_guest is not None and src_nic is not None:
            ok, why = self._guest_stage(src_guest, src_nic, "out", flow)
            steps.append(why)
            if not ok:
                return Verdict(False, f"{what}: " + "; ".join(steps))
        for vnet in passed:
            vfw = self.vnets.get(vnet)
            if vfw is None or not vfw.enabled:
                steps.append(f"vnet {vnet} forward: unfiltered (VNet firewall off)")
                continue
            ok, why = self._stage(vfw.rules, "forward", vfw.policy_forward, flow, None, None, f"vnet {vnet} forward")
            steps.append(why)
            if not ok:
                return Verdict(False, f"{what}: " + "; ".join(steps))
        if dst_guest is not None and dst_nic is not None:
            ok, why = self._guest_stage(dst_guest, dst_nic, "in", flow)
            steps.append(why)
            if not ok:
                return Verdict(False, f"{what}: " + "; ".join(steps))
        return Verdict(True, f"{what}: " + "; ".join(steps))

    def allowed(self, src: str, dst: str, proto: str, port: int | None = None, sport: int | None = None) -> Verdict:
        """Does the firewall let a new flow from `src` to `dst` through? src/dst: guest name, "internet" or IPv4;
        `sport`: the source port (an ephemeral one when omitted)."""
        proto = PROTO_NUMBERS.get(proto, proto).lower()
        if proto not in ("tcp", "udp", "icmp"):
            raise FirewallModelError(f"proto {proto!r}: the model judges tcp, udp and icmp")
        if proto != "icmp" and port is None:
            raise FirewallModelError(f"a {proto} flow needs a destination port")
        dst_guest = self.guests.get(dst)
        src_guest = self.guests.get(src)
        # Addresses: each side picks the NIC facing the other (for guests), else the given IP.
        rough_src = self.endpoint_ip(src)
        dst_ip = self.endpoint_ip(dst, toward=rough_src)
        src_ip = self.endpoint_ip(src, toward=dst_ip)
        # A guest named by one of its addresses uses the NIC with that address.
        src_found = None if src_guest or src == INTERNET else self._guest_by_ip(src_ip)
        dst_found = None if dst_guest or dst == INTERNET else self._guest_by_ip(dst_ip)
        src_guest, src_nic = src_found or (src_guest, self._nic_for(src_guest, dst_ip) if src_guest else None)
        dst_guest, dst_nic = dst_found or (dst_guest, self._nic_for(dst_guest, src_ip) if dst_guest else None)
        # the VNets the flow passes: each side's NIC, or the VNet an unplanned address sits on
        passed: list[str] = []
        for nic, name, ip in ((src_nic, src, src_ip), (dst_nic, dst, dst_ip)):
            bridge = nic.bridge if nic is not None else (None if name == INTERNET else self._vnet_of(ip))
            if bridge and bridge not in passed:
                passed.append(bridge)
        what = f"{src} ({src_ip}) -> {dst} ({dst_ip}) {proto}{'' if port is None else '/' + str(port)}"
        if sport is not None:
            what += f" from port {sport}"
        return self._judge(
            what,
            (src_guest, src_nic, src_ip),
            (dst_guest, dst_nic, dst_ip),
            proto,
            port,
            EPHEMERAL if sport is None else sport,
            passed,
        )

    def dhcp(self, vnet: str, server: str, client: str) -> Verdict:
        """A whole DHCP exchange on `vnet` between the router `server` and `client` (a guest name, or the IPv4 address
        a host not in the plan leases): the request from 0.0.0.0 to the broadcast address and the renewal from the
        lease to the server (udp 68 -> 67), the offer to the broadcast address and the ack to the lease (67 -> 68);
        each through the sender's OUT, the VNet's forward and the receiver's IN chain (planned guests only)."""
        server_guest = self.guests.get(server)
        server_nic = self._nic_on(server_guest, vnet) if server_guest is not None else None
        if server_guest is None or server_nic is None or server_nic.address is None:
            raise FirewallModelError(f"{server!r} is no guest with an address on {vnet!r}")
        client_guest = self.guests.get(client)
        client_nic = self._nic_on(client_guest, vnet) if client_guest is not None else None
        if client_guest is not None and (client_nic is None or client_nic.address is None):
            raise FirewallModelError(f"guest {client!r} has no address on {vnet!r}")
        lease = client_nic.address.ip if client_nic is not None else ipaddress.IPv4Address(client)  # type: ignore[union-attr]
        router = server_nic.address.ip
        c, srv = (client_guest, client_nic), (server_guest, server_nic)
        legs = (
            ("request", (*c, UNSPECIFIED), (*srv, BROADCAST), DHCP_CLIENT, DHCP_SERVER),
            ("renewal", (*c, lease), (*srv, router), DHCP_CLIENT, DHCP_SERVER),
            ("offer", (*srv, router), (*c, BROADCAST), DHCP_SERVER, DHCP_CLIENT),
            ("ack", (*srv, router), (*c, lease), DHCP_SERVER, DHCP_CLIENT),
        )
        verdicts = [
            self._judge(f"dhcp {name} on {vnet} ({a[2]}:{sp} -> {b[2]}:{dp})", a, b, "udp", dp, sp, [vnet])  # type: ignore[arg-type]
            for name, a, b, sp, dp in legs
        ]
        return Verdict(all(v.ok for v in verdicts), " | ".join(v.reason for v in verdicts))

    @staticmethod
    def _nic_on(guest: Guest, vnet: str) -> Nic | None:
        return next((n for n in guest.nics if n.bridge == vnet), None)

    def reaches(self, src: str, dst: str, proto: str, port: int | None = None, sport: int | None = None) -> bool:
        """`allowed(...)` as a plain bool."""
        return self.allowed(src, dst, proto, port, sport).ok

    # ------------------------------------------------------------------ matrix

    def probes(self) -> list[Probe]:
        """Probes that cover every behaviour of the plan's rules exactly.

        For tcp and udp, every port where some rule's port set starts or ends (plus port 1) is a probe: all
        ports between two consecutive probes match exactly the same rules, so they get the same verdict.
        One icmp probe stands for all icmp (ICMP types are not modelled).
        """
        starts = {1}
        rules: list[Rule] = [r for g in self.guests.values() for r in g.rules]
        rules += [r for group in self.groups.values() for r in group]
        rules += [r for v in self.vnets.values() for r in v.rules]
        for rule in rules:
            specs = [d for _, d in MACROS.get((rule.macro or "").lower(), ())] if rule.macro else [rule.dport]
            for spec in specs:
                if spec is None:
                    continue
                for low, high in _ports(spec):
                    starts.add(low)
                    if high < MAX_PORT:
                        starts.add(high + 1)
        ports = sorted(starts)
        return [(p, port) for p in ("tcp", "udp") for port in ports] + [("icmp", None)]

    def matrix(
        self, endpoints: Sequence[str], probes: Sequence[Probe] | None = None
    ) -> dict[tuple[str, str], set[Probe]]:
        """{(src, dst): allowed probes} for every ordered pair of distinct endpoints (guest names, "internet").

        Without `probes`, `self.probes()` is used, which makes the matrix exact over all ports.
        """
        chosen = list(probes) if probes is not None else self.probes()
        out: dict[tuple[str, str], set[Probe]] = {}
        for src in endpoints:
            for dst in endpoints:
                if src == dst:
                    continue
                out[(src, dst)] = {(p, port) for p, port in chosen if self.allowed(src, dst, p, port).ok}
        return out

    def differences(
        self,
        intended: dict[tuple[str, str], set[Probe]],
        probes: Sequence[Probe] | None = None,
    ) -> list[str]:
        """Every flow where the plan and the intent disagree, with the stages that decided it; [] if none.

        `intended` maps each ordered (src, dst) pair to its allowed probes; pairs not listed are intended to
        allow nothing. Endpoints are the names used in `intended`.
        """
        endpoints = sorted({name for pair in intended for name in pair})
        chosen = list(probes) if probes is not None else self.probes()
        out = []
        for src in endpoints:
            for dst in endpoints:
                if src == dst:
                    continue
                wanted = intended.get((src, dst), set())
                for proto, port in chosen:
                    verdict = self.allowed(src, dst, proto, port)
                    if verdict.ok != ((proto, port) in wanted):
                        state = "OPEN but not intended" if verdict.ok else "CLOSED but intended"
                        out.append(f"{state}: {verdict.reason}")
        return out
