"""What forces a replacement, and which ids are fixed: the provider semantics `make diff` (tools/preview.py) models.

Data, each row with its source. Read from bpg/terraform-provider-proxmox at tag v0.111.1, the version the newest
stored pulumi-proxmoxve bridges (muhlba91/pulumi-proxmoxve `provider/go.mod` at v8.3.0+18 commits:
`github.com/bpg/terraform-provider-proxmox v0.111.1`). The installed SDK is 8.6.0, newer than any stored
pulumi-proxmoxve version: its bpg version could not be read, so rows may lag behind it (check with
`pulumi preview` when a row matters). SDKv2 resources (`proxmoxtf/`): `ForceNew: true` per attribute and the
`CustomizeDiff` rules; Plugin Framework resources (`fwprovider/`): `RequiresReplace` plan modifiers. Paths are
Pulumi input names (camelCase; a list block is plural, a block with MaxItems 1 an object): `[*]` is any element.

Kinds: `change` - any change of the value at the path (or below it) forces a replacement, as does an unknown
value there at preview; `block` - adding or removing the block forces it (what is inside has its own rows);
`rule` - a conditional rule from code (CustomizeDiff), evaluated by tools/preview.py; `state` - decided from the
real resource's state at refresh, which an offline diff cannot see (listed so the table is complete); `none` -
nothing of the type forces a replacement; `engine` - asked of the engine by the SDK (`replaceOnChanges`, read from
the plan's options); `dynamic` - decided by a dynamic provider's own `diff`, which tools/preview.py calls.
"""

from __future__ import annotations

from dataclasses import dataclass

BPG_VERSION = "v0.111.1"
BPG = f"bpg/terraform-provider-proxmox {BPG_VERSION}"

VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
DOWNLOAD = "proxmoxve:download/file:File"
IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy"
SECURITY_GROUP = "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy"
CLUSTER_FIREWALL = "proxmoxve:cluster/firewallLegacy:FirewallLegacy"
FW_OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"
FW_RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
NODE_FIREWALL = "proxmoxve:node/firewall:Firewall"
POOL = "proxmoxve:index/poolLegacy:PoolLegacy"
GROUP = "proxmoxve:index/groupLegacy:GroupLegacy"
ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
USER = "proxmoxve:index/userLegacy:UserLegacy"
ACL = "proxmoxve:index/acl:Acl"
TOKEN = "proxmoxve:user/token:Token"
PBS = "proxmoxve:storage/pbs:Pbs"
DIRECTORY = "proxmoxve:storage/directory:Directory"
ZFSPOOL = "proxmoxve:storage/zfspool:Zfspool"
MEMBERSHIP = "proxmoxve:pool/membership:Membership"
JOB = "proxmoxve:backup/job:Job"
APPLIER = "proxmoxve:sdn/applier:Applier"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
SUBNET = "proxmoxve:sdn/subnet:Subnet"
HA_RESOURCE = "proxmoxve:index/haresource:Haresource"
HA_RULE = "proxmoxve:index/harule:Harule"
REPLICATION = "proxmoxve:index/replication:Replication"
PASSWORD = "random:index/randomPassword:RandomPassword"
COMMAND = "command:remote:Command"
LOCAL_COMMAND = "command:local:Command"
VNET_FIREWALL = "pulumi-python:dynamic/proxcloud:VnetFirewallRules"
NOTIFY_TARGET = "pulumi-python:dynamic/proxcloud:PveSmtpTarget"
NOTIFY_MATCHER = "pulumi-python:dynamic/proxcloud:PveNotificationMatcher"

GUESTS = (VM, CT)
COMMANDS = (COMMAND, LOCAL_COMMAND)


@dataclass(frozen=True)
class ReplaceRow:
    """One replace-forcing attribute (or rule) of one resource type."""

    type: str
    path: str
    kind: str  # change | block | rule | state
    source: str  # file (and attribute) it was read from
    note: str = ""


