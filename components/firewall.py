"""Firewall: the PVE firewall of the whole stack, generated from the intended flows (model/flows.py).

- Cluster: firewall on, input DROP for the hosts with their management ports open to `management` and the operators'
  `admins-<hash>` only and VXLAN (udp/4789) between the VTEPs; nftables (`proxmox-firewall`) on every node, which
  VNet rules need. The cluster firewall (DROP) comes after the IP sets and host rules it relies on.
- IP sets: `world` (everything but private ranges), `management` (the underlay), `admins-<hash>` (the edge's
  adminFrom), `vteps-<hash>`, and per tenant `t<N>-lans`. A change of an IP set's entries replaces it (bpg v0.111.1
  proxmoxtf/resource/firewall/ipset.go `cidr` ForceNew), and the bridge would delete it first (an explicit name):
  the sets that routine changes edit (admins: adminFrom; vteps: a node added) are therefore named after their
  content and replaced create-before-delete - the new set exists and the host rules point at it before the old
  one is deleted, so DROP is never in force without them. `management` keeps PVE's name (pve-firewall
  src/PVE/Firewall.pm ruleset_create_cluster_chain: PVE opens 8006, 22, consoles and migration to the set named
  `management`, and always adds the cluster network to it), holding only the underlay, which routine changes
  never touch.
- Security groups per tenant and role (`t<N>-<role>`) with the role's inbound flows, each commented with its reason.
- Every guest: firewall on, input DROP, output ACCEPT, MAC filter; its rules insert its role's group, then its own
  flows (forwards), then what routers need (a proxy routes its tenant's egress, the edge its hosted nets').
- Every tenant VNet: forward policy DROP; the flows inside it, and egress to `world` (through the proxy).
- DHCP (model/flows.py `dhcp_flows`): on a VNet with a range, the router accepts DHCP and DNS from the VNet's hosts on
  its NIC there, the VNet forwards them and the router's answers, and guests on it get PVE's `dhcp` option.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from components.vnet_firewall import VnetFirewallRules, VnetFirewallRulesArgs, pve_connection
from model.containers import Container
from model.flows import CLIENTS, DHCP_SERVER, INTERNET, Flow, all_flows, source_address
from model.platform import Platform, TenantSpec, Vm

BROADCAST = "255.255.255.255"  # where a DHCP client without an address sends its requests
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8")
Rules = px.firewall.RulesLegacyRuleArgs
_SET_REF = re.compile(r"\+dc/([A-Za-z0-9_-]+)")


def sets_used(rules: Sequence[object], by_set: Mapping[str, pulumi.Resource]) -> list[pulumi.Resource]:
    """The IP sets the rules name in a source or dest (`+dc/<name>`): what they must be created after, as PVE
    refuses a rule naming a missing set (pve-firewall src/PVE/Firewall.pm `verify_rule`, "no such ipset"). Only
    those: depending on every set made the edges grow with the square of the tenants (docs/performance.md)."""
    found: set[str] = set()
    for r in rules:
        for key in ("source", "dest"):
            value = r.get(key) if isinstance(r, dict) else getattr(r, key, None)
            if isinstance(value, str):
                found.update(_SET_REF.findall(value))
    return [by_set[n] for n in sorted(found) if n in by_set]


# What reaches the PVE hosts themselves (cluster-level rules; the input policy is DROP). `{admins}` and `{vteps}`
# are the content-named IP sets (content_name).
MANAGEMENT_PORTS = (
    ("tcp", "8006", "PVE GUI and API for the operators"),
    ("tcp", "22", "SSH to the nodes (operators; the provider's snippet uploads)"),
    ("tcp", "5900:5999,3128", "VNC and SPICE consoles"),
)
HOST_RULES = (
    *((proto, port, "+dc/management", why) for proto, port, why in MANAGEMENT_PORTS),
    *((proto, port, "+dc/{admins}", f"{why}, from the edge's adminFrom") for proto, port, why in MANAGEMENT_PORTS),
    ("udp", "4789", "+dc/{vteps}", "VXLAN between the nodes' tunnel ends"),
    ("tcp", "8006", "+dc/pve-clients", "PVE API for tenants' Telegraf (read-only tokens), from the SNAT addresses"),
)


def content_name(base: str, cidrs: list[str]) -> str:
    """`<base>-<8 hex>` of the entries: a change of the entries is a new name, so the set is replaced
    create-before-delete (PVE shortens long set names itself: pve-firewall Firewall.pm compute_ipset_chain_name)."""
    digest = hashlib.sha256("\n".join(sorted(cidrs)).encode()).hexdigest()[:8]
    return f"{base}-{digest}"


def snat_addresses(p: Platform) -> list[str]:
    """Where tenant traffic to the world comes from: the edge's primary address, proxies' own public NICs."""
    out = [str(p.settings.edge.public_ipv4.ip)] if p.settings.edge is not None else []
    for t in p.tenants:
        for vm in t.vms:
            if vm.role == "proxy":
                out += [str(n.ipv4.ip) for n in vm.nics if n.bridge == p.settings.public_bridge and n.ipv4]
    return sorted(set(out))


def group_name(t: TenantSpec, role: str) -> str:
    """PVE security group names are cluster-wide and short: tenant number + role, at most 18 characters."""
    return f"t{t.number}-{role}"[:18]


@dataclass
class FirewallArgs:
    """Inputs of Firewall."""

    platform: Platform
    """The resolved platform: tenants, VMs, VNets, the edge."""
    machines: dict[str, pulumi.Resource]
    """VM name -> its VmLegacy (rules are written after the VM exists)."""
    sdn_applier: pulumi.Resource
    """The stack's SDN apply: VNet firewall writes need applied VNets."""


