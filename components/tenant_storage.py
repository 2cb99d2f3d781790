"""TenantStorage: a tenant's own storages on a quota-bounded ZFS dataset, members of its pool (model/storage.py).

Per node, over the node's SSH (components/guest_exec.py node_ssh), a Command creates `rpool/tenants/<t>` with its
`quota` and the children `iso` (and `disks` for self-service); a later `up` re-applies the quota (an in-place
change). Deleting the Command leaves the datasets: they hold the tenant's volumes, and are removed by hand after
the tenant is retired (docs/operations.md). Then the PVE storages: `<t>-iso` (dir, node-local: `shared` is false;
bpg fwprovider/storage/resource_directory.go defaults `shared` to true) and `<t>-disks` (zfspool, thin), each a
member of the tenant's pool (pool.Membership), so the tenancy proof counts them as the tenant's. A self-service
tenant gets the stack's cloud image in its ISO storage (content import), one download per node, so it can build
VMs from it without reading the provider's `local`.
"""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
from pulumi_command import remote

from components.guest_exec import node_ssh
from components.images import per_node_downloads
from model.models import AccessProfile, StackSettings
from model.platform import TenantSpec
from model.storage import DISK_CONTENTS, ISO_CONTENTS, dataset, disk_storage, iso_path, iso_storage


def dataset_script(tenant: str, quota_gb: int, disks: bool) -> str:
    """Node-side, idempotent: the tenant's dataset with its quota, and its children (`zfs create -p` is a no-op
    for an existing dataset; zfs(8) `create -p`, `set quota`)."""
    root = dataset(tenant)
    children = ["iso", *(["disks"] if disks else [])]
    lines = [
        "set -eu",
        f"zfs create -p {shlex.quote(root)}",
        f"zfs set quota={quota_gb}G {shlex.quote(root)}",
        *(f"zfs create -p {shlex.quote(f'{root}/{c}')}" for c in children),
        f"mountpoint -q {shlex.quote(iso_path(tenant))}",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class TenantStorageArgs:
    """Inputs of TenantStorage."""

    tenant: TenantSpec
    """The tenant (name, access profile, quota)."""
    settings: StackSettings
    """Nodes (and their SSH addresses) and the cloud image."""
    pool: px.PoolLegacy
    """The tenant's pool: the storages become its members."""
    node_key: pulumi.Input[str]
    """The nodes' SSH key (secret)."""


class TenantStorage(pulumi.ComponentResource):
    """`storages[id]` are the PVE storages; `image_file_ids[node]` the cloud image in the ISO storage."""

    storages: dict[str, px.storage.Directory | px.storage.Zfspool]
    image_file_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: TenantStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        t, s = args.tenant, args.settings
        super().__init__("proxcloud:index:TenantStorage", name, {"tenant": t.name}, opts)
        nodes = sorted(n.name for n in s.nodes)
        disks = t.access is AccessProfile.SELF_SERVICE
        script = dataset_script(t.name, t.storage_quota_gb, disks)
        ssh = {node: node_ssh(s, node, args.node_key) for node in nodes}
        datasets = [
            remote.Command(
                f"{name}-dataset-{node}",
                connection=remote.ConnectionArgs(
                    host=ssh[node].host, user=ssh[node].user, private_key=ssh[node].private_key
                ),
                create=script,
                update=script,
                triggers=[hashlib.sha256(script.encode()).hexdigest()],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for node in nodes
        ]
        after = pulumi.ResourceOptions(parent=self, depends_on=datasets)
        iso = px.storage.Directory(
            f"{name}-iso",
            resource_id=iso_storage(t.name),
            path=iso_path(t.name),
            contents=list(ISO_CONTENTS),
            nodes=nodes,
            shared=False,
            create_base_path=False,  # the dataset's mount point: never a plain directory on the root fs
            create_subdirs=True,
            opts=after,
        )
        self.storages = {iso_storage(t.name): iso}
        if disks:
            self.storages[disk_storage(t.name)] = px.storage.Zfspool(
                f"{name}-disks",
                resource_id=disk_storage(t.name),
                zfs_pool=f"{dataset(t.name)}/disks",
                contents=list(DISK_CONTENTS),
                nodes=nodes,
                thin_provision=True,
                opts=after,
            )
        members = {sid: storage.resource_id for sid, storage in self.storages.items()}
        members.update({sid: pulumi.Output.from_input(sid) for sid in t.storages})  # its dedicated storages
        for sid, storage_id in members.items():
            px.pool.Membership(
                f"{name}-member-{sid}",
                pool_id=args.pool.pool_id,
                storage_id=storage_id,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.image_file_ids = {}
        if disks and s.image is not None:
            files = per_node_downloads(self, f"{name}-debian12", nodes, iso.resource_id, "import", s.image)  # type: ignore[arg-type]
            self.image_file_ids = {node: f.id for node, f in files.items()}
        self.register_outputs(
            {"storages": {k: v.resource_id for k, v in self.storages.items()}, "image_file_ids": self.image_file_ids}
        )
