"""Load tenant files and stack settings, check the rules that span files, allocate, and return a Platform.

Every problem found is collected and raised together as one SpecError, so a user fixes them in one go.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from model.containers import Container
from model.dhcp import check_dhcp, check_dhcp_server
from model.drill import check_drill
from model.edge import resolve_edge
from model.errors import Problem, SpecError
from model.files import path_text, read_yaml
from model.guests import Guest
from model.notifications import check_notifications
from model.platform import DhcpPool, Nic, Platform, TenantSpec, Vm, Vnet
from model.settings import SECRET_CONFIG_KEYS, VXLAN_OVERHEAD, StackSettings
from model.storage import managed, managed_pool
from model.tenant import VNIS_PER_TENANT, TenantFile
from model.types import HOST_NAME, PATH, Invalid
from render.router import EDGE_LINK_LOCAL
from services import kind_of, present, routes

CONFIG_NAMESPACE = "proxcloud"
TENANT_DOCS = "see tenants/README.md"
STACK_DOCS = "see README.md (Stacks)"


def _loc(loc: Iterable[int | str]) -> str:
    return path_text(loc)


def _fix(err: Any, docs: str) -> str:
    """The fix for one of pydantic's own error kinds (ours carry theirs: model.types.Invalid)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "write a whole number, without quotes (true/false is not a number)"
    if kind in ("float_type", "float_parsing"):
        return "write a number, without quotes (true/false is not a number)"
    if kind in ("bool_type", "bool_parsing"):
        return "write true or false, without quotes"
    if kind == "string_type":
        return "write text; put it in quotes if YAML reads it as a number, date or true/false"
    if kind in ("list_type", "tuple_type", "set_type"):
        return "write a list: one `- item` per line, or [a, b]"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "write a mapping: one `key: value` per line below it"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        limits = {"greater_than_equal": "at least", "greater_than": "more than"}
        limits |= {"less_than_equal": "at most", "less_than": "less than"}
        return f"use a value {limits[kind]} {next(iter(ctx.values()), '')}".rstrip()
    if kind == "too_short":
        return f"give at least {ctx.get('min_length', 1)} item(s)"
    if kind == "too_long":
        return f"give at most {ctx.get('max_length', '')} item(s)"
    if kind in ("literal_error", "enum"):
        return f"use one of {ctx.get('expected', 'the values listed')}"
    return docs


def _problems(exc: ValidationError, file: str, prefix: str = "", docs: str = TENANT_DOCS) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        loc = [p for p in loc if p != "[key]"]
        kind = err["type"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, Invalid):
            problems.append(Problem(file, prefix + _loc([*loc, *cause.at]), cause.message, cause.fix))
            continue
        field = prefix + _loc(loc)
        if kind == "extra_forbidden":
            problems.append(Problem(file, field, "unknown key", f"remove it or correct its spelling; {docs}"))
        elif kind == "missing":
            problems.append(Problem(file, field, "is required", f"add it; {docs}"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, field, msg, _fix(err, docs)))
    return problems


def _validate(
    model: type[BaseModel], data: Any, file: str, prefix: str = "", docs: str = TENANT_DOCS
) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _problems(exc, file, prefix, docs)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false"}.get(
        type(value), "not a mapping"
    )


def read_tenant_file(path: Path, shown_as: str) -> tuple[TenantFile | None, list[Problem]]:
    """Read and validate one tenant file on its own: encoding, YAML, shape, fields, its own name, the
    uniqueness inside it. None (and the problems) unless all of it holds."""
    data, problems = read_yaml(path, shown_as)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [
            Problem(
                shown_as,
                "(top level)",
                f"is {_kind(data)}, not a mapping of tenant fields",
                f"start with `name: {path.stem}` and the other fields, one `key: value` per line; {TENANT_DOCS}",
            )
        ]
    tf, problems = _validate(TenantFile, data, shown_as)
    if tf is None:
        return None, problems
    if path.stem != tf.name:
        problems.append(
            Problem(
                shown_as,
                "name",
                f"tenant {tf.name} is in a file named {path.name}",
                f"rename the file to {tf.name}.yaml (one file per tenant, named after it), or set name: {path.stem}",
            )
        )
    problems += _check_inside(tf, shown_as)
    return (None if problems else tf), problems


