"""proxcloud: load this stack's spec, build one Tenant per tenant file, apply SDN once, back up, export."""

import gc
from pathlib import Path

import pulumi

from components.audit import AuditPrincipal
from components.backup import BackupPlan, BackupPlanArgs
from components.config import namespace_config
from components.container import ContainerTemplate, ContainerTemplateArgs
from components.edge import EdgeRouter, EdgeRouterArgs, ProviderEdge, ProviderEdgeArgs
from components.firewall import Firewall, FirewallArgs
from components.guest_exec import AdminKeys, AdminKeysArgs, node_ssh
from components.ha import HighAvailability, HighAvailabilityArgs
from components.images import CloudImage, CloudImageArgs
from components.outputs import stack_outputs
from components.pve_notifications import Notifications, NotificationsArgs
from components.restore_drill import RestoreDrill, RestoreDrillArgs
from components.sdn import SdnApply, SdnApplyArgs, SdnCommit, SdnCommitArgs, sdn_fingerprint
from components.services import GuestSetup, template_spec
from components.tenant import Tenant, TenantArgs, TenantGuests, TenantGuestsArgs
from components.tenant_storage import TenantStorage, TenantStorageArgs
from model.drill import drill_guests
from model.errors import SpecError
from model.load import load_platform
from model.notifications import admin_addresses, admin_matcher
from services import present

# A plan keeps every resource and Output alive to the end, so CPython's full collections rescan an ever-growing
# heap and free nothing: collect the oldest generation far less often (docs/performance.md).
gc.set_threshold(700, 10, 1000)

try:
    platform = load_platform(
        pulumi.get_project(), pulumi.get_stack(), namespace_config("proxcloud"), Path(__file__).parent
    )
except SpecError as exc:
    # A user mistake: report every problem, register nothing, no traceback.
    raise pulumi.RunError(f"invalid proxcloud input:\n{exc}") from None
settings = platform.settings
secrets = pulumi.Config("proxcloud")

sdn = SdnApply("sdn", SdnApplyArgs(fingerprint=sdn_fingerprint(platform)))
vms = [vm for t in platform.tenants for vm in t.vms] + ([platform.edge.vm] if platform.edge else [])
containers = [c for t in platform.tenants for c in t.containers]

# Phase 1: identities, pools and SDN objects; then the one SDN apply of the stack.
ops_key = (  # the tenant routers' route changes go over SSH
    secrets.require_secret("opsSshPrivateKey")
    if any(k.phase == 0 for t in platform.tenants for k in present(t))
    else ""
)
tenants = {t.name: Tenant(t.name, TenantArgs.of(t, platform, sdn.finalizer)) for t in platform.tenants}
sdn_objects = [obj for tenant in tenants.values() for obj in tenant.zone.sdn_objects]
edge = None
if platform.edge is not None:
    edge = ProviderEdge(
        "edge", ProviderEdgeArgs(platform.edge, settings, platform.vteps, platform.node_names, sdn.finalizer)
    )
    sdn_objects += edge.sdn_objects
applier = SdnCommit("sdn-commit", SdnCommitArgs(sdn, sdn_objects)).applier

# Phase 2: guests. The image and template downloads depend on the apply, and every guest takes a download's id,
# so no guest starts before its VNets exist - by dependency, never by the applier's id, which is unknown in
# preview whenever SDN changes (components/images.py). Routers come first, and each guest waits for the routers
# its first boot needs (components/readiness.py).
image_ids, template_ids = {}, {}
if vms and settings.image is not None:
    image = CloudImage(
        "debian12", CloudImageArgs(settings.image, settings.datastores.images, [v.node for v in vms], [applier])
    )
    image_ids = image.file_ids
if containers and settings.container_template is not None:
    template = ContainerTemplate(
        "debian12-lxc",
        ContainerTemplateArgs(
            template_spec(settings), settings.datastores.images, [c.node for c in containers], [applier]
        ),
    )
    template_ids = template.file_ids
