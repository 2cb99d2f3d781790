"""Tenant: a tenant's pool, group, people, custom roles, ACLs on its own paths only, and its VxlanZone."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
import pulumi_random as random

from components.container import LxcContainer
from components.edge import ReverseProxy, ReverseProxyArgs
from components.humhub import HumHubStack, HumHubStackArgs
from components.managed_pool import managed_pool_of
from components.services import Extras, GuestSetup, LoggingStack, WordPressStack, ZabbixStack
from components.vm import CloudInitVm, CloudInitVmArgs
from components.vxlan_zone import VxlanZone, VxlanZoneArgs
from model.access import grants
from model.containers import Container
from model.dhcp import dhcp_server
from model.models import StackSettings
from model.platform import Platform, TenantSpec, Vm
from model.storage import managed, managed_pool
from render.cloudinit import CloudConfig, render_user_data
from render.edge import Route


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
    """Stack settings: datastores, domain, resolvers, protection."""
    ops_ssh_private_key: pulumi.Input[str]
    """The operators' SSH key (secret): the proxy's route changes are applied over SSH."""
    secrets: pulumi.Config | None = None
    """The stack's secret config (tokens of the extras)."""

    @classmethod
    def of(
        cls,
        tenant: TenantSpec,
        platform: Platform,
        sdn_finalizer: pulumi.Resource,
        ops_ssh_private_key: pulumi.Input[str],
        secrets: pulumi.Config | None = None,
    ) -> TenantArgs:
        return cls(
            tenant, platform.vteps, platform.node_names, sdn_finalizer, platform.settings, ops_ssh_private_key, secrets
        )


class Tenant(pulumi.ComponentResource):
    """Everything one tenant owns in PVE."""

    pool: px.PoolLegacy
    group: px.GroupLegacy
    users: dict[str, px.UserLegacy]
    roles: dict[str, px.RoleLegacy]
    acls: list[px.Acl]
    zone: VxlanZone
    pool_id: pulumi.Output[str]
    initial_passwords: pulumi.Output[dict[str, str]]

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
        self._name, self._args = name, args
        self.vms: dict[str, CloudInitVm] = {}
        self.containers: dict[str, LxcContainer] = {}

    def add_guests(
        self,
        image_file_ids: dict[str, pulumi.Output[str]],
        guest_setup: GuestSetup | None = None,
        edge_ready: pulumi.Resource | None = None,
        node_key: pulumi.Input[str] = "",
    ) -> None:
        """Second phase, once the stack's SDN apply exists: the tenant's VMs, containers and services. The image
        (and template) ids passed in carry the apply as a dependency, so no guest is created before its VNets
        exist on the nodes. The proxy comes first: every other guest waits for it to route (`waits_for`), and
        the proxy and hosted VMs wait for the provider edge (`edge_ready`). Call once."""
        name, args, t = self._name, self._args, self._args.tenant
        settings = args.settings
        self._edge_ready = edge_ready
        self.proxy: ReverseProxy | None = None
        if t.proxy is not None:
            proxy_vm = t.vm(t.proxy.name)
            self.proxy = ReverseProxy(
                f"{name}-proxy",
                ReverseProxyArgs(
                    spec=t.proxy,
                    vm=proxy_vm,
                    routes=routes_of(t, settings.domain),
                    lans=[str(v.cidr) for v in t.vnets],
                    settings=settings,
                    image_file_ids=image_file_ids,
                    ssh_private_key=args.ops_ssh_private_key,
                    node_key=node_key,
                    after=self.waits_for(proxy_vm),
                    dhcp=dhcp_server(t, settings),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pool, self.zone]),
            )
            self.vms[t.proxy.name] = self.proxy.vm
        for vm in t.vms:
            if vm.name in t.service_vm_names:
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
                f"{name}-{vm.name}",
                CloudInitVmArgs.of(vm, user_data, settings, image_file_ids, self.waits_for(vm)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pool, self.zone]),
            )
        self.humhub: HumHubStack | None = None
        if t.humhub is not None:
            self.humhub = HumHubStack(
                f"{name}-humhub",
                HumHubStackArgs(
                    spec=t.humhub,
                    vms={vm.name: vm for vm in t.vms if vm.name in t.service_vm_names},
                    settings=settings,
                    image_file_ids=image_file_ids,
                    after=self.lan_waits,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pool, self.zone]),
            )
            self.vms.update(self.humhub.instances)
        self._setup_c(name, t, args, guest_setup)
        self.register_outputs(
            {
                "pool_id": self.pool_id,
                "group_id": self.group.group_id,
                "zone_id": self.zone.zone_id,
                "users": list(self.users),
                "vms": sorted(self.vms),
                "containers": sorted(self.containers),
                "initial_passwords": self.initial_passwords,
            }
        )

    def _setup_c(self, name: str, t: TenantSpec, args: TenantArgs, setup: GuestSetup | None) -> None:
        """Containers, WordPress, the extras, Graylog, and last Zabbix (agents and logs reach every other guest)."""
        self.wordpress: WordPressStack | None = None
        if not (t.containers or t.zabbix or t.logging):
            return
        assert setup is not None, "containers and Zabbix need a GuestSetup"
        setup = dataclasses.replace(setup, after=self.lan_waits)
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.pool, self.zone])
        service_cts = {c.name for c in t.containers if c.role in ("wp-web", "wp-db", *EXTRA_ROLES)}
        for c in t.containers:
            if c.name not in service_cts:
                self.containers[c.name] = setup.container(f"{name}-{c.name}", c, {}, self)
        proxy_address = str(t.vm(t.proxy.name).address) if t.proxy is not None else "127.0.0.1"
        if t.wordpress is not None:
            self.wordpress = WordPressStack(f"{name}-wordpress", t, setup, proxy_address, opts=after)
            self.containers.update(self.wordpress.containers)
        if t.extras is not None:
            assert args.secrets is not None
            extras = Extras(f"{name}-extras", t, setup, args.secrets, opts=after)
            self.containers.update(extras.containers)
        self.logging: LoggingStack | None = None
        self.zabbix: ZabbixStack | None = None
        if t.logging is not None:
            self.logging = LoggingStack(f"{name}-logging", t, setup, opts=after)
            self.vms[f"{t.name}-graylog"] = self.logging.server
        if t.zabbix is not None:
            self.zabbix = ZabbixStack(f"{name}-zabbix", t, setup, opts=after)
            self.vms[f"{t.name}-zabbix"] = self.zabbix.server
        guests = {
            **{n: v.machine for n, v in self.vms.items()},
            **{n: c.container for n, c in self.containers.items()},
        }
        if self.logging is not None:
            self.logging.forward_from(guests)
        if self.zabbix is not None:
            self.zabbix.install_agents(guests)

    @property
    def managed(self) -> list[pulumi.Resource]:
        """The managed pool (components/managed_pool.py), if any: its guests are created into it."""
        return [self.managed_pool] if self.managed_pool is not None else []

    @property
    def lan_waits(self) -> list[pulumi.Resource]:
        """What a guest on the tenant's own VNets waits for: the pool, and its router (the proxy) routing."""
        return [self.pool, *self.managed, *([self.proxy.ready] if self.proxy is not None else [])]

    def waits_for(self, guest: Vm | Container) -> list[pulumi.Resource]:
        """What `guest` must wait for before it is created: the tenant's pool (PVE's create checks that it exists)
        and the readiness of the router that is its default gateway: the provider edge for a guest whose first NIC
        is a hosted VLAN on the transit VNet (setup B's VMs, the proxy's uplink in setup D), else the tenant proxy
        (components/readiness.py). The proxy never waits for itself."""
        if self._args.tenant.proxy is not None and guest.name == self._args.tenant.proxy.name:
            wan = guest.nics[-1]
            edge = [self._edge_ready] if wan.vlan is not None and self._edge_ready else []
            return [self.pool, *self.managed, *edge]
        if guest.nics[0].vlan is not None:
            return [self.pool, *([self._edge_ready] if self._edge_ready is not None else [])]
        return self.lan_waits