def _check_inside(tf: TenantFile, source: str) -> list[Problem]:
    """What must be unique inside one tenant: its people, VNets, storages, guest names and slots, forwards."""
    guests: list[Guest[Any]] = [*tf.guest_vms(), *tf.guest_containers()]
    return [
        *_unique(((u.name, source, f"users[{i}].name") for i, u in enumerate(tf.users)), "user", "list each once"),
        *_unique(
            ((v.id, source, f"vnets[{i}].id") for i, v in enumerate(tf.vnets)), "VNet id", "give each VNet its own id"
        ),
        *_unique(((s, source, f"storages[{i}]") for i, s in enumerate(tf.storages)), "storage", "list each once"),
        *_unique(
            ((g.spec.name, source, g.at("name")) for g in guests),
            "guest name",
            "give each VM and container its own name",
        ),
        *_unique(
            ((g.spec.slot, source, g.at("slot")) for g in guests),
            "slot",
            "slots are unique per tenant across VMs, containers and service guests: pick a free one",
        ),
        *_unique(
            ((f"{f.proto}/{f.public_port}", source, f"forwards[{i}].public_port") for i, f in enumerate(tf.forwards)),
            "forward of",
            "forward each public port once",
        ),
    ]


SLOTS_PER_TENANT = 100  # hosted nets: index = tenant number * 100 + slot (VLAN id, /30 and /64 number)
MAX_VLAN = 4094


def _mac(vm_id: int, nic: int) -> str:
    """Locally administered, unicast, unique per VM ID and NIC: stable link-local addresses for routing."""
    raw = [0x02, (vm_id >> 24) & 0xFF, (vm_id >> 16) & 0xFF, (vm_id >> 8) & 0xFF, vm_id & 0xFF, nic]
    return ":".join(f"{b:02X}" for b in raw)


def _mirror(address: ipaddress.IPv4Address) -> int | None:
    digits = "".join(str(address).split("."))
    return int(digits) if len(digits) <= 9 and int(digits) >= 100 else None


def hosted_net(
    number: int, slot: int, settings: StackSettings
) -> tuple[int, ipaddress.IPv4Network, ipaddress.IPv6Network] | str:
    """(VLAN, /30, /64) of a hosted net on the provider edge's transit VNet, or why there is none."""
    if settings.hosting is None or settings.edge is None:
        return "the stack has no proxcloud:hosting pools and proxcloud:edge router for dedicated networks"
    index = number * SLOTS_PER_TENANT + slot
    v4, v6 = settings.hosting.ipv4_pool, settings.hosting.ipv6_pool
    if index > MAX_VLAN or index >= v4.num_addresses // 4 or index >= 2 ** (64 - v6.prefixlen):
        return (
            f"tenant number {number} slot {slot} gives hosted net {index}, outside VLANs 1-{MAX_VLAN} or the "
            f"hosting pools {v4} / {v6} (hosting tenants need numbers up to 40)"
        )
    net4 = ipaddress.IPv4Network((int(v4.network_address) + index * 4, 30))
    net6 = ipaddress.IPv6Network((int(v6.network_address) + (index << 64), 64))
    return index, net4, net6


def _hosted_nic(
    vm_id: int, nic: int, vlan: int, net4: ipaddress.IPv4Network, net6: ipaddress.IPv6Network, settings: StackSettings
) -> Nic:
    """A NIC on the transit VNet, tagged with its VLAN: VM .2/30 with the edge .1 as gateway; the /64 routed to the
    NIC's link-local (render/router.py), so the VM configures ::2 of it as a /128 (nothing of the /64 is on the link;
    ::2 keeps the address hosted VMs had when the /64 was on-link) with the edge's fixed link-local as gateway."""
    assert settings.edge is not None
    return Nic(
        bridge=settings.edge.transit_vnet,
        vlan=vlan,
        ipv4=ipaddress.IPv4Interface(f"{net4.network_address + 2}/30"),
        gateway4=net4.network_address + 1,
        mtu=settings.underlay.mtu - VXLAN_OVERHEAD,
        mac=_mac(vm_id, nic),
        ipv6=ipaddress.IPv6Interface(f"{net6.network_address + 2}/128"),
        gateway6=EDGE_LINK_LOCAL,
        routed6=net6,
    )


def _source_fields(g: Guest[Any]) -> tuple[tuple[str, str], ...]:
    """A guest's own field overrides, plus: a VM ID the program derives comes from the slot."""
    fields = dict(g.fields)
    if g.spec.vm_id is None:
        fields["vm_id"] = g.at("slot")
    return tuple(sorted(fields.items()))


def _node_problem(source: str, field: str, node: str, nodes: list[str]) -> Problem:
    return Problem(
        source, field, f"'{node}' is not a node of this stack", f"use one of {', '.join(nodes)}, or leave it out"
    )


def spread_of(settings: StackSettings, number: int) -> tuple[str, ...]:
    """The nodes automatic placement and replicas of tenant `number` choose from, in stack order: those whose
    `place_tenants_from` it has reached. A node added later with the next free number moves no guest and no
    replica of the tenants before it (the modulus and the replica ring stay theirs)."""
    return tuple(n.name for n in settings.nodes if n.place_tenants_from <= number)


