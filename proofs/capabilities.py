"""The API operations that matter to tenants and to the provider, as data taken from PVE 9's sources.

Each row: the asset kind it acts on, the API method and path, the privileges PVE checks (on the asset's own path;
`any` = `check_any` / `any => 1`), whether it reveals or changes, what, and where PVE decides it. The pseudo
privilege `perm-modify` is RPCEnvironment.pm `check_perm_modify`. Sources read: pve-access-control 5ccd07d9,
qemu-server e6352be6, pve-container (HEAD of the mirror), pve-storage (HEAD), pve-manager 14a22df3, pve-firewall
6f1311f3. Only the check on the asset's own path is listed; checks on other paths an operation also needs (e.g.
Datastore.AllocateSpace on the disk's storage when creating a VM) are rows of their own, and the usability
proof (proofs/tenancy.py) combines them per job.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    name: str
    kind: str  # the asset kind: guest, pool, node, storage, vnet, platform
    method: str
    api: str
    privs: tuple[str, ...]
    effect: str  # "reads" or "changes"
    what: str
    source: str
    any_of: bool = False
    control: bool = False  # gives the caller the guest's contents (root, disks, secrets in it): proofs/reach.py
    hardware: bool = False  # changes what an operator may not change (BRIEF setup B; issue 14 finding 8)


QEMU = "qemu-server src/PVE/API2/Qemu.pm"
LXC = "pve-container src/PVE/API2/LXC.pm"
NODES = "pve-manager PVE/API2/Nodes.pm"
STORAGE = "pve-storage src/PVE/Storage.pm check_volume_access"
VM_PATH = "/nodes/{node}/qemu/{vmid}"

CAPABILITIES: tuple[Capability, ...] = (
    # --- guests (/vms/<id>; pool roles reach it through RPCEnvironment.pm $compile_acl_path) ---
    Capability("vm.config.read", "guest", "GET", f"{VM_PATH}/config", ("VM.Audit",), "reads",
               "the guest's configuration", f"{QEMU} vm_config"),
    Capability("vm.status", "guest", "GET", f"{VM_PATH}/status/current", ("VM.Audit",), "reads",
               "the guest's state and usage", f"{QEMU} vm_status"),
    Capability("vm.power", "guest", "POST", f"{VM_PATH}/status/start|stop|shutdown|reboot", ("VM.PowerMgmt",),
               "changes", "power state", f"{QEMU} vm_start"),
    Capability("vm.console", "guest", "POST", f"{VM_PATH}/vncproxy|termproxy", ("VM.Console",), "changes",
               "the guest's console (with power and a CD: root)", f"{QEMU} vncproxy, termproxy", control=True),
    Capability("vm.destroy", "guest", "DELETE", VM_PATH, ("VM.Allocate",), "changes", "removes the guest",
               f"{QEMU} destroy_vm; {LXC} destroy_vm", hardware=True),
    Capability("vm.clone", "guest", "POST", f"{VM_PATH}/clone", ("VM.Clone",), "reads",
               "a copy of the guest's disks", f"{QEMU} clone_vm", control=True, hardware=True),
    Capability("vm.config.disk", "guest", "PUT", f"{VM_PATH}/config scsiN/virtioN/...", ("VM.Config.Disk",),
               "changes", "disks: add, resize, reassign, detach", f"{QEMU} update_vm $check_drive_perms",
               control=True, hardware=True),
    Capability("vm.config.cpu", "guest", "PUT", f"{VM_PATH}/config cores/sockets/cpu", ("VM.Config.CPU",),
               "changes", "CPU", f"{QEMU} $check_vm_modify_config_perm $cpuoptions", hardware=True),
    Capability("vm.config.memory", "guest", "PUT", f"{VM_PATH}/config memory/balloon", ("VM.Config.Memory",),
               "changes", "memory", f"{QEMU} $check_vm_modify_config_perm $memoryoptions", hardware=True),
    Capability("vm.config.hwtype", "guest", "PUT", f"{VM_PATH}/config vga/machine/...", ("VM.Config.HWType",),
               "changes", "hardware types", f"{QEMU} $check_vm_modify_config_perm $hwtypeoptions", hardware=True),
    Capability("vm.config.options", "guest", "PUT", f"{VM_PATH}/config protection/onboot/...",
               ("VM.Config.Options",), "changes", "options, protection among them",
               f"{QEMU} $check_vm_modify_config_perm $generaloptions", hardware=True),
    Capability("vm.config.network", "guest", "PUT", f"{VM_PATH}/config netN", ("VM.Config.Network",), "changes",
               "NICs (bridge, VLAN tag, firewall flag)", f"{QEMU} $check_vm_modify_config_perm net\\d+",
               hardware=True),
    Capability("vm.config.cloudinit", "guest", "PUT", f"{VM_PATH}/config ciuser/cipassword/sshkeys/ipconfigN",
               ("VM.Config.Cloudinit", "VM.Config.Network"), "changes", "cloud-init user, password, keys (root)",
               f"{QEMU} $check_vm_modify_config_perm $cloudinitoptions", any_of=True, control=True, hardware=True),
    Capability("vm.cdrom.insert", "guest", "PUT", f"{VM_PATH}/config ide2=<iso>,media=cdrom",
               ("VM.Config.CDROM",), "changes", "the medium in a CD drive", f"{QEMU} update_vm $check_drive_perms"),
    Capability("vm.cdrom.new-bus", "guest", "PUT", f"{VM_PATH}/config ide3|sata1|scsi9=<iso>,media=cdrom",
               ("VM.Config.CDROM",), "changes", "adds a CD drive on a new bus (PVE checks only VM.Config.CDROM)",
               f"{QEMU} update_vm $check_drive_perms drive_is_cdrom", hardware=True),
    Capability("vm.snapshot", "guest", "POST", f"{VM_PATH}/snapshot", ("VM.Snapshot",), "changes",
               "snapshots (with vmstate: memory contents)", f"{QEMU} snapshot", hardware=True),
    Capability("vm.rollback", "guest", "POST", f"{VM_PATH}/snapshot/{{snap}}/rollback", ("VM.Snapshot.Rollback",),
               "changes", "the guest's disks back to a snapshot", f"{QEMU} rollback", hardware=True),
    Capability("vm.backup", "guest", "POST", "/nodes/{node}/vzdump", ("VM.Backup",), "reads",
               "a full copy of the guest (with Datastore.AllocateSpace on a backup storage)",
               "pve-manager PVE/API2/VZDump.pm vzdump", control=True, hardware=True),
    Capability("vm.migrate", "guest", "POST", f"{VM_PATH}/migrate", ("VM.Migrate",), "changes",
               "the guest's node", f"{QEMU} migrate_vm", hardware=True),
    Capability("vm.firewall.edit", "guest", "POST", f"{VM_PATH}/firewall/rules|options", ("VM.Config.Network",),
               "changes", "the guest's firewall rules and options", "pve-firewall src/PVE/API2/Firewall/VM.pm"),
    Capability("vm.firewall.log", "guest", "GET", f"{VM_PATH}/firewall/log", ("VM.Console",), "reads",
               "the guest's firewall log", "pve-firewall src/PVE/API2/Firewall/VM.pm log"),
    Capability("vm.acl.delegate", "guest", "PUT", "/access/acl path=/vms/{vmid}", ("perm-modify",), "changes",
               "hands the caller's privileges on the guest to any user, group or token",
               "pve-access-control src/PVE/API2/ACL.pm update_acl; RPCEnvironment.pm check_perm_modify"),
    # --- pools ---
    Capability("pool.create-vm", "pool", "POST", "/nodes/{node}/qemu pool={pool}", ("VM.Allocate",), "changes",
               "a new VM with ANY free VMID in the pool", f"{QEMU} create_vm"),
    Capability("pool.create-ct", "pool", "POST", "/nodes/{node}/lxc pool={pool}", ("VM.Allocate",), "changes",
               "a new container with ANY free VMID in the pool", f"{LXC} create_vm"),
    Capability("pool.read", "pool", "GET", "/pools/{pool}", ("Pool.Audit",), "reads", "the pool's members",
               "pve-access-control src/PVE/API2/Pool.pm read_pool"),
    Capability("pool.acl.delegate", "pool", "PUT", "/access/acl path=/pool/{pool}", ("perm-modify",), "changes",
               "hands the caller's privileges on the pool to anyone", "RPCEnvironment.pm check_perm_modify"),
    # --- nodes ---
    Capability("node.report", "node", "GET", "/nodes/{node}/report", ("Sys.Audit",), "reads",
               "every guest's config, firewall and SDN files of the node", f"{NODES} report; PVE/Report.pm"),
    Capability("node.dns", "node", "GET", "/nodes/{node}/dns", ("Sys.Audit",), "reads", "the node's resolver",
               f"{NODES} dns"),
    Capability("node.netstat", "node", "GET", "/nodes/{node}/netstat", ("Sys.Audit",), "reads",
               "per-guest traffic of every guest on the node", f"{NODES} netstat"),
    Capability("node.syslog", "node", "GET", "/nodes/{node}/syslog|journal", ("Sys.Syslog",), "reads",
               "the node's logs", f"{NODES} syslog, journal"),
    # --- storages ---
    Capability("storage.allocate", "storage", "POST", "/nodes/{node}/storage/{storage}/content",
               ("Datastore.AllocateSpace",), "changes",
               "volumes for any owner VMID, unbounded (no quota in PVE)",
               "pve-storage src/PVE/API2/Storage/Content.pm create; qemu-server Qemu.pm $check_storage_access"),
    Capability("storage.upload", "storage", "POST", "/nodes/{node}/storage/{storage}/upload|download-url",
               ("Datastore.AllocateTemplate",), "changes", "ISOs, templates, images",
               "pve-storage src/PVE/API2/Storage/Status.pm upload, download_url"),
    Capability("storage.read-iso", "storage", "PUT", "attach <storage>:iso|vztmpl|import/...",
               ("Datastore.AllocateSpace", "Datastore.Audit"), "reads", "ISOs, templates and images on it",
               f"{STORAGE} (iso, vztmpl, import)", any_of=True),
    Capability("storage.list", "storage", "GET", "/nodes/{node}/storage/{storage}/content",
               ("Datastore.Audit", "Datastore.AllocateSpace"), "reads", "the volumes on it (names, owners)",
               "pve-storage src/PVE/API2/Storage/Content.pm index", any_of=True),
    Capability("storage.acl.delegate", "storage", "PUT", "/access/acl path=/storage/{storage}", ("perm-modify",),
               "changes", "hands the caller's privileges on the storage to anyone",
               "RPCEnvironment.pm check_perm_modify"),
    # --- the platform (provider-only paths; privileges there propagate to every asset below them) ---
    Capability("platform.cluster", "platform", "PUT", "/cluster/options|firewall|backup|ha", ("Sys.Modify",),
               "changes", "cluster options, firewall, backup jobs, HA", "pve-manager PVE/API2/Cluster*.pm"),
    Capability("platform.acl", "platform", "PUT", "/access/acl", ("perm-modify",), "changes", "any ACL",
               "pve-access-control src/PVE/API2/ACL.pm update_acl"),
    Capability("platform.users", "platform", "POST", "/access/users|groups", ("User.Modify", "Group.Allocate"),
               "changes", "users and groups", "pve-access-control src/PVE/API2/User.pm, Group.pm", any_of=True),
    Capability("platform.realms", "platform", "POST", "/access/domains", ("Realm.Allocate", "Realm.AllocateUser"),
               "changes", "authentication realms", "pve-access-control src/PVE/API2/Domains.pm", any_of=True),
    Capability("platform.sdn", "platform", "PUT", "/cluster/sdn", ("SDN.Allocate",), "changes", "SDN config",
               "pve-network src/PVE/API2/Network/SDN.pm reload"),
    Capability("platform.storage", "platform", "POST", "/storage", ("Datastore.Allocate",), "changes",
               "storage definitions", "pve-storage src/PVE/API2/Storage/Config.pm create"),
    Capability("platform.pools", "platform", "POST", "/pools", ("Pool.Allocate",), "changes", "pools",
               "pve-access-control src/PVE/API2/Pool.pm create_pool"),
    Capability("platform.audit", "platform", "GET", "/cluster/tasks|log, /access/users", ("Sys.Audit",), "reads",
               "every user's tasks, the cluster log, the user list", "pve-manager PVE/API2/Cluster.pm log, tasks"),
    # --- SDN ---
    Capability("vnet.use", "vnet", "PUT", "netN bridge=<vnet>", ("SDN.Use",), "changes",
               "puts a NIC on the VNet (or bridge): its traffic", "pve-guest-common GuestHelpers / qemu-server "
               "create_vm 'SDN.Use on any used bridge/vlan'"),
    Capability("vnet.audit", "vnet", "GET", "/cluster/sdn/vnets/{vnet}", ("SDN.Audit",), "reads", "the VNet",
               "pve-network src/PVE/API2/Network/SDN/Vnets.pm read"),
)  # fmt: skip

BY_NAME: dict[str, Capability] = {c.name: c for c in CAPABILITIES}

# What every authenticated user sees, whatever its ACLs (`user => 'all'` without further filtering), with the reason
# it is acceptable. No row above needs to list these; they carry no tenant's data.
PVE_WIDE: tuple[tuple[str, str, str], ...] = (
    ("GET /access/roles", "role names and their privileges", "pve-access-control API2/Role.pm index: "
     "roles are the provider's policy, named per tenant (alpha-vm-builder): reveals tenant names, nothing in them"),
    ("GET /nodes", "the node list", "pve-manager API2/Nodes.pm index: node names are no tenant's data"),
    ("GET /version", "the PVE version", "pve-manager API2.pm version: public in the login page too"),
    ("GET /cluster/resources", "filtered per object by the caller's privileges", "pve-manager API2/Cluster.pm "
     "resources: shows only what the caller may audit (nothing extra)"),
)  # fmt: skip
