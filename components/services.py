"""Setup C's services: WordPressStack (wp-web + wp-db containers), ZabbixStack (server VM + an agent on every
guest of the tenant) and Extras (cloudflared, Vaultwarden, Twingate containers).

Containers have no cloud-init: their provisioning scripts run with `pct exec <id> -- bash -s` on their node
over SSH (components/container.py). Agents on VMs are installed the same way through the QEMU guest agent
(`qm guest exec`, components/guest_exec.py, once cloud-init has finished in the VM), so one mechanism reaches
every guest without SSH into tenant networks. Every script carrying
a secret is built inside `apply` and stays a secret; the node SSH key is the secret `proxcloud:nodeSshPrivateKey`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_random as random
from pulumi_command import remote

from components.container import LxcContainer, LxcContainerArgs
from components.guest_exec import guest_resource_id, node_ssh, qm_exec_command
from components.vm import CloudInitVm, CloudInitVmArgs
from model.containers import Container, ContainerTemplateSpec
from model.models import StackSettings
from model.platform import TenantSpec, Vm
from render.cloudinit import DOCKER_PACKAGES, CloudConfig, docker_apt_source, render_user_data
from render.extras import VaultwardenSite, cloudflared_project, twingate_project, vaultwarden_project
from render.logging import GraylogParams, graylog_vm_cloud_config, rsyslog_container_script
from render.provision import compose_project_script
from render.wordpress import SALT_NAMES, WordPressSite, db_script, web_script
from render.zabbix import zabbix_agent_script, zabbix_server_project


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
    """What the guests wait for (one tenant's: its pool and its router's readiness; see Tenant.waits_for)."""

    def container(
        self, name: str, c: Container, scripts: dict[str, pulumi.Input[str]], parent: pulumi.Resource
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
            opts=pulumi.ResourceOptions(parent=parent),
        )


def on_every_guest(
    parent: pulumi.Resource,
    prefix: str,
    tenant: TenantSpec,
    setup: GuestSetup,
    after: dict[str, pulumi.Resource],
    script: Callable[[Vm | Container], str],
    skip: str,
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
                opts=pulumi.ResourceOptions(parent=parent, depends_on=depends),
            )
        )
    return commands


def _password(name: str, parent: pulumi.Resource, length: int = 32) -> pulumi.Output[str]:
    pw = random.RandomPassword(name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(pw.result)


class WordPressStack(pulumi.ComponentResource):
    """wp-web and wp-db; the database user is allowed from wp-web's address only."""

    def __init__(
        self, name: str, tenant: TenantSpec, setup: GuestSetup, proxy_address: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:  # fmt: skip
        w = tenant.wordpress
        assert w is not None
        super().__init__("proxcloud:index:WordPressStack", name, {"host": w.public_host}, opts)
        web, db = tenant.container(f"{tenant.name}-wp-web"), tenant.container(f"{tenant.name}-wp-db")
        site = WordPressSite(
            public_host=w.public_host,
            web_address=str(web.address),
            db_address=str(db.address),
            site_title=w.site_title,
            admin_username=w.admin_username,
            admin_email=w.admin_email,
            wordpress_version=w.version,
            download_url=f"https://wordpress.org/wordpress-{w.version}.tar.gz",
            download_sha256=w.sha256,
            reverse_proxies=(proxy_address,),
        )
        if set(w.sha256) == {"0"}:
            pulumi.log.warn(
                f"WordPress {w.version}: the release checksum is not pinned (all zeros); provisioning will stop at "
                "the checksum check until wordpress.sha256 is set",
                self,
            )
        db_pw, admin_pw = _password(f"{name}-db-password", self), _password(f"{name}-admin-password", self, 24)
        salts = {k: _password(f"{name}-{k.lower().replace('_', '-')}", self, 64) for k in SALT_NAMES}
        db_text = pulumi.Output.secret(db_pw.apply(lambda p: db_script(site, p)))
        web_text = pulumi.Output.secret(
            pulumi.Output.all(db_pw, admin_pw, pulumi.Output.all(**salts)).apply(
                lambda v: web_script(site, v[0], v[1], v[2])
            )
        )
        self.db = setup.container(f"{name}-db", db, {"mariadb": db_text}, self)
        self.web = setup.container(f"{name}-web", web, {"wordpress": web_text}, self)
        self.containers = {db.name: self.db, web.name: self.web}
        self.admin_password = admin_pw
        self.url = f"https://{w.public_host}/"
        self.register_outputs({"url": self.url, "admin_password": self.admin_password})


class ZabbixStack(pulumi.ComponentResource):
    """The server + frontend VM (Compose) and a Zabbix agent 2 on every other guest of the tenant."""

    def __init__(
        self, name: str, tenant: TenantSpec, setup: GuestSetup, opts: pulumi.ResourceOptions | None = None,
    ) -> None:  # fmt: skip
        assert tenant.zabbix is not None
        super().__init__("proxcloud:index:ZabbixStack", name, {"tenant": tenant.name}, opts)
        s = setup.settings
        server: Vm = tenant.vm(f"{tenant.name}-zabbix")
        db_pw = _password(f"{name}-db-password", self)

        def user_data(password: str) -> str:
            project = zabbix_server_project(str(server.address), password)
            return render_user_data(
                CloudConfig(
                    hostname=server.name,
                    ssh_keys=server.ssh_keys,
                    packages=DOCKER_PACKAGES,
                    apt_sources=docker_apt_source(),
                    write_files=project.write_files(),
                    runcmd=(("systemctl", "enable", "--now", "docker"), project.up_command()),
                )
            )

        self.server = CloudInitVm(
            f"{name}-server",
            CloudInitVmArgs.of(
                server, pulumi.Output.secret(db_pw.apply(user_data)), s, setup.image_file_ids, setup.after
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._name, self._tenant, self._setup = name, tenant, setup

    def install_agents(self, guests: dict[str, pulumi.Resource]) -> None:
        """An agent 2 on every other guest (call once all guests exist: `guests` maps names to their resources)."""
        server = self._tenant.vm(f"{self._tenant.name}-zabbix")
        self.agents = on_every_guest(
            self,
            f"{self._name}-agent",
            self._tenant,
            self._setup,
            {**guests, server.name: self.server},
            lambda g: zabbix_agent_script(str(server.address), g.name, str(g.address)),
            skip=server.name,
        )
        self.register_outputs({"server": str(server.address), "agents": len(self.agents)})


class Extras(pulumi.ComponentResource):
    """The optional services the tenant asked for, each a container running its Compose project."""

    def __init__(
        self, name: str, tenant: TenantSpec, setup: GuestSetup, secrets: pulumi.Config,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:  # fmt: skip
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
            admin = _password(f"{name}-vaultwarden-admin", self, 48)
            scripts["vaultwarden"] = admin.apply(lambda t: compose_project_script(vaultwarden_project(site, t)))
        if e.twingate is not None:
            c = tenant.container(f"{tenant.name}-twingate")
            tokens = pulumi.Output.all(
                secrets.require_secret("twingateAccessToken"), secrets.require_secret("twingateRefreshToken")
            )
            scripts["twingate"] = tokens.apply(
                lambda t: compose_project_script(twingate_project(e.twingate_network, c.name, t[0], t[1]))
            )
        for key, text in scripts.items():
            c = tenant.container(f"{tenant.name}-{key}")
            self.containers[c.name] = setup.container(f"{name}-{key}", c, {key: pulumi.Output.secret(text)}, self)
        self.register_outputs({"services": sorted(scripts)})


class LoggingStack(pulumi.ComponentResource):
    """The tenant's Graylog VM, and rsyslog forwarding (TCP, disk-assisted queue) on every other guest."""

    def __init__(
        self, name: str, tenant: TenantSpec, setup: GuestSetup, opts: pulumi.ResourceOptions | None = None,
    ) -> None:  # fmt: skip
        lg = tenant.logging
        assert lg is not None
        super().__init__("proxcloud:index:LoggingStack", name, {"tenant": tenant.name}, opts)
        s = setup.settings
        graylog: Vm = tenant.vm(f"{tenant.name}-graylog")
        params = GraylogParams(internal_address=str(graylog.address), external_uri=f"https://{lg.public_host}/")
        pepper, admin = _password(f"{name}-password-secret", self, 96), _password(f"{name}-admin-password", self, 24)
        user_data = pulumi.Output.secret(
            pulumi.Output.all(pepper, admin).apply(
                lambda v: render_user_data(
                    graylog_vm_cloud_config(
                        params,
                        hostname=graylog.name,
                        ssh_keys=graylog.ssh_keys,
                        password_secret=v[0],
                        root_password=v[1],
                    )
                )
            )
        )
        self.server = CloudInitVm(
            f"{name}-graylog",
            CloudInitVmArgs.of(graylog, user_data, s, setup.image_file_ids, setup.after),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.admin_password = admin
        self._name, self._tenant, self._setup, self._params = name, tenant, setup, params

    def forward_from(self, guests: dict[str, pulumi.Resource]) -> None:
        """rsyslog forwarding on every other guest (call once all guests exist)."""
        graylog = self._tenant.vm(f"{self._tenant.name}-graylog")
        self.forwarders = on_every_guest(
            self,
            f"{self._name}-rsyslog",
            self._tenant,
            self._setup,
            {**guests, graylog.name: self.server},
            lambda g: rsyslog_container_script(str(graylog.address), self._params.syslog_port),
            skip=graylog.name,
        )
        self.register_outputs({"graylog": self._params.external_uri, "forwarders": len(self.forwarders)})
