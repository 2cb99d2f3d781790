"""MonitoringStack: a tenant's Telegraf + InfluxDB VM, Grafana VM and Chronograf VM, and its read-only PVE token.

The PVE identity is `monitoring-<tenant>@pve` with an API token `telegraf` (privilege separation on); both hold
only what Telegraf reads: a role `<tenant>-telegraf` with VM.Audit on the tenant's pool (its guests' lists,
status and config; the node's DNS endpoint answers 403, which Telegraf ignores). The token in the InfluxDB VM's
user data therefore shows whoever reads it nothing its tenant does not see already (docs/security.md).
The token value reaches the Telegraf env file only inside `apply`, so the user data stays a secret.
The component sits at stack level, beside the Tenant, so the tenant's people never own this principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
import pulumi_random as random

from components.audit import token_acl_options
from components.config import pve_api_url
from components.guest_exec import node_ssh
from components.services import ServiceContext, ServiceParts
from components.vm import CloudInitVm, CloudInitVmArgs
from model.access import TELEGRAF
from model.platform import TenantSpec
from model.settings import StackSettings
from render.cloudinit import CloudConfig, render_user_data
from render.provision import reconfigure_script
from services.monitoring import monitoring_hosts
from services.monitoring.render import (
    InfluxPasswords,
    MonitoringParams,
    chronograf_vm_cloud_config,
    grafana_vm_cloud_config,
    influx_vm_cloud_config,
)


@dataclass
class MonitoringStackArgs:
    """Inputs of MonitoringStack."""

    tenant: TenantSpec
    """The tenant (its monitoring section and its three resolved VMs)."""
    settings: StackSettings
    """Datastores, domain, nodes."""
    pve_api_url: str
    """`https://host:8006/api2/json`, as Telegraf wants it."""
    image_file_ids: dict[str, pulumi.Output[str]]
    """Cloud image volume id per node."""
    pool: pulumi.Resource
    """The tenant's pool (its ACL path must exist first)."""
    after: Sequence[pulumi.Resource] = ()
    """What its VMs wait for: the tenant's pool and the tenant router's readiness (CloudInitVmArgs.after)."""
    node_key: pulumi.Input[str] = ""
    """The node SSH key (secret): `reconfigure` runs `qm guest exec` from each VM's node."""