def _place(
    g: Guest[Any], tf: TenantFile, source: str, nodes: list[str], spread: tuple[str, ...]
) -> tuple[int, str] | Problem:
    """A guest's VM ID and node (VMs and containers alike): as written, or derived from the tenant number and slot
    over the tenant's spread (`spread_of`)."""
    spec = g.spec
    if spec.node is not None and spec.node not in nodes:
        return _node_problem(source, g.at("node"), spec.node, nodes)
    if spec.node is None and not spread:
        return Problem(
            source,
            "number",
            f"no node places tenant number {tf.number}: every node's placeTenantsFrom is larger",
            "set placeTenantsFrom 0 on at least one node of the stack config, or give the guest a node",
        )
    node = spec.node or spread[(tf.number + spec.slot) % len(spread)]
    if spec.vm_id == "mirror":
        vm_id = _mirror(spec.address) if spec.address else None
        if vm_id is None:
            return Problem(source, g.at("vm_id"), f"{spec.address} has no VM ID mirror of 3-9 digits", "set a number")
        return vm_id, node
    return (spec.vm_id if isinstance(spec.vm_id, int) else tf.number * 1000 + spec.slot), node


def _lan_nic(g: Guest[Any], source: str, vnets: dict[str, Vnet], vm_id: int, router: bool = False) -> Nic | Problem:
    """A guest's NIC on a tenant VNet at its static address; the router holds the gateway address itself."""
    spec = g.spec
    net = vnets.get(spec.vnet)
    if net is None:
        return Problem(
            source,
            g.at("vnet"),
            f"'{spec.vnet}' is not a VNet of this tenant",
            f"use one of {', '.join(vnets) or '(none: add vnets)'}",
        )
    taken = (net.cidr.network_address, net.cidr.broadcast_address) + (() if router else (net.gateway,))
    if spec.address not in net.cidr or spec.address in taken:
        return Problem(
            source,
            g.at("address"),
            f"{spec.address} is not a free host address of {net.id} {net.cidr} (gateway {net.gateway})",
            f"use an address inside {net.cidr} other than its network, broadcast and gateway addresses",
        )
    return Nic(
        bridge=net.id,
        ipv4=ipaddress.IPv4Interface(f"{spec.address}/{net.cidr.prefixlen}"),
        gateway4=None if router else net.gateway,
        mtu=net.mtu,
        mac=_mac(vm_id, 0),
    )


def _uplink(
    g: Guest[Any], tf: TenantFile, source: str, settings: StackSettings, vm_id: int, index: int, field: str
) -> Nic | Problem:
    """A hosted net on the provider edge's transit VNet (setup B's VMs, the tenant router's uplink in setup D)."""
    hosted = hosted_net(tf.number, g.spec.slot, settings)
    if isinstance(hosted, str):
        fix = (
            "add proxcloud:hosting and proxcloud:edge to the stack, or give the VM a vnet and address"
            if settings.hosting is None or settings.edge is None
            else "use a smaller tenant number or slot"
        )
        return Problem(source, field, hosted, fix)
    return _hosted_nic(vm_id, index, *hosted, settings)


def _router_nics(
    g: Guest[Any], tf: TenantFile, source: str, settings: StackSettings, vnets: dict[str, Vnet], vm_id: int, lan: Nic
) -> list[Nic] | Problem:
    """The tenant router's (its proxy's) NICs after its first: the gateway of every other tenant VNet, then its
    WAN - its own public NIC (setup A), or a hosted net to the provider edge."""
    assert tf.proxy is not None
    nics: list[Nic] = []
    for other in vnets.values():
        if other.id != lan.bridge:
            nics.append(
                Nic(
                    bridge=other.id,
                    ipv4=ipaddress.IPv4Interface(f"{other.gateway}/{other.cidr.prefixlen}"),
                    gateway4=None,
                    mtu=other.mtu,
                    mac=_mac(vm_id, 1 + len(nics)),
                )
            )
    if not tf.proxy.public:
        uplink = _uplink(g, tf, source, settings, vm_id, 1 + len(nics), g.at("slot"))
        return uplink if isinstance(uplink, Problem) else [*nics, uplink]
    pub = settings.public_addresses.get(tf.name)
    if pub is None or pub.gateway4 is None:
        return Problem(
            source,
            "proxy.public",
            "the proxy wants its own public NIC, but the stack has no public address with gateway for tenant "
            f"{tf.name}",
            f"add proxcloud:publicAddresses.{tf.name} (ipv4, gateway4, ipv6, gateway6)",
        )
    public = Nic(
        bridge=settings.public_bridge,
        ipv4=pub.ipv4,
        gateway4=pub.gateway4,
        mtu=1500,
        mac=_mac(vm_id, 1 + len(nics)),
        ipv6=pub.ipv6,
        gateway6=pub.gateway6,
    )
    return [*nics, public]


