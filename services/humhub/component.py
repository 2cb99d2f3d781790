"""HumHubStack: setup A's community site - a production and a near-identical test HumHub VM (and the admin desktop).

Each instance is a CloudInitVm whose user data (services/humhub/render.py) carries a generated database password and a
generated admin password: the user data is built inside `apply` on those secrets, so it stays a secret itself.
The production VM is protected; prod and test are kept on different nodes where HA exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random

from components.services import ServiceContext, ServiceParts
from components.vm import CloudInitVm, CloudInitVmArgs
from model.platform import Vm
from model.settings import StackSettings
from render.cloudinit import render_user_data
from services import kind_of
from services.humhub.desktop import desktop_cloud_config
from services.humhub.model import HumHubSpec
from services.humhub.render import HumHubSite, humhub_cloud_config

# A checksum of all zeros marks a release whose checksum has not been pinned yet: provisioning would stop at
# the checksum check, so the plan says so loudly.
UNPINNED = "0" * 64


@dataclass
class HumHubStackArgs:
    """Inputs of HumHubStack."""

    spec: HumHubSpec
    """Site name, release and checksum, admin account, instances."""
    vms: dict[str, Vm]
    """The resolved VMs of the instances and the desktop, by name."""
    settings: StackSettings
    """Datastores, domain, resolvers."""
    image_file_ids: dict[str, pulumi.Output[str]]
    """Cloud image volume id per node."""
    after: Sequence[pulumi.Resource] = ()
    """What its VMs wait for: the tenant's pool and the tenant router's readiness (CloudInitVmArgs.after)."""


class HumHubStack(pulumi.ComponentResource):
    """`instances[name]` are the CloudInitVms; `urls` maps each instance to its public URL and internal address."""

    instances: dict[str, CloudInitVm]
    urls: dict[str, dict[str, str]]
    admin_passwords: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: HumHubStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        spec = args.spec
        super().__init__("proxcloud:index:HumHubStack", name, {"version": spec.version}, opts)
        if spec.sha256 == UNPINNED:
            pulumi.log.warn(
                f"HumHub {spec.version}: the release checksum is not pinned (all zeros); provisioning will stop at "
                "the checksum check until humhub.sha256 is set from HumHub's download page",
                self,
            )
        child = pulumi.ResourceOptions(parent=self)
        self.instances, self.urls, passwords = {}, {}, {}
        for inst in spec.instances:
            vm = args.vms[inst.name]
            site = HumHubSite(
                hostname=vm.name,
                public_host=inst.public_host,
                listen_address=str(vm.address),
                site_name=f"{spec.site_name} (test)" if inst.test else spec.site_name,
                admin_username=spec.admin_username,
                admin_email=spec.admin_email,
                humhub_version=spec.version,
                download_url=spec.url,
                download_sha256=spec.sha256,
                trusted_proxies=tuple(str(p) for p in spec.trusted_proxies),
            )
            db = random.RandomPassword(f"{name}-{inst.name}-db-password", length=32, special=False, opts=child)
            admin = random.RandomPassword(f"{name}-{inst.name}-admin-password", length=24, special=False, opts=child)
            db_secret, admin_secret = pulumi.Output.secret(db.result), pulumi.Output.secret(admin.result)
            user_data = pulumi.Output.secret(
                pulumi.Output.all(db_secret, admin_secret).apply(
                    lambda pw, site=site, vm=vm: render_user_data(humhub_cloud_config(site, vm.ssh_keys, pw[0], pw[1]))
                )
            )
            self.instances[inst.name] = self._vm(name, vm, user_data, args)
            self.urls[inst.name] = {
                "url": f"https://{inst.public_host}/",
                "publicHost": inst.public_host,
                "internal": f"http://{vm.address}:80/",
                "address": str(vm.address),
                "stage": "test" if inst.test else "prod",
            }
            passwords[inst.name] = admin_secret
        if spec.desktop is not None:
            vm = args.vms[spec.desktop.name]
            self.instances[vm.name] = self._vm(
                name, vm, render_user_data(desktop_cloud_config(vm.name, vm.ssh_keys)), args
            )
        self.admin_passwords = pulumi.Output.secret(pulumi.Output.all(**passwords))
        self.register_outputs({"urls": self.urls, "admin_passwords": self.admin_passwords})

    def _vm(self, name: str, vm: Vm, user_data: pulumi.Input[str], args: HumHubStackArgs) -> CloudInitVm:
        s = args.settings
        return CloudInitVm(
            f"{name}-{vm.name}",
            CloudInitVmArgs.of(vm, user_data, s, args.image_file_ids, args.after),
            opts=pulumi.ResourceOptions(parent=self),
        )


def build(ctx: ServiceContext) -> ServiceParts:
    t = ctx.tenant
    assert t.humhub is not None
    stack = HumHubStack(
        f"{ctx.name}-humhub",
        HumHubStackArgs(
            spec=t.humhub,
            vms={vm.name: vm for vm in t.vms if (k := kind_of(vm.source)) is not None and k.key == "humhub"},
            settings=ctx.settings,
            image_file_ids=ctx.image_file_ids,
            after=ctx.lan_waits,
        ),
        opts=ctx.opts,
    )
    return ServiceParts(stack, vms=stack.instances)
