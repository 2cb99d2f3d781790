"""Tenant and TenantGuests: what a tenant owns in PVE, in the two steps the stack's one SDN apply separates.

Tenant (before the apply): its pool, group, people, custom roles, ACLs on its own paths only, and its VxlanZone.
TenantGuests (after it): its plain VMs and containers and every service it declares, each built by its kind
(services/). Both are complete when their constructor returns.
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
import pulumi_random as random

from components.container import LxcContainer
from components.managed_pool import managed_pool_of
from components.services import GuestSetup, ServiceContext, ServiceParts
from components.vm import CloudInitVm, CloudInitVmArgs
from components.vxlan_zone import VxlanZone, VxlanZoneArgs
from model.access import grants
from model.containers import Container
from model.platform import Platform, TenantSpec, Vm
from model.settings import StackSettings
from model.storage import managed, managed_pool
from render.cloudinit import CloudConfig, render_user_data
from services import KINDS, kind_of, present, routes
from services.kind import ServiceKind
from services.proxy.render import Route


@dataclass
class TenantArgs:
    """Inputs of Tenant."""

    tenant: TenantSpec
    """The resolved tenant spec (ids, VNets, access profile, people)."""
    peers: pulumi.Input[list[str]]
    """VTEP addresses of every node, for the tenant's VXLAN zone."""
    nodes: pulumi.Input[list[str]]
    """Nodes the tenant's zone spans."""
    sdn_finalizer: pulumi.Resource
    """The stack's SDN finalizer; the zone's objects depend on it."""
    settings: StackSettings
    """Stack settings: protection."""

    @classmethod
    def of(cls, tenant: TenantSpec, platform: Platform, sdn_finalizer: pulumi.Resource) -> TenantArgs:
        return cls(tenant, platform.vteps, platform.node_names, sdn_finalizer, platform.settings)


class Tenant(pulumi.ComponentResource):
    """The tenant's identities, pool and network: everything that must exist before the stack's SDN apply."""

    pool: px.PoolLegacy
    group: px.GroupLegacy
    users: dict[str, px.UserLegacy]
    roles: dict[str, px.RoleLegacy]
    acls: list[px.Acl]
    zone: VxlanZone
    pool_id: pulumi.Output[str]
    initial_passwords: pulumi.Output[dict[str, str]]
    prefix: str

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        t = args.tenant
        # The facts proofs and reviews read off the graph (the Tenant's registered inputs).
        facts = {"access": str(t.access), "pool": t.pool_id, "zone": t.zone_id, "group": t.group_id}
        facts |= {"managed": managed_pool(t.name)} if managed(t) else {}
        super().__init__("proxcloud:index:Tenant", name, facts, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.pool = px.PoolLegacy(
            f"{name}-pool",
            pool_id=t.pool_id,
            comment=t.description,
            opts=pulumi.ResourceOptions(parent=self, protect=args.settings.protect_stateful and not t.retiring),
        )
        self.managed_pool = managed_pool_of(self, name, t, args.settings.protect_stateful)  # findings 2, 6
        self.group = px.GroupLegacy(
            f"{name}-group", group_id=t.group_id, comment=f"people of tenant {t.name}", opts=child
        )
        self.users, passwords = {}, {}
        for u in t.users:
            first, last = u.name.split(".", 1)
            password = random.RandomPassword(f"{name}-{u.name}-password", length=24, special=False, opts=child)
            secret = pulumi.Output.secret(password.result)
            self.users[u.user_id] = px.UserLegacy(
                f"{name}-user-{u.name}",
                user_id=u.user_id,
                password=secret,
                groups=[self.group.group_id],
                email=u.email,
                first_name=u.first_name or first.capitalize(),
                last_name=u.last_name or last.capitalize(),
                comment=f"tenant {t.name}",
                enabled=True,
                # The password is the initial one (exported once): a later change would go through PUT
                # /access/password, which refuses API tokens (pve-access-control src/PVE/API2/AccessControl.pm
                # change_password `allowtoken => 0`), and the user owns it after the first login.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["password"]),
            )
            passwords[u.user_id] = secret
        self.roles, self.acls = {}, []
        for grant in grants(t, backups=args.settings.backup is not None):
            role = px.RoleLegacy(
                f"{name}-role-{grant.purpose}",
                role_id=t.role_id(grant.purpose),
                privileges=list(grant.privileges),
                opts=child,
            )
            self.roles[grant.purpose] = role
            for path in grant.paths:
                self.acls.append(
                    px.Acl(
                        f"{name}-acl-{grant.purpose}-{path.strip('/').replace('/', '-')}",
                        path=path,
                        group_id=self.group.group_id,
                        role_id=role.role_id,
                        propagate=True,
                        opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pool]),
                    )
                )
        self.zone = VxlanZone(
            f"{name}-vxlan",
            VxlanZoneArgs(
                zone_id=t.zone_id,
                mtu=t.zone_mtu,
                peers=args.peers,
                nodes=args.nodes,
                vnets=list(t.vnets),
                finalizer=args.sdn_finalizer,
            ),
            opts=child,
        )
        self.pool_id = self.pool.pool_id
        self.initial_passwords = pulumi.Output.secret(pulumi.Output.all(**passwords))
        self.prefix = name  # what its guests are named after (TenantGuests)
        # the managed pool (components/managed_pool.py), if any: the provider-managed guests are created into it
        self.managed: list[pulumi.Resource] = [self.managed_pool] if self.managed_pool is not None else []
        self.register_outputs(
            {
                "pool_id": self.pool_id,
                "group_id": self.group.group_id,
                "zone_id": self.zone.zone_id,
                "users": list(self.users),
                "initial_passwords": self.initial_passwords,
            }
        )