def _resolve_vms(
    tf: TenantFile, source: str, settings: StackSettings, vnets: dict[str, Vnet]
) -> tuple[list[Vm], list[Problem]]:
    """VM ids, placement and addressing. A VM without vnet gets a hosted net (setup B): its own VLAN on the
    provider edge's transit VNet, a /30 and a /64. The tenant's router (the kind of build phase 0, its proxy) gets
    the gateway addresses of the tenant's VNets and a WAN NIC (`_router_nics`)."""
    problems: list[Problem] = []
    vms: list[Vm] = []
    nodes = [n.name for n in settings.nodes]
    spread = spread_of(settings, tf.number)
    keys = tuple(settings.admin_ssh_keys)
    for g in tf.guest_vms():
        v = g.spec
        kind = kind_of(g.field)
        router = kind is not None and kind.phase == 0
        placed = _place(g, tf, source, nodes, spread)
        if isinstance(placed, Problem):
            problems.append(placed)
            continue
        vm_id, node = placed
        nics: list[Nic] = []
        if v.vnet is not None:
            nic = _lan_nic(g, source, vnets, vm_id, router)
            if isinstance(nic, Problem):
                problems.append(nic)
                continue
            nics.append(nic)
        if router:
            more = _router_nics(g, tf, source, settings, vnets, vm_id, nics[0])
        elif not nics:
            uplink = _uplink(g, tf, source, settings, vm_id, 0, g.field)
            more = uplink if isinstance(uplink, Problem) else [uplink]
        else:
            more = []
        if isinstance(more, Problem):
            problems.append(more)
            continue
        nics += more
        vms.append(
            Vm(
                tenant=tf.name,
                spread=spread,
                name=v.name,
                slot=v.slot,
                vm_id=vm_id,
                node=node,
                role=v.role,
                cores=v.cores,
                memory_mb=v.memory_mb,
                disk_gb=v.disk_gb,
                nics=tuple(nics),
                ssh_keys=tuple(dict.fromkeys(keys + tuple(v.ssh_keys))),
                guest_agent=v.guest_agent,
                stateful=v.stateful,
                protect=not tf.retiring and (v.protect or (settings.protect_stateful and v.stateful)),
                description=v.description,
                pool_id=managed_pool(tf.name) if kind is not None and kind.provider_managed else tf.name,
                stateless_reason=v.stateless_reason,
                keep_apart_from=tuple(v.keep_apart_from),
                source=g.field,
                source_fields=_source_fields(g),
            )
        )
    return vms, problems


def _resolve_containers(
    tf: TenantFile, source: str, settings: StackSettings, vnets: dict[str, Vnet]
) -> tuple[list[Container], list[Problem]]:
    """Container ids, placement and addressing: always on a tenant VNet with a static address."""
    problems: list[Problem] = []
    out: list[Container] = []
    nodes = [n.name for n in settings.nodes]
    spread = spread_of(settings, tf.number)
    for g in tf.guest_containers():
        c = g.spec
        placed = _place(g, tf, source, nodes, spread)
        if isinstance(placed, Problem):
            problems.append(placed)
            continue
        vm_id, node = placed
        nic = _lan_nic(g, source, vnets, vm_id)
        if isinstance(nic, Problem):
            problems.append(nic)
            continue
        out.append(
            Container(
                tenant=tf.name,
                spread=spread,
                name=c.name,
                vm_id=vm_id,
                node=node,
                role=c.role,
                cores=c.cores,
                memory_mb=c.memory_mb,
                disk_gb=c.disk_gb,
                nics=(nic,),
                ssh_keys=tuple(settings.admin_ssh_keys),
                pool_id=tf.name,
                stateful=c.stateful,
                protect=not tf.retiring and settings.protect_stateful and c.stateful,
                description=f"{c.role} container of tenant {tf.name}",
                nesting=c.nesting,
                source=g.field,
                source_fields=_source_fields(g),
            )
        )
    if out and settings.container_template is None:
        problems.append(
            Problem(
                source,
                "containers" if tf.containers else out[0].source,
                "the stack has no proxcloud:containerTemplate",
                "add it to the stack config",
            )
        )
    return out, problems


