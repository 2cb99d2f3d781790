"""LxcContainer: the building block for setup C's services - an unprivileged ContainerLegacy from a verified
template, then its service provisioned by a script run inside it with `pct exec` over the node's SSH.

Why `pct exec` over the node's SSH: containers have no cloud-init (PVE only sets hostname, addresses, DNS and root's
SSH keys), so the service configuration has to be applied after creation. The node's SSH access is already
required by the provider (snippet uploads), so this adds no new credential and no network path into the tenant's
networks (the container's own sshd may sit behind its firewall, unreachable from where Pulumi runs). The script
arrives on stdin (`pct exec <id> -- bash -s`): its secrets are never a command-line argument, never a file on the
node, and the command's `stdin` input is a secret Output whenever the script is.

ContainerTemplate downloads the LXC template once per node (content type `vztmpl`, checksum verified by PVE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_command.remote as remote
import pulumi_proxmoxve as px

from components.images import per_node_downloads
from model.containers import Container, ContainerTemplateSpec


@dataclass
class ContainerTemplateArgs:
    """Inputs of ContainerTemplate."""

    template: ContainerTemplateSpec
    """URL, file name and checksum of the pinned template."""
    datastore: str
    """Datastore with the `vztmpl` content type."""
    nodes: list[str]
    """Nodes that run containers from it: one download each (the datastore is node-local)."""
    after: Sequence[pulumi.Resource] = ()
    """Resources the downloads (and so the containers) wait for: the SDN apply (components/images.py)."""


class ContainerTemplate(pulumi.ComponentResource):
    """`file_ids[node]` is the volume id (`<ds>:vztmpl/<file>`) a container's operating_system takes."""

    files: dict[str, px.download.File]
    file_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ContainerTemplateArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:ContainerTemplate", name, None, opts)
        if set(args.template.checksum) == {"0"}:
            pulumi.log.warn(
                f"LXC template {args.template.file_name}: the checksum is not pinned (all zeros); PVE's download "
                "will stop at the checksum check until proxcloud:containerTemplate.checksum is set",
                self,
            )
        self.files = per_node_downloads(self, name, args.nodes, args.datastore, "vztmpl", args.template, args.after)
        self.file_ids = {node: f.id for node, f in self.files.items()}
        self.register_outputs({"file_ids": self.file_ids})


@dataclass
class NodeSsh:
    """How to reach the PVE node that runs the container (the same account the provider's `ssh` block uses)."""

    host: pulumi.Input[str]
    """The node's address."""
    user: pulumi.Input[str] = "root"
    """`pct` needs root on the node."""
    private_key: pulumi.Input[str] | None = None
    """PEM private key (a secret); without it the SSH agent (`agent_socket_path`) is used."""
    agent_socket_path: pulumi.Input[str] | None = None


