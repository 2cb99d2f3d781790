"""BackupPlan: off-site PBS backups of every tenant's guests, selected by pool, one PBS namespace per tenant.

Per tenant: a PBS storage `pbs-<tenant>` (namespace `<tenant>`, client-side encryption), and a nightly
snapshot-mode job over the tenant's pool, so VMs the tenant creates later are covered without editing the
job. A pool job cannot exclude guests: vzdump reads `exclude` only with `all` (pve-manager PVE/VZDump.pm
`get_included_guests`: `pool` wins, `exclude` is consulted in the `all` branch only), so the job has none.
What a stateless guest keeps out of its backup is decided per disk instead: a stateless VM's disk has
`backup=0` (components/vm.py), which vzdump skips (qemu-server src/PVE/VZDump/QemuServer.pm `prepare`, through
`get_backup_volumes`), leaving only its configuration; a container's root filesystem is always backed up
(pve-container src/PVE/LXC/Config.pm `mountpoint_backup_enabled`: rootfs is always included), so a stateless
container costs its (small, deduplicated) root filesystem.

On the PBS host, over SSH: the namespaces and a verify and a prune job per namespace (render/pbs.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px
from pulumi_command import remote

from components.container import NodeSsh
from model.models import BackupSpec
from model.platform import TenantSpec
from model.storage import managed, managed_pool
from render.pbs import apply_script, delete_script, storage_password_script, tenant_jobs


@dataclass
class BackupPlanArgs:
    """Inputs of BackupPlan."""

    backup: BackupSpec
    """Server, window, retention, notification."""
    tenants: list[TenantSpec]
    """Every tenant: each pool gets a job, even before it holds a VM."""
    nodes: list[str]
    """Nodes the PBS storages are available on."""
    password: pulumi.Input[str]
    """Password of the PBS user (secret)."""
    ssh_private_key: pulumi.Input[str]
    """SSH key for the PBS host, to manage namespaces and jobs (secret)."""
    encryption_key: pulumi.Input[str] | None
    """Supplied client-side encryption key (secret), or None to let PVE generate one per storage."""
    protect: bool
    """Protect the storages (prod): their removal would orphan the backups' configuration."""
    notification_system: bool = False
    """PVE's notification system carries the jobs' failures (proxcloud:notifications): the jobs name no mailto."""
    node: NodeSsh | None = None
    """A PVE node to deliver a rotated password to the storages (render/pbs.py storage_password_script); without
    it a rotation of pbsPassword reaches only the PBS jobs and the storages keep the password they were made with."""


class BackupPlan(pulumi.ComponentResource):
    """`storages[tenant]`, `jobs[tenant]`, and `key_fingerprints[tenant]` (the only part of a key exported)."""

    storages: dict[str, px.storage.Pbs]
    jobs: dict[str, px.backup.Job]
    key_fingerprints: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: BackupPlanArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:BackupPlan", name, None, opts)
        b = args.backup
        password = pulumi.Output.secret(args.password)
        key = pulumi.Output.secret(args.encryption_key) if args.encryption_key is not None else None
        self.storages, self.jobs, self.key_fingerprints = {}, {}, {}
        pbs_jobs = []
        for t in args.tenants:
            storage = px.storage.Pbs(
                f"{name}-{t.name}-storage",
                resource_id=f"pbs-{t.name}",
                server=b.pbs.server,
                datastore=b.pbs.datastore,
                namespace=t.name,
                username=b.pbs.username,
                password=password,
                fingerprint=b.pbs.fingerprint,
                contents=["backup"],
                nodes=args.nodes,
                encryption_key=key,
                generate_encryption_key=None if key is not None else True,
                # Set at creation only: password, encryption_key and generate_encryption_key force a replacement
                # (bpg v0.111.1 fwprovider/storage/resource_pbs.go RequiresReplace), which would remove the storage
                # and regenerate its key - old backups could no longer be read. A rotated password arrives through
                # `pbs_password` below; the key is never changed by the program (docs/operations.md).
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.protect and not t.retiring,
                    ignore_changes=["password", "encryptionKey", "generateEncryptionKey"],
                ),
            )
            # the tenant's pool, and the pool of the guests the provider manages for it (components/managed_pool.py):
            # one job each, the same semantics, the same PBS namespace
            pools = {t.name: t.pool_id, **({managed_pool(t.name): managed_pool(t.name)} if managed(t) else {})}
            for job, pool in pools.items():
                self.jobs[job] = px.backup.Job(
                    f"{name}-{job}-nightly",
                    resource_id=f"{job}-nightly",
                    schedule=b.schedule,
                    storage=storage.resource_id,
                    pool=pool,
                    mode="snapshot",
                    compress="zstd",
                    prune_backups=b.retention.as_pve(),
                    # vzdump sends through the notification system when a job has no mailto (notification-mode
                    # `auto`, pve-manager PVE/VZDump.pm send_notification); the SDK has no notification-mode.
                    mailnotification=None if args.notification_system else "failure",
                    mailtos=None if args.notification_system else [b.mailto],
                    repeat_missed=True,
                    enabled=True,
                    notes_template=f"{{{{guestname}}}} ({{{{vmid}}}}), tenant {t.name}",
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.storages[t.name] = storage
            self.key_fingerprints[t.name] = storage.encryption_key_fingerprint
            pbs_jobs += tenant_jobs(
                t.name,
                b.pbs.datastore,
                b.retention.as_pve(),
                b.pbs.verify_schedule,
                b.pbs.prune_schedule,
                b.pbs.verify_outdated_days,
            )
        create = apply_script(pbs_jobs, b.pbs.username, b.pbs.fingerprint)
        # No `triggers`: pulumi-command replaces on them (its SDK sets replace_on_changes=["triggers[*]"]), and a
        # replacement runs the new create, then the old delete, which removes every job. A change of `create`
        # is an update instead, which runs `update`: the same script, reconciling the full set (render/pbs.py).
        self.pbs_jobs = remote.Command(
            f"{name}-pbs-jobs",
            connection=remote.ConnectionArgs(
                host=b.pbs.server, user=b.pbs.ssh_user, private_key=pulumi.Output.secret(args.ssh_private_key)
            ),
            create=create,
            update=create,
            delete=delete_script(pbs_jobs),
            stdin=password.apply(lambda p: p + "\n"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.storages.values())),
        )
        self.pbs_password = None
        if args.node is not None:
            n = args.node
            script = storage_password_script([f"pbs-{t.name}" for t in args.tenants])
            # no triggers: a new password (stdin) or a new storage (the script) is an update, which runs it again
            self.pbs_password = remote.Command(
                f"{name}-pbs-password",
                connection=remote.ConnectionArgs(host=n.host, user=n.user, private_key=n.private_key),
                create=script,
                update=script,
                stdin=password.apply(lambda p: p + "\n"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.storages.values())),
            )
        self.register_outputs(
            {
                "storages": {k: s.resource_id for k, s in self.storages.items()},
                "key_fingerprints": self.key_fingerprints,
            }
        )