def proxy_hosts(tf: TenantFile | TenantSpec, domain: str) -> list[tuple[str, str]]:
    """(host name, field) of every route the tenant's proxy serves, in the order the proxy gets them."""
    return [(r.route.host, r.field) for r in routes(tf, domain)] if tf.proxy is not None else []


def _resolve_tenant(tf: TenantFile, source: str, settings: StackSettings) -> tuple[TenantSpec, list[Problem]]:
    problems: list[Problem] = []
    limit = settings.underlay.mtu - VXLAN_OVERHEAD
    mtu = tf.zone.mtu if tf.zone.mtu is not None else limit
    if mtu > limit:
        problems.append(
            Problem(
                source,
                "zone.mtu",
                f"{mtu} is more than the underlay MTU {settings.underlay.mtu} minus {VXLAN_OVERHEAD} bytes of VXLAN",
                f"set it to {limit} or less, or leave it out",
            )
        )
    platform_stores = {settings.datastores.vm, settings.datastores.snippets, settings.datastores.images}
    problems += [
        Problem(
            source,
            f"storages[{i}]",
            f"{s} is a datastore the platform shares (proxcloud:datastores): no quota, other owners' volumes on it",
            "remove it: the tenant gets its own <name>-iso and <name>-disks storages (docs/security.md)",
        )
        for i, s in enumerate(tf.storages)
        if s in platform_stores
    ]
    vnets = []
    for i, v in enumerate(tf.vnets):
        if v.vni is None and i + 1 >= VNIS_PER_TENANT:
            problems.append(Problem(source, f"vnets[{i}].vni", "no default VNI past 99 VNets", "set vni explicitly"))
        vni = v.vni if v.vni is not None else tf.number * VNIS_PER_TENANT + i + 1
        gateway = v.gateway if v.gateway is not None else next(v.cidr.hosts())
        dhcp = DhcpPool(v.dhcp.start, v.dhcp.end, v.dhcp.lease_time) if v.dhcp is not None else None
        vnets.append(Vnet(v.id, tf.zone.id, vni, v.cidr, gateway, mtu, v.description, dhcp))
    vms, vm_problems = _resolve_vms(tf, source, settings, {v.id: v for v in vnets})
    problems += vm_problems
    containers, ct_problems = _resolve_containers(tf, source, settings, {v.id: v for v in vnets})
    problems += ct_problems
    problems += [p for kind in present(tf) for p in kind.problems(tf, [v.id for v in vnets], source)]
    if tf.all_vms() and settings.image is None:
        problems.append(
            Problem(source, "vms", "the stack has no proxcloud:image to boot VMs from", "add proxcloud:image")
        )
    if tf.proxy is not None:
        hosts = proxy_hosts(tf, settings.domain)
        for host, field in hosts:
            if not HOST_NAME.fullmatch(host):  # only the derived names can fail: the declared ones are typed
                problems.append(
                    Problem(
                        source,
                        field,
                        f"its host name {host} is not a valid DNS name",
                        "shorten the tenant name or proxcloud:domain",
                    )
                )
        problems += _unique(
            ((host, source, field) for host, field in hosts),
            "host name",
            "the proxy routes each host name to one upstream: give each service its own host name",
        )
    tenant = TenantSpec(
        name=tf.name,
        number=tf.number,
        description=tf.description,
        access=tf.access,
        users=tuple(tf.users),
        zone_id=tf.zone.id,
        zone_mtu=mtu,
        vnets=tuple(vnets),
        storages=tuple(tf.storages),
        storage_quota_gb=tf.storage_quota_gb,
        source=source,
        vms=tuple(vms),
        containers=tuple(containers),
        backup_allowance_gb=tf.backup_allowance_gb,
        services={kind.key: getattr(tf, kind.key) for kind in present(tf)},
        retiring=tf.retiring,
    )
    problems += check_dhcp(tenant, settings)
    return tenant, problems


def _unique(items: Iterable[tuple[Any, str, str]], what: str, fix: str) -> list[Problem]:
    """items: (value, file, field). A value seen twice is a problem at its second place."""
    seen: dict[Any, tuple[str, str]] = {}
    problems = []
    for value, file, field in items:
        if value in seen:
            first_file, first_field = seen[value]
            problems.append(
                Problem(file, field, f"{what} {value} is already used by {first_file} ({first_field})", fix)
            )
        else:
            seen[value] = (file, field)
    return problems