def _bpg(file: str, attribute: str) -> str:
    return f"{BPG} {file} {attribute}"


_VM_GO = "proxmoxtf/resource/vm/vm.go"
_VM_DISK = "proxmoxtf/resource/vm/disk/schema.go"
_CT_GO = "proxmoxtf/resource/container/container.go"
_FILE_GO = "proxmoxtf/resource/file.go"
_DOWNLOAD_GO = "fwprovider/nodes/resource_download_file.go"
_PBS_GO = "fwprovider/storage/resource_pbs.go"

REPLACE_ROWS: tuple[ReplaceRow, ...] = (
    # --- VmLegacy (SDKv2)
    *(
        ReplaceRow(VM, f"initialization.{a}", "change", _bpg(_VM_GO, f"initialization.{snake} ForceNew"))
        for a, snake in (
            ("userDataFileId", "user_data_file_id"),
            ("vendorDataFileId", "vendor_data_file_id"),
            ("networkDataFileId", "network_data_file_id"),
            ("metaDataFileId", "meta_data_file_id"),
            ("type", "type"),
        )
    ),
    ReplaceRow(VM, "amdSev", "change", _bpg(_VM_GO, "amd_sev ForceNew")),
    *(
        ReplaceRow(VM, f"clone.{a}", "change", _bpg(_VM_GO, f"clone.{snake} ForceNew"))
        for a, snake in (
            ("retries", "retries"),
            ("datastoreId", "datastore_id"),
            ("nodeName", "node_name"),
            ("vmId", "vm_id"),
            ("full", "full"),
        )
    ),
    ReplaceRow(VM, "disks[*].fileId", "change", _bpg(_VM_DISK, "disk.file_id ForceNew"), "import_from is not"),
    ReplaceRow(
        VM,
        "vmId",
        "rule",
        _bpg(_VM_GO, "CustomizeDiff ForceNewIf(vm_id)"),
        "vm-id: a new vm_id other than the resource id (the VM's current id) replaces",
    ),
    ReplaceRow(
        VM,
        "nodeName",
        "rule",
        _bpg(_VM_GO, "CustomizeDiff ForceNewIf(node_name)"),
        "node-without-migrate: a changed node_name replaces unless migrate is true",
    ),
    ReplaceRow(
        VM,
        "tpmState.version",
        "rule",
        _bpg(_VM_GO, "CustomizeDiff forceNewOnTPMVersionChange"),
        "changed: a changed TPM version (both set) replaces",
    ),
    ReplaceRow(
        VM,
        "efiDisk.type",
        "rule",
        _bpg(_VM_GO, "CustomizeDiff forceNewOnEFIDiskTypeChange"),
        "changed: a changed EFI disk type (both set) replaces; adding or removing the disk does not",
    ),
    # --- ContainerLegacy (SDKv2)
    *(
        ReplaceRow(CT, f"clone.{a}", "change", _bpg(_CT_GO, f"clone.{snake} ForceNew"))
        for a, snake in (
            ("datastoreId", "datastore_id"),
            ("nodeName", "node_name"),
            ("full", "full"),
            ("vmId", "vm_id"),
        )
    ),
    ReplaceRow(CT, "disk.datastoreId", "change", _bpg(_CT_GO, "disk.datastore_id ForceNew")),
    ReplaceRow(CT, "initialization.userAccount", "block", _bpg(_CT_GO, "initialization.user_account ForceNew")),
    ReplaceRow(
        CT, "initialization.userAccount.keys", "change", _bpg(_CT_GO, "initialization.user_account.keys ForceNew")
    ),
    ReplaceRow(
        CT,
        "initialization.userAccount.password",
        "change",
        _bpg(_CT_GO, "initialization.user_account.password ForceNew"),
    ),
    ReplaceRow(CT, "mountPoints", "block", _bpg(_CT_GO, "mount_point ForceNew")),
    ReplaceRow(CT, "mountPoints[*].size", "change", _bpg(_CT_GO, "mount_point.size ForceNew")),
    ReplaceRow(CT, "mountPoints[*].volume", "change", _bpg(_CT_GO, "mount_point.volume ForceNew")),
    ReplaceRow(CT, "nodeName", "change", _bpg(_CT_GO, "node_name ForceNew"), "containers never migrate in place"),
    ReplaceRow(CT, "operatingSystem", "block", _bpg(_CT_GO, "operating_system ForceNew")),
    ReplaceRow(
        CT, "operatingSystem.templateFileId", "change", _bpg(_CT_GO, "operating_system.template_file_id ForceNew")
    ),
    ReplaceRow(CT, "poolId", "change", _bpg(_CT_GO, "pool_id ForceNew")),
    ReplaceRow(CT, "template", "change", _bpg(_CT_GO, "template ForceNew")),
    ReplaceRow(CT, "unprivileged", "change", _bpg(_CT_GO, "unprivileged ForceNew")),
    ReplaceRow(
        CT,
        "vmId",
        "rule",
        _bpg(_CT_GO, "CustomizeDiff ForceNewIf(vm_id)"),
        "vm-id: a new vm_id other than the resource id replaces",
    ),
    ReplaceRow(
        CT,
        "disk.size",
        "rule",
        _bpg(_CT_GO, "CustomizeDiff ForceNewIf(disk): shrinking"),
        "shrink: a smaller disk size replaces (PVE only grows a volume)",
    ),
    # --- FileLegacy (SDKv2): a snippet or uploaded file
    *(
        ReplaceRow(FILE, a, "change", _bpg(_FILE_GO, f"{snake} ForceNew"))
        for a, snake in (
            ("contentType", "content_type"),
            ("datastoreId", "datastore_id"),
            ("fileModificationDate", "file_modification_date"),
            ("fileMode", "file_mode"),
            ("fileSize", "file_size"),
            ("fileTag", "file_tag"),
            ("nodeName", "node_name"),
        )
    ),
    ReplaceRow(FILE, "sourceFile", "block", _bpg(_FILE_GO, "source_file ForceNew")),
    *(
        ReplaceRow(FILE, f"sourceFile.{a}", "change", _bpg(_FILE_GO, f"source_file.{snake} ForceNew"))
        for a, snake in (
            ("path", "path"),
            ("changed", "changed"),
            ("checksum", "checksum"),
            ("fileName", "file_name"),
            ("insecure", "insecure"),
            ("minTls", "min_tls"),
        )
    ),
    ReplaceRow(FILE, "sourceRaw", "block", _bpg(_FILE_GO, "source_raw ForceNew")),
    *(
        ReplaceRow(FILE, f"sourceRaw.{a}", "change", _bpg(_FILE_GO, f"source_raw.{snake} ForceNew"))
        for a, snake in (("data", "data"), ("fileName", "file_name"), ("resize", "resize"))
    ),
    # --- download.File (Framework)
    *(
        ReplaceRow(DOWNLOAD, a, "change", _bpg(_DOWNLOAD_GO, f"{snake} RequiresReplace"))
        for a, snake in (
            ("contentType", "content_type"),
            ("fileName", "file_name"),
            ("datastoreId", "datastore_id"),
            ("nodeName", "node_name"),
            ("url", "url"),
            ("checksum", "checksum"),
            ("decompressionAlgorithm", "decompression_algorithm"),
            ("checksumAlgorithm", "checksum_algorithm"),
        )
    ),
    ReplaceRow(
        DOWNLOAD,
        "size",
        "state",
        _bpg(_DOWNLOAD_GO, "size sizeRequiresReplaceModifier"),
        "with overwrite=true: the file changed on the node or upstream (read at refresh); we set overwrite=false",
    ),
    # --- firewall (SDKv2)
    ReplaceRow(
        IPSET,
        "cidrs",
        "change",
        _bpg("proxmoxtf/resource/firewall/ipset.go", "cidr ForceNew (and cidr.name/nomatch/comment ForceNew)"),
        "any entry added, removed or changed",
    ),
    ReplaceRow(
        SECURITY_GROUP,
        "",
        "none",
        _bpg("proxmoxtf/resource/cluster/firewall/security_group.go", "name ForceNew: false"),
        "a rename is an in-place update",
    ),
    ReplaceRow(CLUSTER_FIREWALL, "", "none", _bpg("proxmoxtf/resource/cluster/firewall/firewall.go", "no ForceNew")),
    ReplaceRow(
        FW_OPTIONS,
        "",
        "none",
        _bpg("proxmoxtf/resource/firewall/selector.go", "node_name/vm_id/container_id without ForceNew"),
        "a changed selector writes the new path in place; the old one keeps its options",
    ),
    ReplaceRow(
        FW_RULES,
        "",
        "none",
        _bpg("proxmoxtf/resource/firewall/selector.go", "node_name/vm_id/container_id without ForceNew"),
        "a changed selector writes the new path in place; the old one keeps its rules",
    ),
    ReplaceRow(
        NODE_FIREWALL,
        "nodeName",
        "change",
        _bpg("fwprovider/nodes/firewall/resource_node_firewall.go", "node_name RequiresReplace"),
    ),
    # --- access (SDKv2 and Framework)
    ReplaceRow(POOL, "poolId", "change", _bpg("proxmoxtf/resource/pool/pool.go", "pool_id ForceNew")),
    ReplaceRow(GROUP, "groupId", "change", _bpg("proxmoxtf/resource/group.go", "group_id ForceNew")),
    ReplaceRow(ROLE, "roleId", "change", _bpg("proxmoxtf/resource/role.go", "role_id ForceNew")),
    ReplaceRow(USER, "userId", "change", _bpg("proxmoxtf/resource/user.go", "user_id ForceNew")),
    *(
        ReplaceRow(ACL, a, "change", _bpg("fwprovider/access/resource_acl.go", f"{snake} RequiresReplace"))
        for a, snake in (
            ("groupId", "group_id"),
            ("path", "path"),
            ("roleId", "role_id"),
            ("tokenId", "token_id"),
            ("userId", "user_id"),
        )
    ),
    *(
        ReplaceRow(TOKEN, a, "change", _bpg("fwprovider/access/resource_user_token.go", f"{snake} RequiresReplace"))
        for a, snake in (("tokenName", "token_name"), ("userId", "user_id"))
    ),
    # --- storage, backup (Framework)
    ReplaceRow(PBS, "resourceId", "change", _bpg("fwprovider/storage/schema_factory.go", "id RequiresReplace")),
    *(
        ReplaceRow(PBS, a, "change", _bpg(_PBS_GO, f"{snake} RequiresReplace"))
        for a, snake in (
            ("server", "server"),
            ("datastore", "datastore"),
            ("username", "username"),
            ("password", "password"),
            ("namespace", "namespace"),
            ("encryptionKey", "encryption_key"),
            ("generateEncryptionKey", "generate_encryption_key"),
        )
    ),
    ReplaceRow(JOB, "resourceId", "change", _bpg("fwprovider/cluster/backup/resource.go", "id RequiresReplace")),
    # a tenant's own storages (components/tenant_storage.py) and their pool membership (Framework)
    *(
        ReplaceRow(t, "resourceId", "change", _bpg("fwprovider/storage/schema_factory.go", "id RequiresReplace"))
        for t in (DIRECTORY, ZFSPOOL)
    ),
    ReplaceRow(DIRECTORY, "path", "change", _bpg("fwprovider/storage/resource_directory.go", "path RequiresReplace")),
    ReplaceRow(ZFSPOOL, "zfsPool", "change", _bpg("fwprovider/storage/resource_zfs.go", "zfs_pool RequiresReplace")),
    *(
        ReplaceRow(MEMBERSHIP, a, "change", _bpg("fwprovider/pools/pool_membership.go", f"{snake} RequiresReplace"))
        for a, snake in (("poolId", "pool_id"), ("vmId", "vm_id"), ("storageId", "storage_id"))
    ),
    # --- SDN (Framework)
    *(
        ReplaceRow(APPLIER, a, "change", _bpg("fwprovider/cluster/sdn/applier/resource.go", f"{snake} RequiresReplace"))
        for a, snake in (("onCreate", "on_create"), ("onDestroy", "on_destroy"))
    ),
    ReplaceRow(
        ZONE, "resourceId", "change", _bpg("fwprovider/cluster/sdn/zone/resource_generic.go", "id RequiresReplace")
    ),
    ReplaceRow(
        VNET,
        "resourceId",
        "change",
        _bpg("fwprovider/cluster/sdn/vnet/resource.go", "id RequiresReplace"),
        "zone is not replace-forcing",
    ),
    *(
        ReplaceRow(SUBNET, a, "change", _bpg("fwprovider/cluster/sdn/subnet/resource.go", f"{a} RequiresReplace"))
        for a in ("cidr", "vnet")
    ),
    # --- HA and replication (Framework)
    *(
        ReplaceRow(HA_RULE, a, "change", _bpg("fwprovider/cluster/ha/resource_harule.go", f"{a} RequiresReplace"))
        for a in ("rule", "type")
    ),
    ReplaceRow(
        HA_RESOURCE,
        "",
        "none",
        _bpg("fwprovider/cluster/ha/resource_haresource.go", "resource_id without RequiresReplace"),
        "a changed resource_id is an update of the HA resource in state (Update parses the state id)",
    ),
    *(
        ReplaceRow(
            REPLICATION, a, "change", _bpg("fwprovider/cluster/replication/resource.go", f"{snake} RequiresReplace")
        )
        for a, snake in (("resourceId", "id"), ("target", "target"), ("type", "type"))
    ),
    # --- pulumi-random: every input of random_password forces a new password
    *(
        ReplaceRow(
            PASSWORD,
            a,
            "change",
            "hashicorp/terraform-provider-random internal/provider/resource_password.go passwordSchemaV3 "
            f"{snake} RequiresReplace (installed pulumi_random 4.21.4 documents keepers: 'when changed, will "
            "trigger recreation')",
            "keepers: RequiresReplaceIfValuesNotNull" if a == "keepers" else "",
        )
        for a, snake in (
            ("keepers", "keepers"),
            ("length", "length"),
            ("special", "special"),
            ("upper", "upper"),
            ("lower", "lower"),
            ("number", "number"),
            ("numeric", "numeric"),
            ("minNumeric", "min_numeric"),
            ("minUpper", "min_upper"),
            ("minLower", "min_lower"),
            ("minSpecial", "min_special"),
            ("overrideSpecial", "override_special"),
        )
    ),
    # --- pulumi-command: the SDK itself asks the engine to replace on triggers
    *(
        ReplaceRow(
            t,
            "triggers[*]",
            "engine",
            f"installed pulumi_command 1.2.1 pulumi_command/{t.split(':')[1]}/command.py "
            "ResourceOptions(replace_on_changes=['triggers[*]']) (recorded in the plan's options.replaceOnChanges)",
            "a replace runs the new create, then the old delete",
        )
        for t in COMMANDS
    ),
    ReplaceRow(
        VNET_FIREWALL,
        "vnet",
        "dynamic",
        "components/vnet_firewall.py VnetFirewallProvider.diff (REPLACE_KEYS); tools/preview.py calls it",
        "the dynamic provider decides; this row documents it",
    ),
    *(
        ReplaceRow(
            t,
            "name",
            "dynamic",
            "components/pve_notifications.py PveNotificationProvider.diff (kind, name replace; delete first when "
            "the name stays); tools/preview.py calls it",
            "the dynamic provider decides; this row documents it",
        )
        for t in (NOTIFY_TARGET, NOTIFY_MATCHER)
    ),
)