# In-guest commands: containers' provisioning, and the services that reach every other guest (build phase 2).
needs_setup = bool(containers) or any(k.phase == 2 for t in platform.tenants for k in present(t))
routers = platform.edge is not None or any(k.phase == 0 for t in platform.tenants for k in present(t))
node_key = secrets.require_secret("nodeSshPrivateKey") if needs_setup or routers or platform.tenants else ""
setup = GuestSetup(settings, template_ids, image_ids, node_key) if needs_setup else None
router = None
if edge is not None and platform.edge is not None:
    router = EdgeRouter(
        "edge-routing",
        EdgeRouterArgs(edge, platform.edge, settings, image_ids, node_key),
        opts=pulumi.ResourceOptions(parent=edge),
    )
tenant_guests = {
    t.name: TenantGuests(
        f"{t.name}-guests",
        TenantGuestsArgs(
            tenant=tenants[t.name],
            spec=t,
            settings=settings,
            image_file_ids=image_ids,
            setup=setup,
            edge_ready=router.ready if router is not None else None,
            node_key=node_key,
            ops_ssh_private_key=ops_key,
            secrets=secrets,
        ),
        opts=pulumi.ResourceOptions(parent=tenants[t.name]),
    )
    for t in platform.tenants
}
# Each tenant's own ISO and disk storages on its quota-bounded dataset (issue 14 findings 3 and 7).
tenant_storages = {
    t.name: TenantStorage(f"{t.name}-storage", TenantStorageArgs(t, settings, tenants[t.name].pool, node_key))
    for t in platform.tenants
}

machines = {name: m for g in tenant_guests.values() for name, m in g.machines.items()}
if router is not None and platform.edge is not None:
    machines[platform.edge.vm.name] = router.router.machine
Firewall("firewall", FirewallArgs(platform, machines, applier))
if machines:  # day 2: a changed proxcloud:adminSshKeys reaches running guests (first-boot input never replaces them)
    key = secrets.require_secret("nodeSshPrivateKey") if isinstance(node_key, str) else node_key
    AdminKeys("admin-keys", AdminKeysArgs([*vms, *containers], machines, settings, key))

# PVE's notification system: the admins' SMTP target and what reaches them (failures only).
notify = None
if settings.notifications is not None:
    n = settings.notifications
    notify = Notifications(
        "notify",
        NotificationsArgs(
            n,
            admin_addresses(settings),
            admin_matcher(),
            secrets.require_secret("smtpPassword") if n.username else None,
        ),
    )

backups = None
if settings.backup is not None:
    backups = BackupPlan(
        "backup",
        BackupPlanArgs(
            backup=settings.backup,
            tenants=list(platform.tenants),
            nodes=platform.node_names,
            password=secrets.require_secret("pbsPassword"),
            ssh_private_key=secrets.require_secret("pbsSshPrivateKey"),
            encryption_key=secrets.require_secret("pbsEncryptionKey")
            if settings.backup.encryption == "supplied"
            else None,
            protect=settings.protect_stateful,
            notification_system=notify is not None,
            node=node_ssh(settings, platform.node_names[0], secrets.require_secret("nodeSshPrivateKey")),
        ),
        # jobs select the pools (the tenants' and their managed pools)
        opts=pulumi.ResourceOptions(depends_on=[p for t in tenants.values() for p in (t.pool, *t.managed)]),
    )
    if settings.backup.restore_drill is not None:
        RestoreDrill(
            "restore-drill",
            RestoreDrillArgs(
                settings.backup.restore_drill,
                drill_guests(platform)[0],
                settings,
                secrets.require_secret("nodeSshPrivateKey") if isinstance(node_key, str) else node_key,
                after=[*backups.jobs.values(), *([notify.matcher] if notify is not None else [])],
            ),
        )

if len(platform.node_names) > 1 and vms:
    guests = [*vms, *containers]
    HighAvailability(
        "ha",
        HighAvailabilityArgs(
            guests, machines, platform.node_names, settings.ha, ha_resources=settings.protect_stateful
        ),
    )

# The read-only identity `make audit` compares the running cluster with (tools/audit).
audit = AuditPrincipal("audit")

for key, value in stack_outputs(platform, tenants, tenant_guests, backups, audit).items():
    pulumi.export(key, value)