def _overlaps(networks: list[tuple[ipaddress.IPv4Network, str, str]], fixed_file: str) -> list[Problem]:
    """Sort by start address; a network starting before the furthest end seen so far overlaps it.

    The problem is reported at the tenant side; networks from `fixed_file` (the stack config) are not blamed.
    """
    problems = []
    ordered = sorted(networks, key=lambda n: (int(n[0].network_address), -n[0].prefixlen))
    reach: tuple[ipaddress.IPv4Network, str, str] | None = None
    for item in ordered:
        net = item[0]
        if reach is not None and int(net.network_address) <= int(reach[0].broadcast_address):
            blamed, other = (reach, item) if item[1] == fixed_file else (item, reach)
            problems.append(
                Problem(
                    blamed[1],
                    blamed[2],
                    f"{blamed[0]} overlaps {other[0]} of {other[1]} ({other[2]})",
                    "give each network its own address range",
                )
            )
        if reach is None or int(net.broadcast_address) > int(reach[0].broadcast_address):
            reach = item
    return problems


def check_platform(
    tenants: list[TenantSpec], settings: StackSettings, config_file: str, known: Iterable[str] | None = None
) -> list[Problem]:
    """Rules across all tenants of one stack (one cluster). `known`: every tenant name this stack reads (files
    with problems of their own too), so that nothing is blamed on their absence."""
    problems: list[Problem] = []
    problems += _unique(((t.name, t.source, "name") for t in tenants), "tenant name", "rename one tenant")
    problems += _unique(
        ((t.number, t.source, "number") for t in tenants), "tenant number", "give each tenant its own number"
    )
    # A tenant's pool is its name; the provider-managed guests of tenant x sit in pool `x-managed`
    # (model/storage.py managed_pool): a tenant named `x-managed` would share that pool with x's provider guests.
    problems += _unique(
        [
            *((managed_pool(t.name), t.source, "name") for t in tenants if managed(t)),
            *((t.pool_id, t.source, "name") for t in tenants),
        ],
        "pool",
        "a tenant's name is its pool; `<tenant>-managed` is the provider's pool for that tenant: rename the tenant",
    )
    edge = settings.edge
    problems += _unique(
        [
            *([(edge.transit_zone, config_file, f"{CONFIG_NAMESPACE}:edge.transitZone")] if edge else []),
            *((t.zone_id, t.source, "zone.id") for t in tenants),
        ],
        "zone id",
        "zone ids are cluster-wide; pick another",
    )
    vnet_places = [(t, i, v) for t in tenants for i, v in enumerate(t.vnets)]
    transit = [(edge.transit_vnet, config_file, f"{CONFIG_NAMESPACE}:edge.transitVnet")] if edge else []
    problems += _unique(
        [*transit, *((v.id, t.source, f"vnets[{i}].id") for t, i, v in vnet_places)],
        "VNet id",
        "VNet ids are cluster-wide bridge names; pick another",
    )
    problems += _unique(
        [
            *([(edge.transit_vni, config_file, f"{CONFIG_NAMESPACE}:edge.transitVni")] if edge else []),
            *((v.vni, t.source, f"vnets[{i}].vni") for t, i, v in vnet_places),
        ],
        "VNI",
        "VNIs are cluster-wide; set another",
    )
    # A PVE user id is cluster-wide, and each tenant manages its users as its own resources: two tenants naming
    # the same person would fight over one PVE account.
    problems += _unique(
        ((u.user_id, t.source, f"users[{i}].name") for t in tenants for i, u in enumerate(t.users)),
        "user",
        "a PVE user belongs to one tenant; give the person a distinct account name in the other tenant",
    )
    # A listed storage becomes a member of the tenant's pool (components/tenant_storage.py): one tenant's only
    # (issue 14 finding 3: a storage two tenants allocate on has no per-tenant quota and mixes their volumes).
    problems += _unique(
        ((s, t.source, f"storages[{i}]") for t in tenants for i, s in enumerate(t.storages)),
        "storage",
        "a dedicated storage belongs to one tenant; give the other tenant its own (or none: it has <name>-disks)",
    )
    guests = [(t, vm) for t in tenants for vm in t.guests]
    edge_vm = [(edge.name, edge.vm_id)] if edge else []
    problems += _unique(
        [
            *((vm_id, config_file, f"{CONFIG_NAMESPACE}:edge.vmId") for _, vm_id in edge_vm),
            *((vm.vm_id, t.source, vm.field("vm_id")) for t, vm in guests),
        ],
        "VM ID",
        "VM IDs are cluster-wide: set another vm_id (or another slot)",
    )
    problems += _unique(
        [
            *((name, config_file, f"{CONFIG_NAMESPACE}:edge.name") for name, _ in edge_vm),
            *((vm.name, t.source, vm.field("name")) for t, vm in guests),
        ],
        "VM name",
        "VM names are host names; keep them unique in the stack",
    )
    problems += _unique(
        ((str(vm.address), t.source, vm.field("address")) for t, vm in guests),
        "address",
        "give each VM its own address",
    )
    names = {vm.name for _, vm in guests}
    for t, vm in guests:
        for j, other in enumerate(getattr(vm, "keep_apart_from", ())):
            if other not in names or other == vm.name:
                problems.append(
                    Problem(
                        t.source,
                        f"{vm.field('keep_apart_from')}[{j}]",
                        f"'{other}' is not another VM of this stack",
                        "name another VM of the stack, or remove it",
                    )
                )
    if settings.backup is None:
        for t, vm in guests:
            if vm.stateful:
                problems.append(
                    Problem(
                        t.source,
                        vm.source,
                        f"stateful {'VM' if isinstance(vm, Vm) else 'container'} {vm.name} would have no backup: "
                        "the stack has no proxcloud:backup",
                        "add proxcloud:backup to the stack config, or mark it stateful: false with a reason",
                    )
                )
    names_known = {t.name for t in tenants} | set(known or ())
    for name in settings.public_addresses:
        if name not in names_known:
            problems.append(
                Problem(
                    config_file,
                    f"{CONFIG_NAMESPACE}:publicAddresses.{name}",
                    "is not a tenant of this stack",
                    "remove it, or add the tenant file (and its name to proxcloud:tenants, if that is set)",
                )
            )
    public = [(edge.public_ipv4.ip, config_file, f"{CONFIG_NAMESPACE}:edge.publicIpv4")] if edge else []
    public += [
        (nic.ipv4.ip, config_file, f"{CONFIG_NAMESPACE}:publicAddresses.{name}.ipv4")
        for name, nic in settings.public_addresses.items()
    ]
    problems += _unique(public, "public address", "give each tenant its own public address")
    bridge = settings.public_bridge
    problems += [
        Problem(t.source, f"vnets[{i}].id", f"'{v.id}' is the public bridge's name", "pick another VNet id")
        for t, i, v in vnet_places
        if v.id == bridge
    ]
    problems += _unique(
        (
            (host, t.source, field)
            for t in tenants
            if t.proxy is not None
            for host, field in proxy_hosts(t, settings.domain)
        ),
        "host name",
        "a public host name is served by one proxy: give each service its own host name",
    )
    nets = [(v.cidr, t.source, f"vnets[{i}].cidr") for t, i, v in vnet_places]
    nets.append((settings.underlay.cidr, config_file, f"{CONFIG_NAMESPACE}:underlay.cidr"))
    if settings.hosting is not None:
        nets.append((settings.hosting.ipv4_pool, config_file, f"{CONFIG_NAMESPACE}:hosting.ipv4Pool"))
    problems += _overlaps(nets, config_file)
    return problems


