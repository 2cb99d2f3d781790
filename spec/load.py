"""Load tenant files and stack settings, check the rules that span files, allocate, and return a Platform.

Every problem found is collected and raised together as one SpecError, so a user fixes them in one go.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from render.router import EDGE_LINK_LOCAL
from spec.containers import Container
from spec.dhcp import check_dhcp
from spec.drill import check_drill
from spec.edge import resolve_edge
from spec.errors import Problem, SpecError
from spec.models import SECRET_CONFIG_KEYS, VNIS_PER_TENANT, VXLAN_OVERHEAD, StackSettings, TenantFile
from spec.notifications import check_notifications
from spec.platform import DhcpPool, Nic, Platform, Tenant, Vm, Vnet

CONFIG_NAMESPACE = "proxcloud"
# libyaml's parser (in PyYAML's wheels) reads tenant files 7x faster than the pure-Python one (90% of the spec
# load at 1000 tenants, see docs/performance.md); same safe constructors, same error line numbers.
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TENANT_DOCS = "see tenants/README.md"


def _loc(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _problems(exc: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        field = prefix + _loc(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            problems.append(Problem(file, field, "unknown key", f"remove it or correct its spelling; {TENANT_DOCS}"))
        elif kind == "missing":
            problems.append(Problem(file, field, "is required", f"add it; {TENANT_DOCS}"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, field, msg))
    return problems


def _validate(model: type[BaseModel], data: Any, file: str, prefix: str = "") -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _problems(exc, file, prefix)


def read_tenant_file(path: Path, shown_as: str) -> tuple[TenantFile | None, list[Problem]]:
    """Parse and validate one tenant file on its own."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(yaml)"
        return None, [Problem(shown_as, where, f"is not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [Problem(shown_as, "(top level)", "must be a mapping of tenant fields", TENANT_DOCS)]
    return _validate(TenantFile, data, shown_as)


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


def _resolve_vms(
    tf: TenantFile, source: str, settings: StackSettings, vnets: dict[str, Vnet]
) -> tuple[list[Vm], list[Problem]]:
    """VM ids, placement and addressing. A VM without vnet gets a hosted net (setup B): its own VLAN on the
    provider edge's transit VNet, a /30 and a /64. The tenant's proxy is the router of the tenant's VNets (it
    holds their gateway addresses) with a WAN NIC: its own public NIC or a hosted net to the provider edge."""
    problems: list[Problem] = []
    vms: list[Vm] = []
    nodes = [n.name for n in settings.nodes]
    keys = tuple(settings.admin_ssh_keys)
    for i, v in enumerate(tf.all_vms()):
        field = f"vms[{i}]" if i < len(tf.vms) else f"{v.role} ({v.name})"
        is_proxy = v.role == "proxy" and tf.proxy is not None and v.name == tf.proxy.name
        if v.node is not None and v.node not in nodes:
            problems.append(Problem(source, f"{field}.node", f"'{v.node}' is not a node of this stack ({nodes})"))
            continue
        node = v.node or nodes[(tf.number + v.slot) % len(nodes)]
        if v.vm_id == "mirror":
            vm_id = _mirror(v.address) if v.address else None
            if vm_id is None:
                problems.append(
                    Problem(source, f"{field}.vm_id", f"{v.address} has no VM ID mirror of 3-9 digits", "set a number")
                )
                continue
        else:
            vm_id = v.vm_id if isinstance(v.vm_id, int) else tf.number * 1000 + v.slot
        nics: list[Nic] = []
        if v.vnet is not None and v.address is not None:
            net = vnets.get(v.vnet)
            if net is None:
                problems.append(Problem(source, f"{field}.vnet", f"'{v.vnet}' is not a VNet of this tenant"))
                continue
            taken = (net.cidr.network_address, net.cidr.broadcast_address) + (() if is_proxy else (net.gateway,))
            if v.address not in net.cidr or v.address in taken:
                problems.append(
                    Problem(
                        source,
                        f"{field}.address",
                        f"{v.address} is not a free host address of {net.id} {net.cidr} (gateway {net.gateway})",
                    )
                )
                continue
            nics.append(
                Nic(
                    bridge=net.id,
                    ipv4=ipaddress.IPv4Interface(f"{v.address}/{net.cidr.prefixlen}"),
                    gateway4=None if is_proxy else net.gateway,
                    mtu=net.mtu,
                    mac=_mac(vm_id, 0),
                )
            )
        if is_proxy:
            assert tf.proxy is not None
            for other in vnets.values():  # the router of every tenant VNet
                if other.id != nics[0].bridge:
                    nics.append(
                        Nic(
                            bridge=other.id,
                            ipv4=ipaddress.IPv4Interface(f"{other.gateway}/{other.cidr.prefixlen}"),
                            gateway4=None,
                            mtu=other.mtu,
                            mac=_mac(vm_id, len(nics)),
                        )
                    )
            pub = settings.public_addresses.get(tf.name) if tf.proxy.public else None
            if tf.proxy.public and (pub is None or pub.gateway4 is None):
                problems.append(
                    Problem(
                        source,
                        "proxy.public",
                        "the proxy wants its own public NIC, but the stack has no public address with gateway for "
                        f"tenant {tf.name}",
                        f"add proxcloud:publicAddresses.{tf.name} (ipv4, gateway4, ipv6, gateway6)",
                    )
                )
                continue
            if pub is not None:
                nics.append(
                    Nic(
                        bridge=settings.public_bridge,
                        ipv4=pub.ipv4,
                        gateway4=pub.gateway4,
                        mtu=1500,
                        mac=_mac(vm_id, len(nics)),
                        ipv6=pub.ipv6,
                        gateway6=pub.gateway6,
                    )
                )
        if not nics or (is_proxy and tf.proxy is not None and not tf.proxy.public):
            hosted = hosted_net(tf.number, v.slot, settings)
            if isinstance(hosted, str):
                problems.append(Problem(source, f"{field}.slot" if nics else field, hosted))
                continue
            nics.append(_hosted_nic(vm_id, len(nics), *hosted, settings))
        vms.append(
            Vm(
                tenant=tf.name,
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
                pool_id=tf.name,
                stateless_reason=v.stateless_reason,
                keep_apart_from=tuple(v.keep_apart_from),
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
    for i, c in enumerate(tf.all_containers()):
        field = f"containers[{i}]" if i < len(tf.containers) else f"{c.role} ({c.name})"
        net = vnets.get(c.vnet)
        if net is None:
            problems.append(Problem(source, f"{field}.vnet", f"'{c.vnet}' is not a VNet of this tenant"))
            continue
        if c.node is not None and c.node not in nodes:
            problems.append(Problem(source, f"{field}.node", f"'{c.node}' is not a node of this stack ({nodes})"))
            continue
        if c.address not in net.cidr or c.address in (
            net.cidr.network_address,
            net.cidr.broadcast_address,
            net.gateway,
        ):
            problems.append(
                Problem(source, f"{field}.address", f"{c.address} is not a free host address of {net.id} {net.cidr}")
            )
            continue
        vm_id = _mirror(c.address) if c.vm_id == "mirror" else c.vm_id
        if c.vm_id == "mirror" and vm_id is None:
            problems.append(Problem(source, f"{field}.vm_id", f"{c.address} has no VM ID mirror of 3-9 digits"))
            continue
        vm_id = vm_id if isinstance(vm_id, int) else tf.number * 1000 + c.slot
        nic = Nic(
            bridge=net.id,
            ipv4=ipaddress.IPv4Interface(f"{c.address}/{net.cidr.prefixlen}"),
            gateway4=net.gateway,
            mtu=net.mtu,
            mac=_mac(vm_id, 0),
        )
        out.append(
            Container(
                tenant=tf.name,
                name=c.name,
                vm_id=vm_id,
                node=c.node or nodes[(tf.number + c.slot) % len(nodes)],
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
            )
        )
    if out and settings.container_template is None:
        problems.append(
            Problem(source, "containers", "the stack has no proxcloud:containerTemplate", "add it to the stack config")
        )
    return out, problems


def _resolve_tenant(tf: TenantFile, source: str, settings: StackSettings) -> tuple[Tenant, list[Problem]]:
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
    if tf.humhub is not None and tf.humhub.vnet not in {v.id for v in vnets}:
        problems.append(Problem(source, "humhub.vnet", f"'{tf.humhub.vnet}' is not a VNet of this tenant"))
    if tf.all_vms() and settings.image is None:
        problems.append(
            Problem(source, "vms", "the stack has no proxcloud:image to boot VMs from", "add proxcloud:image")
        )
    tenant = Tenant(
        name=tf.name,
        number=tf.number,
        description=tf.description,
        access=tf.access,
        users=tuple(tf.users),
        zone_id=tf.zone.id,
        zone_mtu=mtu,
        vnets=tuple(vnets),
        storages=tuple(tf.storages),
        source=source,
        vms=tuple(vms),
        humhub=tf.humhub,
        proxy=tf.proxy,
        monitoring=tf.monitoring,
        containers=tuple(containers),
        wordpress=tf.wordpress,
        zabbix=tf.zabbix,
        extras=tf.extras,
        logging=tf.logging,
        backup_allowance_gb=tf.backup_allowance_gb,
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


def check_platform(tenants: list[Tenant], settings: StackSettings, config_file: str) -> list[Problem]:
    """Rules across all tenants of one stack (one cluster)."""
    problems: list[Problem] = []
    problems += _unique(((t.name, t.source, "name") for t in tenants), "tenant name", "rename one tenant")
    problems += _unique(
        ((t.number, t.source, "number") for t in tenants), "tenant number", "give each tenant its own number"
    )
    problems += _unique(
        ((t.zone_id, t.source, "zone.id") for t in tenants),
        "zone id",
        "zone ids are cluster-wide; pick another",
    )
    vnet_places = [(t, i, v) for t in tenants for i, v in enumerate(t.vnets)]
    problems += _unique(
        ((v.id, t.source, f"vnets[{i}].id") for t, i, v in vnet_places),
        "VNet id",
        "VNet ids are cluster-wide bridge names; pick another",
    )
    problems += _unique(
        ((v.vni, t.source, f"vnets[{i}].vni") for t, i, v in vnet_places),
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
    vm_places = [(t, i, vm) for t in tenants for i, vm in enumerate(t.guests)]
    problems += _unique(
        ((vm.vm_id, t.source, f"vms[{i}].vm_id") for t, i, vm in vm_places), "VM ID", "VM IDs are cluster-wide"
    )
    problems += _unique(
        ((vm.name, t.source, f"vms[{i}].name") for t, i, vm in vm_places),
        "VM name",
        "VM names are host names; keep them unique in the stack",
    )
    problems += _unique(
        ((str(vm.address), t.source, f"vms[{i}].address") for t, i, vm in vm_places),
        "address",
        "give each VM its own address",
    )
    names = {vm.name for _, _, vm in vm_places}
    for t, i, vm in vm_places:
        for j, other in enumerate(getattr(vm, "keep_apart_from", ())):
            if other not in names or other == vm.name:
                problems.append(
                    Problem(t.source, f"vms[{i}].keep_apart_from[{j}]", f"'{other}' is not another VM of this stack")
                )
    if settings.backup is None:
        for t, i, vm in vm_places:
            if vm.stateful:
                problems.append(
                    Problem(
                        t.source,
                        f"vms[{i}]",
                        f"stateful VM {vm.name} would have no backup: the stack has no proxcloud:backup",
                        "add proxcloud:backup to the stack config, or mark the VM stateful: false with a reason",
                    )
                )
    known = {t.name for t in tenants}
    for name in settings.public_addresses:
        if name not in known:
            problems.append(
                Problem(config_file, f"{CONFIG_NAMESPACE}:publicAddresses.{name}", "is not a tenant of this stack")
            )
    bridge = settings.public_bridge
    problems += [
        Problem(t.source, f"vnets[{i}].id", f"'{v.id}' is the public bridge's name", "pick another VNet id")
        for t, i, v in vnet_places
        if v.id == bridge
    ]
    nets = [(v.cidr, t.source, f"vnets[{i}].cidr") for t, i, v in vnet_places]
    nets.append((settings.underlay.cidr, config_file, f"{CONFIG_NAMESPACE}:underlay.cidr"))
    problems += _overlaps(nets, config_file)
    return problems


def load_settings(config: Mapping[str, Any], config_file: str) -> StackSettings:
    """Validate the `proxcloud:` config keys (given without the namespace)."""
    plain = {k: v for k, v in config.items() if k not in SECRET_CONFIG_KEYS}
    settings, problems = _validate(StackSettings, plain, config_file, prefix=f"{CONFIG_NAMESPACE}:")
    if problems:
        raise SpecError(problems)
    return settings


def load_platform(
    project: str, stack: str, config: Mapping[str, Any], project_dir: Path, config_file: str | None = None
) -> Platform:
    """The whole spec layer: stack settings + tenant files -> a checked, allocated Platform."""
    config_file = config_file or f"Pulumi.{stack}.yaml"
    settings = load_settings(config, config_file)
    tenants_dir = project_dir / settings.tenants_dir
    if not tenants_dir.is_dir():
        raise SpecError(
            [Problem(config_file, f"{CONFIG_NAMESPACE}:tenantsDir", f"folder {tenants_dir} does not exist")]
        )
    files = sorted(tenants_dir.glob("*.yaml"))
    problems: list[Problem] = []
    if settings.tenants is not None:
        stems = {f.stem for f in files}
        for i, name in enumerate(settings.tenants):
            if name not in stems:
                problems.append(
                    Problem(
                        config_file,
                        f"{CONFIG_NAMESPACE}:tenants[{i}]",
                        f"no tenant file {settings.tenants_dir}/{name}.yaml",
                        "create it or remove the name",
                    )
                )
        files = [f for f in files if f.stem in set(settings.tenants)]
    tenants: list[Tenant] = []
    parsed: dict[str, TenantFile] = {}
    for path in files:
        shown = f"{settings.tenants_dir}/{path.name}"
        tf, file_problems = read_tenant_file(path, shown)
        problems += file_problems
        if tf is not None:
            tenant, tenant_problems = _resolve_tenant(tf, shown, settings)
            problems += tenant_problems
            tenants.append(tenant)
            parsed.setdefault(tf.name, tf)
    problems += check_platform(tenants, settings, config_file)
    problems += check_notifications(settings, config_file) + check_drill(tenants, settings, config_file)
    edge = None
    if not problems:
        edge, edge_problems = resolve_edge(tenants, parsed, settings, config_file)
        problems += edge_problems
    if problems:
        raise SpecError(problems)
    return Platform(project=project, stack=stack, settings=settings, tenants=tuple(tenants), edge=edge)
