"""Extras: the optional containers (cloudflared, Vaultwarden, Twingate), each running its Compose project."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.container import LxcContainer
from components.services import GuestSetup, ServiceContext, ServiceParts, password
from model.platform import TenantSpec
from render.provision import compose_project_script
from services.extras.render import VaultwardenSite, cloudflared_project, twingate_project, vaultwarden_project


@dataclass
class ExtrasArgs:
    """Inputs of Extras."""

    tenant: TenantSpec
    """The tenant: its `extras` settings and their resolved containers."""
    setup: GuestSetup
    """Where containers go and what they wait for."""
    secrets: pulumi.Config
    """The stack's secret config: the connectors' tokens."""


class Extras(pulumi.ComponentResource):
    """The optional services the tenant asked for, each a container running its Compose project."""

    def __init__(self, name: str, args: ExtrasArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, setup, secrets = args.tenant, args.setup, args.secrets
        e = tenant.extras
        assert e is not None
        super().__init__("proxcloud:index:Extras", name, {"tenant": tenant.name}, opts)
        self.containers: dict[str, LxcContainer] = {}
        scripts: dict[str, pulumi.Output[str]] = {}
        if e.cloudflared is not None:
            token = secrets.require_secret("cloudflaredToken")
            scripts["cloudflared"] = token.apply(lambda t: compose_project_script(cloudflared_project(t)))
        if e.vaultwarden is not None:
            site = VaultwardenSite(public_host=e.vaultwarden_host, listen_address=str(e.vaultwarden.address))
            admin = password(f"{name}-vaultwarden-admin", self, 48)
            scripts["vaultwarden"] = admin.apply(lambda t: compose_project_script(vaultwarden_project(site, t)))
        if e.twingate is not None:
            c = tenant.guest_at("extras.twingate")
            tokens = pulumi.Output.all(
                secrets.require_secret("twingateAccessToken"), secrets.require_secret("twingateRefreshToken")
            )
            scripts["twingate"] = tokens.apply(
                lambda t: compose_project_script(twingate_project(e.twingate_network, c.name, t[0], t[1]))
            )
        for key, text in scripts.items():
            c = tenant.guest_at(f"extras.{key}")
            self.containers[c.name] = setup.container(f"{name}-{key}", c, {key: pulumi.Output.secret(text)}, self)
        self.register_outputs({"services": sorted(scripts)})


def build(ctx: ServiceContext) -> ServiceParts:
    assert ctx.secrets is not None
    extras = Extras(f"{ctx.name}-extras", ExtrasArgs(ctx.tenant, ctx.needs_setup(), ctx.secrets), opts=ctx.opts)
    return ServiceParts(extras, containers=extras.containers)