def check_settings(settings: StackSettings, config_file: str) -> list[Problem]:
    """Rules across the fields of the stack config."""
    ns = CONFIG_NAMESPACE
    problems = _unique(
        ((n.name, config_file, f"{ns}:nodes[{i}].name") for i, n in enumerate(settings.nodes)),
        "node name",
        "list each node once",
    )
    problems += _unique(
        ((n.vtep, config_file, f"{ns}:nodes[{i}].vtep") for i, n in enumerate(settings.nodes)),
        "VTEP address",
        "give each node its own address on the underlay",
    )
    underlay = settings.underlay.cidr
    if underlay.prefixlen > 30:
        problems.append(
            Problem(config_file, f"{ns}:underlay.cidr", f"{underlay} holds no VTEP addresses", "use a /30 or larger")
        )
    for i, n in enumerate(settings.nodes):
        if n.vtep not in underlay or n.vtep in (underlay.network_address, underlay.broadcast_address):
            problems.append(
                Problem(
                    config_file,
                    f"{ns}:nodes[{i}].vtep",
                    f"{n.vtep} is not a host address of the underlay {underlay}",
                    f"use an address inside {underlay} other than its network and broadcast addresses",
                )
            )
    edge = settings.edge
    names = [n.name for n in settings.nodes]
    if edge is not None and edge.node is not None and edge.node not in names:
        problems.append(_node_problem(config_file, f"{ns}:edge.node", edge.node, names))
    if (
        edge is not None
        and settings.hosting is not None
        and settings.hosting.ipv6_pool.overlaps(edge.public_ipv6.network)
    ):
        problems.append(
            Problem(
                config_file,
                f"{ns}:hosting.ipv6Pool",
                f"{settings.hosting.ipv6_pool} overlaps the edge's public IPv6 network {edge.public_ipv6.network}",
                "route the hosted /64s from a pool of their own",
            )
        )
    if edge is not None and edge.transit_vnet == settings.public_bridge:
        problems.append(
            Problem(
                config_file,
                f"{ns}:edge.transitVnet",
                f"'{edge.transit_vnet}' is the public bridge's name",
                "pick another VNet id",
            )
        )
    return problems


