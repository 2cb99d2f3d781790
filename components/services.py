"""What every service component builds with: the context a service kind's `build` gets (`ServiceContext`), what
it hands back (`ServiceParts`), containers placed with `GuestSetup`, and scripts run on every guest of a tenant.

The service components themselves live in their folders (services/<kind>/component.py). Containers have no
cloud-init: their provisioning scripts run with `pct exec <id> -- bash -s` on their node over SSH
(components/container.py). Agents on VMs are installed the same way through the QEMU guest agent (`qm guest exec`,
components/guest_exec.py, once cloud-init has finished in the VM), so one mechanism reaches every guest without SSH
into tenant networks. Every script carrying a secret is built inside `apply` and stays a secret; the node SSH key
is the secret `proxcloud:nodeSshPrivateKey`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.container import LxcContainer, LxcContainerArgs
from components.guest_exec import guest_resource_id, node_ssh, qm_exec_command
from components.vm import CloudInitVm
from model.containers import Container, ContainerTemplateSpec
from model.platform import TenantSpec, Vm
from model.settings import StackSettings
from services import kind_of


@dataclass
class ServiceParts:
    """What a service kind's `build(ctx)` made for one tenant."""

    component: pulumi.ComponentResource
    vms: dict[str, CloudInitVm] = field(default_factory=dict)
    """Its VMs inside the tenant (listed in the Tenant's outputs and the stack outputs' `vms`)."""
    containers: dict[str, LxcContainer] = field(default_factory=dict)
    """Its containers inside the tenant."""
    other_machines: dict[str, pulumi.Resource] = field(default_factory=dict)
    """Guests it builds outside the Tenant (monitoring sits at stack level): for the firewall and HA."""
    on_every_guest: Callable[[dict[str, pulumi.Resource]], pulumi.ComponentResource] | None = None
    """Phase-2 kinds: builds the component that reaches every other guest (agents, forwarders), once every guest
    of the tenant exists (guest name -> its VM or container)."""


@dataclass
class ServiceContext:
    """What a service kind's `build` gets: the resolved tenant, where its guests go, and what they wait for."""

    name: str
    """The Tenant component's name: children are `<name>-<kind>`."""
    tenant: TenantSpec
    settings: StackSettings
    image_file_ids: dict[str, pulumi.Output[str]]
    opts: pulumi.ResourceOptions
    """Parent (the Tenant) and what a service component depends on (the pool and the zone)."""
    pool: pulumi.Resource
    lan_waits: list[pulumi.Resource]
    """What a guest on the tenant's VNets waits for: the pool and, once built, the router's readiness."""
    waits_for: Callable[[Vm | Container], list[pulumi.Resource]]
    setup: GuestSetup | None = None
    """Containers and guest commands (None on a stack without containers, Zabbix or logs)."""
    secrets: pulumi.Config | None = None
    ops_ssh_private_key: pulumi.Input[str] = ""
    node_key: pulumi.Input[str] = ""

    @property
    def router_address(self) -> str:
        """The tenant router's address on its first VNet (what services trust as their reverse proxy)."""
        router = next((v for v in self.tenant.vms if (k := kind_of(v.source)) is not None and k.phase == 0), None)
        return str(router.address) if router is not None else "127.0.0.1"

    def needs_setup(self) -> GuestSetup:
        assert self.setup is not None, "containers and guest commands need a GuestSetup"
        return self.setup


def template_spec(settings: StackSettings) -> ContainerTemplateSpec:
    """The stack's LXC template as the container building block wants it."""
    t = settings.container_template
    assert t is not None
    return ContainerTemplateSpec(t.url, t.file_name, t.checksum, t.checksum_algorithm)


@dataclass
class GuestSetup:
    """What every service component needs to place guests."""

    settings: StackSettings
    template_file_ids: dict[str, pulumi.Output[str]]
    image_file_ids: dict[str, pulumi.Output[str]]
    node_key: pulumi.Input[str]
    after: Sequence[pulumi.Resource] = ()
    """What the guests wait for (one tenant's: its pool and its router's readiness; see TenantGuests.waits_for)."""

    def container(
        self,
        name: str,
        c: Container,
        scripts: dict[str, pulumi.Input[str]],
        parent: pulumi.Resource,
        aliases: Sequence[pulumi.Input[pulumi.Alias | str]] | None = None,
    ) -> LxcContainer:
        s = self.settings
        return LxcContainer(
            name,
            LxcContainerArgs(
                container=c,
                template_file_id=self.template_file_ids[c.node],
                datastore=s.datastores.vm,
                dns_servers=[str(d) for d in s.dns_servers],
                domain=s.domain,
                node_ssh=node_ssh(s, c.node, self.node_key) if scripts else None,
                provision_scripts=scripts,
                after=self.after,
            ),
            opts=pulumi.ResourceOptions(parent=parent, aliases=list(aliases) if aliases else None),
        )


def on_every_guest(
    parent: pulumi.Resource,
    prefix: str,
    tenant: TenantSpec,
    setup: GuestSetup,
    after: dict[str, pulumi.Resource],
    script: Callable[[Vm | Container], str],
    skip: str,
    aliases: Sequence[pulumi.Input[pulumi.Alias | str]] | None = None,
) -> list[remote.Command]:
    """Run `script(guest)` as root inside every guest of the tenant but `skip`, from its node: containers through
    `pct exec`, VMs through the QEMU guest agent. Each command waits for its guest (and `after[name]`)."""
    commands = []
    for guest in tenant.guests:
        if guest.name == skip:
            continue
        is_ct = isinstance(guest, Container)
        ssh = node_ssh(setup.settings, guest.node, setup.node_key)
        if guest.name not in after:
            raise KeyError(f"{guest.name} has no resource yet: run the guest commands after every guest exists")
        depends = [after[guest.name], after[skip]]
        commands.append(
            remote.Command(
                f"{prefix}-{guest.name}",
                connection=remote.ConnectionArgs(host=ssh.host, user=ssh.user, private_key=ssh.private_key),
                create=f"pct exec {guest.vm_id} -- bash -s" if is_ct else qm_exec_command(guest.vm_id),
                stdin=script(guest),
                triggers=[guest_resource_id(after[guest.name])],  # a replaced guest gets it again
                opts=pulumi.ResourceOptions(
                    parent=parent, depends_on=depends, aliases=list(aliases) if aliases else None
                ),
            )
        )
    return commands


def password(name: str, parent: pulumi.Resource, length: int = 32) -> pulumi.Output[str]:
    pw = random.RandomPassword(name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(pw.result)
