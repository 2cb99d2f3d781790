"""CloudInitVm: the building block for every VM - a cloud-init snippet plus a VmLegacy booted from the image.

Conventions: explicit name and VM ID, pool membership, sorted tags, CPU type x86-64-v2-AES, virtio NICs with
the PVE firewall flag on, static addressing through cloud-init ip_configs, user data from a snippet uploaded
over SSH (the provider's `ssh` block), the guest agent only when cloud-init installs it.

User data is first-boot input, frozen once the VM exists (docs/operations.md "User data is first-boot input"):
- PVE regenerates the cloud-init drive from the snippet on every start that is not a live migration's, and the
  start fails when the snippet is gone (qemu-server src/PVE/QemuServer.pm `vm_start_nolock` ->
  src/PVE/QemuServer/Cloudinit.pm `apply_cloudinit_config`, `read_cloudinit_snippets_file`); the NoCloud
  instance-id is a hash of the user data and network config (Cloudinit.pm `nocloud_gen_metadata`), so a snippet
  whose content changes makes cloud-init take the next boot for a new instance and run its first boot again
  (new SSH host keys, users, write_files, runcmd). So the snippet keeps the content it was created with
  (`ignore_changes` on `sourceRaw`: the provider's `source_raw` is ForceNew, bpg proxmoxtf/resource/file.go, and a
  replace would write the new file under the same volume id and then delete it), and the VM ignores later changes
  of its user-data file id (`initialization.user_data_file_id` is ForceNew, bpg proxmoxtf/resource/vm/vm.go).
- The snippet is on every node the VM may start on (HA relocation, replication target, a maintenance
  migration): the snippets datastore is node-local, like the images. The other nodes' copies take the home
  snippet's recorded content, so every copy is byte-identical (the same instance-id wherever it starts), also on
  a node added later.
- What changes later reaches the running VM through idempotent steps run from its node (components/guest_exec.py:
  admin keys; components/edge.py: proxy routes), which run again when their guest is replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
from pulumi_command import remote

from components.container import NodeSsh
from components.guest_exec import guest_command
from model.models import StackSettings
from model.platform import Vm


@dataclass
class CloudInitVmArgs:
    """Inputs of CloudInitVm."""

    vm: Vm
    """The resolved VM spec (ids, node, size, NICs, addresses)."""
    image_file_id: pulumi.Input[str]
    """Volume id of the cloud image on the VM's node (CloudImage.file_ids[node])."""
    user_data: pulumi.Input[str]
    """Rendered `#cloud-config`; pass a secret Output when it carries secrets."""
    vm_datastore: str
    """Datastore of the system disk and the cloud-init drive."""
    snippets_datastore: str
    """Datastore with the `snippets` content type."""
    dns_servers: list[str]
    """Resolvers; the first NIC's gateway when empty."""
    domain: str
    """Search domain."""
    snippet_nodes: Sequence[str] = ()
    """Every node the VM may start on; its snippet is uploaded to each (its own node always)."""
    reconfigure: pulumi.Input[str] | None = None
    """A script that brings the running VM to the current config (render/provision.py `reconfigure_script`): run
    inside it from its node once cloud-init is done, again when it changes and when the VM is replaced. None: later
    changes of the user data reach only a new VM."""
    node_ssh: NodeSsh | None = None
    """SSH to the VM's node; needed with `reconfigure`."""
    after: Sequence[pulumi.Resource] = ()
    """What the VM must wait for before it is created: its pool (PVE refuses a guest in a pool that does not
    exist: qemu-server src/PVE/API2/Qemu.pm `create_vm`, `check_pool_exist`) and the readiness of the routers
    its first boot needs (components/readiness.py). A component's own depends_on does not reach its children."""

    @classmethod
    def of(
        cls,
        vm: Vm,
        user_data: pulumi.Input[str],
        settings: StackSettings,
        image_file_ids: dict[str, pulumi.Output[str]],
        after: Sequence[pulumi.Resource] = (),
        reconfigure: pulumi.Input[str] | None = None,
        node_ssh: NodeSsh | None = None,
    ) -> CloudInitVmArgs:
        """The usual arguments: the stack's datastores, resolvers and domain, the image on the VM's node."""
        return cls(
            vm=vm,
            image_file_id=image_file_ids[vm.node],
            user_data=user_data,
            vm_datastore=settings.datastores.vm,
            snippets_datastore=settings.datastores.snippets,
            dns_servers=[str(d) for d in settings.dns_servers],
            domain=settings.domain,
            snippet_nodes=[n.name for n in settings.nodes],
            after=after,
            reconfigure=reconfigure,
            node_ssh=node_ssh,
        )


def _recorded_data(raw: object) -> str:
    """The data of a FileLegacy's recorded `source_raw` (what the file on the node holds)."""
    return str(getattr(raw, "data", "") or "")