def _settings(config: Mapping[str, Any], config_file: str) -> tuple[StackSettings | None, list[Problem]]:
    plain = {k: v for k, v in config.items() if k not in SECRET_CONFIG_KEYS}
    settings, problems = _validate(StackSettings, plain, config_file, f"{CONFIG_NAMESPACE}:", STACK_DOCS)
    if settings is not None:
        problems += check_settings(settings, config_file)
    return settings, problems


def load_settings(config: Mapping[str, Any], config_file: str) -> StackSettings:
    """Validate the `proxcloud:` config keys (given without the namespace)."""
    settings, problems = _settings(config, config_file)
    if problems or settings is None:
        raise SpecError(problems)
    return settings


def _tenant_folder(
    config: Mapping[str, Any], settings: StackSettings | None, project_dir: Path, config_file: str
) -> tuple[str | None, Path | None, list[Problem]]:
    """The folder of the tenant files (as written, and resolved), or why there is none."""
    name = settings.tenants_dir if settings is not None else config.get("tenantsDir", "tenants")
    field = f"{CONFIG_NAMESPACE}:tenantsDir"
    if settings is None and not (isinstance(name, str) and PATH.fullmatch(name)):
        return None, None, []  # the settings have problems of their own; read the tenant files if the folder is usable
    folder = project_dir / name
    if folder.resolve() == project_dir.resolve():
        return (
            None,
            None,
            [
                Problem(
                    config_file,
                    field,
                    f"'{name}' is the project folder itself (it holds the stack files, not tenant files)",
                    "use the folder of the tenant files, e.g. tenants",
                )
            ],
        )
    if not folder.is_dir():
        return (
            None,
            None,
            [
                Problem(
                    config_file,
                    field,
                    f"folder {name} does not exist",
                    "create it with the tenant files, or set proxcloud:tenantsDir to their folder",
                )
            ],
        )
    return name, folder, []


def load_platform(
    project: str, stack: str, config: Mapping[str, Any], project_dir: Path, config_file: str | None = None
) -> Platform:
    """The whole spec layer: stack settings + tenant files -> a checked, allocated Platform.

    Every problem is collected; what follows from an earlier problem (a tenant file that did not load, stack
    settings that did not validate) is not checked further, so nothing is reported twice or in the wrong place.
    """
    config_file = config_file or f"Pulumi.{stack}.yaml"
    settings, problems = _settings(config, config_file)
    shown_dir, folder, folder_problems = _tenant_folder(config, settings, project_dir, config_file)
    problems += folder_problems
    tenants: list[TenantSpec] = []
    parsed: dict[str, TenantFile] = {}
    stems: set[str] = set()
    if folder is not None:
        files = sorted(folder.glob("*.yaml"))
        problems += [
            Problem(
                f"{shown_dir}/{p.name}",
                "(file name)",
                "is not read: tenant files end in .yaml",
                f"rename it to {p.stem}.yaml",
            )
            for p in sorted(folder.glob("*.yml"))
        ]
        selected = settings.tenants if settings is not None else None
        if selected is not None:
            present = {f.stem for f in files}
            for i, name in enumerate(selected):
                if name not in present:
                    problems.append(
                        Problem(
                            config_file,
                            f"{CONFIG_NAMESPACE}:tenants[{i}]",
                            f"no tenant file {shown_dir}/{name}.yaml",
                            "create it or remove the name",
                        )
                    )
            files = [f for f in files if f.stem in set(selected)]
        for path in files:
            stems.add(path.stem)
            shown = f"{shown_dir}/{path.name}"
            tf, file_problems = read_tenant_file(path, shown)
            problems += file_problems
            if tf is not None and settings is not None:
                tenant, tenant_problems = _resolve_tenant(tf, shown, settings)
                problems += tenant_problems
                tenants.append(tenant)
                parsed.setdefault(tf.name, tf)
    if settings is None:
        raise SpecError(problems)
    if folder is not None:
        problems += check_platform(tenants, settings, config_file, stems)
        problems += check_notifications(settings, config_file) + check_drill(tenants, settings, config_file)
    edge = None
    if not problems:
        problems += [p for t in tenants for p in check_dhcp_server(t, settings)]
    if not problems:
        edge, edge_problems = resolve_edge(tenants, parsed, settings, config_file)
        problems += edge_problems
    if problems:
        raise SpecError(problems)
    return Platform(project=project, stack=stack, settings=settings, tenants=tuple(tenants), edge=edge)