@dataclass
class TenantGuestsArgs:
    """Inputs of TenantGuests."""

    tenant: Tenant
    """The tenant's component: its pool and zone (every guest waits for them) and its name (the guests' prefix)."""
    spec: TenantSpec
    """The resolved tenant: its guests and services."""
    settings: StackSettings
    """Datastores, domain, resolvers."""
    image_file_ids: dict[str, pulumi.Output[str]]
    """Cloud image volume id per node; carries the SDN apply, so no guest starts before its VNets exist."""
    setup: GuestSetup | None = None
    """Containers and in-guest commands (None on a stack without containers, Zabbix or central logs)."""
    edge_ready: pulumi.Resource | None = None
    """The provider edge router's readiness: what the proxy's uplink and hosted VMs wait for."""
    node_key: pulumi.Input[str] = ""
    """The nodes' SSH key (secret): readiness checks and in-guest commands run from the nodes."""
    ops_ssh_private_key: pulumi.Input[str] = ""
    """The operators' SSH key (secret): the proxy's route changes are applied over SSH."""
    secrets: pulumi.Config | None = None
    """The stack's secret config (tokens of the extras)."""


class TenantGuests(pulumi.ComponentResource):
    """The tenant's guests and services, built after the SDN apply. The router (the proxy) comes first: every other
    guest waits for it to route (`waits_for`), and the router and hosted VMs wait for the provider edge. Then the
    plain guests and each service of the registry in build-phase order; last the services that reach every other
    guest (Zabbix agents, log forwarding) run their step over all of them.

    The guests keep the names and the place they were first deployed with (children of the Tenant, named after
    it): each direct child carries `aliases=[Alias(parent=<the Tenant>)]`, so a deployed stack sees them moved, not
    replaced."""

    vms: dict[str, CloudInitVm]
    containers: dict[str, LxcContainer]
    services: dict[str, ServiceParts]

    def __init__(self, name: str, args: TenantGuestsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        t, settings = args.spec, args.settings
        super().__init__("proxcloud:index:TenantGuests", name, {"tenant": t.name}, opts)
        self._args = args
        self.vms, self.containers, self.services = {}, {}, {}
        prefix, pool, zone = args.tenant.prefix, args.tenant.pool, args.tenant.zone
        self._child = pulumi.ResourceOptions(
            parent=self, depends_on=[pool, zone], aliases=[pulumi.Alias(parent=args.tenant)]
        )
        kinds = sorted(present(t), key=lambda k: k.phase)
        for kind in (k for k in kinds if k.phase == 0):
            self._build(kind, args.setup)
        setup = dataclasses.replace(args.setup, after=self.lan_waits) if args.setup is not None else None
        for vm in t.vms:
            if kind_of(vm.source) is not None:
                continue
            user_data = render_user_data(
                CloudConfig(
                    hostname=vm.name,
                    fqdn=f"{vm.name}.{settings.domain}",
                    ssh_keys=vm.ssh_keys,
                    guest_agent=vm.guest_agent,
                )
            )
            self.vms[vm.name] = CloudInitVm(
                f"{prefix}-{vm.name}",
                CloudInitVmArgs.of(vm, user_data, settings, args.image_file_ids, self.waits_for(vm)),
                opts=self._child,
            )
        for c in t.containers:
            if kind_of(c.source) is None:
                assert setup is not None, "containers need a GuestSetup"
                self.containers[c.name] = setup.container(f"{prefix}-{c.name}", c, {}, self, self._child.aliases)
        for kind in (k for k in kinds if k.phase > 0):
            self._build(kind, setup)
        guests = {
            **{n: v.machine for n, v in self.vms.items()},
            **{n: c.container for n, c in self.containers.items()},
        }
        for parts in self.services.values():
            if parts.on_every_guest is not None:
                parts.on_every_guest(guests)
        self.register_outputs({"vms": sorted(self.vms), "containers": sorted(self.containers)})

    def _build(self, kind: ServiceKind, setup: GuestSetup | None) -> None:
        """One service of the tenant, by its kind's `build` (services/<folder>/component.py)."""
        args = self._args
        ctx = ServiceContext(
            name=args.tenant.prefix,
            tenant=args.spec,
            settings=args.settings,
            image_file_ids=args.image_file_ids,
            opts=self._child,
            pool=args.tenant.pool,
            lan_waits=self.lan_waits,
            waits_for=self.waits_for,
            setup=setup,
            secrets=args.secrets,
            ops_ssh_private_key=args.ops_ssh_private_key,
            node_key=args.node_key,
        )
        parts: ServiceParts = importlib.import_module(kind.component).build(ctx)
        self.services[kind.key] = parts
        self.vms.update(parts.vms)
        self.containers.update(parts.containers)

    def service(self, key: str) -> pulumi.ComponentResource | None:
        """The component of the tenant's service `key` (services/__init__.py), None when it has none."""
        parts = self.services.get(key)
        return parts.component if parts is not None else None

    @property
    def proxy(self) -> pulumi.ComponentResource | None:
        return self.service("proxy")

    @property
    def humhub(self) -> pulumi.ComponentResource | None:
        return self.service("humhub")

    @property
    def machines(self) -> dict[str, pulumi.Resource]:
        """Every guest's VM or container resource by name, those the services keep outside the tenant included."""
        out: dict[str, pulumi.Resource] = {n: v.machine for n, v in self.vms.items()}
        out.update({n: c.container for n, c in self.containers.items()})
        for parts in self.services.values():
            out.update(parts.other_machines)
        return out

    @property
    def lan_waits(self) -> list[pulumi.Resource]:
        """What a guest on the tenant's own VNets waits for: the pool, and its router (the proxy) routing."""
        router = next((p.component for k, p in self.services.items() if _is_router(k)), None)
        tenant = self._args.tenant
        return [tenant.pool, *tenant.managed, *([router.ready] if router is not None else [])]

    def waits_for(self, guest: Vm | Container) -> list[pulumi.Resource]:
        """What `guest` must wait for before it is created: the tenant's pool (PVE's create checks that it exists)
        and the readiness of the router that is its default gateway: the provider edge for a guest whose first NIC
        is a hosted VLAN on the transit VNet (setup B's VMs, the proxy's uplink in setup D), else the tenant proxy
        (components/readiness.py). The router never waits for itself."""
        pool = self._args.tenant.pool
        edge = [self._args.edge_ready] if self._args.edge_ready is not None else []
        kind = kind_of(guest.source)
        if kind is not None and kind.phase == 0:
            return [pool, *self._args.tenant.managed, *(edge if guest.nics[-1].vlan is not None else [])]
        if guest.nics[0].vlan is not None:
            return [pool, *edge]
        return self.lan_waits


def _is_router(key: str) -> bool:
    return next(k for k in KINDS if k.key == key).phase == 0


def routes_of(t: TenantSpec, domain: str) -> list[Route]:
    """The proxy's routes: the declared ones, then each service's (services/__init__.py `routes`)."""
    return [r.route for r in routes(t, domain)]