class CloudInitVm(pulumi.ComponentResource):
    """One VM; `vm_id`, `address` and `name` are its outputs."""

    snippet: px.FileLegacy
    """The snippet on the VM's own node (`snippets[vm.node]`)."""
    snippets: dict[str, px.FileLegacy]
    """Node -> the snippet there: every node the VM may start on."""
    machine: px.VmLegacy
    reconfigured: remote.Command | None
    vm_id: pulumi.Output[int]
    address: pulumi.Output[str]

    def __init__(self, name: str, args: CloudInitVmArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        vm = args.vm
        super().__init__(
            "proxcloud:index:CloudInitVm",
            name,
            {"role": vm.role, "stateful": vm.stateful, "tenant": vm.tenant},
            opts,
        )
        file_name = f"{vm.tenant}-{vm.name}-user.yaml"
        nodes = [vm.node, *(n for n in dict.fromkeys(args.snippet_nodes) if n != vm.node)]
        self.snippets = {}
        for node in nodes:
            # The home node's copy renders the user data; the others take its recorded content, so a copy made
            # later (a node added) is byte-identical to the one the VM booted from.
            home = node == vm.node
            data = args.user_data if home else pulumi.Output.secret(self.snippet.source_raw.apply(_recorded_data))
            self.snippets[node] = px.FileLegacy(
                f"{name}-user-data" if home else f"{name}-user-data-{node}",
                node_name=node,
                datastore_id=args.snippets_datastore,
                content_type="snippets",
                source_raw=px.FileLegacySourceRawArgs(data=data, file_name=file_name),
                # Frozen at creation (see the module docstring). A replace (a datastore change, a new home node)
                # deletes first - old and new share the volume id - and so replaces the VM with it (the engine's
                # delete-before-replace cascade), which `make diff` flags as a guest replaced.
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["sourceRaw"], delete_before_replace=True),
            )
            if home:
                self.snippet = self.snippets[node]
        addressed = [nic for nic in vm.nics if nic.ipv4 is not None]  # trunks come last and stay unconfigured
        ip_configs = [
            px.VmLegacyInitializationIpConfigArgs(
                ipv4=px.VmLegacyInitializationIpConfigIpv4Args(
                    address=str(nic.ipv4), gateway=str(nic.gateway4) if nic.gateway4 else None
                ),
                ipv6=px.VmLegacyInitializationIpConfigIpv6Args(
                    address=str(nic.ipv6), gateway=str(nic.gateway6) if nic.gateway6 else None
                )
                if nic.ipv6
                else None,
            )
            for nic in addressed
        ]
        dns = args.dns_servers or [str(n.gateway4) for n in addressed if n.gateway4][:1]
        self.machine = px.VmLegacy(
            f"{name}-vm",
            name=vm.name,
            vm_id=vm.vm_id,
            node_name=vm.node,
            # a node change is a migration, never a replacement (bpg v0.111.1 proxmoxtf/resource/vm/vm.go
            # CustomizeDiff ForceNewIf(node_name) unless `migrate`); after an HA move the read rewrites node_name
            # (vmRead GetVMNodeName), and the next `up` migrates the VM back home (issue 15 item 6)
            migrate=True,
            pool_id=vm.pool_id,
            tags=vm.tags,
            description=vm.description or f"{vm.role} VM of tenant {vm.tenant}, managed by proxcloud",
            on_boot=True,
            started=True,
            protection=vm.protect,
            stop_on_destroy=not vm.guest_agent,
            agent=px.VmLegacyAgentArgs(enabled=vm.guest_agent, trim=True),
            cpu=px.VmLegacyCpuArgs(cores=vm.cores, sockets=1, type="x86-64-v2-AES"),
            memory=px.VmLegacyMemoryArgs(dedicated=vm.memory_mb),
            operating_system=px.VmLegacyOperatingSystemArgs(type="l26"),
            scsi_hardware="virtio-scsi-single",
            serial_devices=[px.VmLegacySerialDeviceArgs(device="socket")],
            disks=[
                px.VmLegacyDiskArgs(
                    interface="scsi0",
                    datastore_id=args.vm_datastore,
                    import_from=args.image_file_id,
                    size=vm.disk_gb,
                    discard="on",
                    ssd=True,
                    iothread=True,
                    backup=vm.stateful,
                )
            ],
            network_devices=[
                px.VmLegacyNetworkDeviceArgs(
                    bridge=nic.bridge,
                    model="virtio",
                    firewall=True,
                    mac_address=nic.mac,
                    mtu=nic.mtu,
                    vlan_id=nic.vlan,
                )
                for nic in vm.nics
            ],
            initialization=px.VmLegacyInitializationArgs(
                datastore_id=args.vm_datastore,
                interface="ide2",
                ip_configs=ip_configs,
                dns=px.VmLegacyInitializationDnsArgs(domain=args.domain, servers=dns),
                user_data_file_id=self.snippet.id,
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=vm.protect,
                depends_on=[*args.after, *self.snippets.values()],
                ignore_changes=["initialization.userDataFileId"],
            ),
        )
        self.reconfigured = None
        if args.reconfigure is not None:
            if args.node_ssh is None:
                raise ValueError(f"VM {vm.name}: reconfigure needs node_ssh (SSH access to {vm.node})")
            self.reconfigured = guest_command(
                f"{name}-reconfigure",
                vm,
                self.machine,
                args.node_ssh,
                args.reconfigure,
                pulumi.ResourceOptions(parent=self),
            )
        self.vm_id = self.machine.vm_id
        self.address = pulumi.Output.from_input(str(vm.address))
        self.register_outputs({"vm_id": self.vm_id, "address": self.address, "name": vm.name})