@dataclass
class LxcContainerArgs:
    """Inputs of LxcContainer."""

    container: Container
    """The resolved container spec (id, node, size, NICs, addresses)."""
    template_file_id: pulumi.Input[str]
    """Volume id of the template on the container's node (ContainerTemplate.file_ids[node])."""
    datastore: str
    """Datastore of the root disk."""
    dns_servers: list[str]
    """Resolvers; the first NIC's gateway when empty."""
    domain: str
    """Search domain."""
    node_ssh: NodeSsh | None = None
    """SSH access to the node; required when there are provision scripts."""
    provision_scripts: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Step name -> rendered bash run as root inside the container, in this order, each step after the previous
    one (e.g. {"wordpress": web_script, "zabbix-agent": agent_script}). Pass a secret Output when a script carries
    secrets. A changed script re-runs its step, and so does a replaced container (the step triggers on the
    container's id), so scripts must be idempotent (ours are)."""
    after: Sequence[pulumi.Resource] = ()
    """What the container must wait for before it is created: its pool (pve-container src/PVE/API2/LXC.pm
    `create_vm`, `check_pool_exist`) and the readiness of the routers its provisioning needs."""


def pct_exec_command(vm_id: int) -> str:
    """The node-side command: wait until the container accepts `pct exec`, then run stdin as a bash script."""
    return (
        f"for i in $(seq 1 60); do pct exec {vm_id} -- true </dev/null && break; sleep 2; done; "
        f"pct exec {vm_id} -- bash -s"
    )


class LxcContainer(pulumi.ComponentResource):
    """One container; `vm_id` and `address` are its outputs, `provision` the commands that configured it."""

    container: px.ContainerLegacy
    provision: list[remote.Command]
    vm_id: pulumi.Output[int]
    address: pulumi.Output[str]

    def __init__(self, name: str, args: LxcContainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        c = args.container
        super().__init__(
            "proxcloud:index:LxcContainer",
            name,
            {"role": c.role, "stateful": c.stateful, "tenant": c.tenant},
            opts,
        )
        ip_configs = [
            px.ContainerLegacyInitializationIpConfigArgs(
                ipv4=px.ContainerLegacyInitializationIpConfigIpv4Args(
                    address=str(nic.ipv4), gateway=str(nic.gateway4) if nic.gateway4 and i == 0 else None
                ),
                ipv6=px.ContainerLegacyInitializationIpConfigIpv6Args(
                    address=str(nic.ipv6), gateway=str(nic.gateway6) if nic.gateway6 else None
                )
                if nic.ipv6
                else None,
            )
            for i, nic in enumerate(c.nics)
        ]
        dns = args.dns_servers or [str(c.nics[0].gateway4)]
        self.container = px.ContainerLegacy(
            f"{name}-ct",
            node_name=c.node,
            vm_id=c.vm_id,
            pool_id=c.pool_id,
            tags=c.tags,
            description=c.description or f"{c.role} container of tenant {c.tenant}, managed by proxcloud",
            unprivileged=c.unprivileged,
            features=px.ContainerLegacyFeaturesArgs(nesting=True) if c.nesting else None,
            start_on_boot=c.start_on_boot,
            started=True,
            protection=c.protect,
            operating_system=px.ContainerLegacyOperatingSystemArgs(
                template_file_id=args.template_file_id, type="debian"
            ),
            cpu=px.ContainerLegacyCpuArgs(cores=c.cores),
            memory=px.ContainerLegacyMemoryArgs(dedicated=c.memory_mb, swap=c.swap_mb),
            disk=px.ContainerLegacyDiskArgs(datastore_id=args.datastore, size=c.disk_gb),
            network_interfaces=[
                px.ContainerLegacyNetworkInterfaceArgs(
                    name=f"eth{i}",
                    bridge=nic.bridge,
                    firewall=True,
                    mac_address=nic.mac,
                    mtu=nic.mtu,
                    vlan_id=nic.vlan,
                )
                for i, nic in enumerate(c.nics)
            ],
            initialization=px.ContainerLegacyInitializationArgs(
                hostname=c.name,
                ip_configs=ip_configs,
                dns=px.ContainerLegacyInitializationDnsArgs(domain=args.domain, servers=dns),
                user_account=px.ContainerLegacyInitializationUserAccountArgs(keys=list(c.ssh_keys)),
            ),
            # root's SSH keys are first-boot input: `user_account.keys` is ForceNew (bpg
            # proxmoxtf/resource/container/container.go), so a key change would replace the container; later
            # changes reach it through `pct exec` (components/guest_exec.py AdminKeys).
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=c.protect,
                depends_on=list(args.after),
                ignore_changes=["initialization.userAccount.keys"],
            ),
        )
        self.provision = []
        if args.provision_scripts and args.node_ssh is None:
            raise ValueError(f"container {c.name}: provision scripts need node_ssh (SSH access to {c.node})")
        previous: pulumi.Resource = self.container
        for step, text in args.provision_scripts.items():
            ssh = args.node_ssh
            assert ssh is not None
            command = remote.Command(
                f"{name}-provision-{step}",
                connection=remote.ConnectionArgs(
                    host=ssh.host,
                    user=ssh.user,
                    private_key=ssh.private_key,
                    agent_socket_path=ssh.agent_socket_path,
                ),
                create=pct_exec_command(c.vm_id),
                stdin=text,
                # a replaced container (a new resource id) is provisioned again
                triggers=[self.container.id],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous]),
            )
            self.provision.append(command)
            previous = command
        self.vm_id = self.container.vm_id.apply(lambda v: int(v) if v is not None else c.vm_id)
        self.address = pulumi.Output.from_input(str(c.address))
        self.register_outputs({"vm_id": self.vm_id, "address": self.address, "name": c.name})