EXTRA_ROLES = ("cloudflared", "vaultwarden", "twingate")


def routes_of(t: TenantSpec, domain: str) -> list[Route]:
    """The proxy's routes: the declared ones, then the services' own - HumHub instances, Grafana and Chronograf
    (one proxy address, told apart by host name), WordPress, the Zabbix frontend, Graylog, Vaultwarden."""
    assert t.proxy is not None
    routes = [
        Route(r.host, str(r.upstream), r.port, r.scheme, tuple(str(n) for n in r.allow_from), r.websocket)
        for r in t.proxy.routes
    ]
    if t.humhub is not None:
        routes += [Route(i.public_host, str(i.address), 80) for i in t.humhub.instances]
    if t.monitoring is not None:
        m = t.monitoring
        grafana, chronograf = t.monitoring_hosts(domain)
        routes.append(Route(grafana, str(m.grafana.address), 3000))
        routes.append(
            Route(
                chronograf,
                str(m.chronograf.address),
                8888,
                allow_from=tuple(str(n) for n in m.chronograf_allow_from),
                own_login=False,
            )
        )
    if t.wordpress is not None:
        routes.append(Route(t.wordpress.public_host, str(t.wordpress.web.address), 80))
    if t.zabbix is not None:
        routes.append(Route(t.zabbix.public_host, str(t.zabbix.server.address), 8080))
    if t.logging is not None:
        routes.append(Route(t.logging.public_host, str(t.logging.graylog.address), 9000))
    if t.extras is not None and t.extras.vaultwarden is not None and t.extras.vaultwarden_host:
        routes.append(Route(t.extras.vaultwarden_host, str(t.extras.vaultwarden.address), 8080))
    return routes