class Firewall(pulumi.ComponentResource):
    """Every firewall object of the stack."""

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:Firewall", name, None, opts)
        p = args.platform
        child = pulumi.ResourceOptions(parent=self)
        flows = all_flows(p)
        # Flows between a router and the hosts of one of its VNets (DHCP, DNS); the rest is between named endpoints.
        lan_flows = [f for f in flows if CLIENTS in (f.src, f.dst)]
        guest_flows = [f for f in flows if CLIENTS not in (f.src, f.dst)]
        dhcp_vnets = {v.id for t in p.tenants for v in t.vnets if v.dhcp is not None}
        routers = {t.proxy.name for t in p.tenants if t.proxy is not None}
        self.nodes = [
            px.node.Firewall(f"{name}-node-{n}", node_name=n, enabled=True, nftables=True, opts=child)
            for n in p.node_names
        ]
        admins = [str(c) for c in (p.settings.edge.admin_from if p.settings.edge else [])]
        names = {"admins": content_name("admins", admins), "vteps": content_name("vteps", list(p.vteps))}
        # content-named sets: replaced create-before-delete, overriding the bridge's delete-first for named resources
        new_first = pulumi.ResourceOptions(parent=self, delete_before_replace=False)
        ipsets = [
            px.firewall.IpsetLegacy(
                f"{name}-world",
                name="world",
                comment="the internet: everything but private and special ranges",
                # two halves: PVE refuses a zero prefix in an IP set (pve-firewall src/PVE/API2/Firewall/IPSet.pm
                # create_ip, "a zero prefix is not allowed in ipset entries")
                cidrs=[px.firewall.IpsetLegacyCidrArgs(name=n) for n in ("0.0.0.0/1", "128.0.0.0/1")]
                + [px.firewall.IpsetLegacyCidrArgs(name=c, nomatch=True) for c in PRIVATE],
                opts=child,
            ),
            px.firewall.IpsetLegacy(
                f"{name}-management",
                name="management",
                comment="the underlay: PVE opens GUI, SSH, consoles and migration to this set",
                cidrs=[px.firewall.IpsetLegacyCidrArgs(name=str(p.settings.underlay.cidr))],
                opts=child,
            ),
            px.firewall.IpsetLegacy(
                f"{name}-pve-clients",
                name="pve-clients",
                comment="public addresses tenants' API clients (Telegraf) come from, after SNAT",
                cidrs=[px.firewall.IpsetLegacyCidrArgs(name=a) for a in snat_addresses(p)]
                or [px.firewall.IpsetLegacyCidrArgs(name="127.0.0.1/32", comment="no SNAT address in this stack")],
                opts=child,
            ),
            # a new resource name (not `{name}-vteps`, the set named `vteps` before): the first `up` creates the
            # content-named set and deletes the old one after the host rules moved - a rename in place (bpg
            # ipset.go ipSetUpdate renames) would leave the rules naming a missing set meanwhile
            px.firewall.IpsetLegacy(
                f"{name}-vteps-set",
                name=names["vteps"],
                comment="VXLAN tunnel ends of the nodes",
                cidrs=[px.firewall.IpsetLegacyCidrArgs(name=v) for v in p.vteps],
                opts=new_first,
            ),
        ]
        if admins:
            ipsets.append(
                px.firewall.IpsetLegacy(
                    f"{name}-admins",
                    name=names["admins"],
                    comment="the operators (the edge's adminFrom): GUI, SSH and consoles of the PVE hosts",
                    cidrs=[px.firewall.IpsetLegacyCidrArgs(name=c) for c in admins],
                    opts=new_first,
                )
            )
        ipsets += [
            px.firewall.IpsetLegacy(
                f"{name}-{t.name}-lans",
                name=f"t{t.number}-lans",
                comment=f"the VNets of tenant {t.name}",
                cidrs=[px.firewall.IpsetLegacyCidrArgs(name=str(v.cidr)) for v in t.vnets],
                opts=child,
            )
            for t in p.tenants
            if t.vnets
        ]
        self.ipsets = ipsets
        set_names = ["world", "management", "pve-clients", names["vteps"], *([names["admins"]] if admins else [])]
        set_names += [f"t{t.number}-lans" for t in p.tenants if t.vnets]
        by_set = dict(zip(set_names, ipsets, strict=True))
        self.host_rules = px.firewall.RulesLegacy(
            f"{name}-hosts",
            rules=[
                Rules(type="in", action="ACCEPT", proto=proto, dport=dport, source=source.format(**names), comment=why)
                for proto, dport, source, why in HOST_RULES
                if admins or "{admins}" not in source
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=ipsets),
        )
        # DROP only once the sets and rules that let the operators and the tunnels in exist
        self.cluster = px.cluster.FirewallLegacy(
            f"{name}-cluster",
            enabled=True,
            ebtables=True,
            input_policy="DROP",
            output_policy="ACCEPT",
            log_ratelimit=px.cluster.FirewallLegacyLogRatelimitArgs(enabled=True, burst=5, rate="1/second"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*ipsets, self.host_rules]),
        )
        vms: dict[str, tuple[TenantSpec | None, Vm | Container]] = {g.name: (t, g) for t in p.tenants for g in t.guests}
        if p.edge is not None:
            vms[p.edge.vm.name] = (None, p.edge.vm)
        by_role: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        own: dict[str, list[Flow]] = defaultdict(list)
        for f in guest_flows:
            tenant, vm = vms[f.dst]
            # role-level flows (between guests, and into proxies) go to the role group; the rest per guest
            if tenant is not None and (f.src != INTERNET or vm.role == "proxy"):
                by_role[(tenant.name, vm.role)].append(f)
            else:
                own[f.dst].append(f)
        self.groups: dict[tuple[str, str], px.cluster.firewall.security.GroupLegacy] = {}
        tenants = {t.name: t for t in p.tenants}
        for (tname, role), role_flows in sorted(by_role.items()):
            t = tenants[tname]
            seen: set[tuple[str, str, int, str]] = set()
            rules = []
            for f in role_flows:
                source = self._source(f, vms)
                key = (source, f.proto, f.port, f.why)
                if key in seen:
                    continue
                seen.add(key)
                rules.append(
                    Rules(type="in", action="ACCEPT", proto=f.proto, dport=str(f.port), source=source, comment=f.why)
                )
            self.groups[(tname, role)] = px.cluster.firewall.security.GroupLegacy(
                f"{name}-{tname}-{role}",
                name=group_name(t, role),
                comment=f"inbound of {role} guests of tenant {tname}",
                rules=rules,
                opts=pulumi.ResourceOptions(parent=self, depends_on=sets_used(rules, by_set)),
            )
        for vm_name, (t, vm) in sorted(vms.items()):
            machine = args.machines[vm_name]
            after_vm = pulumi.ResourceOptions(parent=self, depends_on=[machine])
            # The API path follows the guest type (bpg proxmoxtf/resource/firewall/selector.go `firewallAPIFor`:
            # vm_id -> /qemu/<id>/firewall, container_id -> /lxc/<id>/firewall); options and rules alike.
            guest_id = {"container_id": vm.vm_id} if isinstance(vm, Container) else {"vm_id": vm.vm_id}
            # PVE's `dhcp` option opens the client side of DHCP only: pve-firewall src/PVE/Firewall.pm
            # `ruleset_create_vm_chain` accepts udp 68->67 out and 67->68 in when it is on; proxmox-firewall (the
            # nftables firewall the nodes run) jumps to `allow-dhcp-in/out` when on and to `block-dhcp-in/out` (drop
            # 67->68 in, 68->67 out) when off, before the guest's rules. So a guest on a VNet with a DHCP range (it
            # holds a fixed lease there) needs it; the router serves (68->67 in, 67->68 out, which those chains
            # never match), accepts DHCP by its rules below, and is no DHCP client: off, like every other guest.
            dhcp_client = vm.name not in routers and any(n.bridge in dhcp_vnets for n in vm.nics)
            px.firewall.OptionsLegacy(
                f"{name}-{vm_name}-options",
                node_name=vm.node,
                **guest_id,
                enabled=True,
                input_policy="DROP",
                output_policy="ACCEPT",
                macfilter=True,
                ipfilter=False,
                dhcp=dhcp_client,
                ndp=True,
                radv=False,
                opts=after_vm,
            )
            rules = []
            if t is not None and (t.name, vm.role) in self.groups:
                rules.append(Rules(security_group=group_name(t, vm.role), comment=f"role {vm.role}"))
            for f in own.get(vm_name, []):
                rules.append(
                    Rules(
                        type="in",
                        action="ACCEPT",
                        proto=f.proto,
                        dport=str(f.port),
                        source=self._source(f, vms),
                        comment=f.why,
                    )
                )
            rules += self._client_rules(vm, lan_flows)
            rules += self._router_rules(t, vm, p)
            if rules:
                # after its security group (pve-firewall src/PVE/API2/Firewall/Rules.pm: "no such security group")
                group = [self.groups[(t.name, vm.role)]] if t is not None and (t.name, vm.role) in self.groups else []
                needs = [machine, *group, *sets_used(rules, by_set)]
                px.firewall.RulesLegacy(
                    f"{name}-{vm_name}-rules",
                    node_name=vm.node,
                    **guest_id,
                    rules=rules,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=needs),
                )
        conn = pve_connection()
        self.vnet_firewalls = []
        for t in p.tenants:
            for vnet in t.vnets:
                # flows between the tenant's guests that cross this VNet: into a guest on it, or out of one on it
                on_vnet = self._addresses(vnet.id, vms)
                crossing = [
                    f
                    for f in guest_flows
                    if f.src != INTERNET
                    and vms[f.dst][0] is t
                    and (self._on(vms[f.dst][1], vnet.id) or self._source(f, vms) in on_vnet)
                ]
                rules = [
                    {
                        "type": "forward",
                        "action": "ACCEPT",
                        "proto": f.proto,
                        "dport": str(f.port),
                        "source": self._source(f, vms),
                        "dest": self._dest(vms[f.dst][1], vms[f.src][1]),
                        "comment": f.why,
                    }
                    for f in crossing
                ]
                rules += [self._client_vnet_rule(f, vms) for f in lan_flows if f.vnet == vnet.id]
                rules.append(
                    {
                        "type": "forward",
                        "action": "ACCEPT",
                        "source": str(vnet.cidr),
                        "dest": "+dc/world",
                        "comment": "egress to the internet through the tenant's router",
                    }
                )
                self.vnet_firewalls.append(
                    VnetFirewallRules(
                        f"{name}-{vnet.id}-vnet",
                        VnetFirewallRulesArgs(
                            vnet=vnet.id,
                            endpoint=conn.endpoint,
                            insecure=conn.insecure,
                            rules=rules,
                            options={"enable": True, "policy_forward": "DROP"},
                        ),
                        opts=pulumi.ResourceOptions(
                            parent=self, depends_on=[args.sdn_applier, *sets_used(rules, by_set)]
                        ),
                    )
                )
        self.register_outputs({"flows": len(flows), "groups": sorted(g for _, g in self.groups)})

    @staticmethod
    def _client_dest(f: Flow, router: str) -> str:
        """Where the hosts of a VNet send a flow to their router: its address, and for DHCP requests also the
        broadcast address (a client without a lease has no router address to send to)."""
        return f"{router},{BROADCAST}" if f.port == DHCP_SERVER else router

    @staticmethod
    def _router_nic(router: Vm | Container, vnet: str | None) -> tuple[int, str]:
        """(index, address) of the router's NIC on the VNet."""
        for index, nic in enumerate(router.nics):
            if nic.bridge == vnet and nic.ipv4 is not None:
                return index, str(nic.ipv4.ip)
        raise AssertionError(f"router {router.name} has no NIC on {vnet}")

    @classmethod
    def _client_rules(cls, vm: Vm | Container, lan_flows: list[Flow]) -> list[px.firewall.RulesLegacyRuleArgs]:
        """What a router accepts from the hosts of one of its VNets (DHCP, DNS): on its NIC there only."""
        rules = []
        for f in lan_flows:
            if f.dst != vm.name:
                continue
            index, address = cls._router_nic(vm, f.vnet)
            rules.append(
                Rules(
                    type="in",
                    action="ACCEPT",
                    iface=f"net{index}",
                    proto=f.proto,
                    sport=str(f.sport) if f.sport else None,
                    dport=str(f.port),
                    source=",".join(f.source_cidrs) or None,
                    dest=cls._client_dest(f, address),
                    comment=f.why,
                )
            )
        return rules

    @classmethod
    def _client_vnet_rule(cls, f: Flow, vms: dict[str, tuple[TenantSpec | None, Vm | Container]]) -> dict[str, str]:
        """A VNet forward rule between the router and the VNet's hosts (either way)."""
        to_router = f.src == CLIENTS
        _, address = cls._router_nic(vms[f.dst if to_router else f.src][1], f.vnet)
        rule = {"type": "forward", "action": "ACCEPT", "proto": f.proto, "dport": str(f.port), "comment": f.why}
        if f.sport:
            rule["sport"] = str(f.sport)
        if to_router:
            rule["dest"] = cls._client_dest(f, address)
            if f.source_cidrs:
                rule["source"] = ",".join(f.source_cidrs)
        else:
            rule["source"] = address
        return rule

    @staticmethod
    def _on(guest: Vm | Container, bridge: str) -> bool:
        return any(n.bridge == bridge and n.ipv4 is not None for n in guest.nics)

    @staticmethod
    def _addresses(bridge: str, vms: dict[str, tuple[TenantSpec | None, Vm | Container]]) -> set[str]:
        return {str(n.ipv4.ip) for _, g in vms.values() for n in g.nics if n.bridge == bridge and n.ipv4 is not None}

    @staticmethod
    def _dest(dst: Vm | Container, src: Vm | Container) -> str:
        """The destination's address the source talks to (on a shared VNet, else its first VNet address)."""
        address = source_address(dst, src)
        assert address is not None
        return str(address)

    @classmethod
    def _source(cls, f: Flow, vms: dict[str, tuple[TenantSpec | None, Vm | Container]]) -> str:
        if f.src == INTERNET:
            return ",".join(f.source_cidrs) if f.source_cidrs else "+dc/world"
        address = source_address(vms[f.src][1], vms[f.dst][1])
        assert address is not None, f"flow {f} has no network path"
        return str(address)

    @staticmethod
    def _router_rules(t: TenantSpec | None, vm: Vm | Container, p: Platform) -> list[px.firewall.RulesLegacyRuleArgs]:
        """Routers forward their clients' traffic: it arrives on their NICs addressed to someone else. What is
        addressed to the router itself is dropped here, after the flows into it that are allowed above."""
        own_public = ",".join(
            str(n.ipv4.ip) for n in vm.nics if n.ipv4 is not None and n.bridge == p.settings.public_bridge
        )
        if vm.role == "proxy" and t is not None and t.vnets:
            lans = f"+dc/t{t.number}-lans"
            own_lan = ",".join(
                str(n.ipv4.ip)
                for n in vm.nics
                if n.ipv4 is not None and n.vlan is None and n.bridge != p.settings.public_bridge
            )
            rules = [Rules(type="in", action="DROP", source=lans, dest=own_lan, comment="not to the router itself")]
            if own_public:
                rules.append(
                    Rules(type="in", action="DROP", source=lans, dest=own_public, comment="not to the router itself")
                )
            return [
                *rules,
                Rules(
                    type="in",
                    action="ACCEPT",
                    source=lans,
                    dest=lans,
                    comment="route between the tenant's VNets; the VNets' and guests' own rules decide",
                ),
                Rules(
                    type="in",
                    action="ACCEPT",
                    source=lans,
                    dest="+dc/world",
                    comment=f"route tenant {t.name}'s egress to the internet",
                ),
            ]
        if vm.role == "edge" and p.settings.hosting is not None:
            pool = str(p.settings.hosting.ipv4_pool)
            drop = [Rules(type="in", action="DROP", source=pool, dest=own_public, comment="not to the router itself")]
            return [
                *(drop if own_public else []),
                Rules(
                    type="in",
                    action="ACCEPT",
                    source=pool,
                    dest="+dc/world",
                    comment="route hosted VMs' and tenant uplinks' egress to the internet",
                ),
            ]
        return []