class MonitoringStack(pulumi.ComponentResource):
    """`vms[name]` are the CloudInitVms; `endpoints` the public URLs and the internal InfluxDB URL."""

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        t, s = args.tenant, args.settings
        m = t.monitoring
        assert m is not None
        super().__init__("proxcloud:index:MonitoringStack", name, {"tenant": t.name}, opts)
        child = pulumi.ResourceOptions(parent=self)
        user_id = f"monitoring-{t.name}@pve"
        login = random.RandomPassword(f"{name}-user-password", length=32, special=False, opts=child)
        self.user = px.UserLegacy(
            f"{name}-user",
            user_id=user_id,
            password=pulumi.Output.secret(login.result),
            comment=f"read-only metrics reader of tenant {t.name} (Telegraf)",
            enabled=True,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["password"]),  # initial only (tenant.py)
        )
        self.token = px.user.Token(
            f"{name}-token",
            user_id=self.user.user_id,
            token_name="telegraf",
            privileges_separation=True,
            comment="Telegraf's proxmox input",
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),  # fixed id (components/audit.py)
        )
        token_id = pulumi.Output.concat(self.user.user_id, "!telegraf")
        # issue 14 finding 1: VM.Audit on the tenant's pool only (model/access.py TELEGRAF), nothing on the nodes
        self.role = px.RoleLegacy(f"{name}-role", role_id=f"{t.name}-telegraf", privileges=list(TELEGRAF), opts=child)
        after = pulumi.ResourceOptions(parent=self, depends_on=[args.pool, self.token])
        self.acls = [
            px.Acl(
                f"{name}-{who}-pool",
                path=f"/pool/{t.pool_id}",
                role_id=self.role.role_id,
                propagate=True,
                **principal,
                opts=token_acl_options(self.token, after) if who == "token" else after,
            )
            for who, principal in (("user", {"user_id": self.user.user_id}), ("token", {"token_id": token_id}))
        ]
        pw = {
            k: pulumi.Output.secret(
                random.RandomPassword(f"{name}-{k}-password", length=32, special=False, opts=child).result
            )
            for k in ("admin", "telegraf", "grafana", "chronograf", "grafana-admin")
        }
        vms = {role: t.guest_at(f"monitoring.{role}") for role in ("influxdb", "grafana", "chronograf")}
        grafana_host, chronograf_host = monitoring_hosts(t.name, s.domain)
        params = MonitoringParams(
            tenant=t.name.replace("-", "_"),
            influx_address=str(vms["influxdb"].address),
            grafana_address=str(vms["grafana"].address),
            chronograf_address=str(vms["chronograf"].address),
            grafana_hostname=grafana_host,
            chronograf_hostname=chronograf_host,
            pve_api_url=args.pve_api_url,
            pve_nodes=tuple(n.name for n in s.nodes),
            retention=m.retention,
        )
        token_value = pulumi.Output.secret(self.token.value)

        def influx(values: list[str]) -> CloudConfig:
            token, admin, telegraf, grafana, chronograf = values
            passwords = InfluxPasswords(admin, telegraf, grafana, chronograf)
            vm = vms["influxdb"]
            return influx_vm_cloud_config(
                params, hostname=vm.name, ssh_keys=vm.ssh_keys, api_token=token, passwords=passwords
            )

        configs: dict[str, pulumi.Output[CloudConfig]] = {
            "influxdb": pulumi.Output.all(
                token_value, pw["admin"], pw["telegraf"], pw["grafana"], pw["chronograf"]
            ).apply(influx),
            "grafana": pulumi.Output.all(pw["grafana-admin"], pw["grafana"]).apply(
                lambda v: grafana_vm_cloud_config(
                    params,
                    hostname=vms["grafana"].name,
                    ssh_keys=vms["grafana"].ssh_keys,
                    admin_password=v[0],
                    influx_password=v[1],
                )
            ),
            "chronograf": pw["chronograf"].apply(
                lambda v: chronograf_vm_cloud_config(
                    params, hostname=vms["chronograf"].name, ssh_keys=vms["chronograf"].ssh_keys, influx_password=v
                )
            ),
        }
        self.vms: dict[str, CloudInitVm] = {}
        for role, vm in vms.items():
            # First boot from the user data; later changes (a rotated token, a new node in telegraf.conf, the
            # retention) reach the running VM through `reconfigure`: its files written again and its idempotent
            # runcmd (enable/restart, the converging InfluxDB setup, `docker compose up -d`) run again.
            self.vms[vm.name] = CloudInitVm(
                f"{name}-{role}",
                CloudInitVmArgs.of(
                    vm,
                    pulumi.Output.secret(configs[role].apply(render_user_data)),
                    s,
                    args.image_file_ids,
                    args.after,
                    reconfigure=pulumi.Output.secret(
                        configs[role].apply(lambda c, r=role: reconfigure_script(f"monitoring-{r}", c))
                    ),
                    node_ssh=node_ssh(s, vm.node, args.node_key),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[args.pool]),
            )
        self.endpoints = {
            "grafana": f"https://{grafana_host}/",
            "chronograf": f"https://{chronograf_host}/",
            "influxdb": params.influx_url,
            "database": params.db,
            "pveUser": user_id,
        }
        self.grafana_admin_password = pw["grafana-admin"]
        self.register_outputs({"endpoints": self.endpoints, "grafana_admin_password": self.grafana_admin_password})


def build(ctx: ServiceContext) -> ServiceParts:
    """At stack level, beside the Tenant (not inside it): the tenant's people never own this principal."""
    t = ctx.tenant
    stack = MonitoringStack(
        f"{t.name}-monitoring",
        MonitoringStackArgs(t, ctx.settings, pve_api_url(), ctx.image_file_ids, ctx.pool, ctx.lan_waits, ctx.node_key),
    )
    return ServiceParts(stack, other_machines={n: vm.machine for n, vm in stack.vms.items()})