# The id a resource is created under, given by the program: a second create under the same id fails with
# "already exists" (or, for idempotent PVE writes, succeeds and the old resource's delete then removes the new
# one). A create-before-delete replacement with these values unchanged is a hazard.
FIXED_IDS: dict[str, tuple[tuple[str, ...], str]] = {
    VM: (("vmId",), "VM id (cluster-wide)"),
    CT: (("vmId",), "container id (cluster-wide)"),
    POOL: (("poolId",), "pool id"),
    USER: (("userId",), "user id"),
    ROLE: (("roleId",), "role id"),
    GROUP: (("groupId",), "group id"),
    ACL: (
        ("path", "roleId", "groupId", "userId", "tokenId"),
        "ACL entry (PUT /access/acl is idempotent; the old delete removes it)",
    ),
    TOKEN: (("userId", "tokenName"), "API token id"),
    PBS: (("resourceId",), "storage id"),
    DIRECTORY: (("resourceId",), "storage id"),
    ZFSPOOL: (("resourceId",), "storage id"),
    MEMBERSHIP: (("poolId", "vmId", "storageId"), "pool member (PUT /pools adds it; the old delete removes it)"),
    ZONE: (("resourceId",), "SDN zone id"),
    VNET: (("resourceId",), "SDN VNet id"),
    SUBNET: (("vnet", "cidr"), "SDN subnet id (vnet + cidr)"),
    JOB: (("resourceId",), "backup job id"),
    REPLICATION: (("resourceId",), "replication job id"),
    HA_RULE: (("rule",), "HA rule id"),
    HA_RESOURCE: (("resourceId",), "HA resource id"),
    IPSET: (("name", "nodeName", "vmId", "containerId"), "IP set name"),
    SECURITY_GROUP: (("name",), "security group name"),
    FILE: (("nodeName", "datastoreId", "contentType", "sourceRaw.fileName", "sourceFile.fileName"), "file volume id"),
    DOWNLOAD: (("nodeName", "datastoreId", "contentType", "fileName"), "file volume id"),
    NODE_FIREWALL: (("nodeName",), "node firewall options (one per node)"),
    CLUSTER_FIREWALL: ((), "cluster firewall options (one per cluster)"),
    FW_OPTIONS: (("nodeName", "vmId", "containerId"), "guest firewall options (one per guest)"),
    FW_RULES: (("nodeName", "vmId", "containerId"), "firewall rule list (one per guest, node or cluster)"),
    VNET_FIREWALL: (("vnet",), "VNet firewall (one per VNet)"),
    NOTIFY_TARGET: (("name",), "notification target name (one namespace with matchers)"),
    NOTIFY_MATCHER: (("name",), "notification matcher name (one namespace with targets)"),
}

# pulumi-proxmoxve autonames every resource with a string input `name` (provider/resources.go
# `prov.SetAutonaming(255, "-")`); the bridge then asks for delete-before-replace when the program set that name
# itself (pulumi-terraform-bridge pkg/tfbridge `nameRequiresDeleteBeforeReplace`), as ours always does.
AUTONAMED = (VM, IPSET, SECURITY_GROUP)

# Dynamic providers: the provider class the engine would load (by reference to its module) to diff.
DYNAMIC_PROVIDERS = {
    VNET_FIREWALL: "components.vnet_firewall:VnetFirewallProvider",
    NOTIFY_TARGET: "components.pve_notifications:PveNotificationProvider",
    NOTIFY_MATCHER: "components.pve_notifications:PveNotificationProvider",
}


def rows_for(type_: str) -> list[ReplaceRow]:
    return [r for r in REPLACE_ROWS if r.type == type_]


def covered_types() -> set[str]:
    """Every type the table has a row for (a `none` row says: nothing forces a replacement)."""
    return {r.type for r in REPLACE_ROWS}
