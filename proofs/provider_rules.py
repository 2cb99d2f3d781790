"""What the provider and PVE refuse, as data: one row per check, each with where it was read.

Read at bpg/terraform-provider-proxmox **v0.111.1**, the version pulumi-proxmoxve's newest stored `provider/go.mod`
bridges (main after release 8.3.0); the installed SDK (pulumi_proxmoxve 8.6.0) is newer than any stored version, so
the SDK may know attributes this tag does not (`UNAUDITED` lists the ones the plan sets). To re-audit after an upgrade
of pulumi-proxmoxve: read the bpg tag named in its `provider/go.mod`, walk every row below against that tag (the row
names file and attribute or function), add rows for what is new, and bump `BPG_TAG`.

PVE's own checks come from PVE 9's API schema as vendored by fakepve (`fakepve/data/pve-api.json.gz`, read at test
time: a row names method, path and parameter), from pve-firewall (`src/PVE/Firewall.pm`: rule verification, macros,
ipset/alias/group name formats), from pve-storage (`src/PVE/Storage/Plugin.pm`: prune-backups) and from proxmox-rs
(`proxmox-time/src/calendar_event.rs`: calendar events, which pve-common's `PVE::CalendarEvent` hands to).

Paths are the registered (camelCase) input names: `a.b` a nested object, `a[]` every item of a list, `a{}` every
value of a map, `a{key}` every key of a map, `""` the resource's inputs as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

BPG_TAG = "v0.111.1"
SDK = "pulumi_proxmoxve 8.6.0"


@dataclass(frozen=True)
class Source:
    """Where a rule was read: repository (and tag), file, and the attribute or function."""

    repo: str
    path: str
    ref: str

    def __str__(self) -> str:
        return f"{self.repo} {self.path}: {self.ref}"


def _bpg(path: str, ref: str) -> Source:
    return Source(f"bpg/terraform-provider-proxmox@{BPG_TAG}", path, ref)


PVE_API = "PVE 9 API schema (fakepve data/pve-api.json.gz)"
_FIREWALL_PM = ("proxmox/pve-firewall", "src/PVE/Firewall.pm")


def _pvefw(ref: str) -> Source:
    return Source(*_FIREWALL_PM, ref)


# --- the check vocabulary (pure data; proofs/conformance.py interprets it) ---


@dataclass(frozen=True)
class Regex:
    """Go `regexp.MatchString` (unanchored unless the pattern anchors); `py` when Python spells it differently."""

    go: str
    allow_empty: bool = False  # the validator skips "" (SDKv2 `if v != ""`, `validation.Any(StringIsEmpty, ...)`)
    py: str | None = None


@dataclass(frozen=True)
class Length:
    """String length bounds (`stringvalidator.LengthAtMost` counts bytes, `UTF8LengthAtLeast` runes)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Between:
    """Numeric bounds, inclusive (`validation.IntBetween`, `int64validator.Between/AtLeast`)."""

    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class OneOf:
    values: tuple[str, ...]
    ignore_case: bool = False


@dataclass(frozen=True)
class Parse:
    """A named parser of the provider (`validators.NewParseValidator`, SDKv2 funcs); see conformance.PARSERS."""

    name: str


@dataclass(frozen=True)
class Items:
    """List or set size (`MaxItems`/`MinItems`, `setvalidator.SizeAtLeast`)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Conflicting:
    """At most one of these attributes of the scope is set (`ConflictsWith`, `resourcevalidator.Conflicting`)."""

    attrs: tuple[str, ...]


@dataclass(frozen=True)
class ExactlyOneOf:
    attrs: tuple[str, ...]


@dataclass(frozen=True)
class RequiredWith:
    """When `attr` is set, every one of `needs` is set too (`RequiredWith`, `AlsoRequires`)."""

    attr: str
    needs: tuple[str, ...]


@dataclass(frozen=True)
class When:
    """When `attr` equals `value`: `require` must be set, `forbid` must not be set, `forbid_true` must not be true."""

    attr: str
    value: str
    require: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()
    forbid_true: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnyGroup:
    """At least one group has all its attributes set (the provider's `either X OR both Y and Z`)."""

    groups: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class AtLeastSumOf:
    """The value is >= the sum of these sibling attributes (unset counts 0)."""

    attrs: tuple[str, ...]


@dataclass(frozen=True)
class NoCheck:
    """Read, and the provider checks nothing here (beyond the SDK's type); recorded so the audit is complete."""

    note: str = ""


@dataclass(frozen=True)
class PveApi:
    """The value is sent as parameter `param` (or key `sub` of that property string) of `method path`.

    `convert` names how the provider turns the input into the wire value (conformance.CONVERTS); `join` joins a list
    the way the provider does; `skip` lists values the provider does not send (defaults it omits).
    """

    path: str
    param: str
    method: str = "POST"
    sub: str | None = None
    convert: str | None = None
    join: str | None = None
    skip: tuple[object, ...] = ()
    when: tuple[str, str] | None = None  # (attr, value): the provider sends it only then


@dataclass(frozen=True)
class PveApiKey:
    """The value is the *name* of a parameter (`scsi0`, `ide2`): it must be one `method path` accepts."""

    path: str
    method: str = "POST"


# the fields of a firewall rule, as the provider (Pulumi names) and PVE (parameter names) spell them
RULE_FIELDS = (
    "type", "action", "macro", "iface", "source", "dest", "proto", "dport", "sport", "log", "comment", "enable",
    "enabled", "securityGroup", "icmp-type", "pos",
)  # fmt: skip


@dataclass(frozen=True)
class FirewallRule:
    """The rule object is verified as pve-firewall's `verify_rule` does, in environment `env` (`selector`: from the
    resource's nodeName/vmId/containerId), and its ipset, alias and security group references must exist."""

    env: str
    covers: tuple[str, ...] = RULE_FIELDS


@dataclass(frozen=True)
class CalendarEvent:
    """A PVE calendar event (`pve-calendar-event`)."""


@dataclass(frozen=True)
class Rule:
    type: str
    path: str
    check: object
    source: Source


def _b(type_: str, path: str, check: object, file: str, ref: str) -> Rule:
    """A row read in the bpg provider: `file` and the attribute or function `ref`."""
    return Rule(type_, path, check, _bpg(file, ref))


def _api(type_: str, path: str, endpoint: str, param: str, method: str = "POST", **options: Any) -> Rule:
    """A row of PVE's API schema: the input becomes parameter `param` (key `sub`) of `method endpoint`."""
    check = PveApi(endpoint, param, method, **options)
    name = re.sub(r"(\D)\d+$", r"\1[n]", param) + (f".{check.sub}" if check.sub else "")
    variant = f" ({check.when[1]})" if check.when else ""
    return Rule(type_, path, check, Source(PVE_API, f"{method} {endpoint}{variant}", name))


# rule family of each check kind (the report counts rows per family)
FAMILIES: dict[type, str] = {
    Regex: "regex",
    Length: "length",
    Between: "range",
    OneOf: "enum",
    Parse: "id and value formats",
    Items: "list limits",
    Conflicting: "relations",
    ExactlyOneOf: "relations",
    RequiredWith: "relations",
    When: "relations",
    AnyGroup: "relations",
    AtLeastSumOf: "relations",
    NoCheck: "audited, no validator",
    PveApi: "PVE API parameter format",
    PveApiKey: "PVE API parameter format",
    FirewallRule: "firewall rule syntax",
    CalendarEvent: "schedules (PVE calendar events)",
}

# --- resource types ---
VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
DOWNLOAD = "proxmoxve:download/file:File"
POOL = "proxmoxve:index/poolLegacy:PoolLegacy"
USER = "proxmoxve:index/userLegacy:UserLegacy"
GROUP = "proxmoxve:index/groupLegacy:GroupLegacy"
ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
ACL = "proxmoxve:index/acl:Acl"
TOKEN = "proxmoxve:user/token:Token"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
SUBNET = "proxmoxve:sdn/subnet:Subnet"
APPLIER = "proxmoxve:sdn/applier:Applier"
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"
IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy"
CLUSTER_FW = "proxmoxve:cluster/firewallLegacy:FirewallLegacy"
SEC_GROUP = "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy"
NODE_FW = "proxmoxve:node/firewall:Firewall"
BACKUP_JOB = "proxmoxve:backup/job:Job"
PBS = "proxmoxve:storage/pbs:Pbs"
REPLICATION = "proxmoxve:index/replication:Replication"
HA_RESOURCE = "proxmoxve:index/haresource:Haresource"
HA_RULE = "proxmoxve:index/harule:Harule"
PASSWORD = "random:index/randomPassword:RandomPassword"
COMMAND = "command:remote:Command"
VNET_FW = "pulumi-python:dynamic/proxcloud:VnetFirewallRules"

# types whose inputs have no Pulumi SDK schema to check names against (our own dynamic provider)
SMTP_TARGET = "pulumi-python:dynamic/proxcloud:PveSmtpTarget"
MATCHER = "pulumi-python:dynamic/proxcloud:PveNotificationMatcher"
NO_SDK_SCHEMA: dict[str, str] = {
    VNET_FW: "our dynamic provider (components/vnet_firewall.py); its inputs are ours",
    SMTP_TARGET: "our dynamic provider (components/pve_notifications.py); its inputs are ours",
    MATCHER: "our dynamic provider (components/pve_notifications.py); its inputs are ours",
}

# Attributes the plan sets that the installed SDK knows but bpg v0.111.1 does not have: no stored source to read their
# validators from. The PVE API rows still check what reaches PVE.
UNAUDITED: dict[tuple[str, str], str] = {
    (BACKUP_JOB, "excludes[]"): "added to proxmox_backup_job after bpg v0.111.1 (SDK 8.6.0 has it, v0.111.1 and "
    "bpg main at v0.111.1-16 do not); PVE's `exclude` (pve-vmid-list) is checked",
}

# PVE named formats the plan's parameters use that neither fakepve nor proofs/conformance.py implement; the
# provider rows and the parameter's pattern/length still apply. A new one shows up as "not checked" and fails the test.
UNMODELLED_FORMATS: dict[str, str] = {
    "pve-sdn-subnet-id": "pve-network's subnet id; the cidr is checked by bpg's net.ParseCIDR row",
    "pve-ha-node-list": "pve-ha-manager's node:priority list; bpg checks node names and priorities",
    "pve-ha-resource-id-list": "pve-ha-manager's vm:N list; bpg checks each `^(vm|ct):\\d+$`",
    "pve-ha-resource-or-vm-id": "pve-ha-manager's sid; bpg's ParseHAResourceID row checks it",
    "pve-replication-job-id": "pve-guest-common's job id; the parameter's pattern is checked",
}

# --- shared provider validators (bpg) ---
_SDN_ID = _bpg("fwprovider/validators/sdn.go", "SDNID()")
SDN_ID_RE = r"^[A-Za-z][A-Za-z0-9]*[A-Za-z0-9]$"
_FILE_ID = _bpg("proxmoxtf/resource/validators/file.go", "FileID()")
FILE_ID_RE = r"^(?i)[a-z\d\-_.]+:([a-z\d\-_]+/)?.+$"
_MAC = _bpg("proxmoxtf/resource/validators/network.go", "MACAddress()")
MAC_RE = r"^[A-Fa-f0-9]{2}(:[A-Fa-f0-9]{2}){5}$"
_VMV = "proxmoxtf/resource/vm/validators.go"
HOSTNAME_RE = r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$"
_FW_POLICY = ("ACCEPT", "REJECT", "DROP")
_FW = "proxmoxtf/resource/validators/firewall.go"
_LOG_LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "nolog")
_NOT_WS = _bpg("fwprovider/validators/strings.go", "NonEmptyString() pattern, as inlined")

# --- VmLegacy: proxmoxtf/resource/vm/vm.go (+ disk/schema.go, network/schema.go, validators.go) ---
_VM = "proxmoxtf/resource/vm/vm.go"
_VM_DISK = "proxmoxtf/resource/vm/disk/schema.go"
_VM_NET = "proxmoxtf/resource/vm/network/schema.go"
_QM = "/nodes/{node}/qemu"
_CPU_TYPES = (
    "486", "Broadwell", "Broadwell-IBRS", "Broadwell-noTSX", "Broadwell-noTSX-IBRS", "Cascadelake-Server",
    "Cascadelake-Server-noTSX", "Cascadelake-Server-v2", "Cascadelake-Server-v4", "Cascadelake-Server-v5",
    "Conroe", "Cooperlake", "Cooperlake-v2", "EPYC", "EPYC-Genoa", "EPYC-IBPB", "EPYC-Milan", "EPYC-Rome",
    "EPYC-Rome-v2", "EPYC-Rome-v3", "EPYC-Rome-v4", "EPYC-v3", "EPYC-v4", "Haswell", "Haswell-IBRS",
    "Haswell-noTSX", "Haswell-noTSX-IBRS", "Icelake-Client", "Icelake-Client-noTSX", "Icelake-Server",
    "Icelake-Server-noTSX", "Icelake-Server-v3", "Icelake-Server-v4", "Icelake-Server-v5", "Icelake-Server-v6",
    "IvyBridge", "IvyBridge-IBRS", "KnightsMill", "Nehalem", "Nehalem-IBRS", "Opteron_G1", "Opteron_G2",
    "Opteron_G3", "Opteron_G4", "Opteron_G5", "Penryn", "SandyBridge", "SandyBridge-IBRS", "SapphireRapids",
    "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS", "Skylake-Client-v4", "Skylake-Server",
    "Skylake-Server-IBRS", "Skylake-Server-noTSX-IBRS", "Skylake-Server-v4", "Skylake-Server-v5", "Westmere",
    "Westmere-IBRS", "athlon", "core2duo", "coreduo", "host", "kvm32", "kvm64", "max", "pentium", "pentium2",
    "pentium3", "phenom", "qemu32", "qemu64", "x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4",
)  # fmt: skip
_KEYBOARDS = (
    "da", "de", "de-ch", "en-gb", "en-us", "es", "fi", "fr", "fr-be", "fr-ca", "fr-ch", "hu", "is", "it", "ja",
    "lt", "mk", "nl", "no", "pl", "pt", "pt-br", "sl", "sv", "tr",
)  # fmt: skip
MACHINE_RE = (
    r"^$|^(pc|pc(-i440fx)?-\d+(\.\d+)+(\+pve\d+)?(\.pxe)?|q35(,viommu=(intel|virtio))?|pc-q35-\d+(\.\d+)+"
    r"(\+pve\d+)?(\.pxe)?|virt(?:-\d+(\.\d+)+)?(\+pve\d+)?)$"
)
_VM_OS = ("l24", "l26", "other", "solaris", "w2k", "w2k3", "w2k8", "win7", "win8", "win10", "win11", "wvista", "wxp")
_SCSIHW = ("lsi", "lsi53c810", "virtio-scsi-pci", "virtio-scsi-single", "megasas", "pvscsi")

VM_RULES: tuple[Rule, ...] = (
    _b(VM, "vmId", Parse("bpg-vmid"), _VMV, "VMIDValidator() on vm_id"),
    _api(VM, "vmId", _QM, "vmid"),
    _b(VM, "nodeName", Length(min=1), _VM, "node_name: validation.StringIsNotEmpty"),
    _api(VM, "nodeName", _QM, "node"),
    _b(VM, "name", Regex(HOSTNAME_RE, allow_empty=True), _VMV, "HostnameValidator() on name"),
    _api(VM, "name", _QM, "name"),
    _b(VM, "description", NoCheck("free text; PVE trims it"), _VM, "description"),
    _api(VM, "description", _QM, "description"),
    _b(VM, "tags[]", Length(min=1), _VM, "tags: elem validation.StringIsNotEmpty"),
    _api(VM, "tags", _QM, "tags", join=";"),
    _b(VM, "poolId", NoCheck(), _VM, "pool_id"),
    _api(VM, "poolId", _QM, "pool"),
    _api(VM, "onBoot", _QM, "onboot"),
    _api(VM, "protection", _QM, "protection"),
    _b(VM, "started", NoCheck("the provider starts the VM after create"), _VM, "started"),
    _b(VM, "stopOnDestroy", NoCheck("provider behaviour on delete"), _VM, "stop_on_destroy"),
    _b(VM, "migrate", NoCheck("provider behaviour on a node change: migrate instead of re-create"), _VM, "migrate"),
    _b(VM, "scsiHardware", OneOf(_SCSIHW), _VMV, "SCSIHardwareValidator()"),
    _api(VM, "scsiHardware", _QM, "scsihw"),
    _b(VM, "bios", OneOf(("ovmf", "seabios")), _VMV, "BIOSValidator()"),
    _b(VM, "keyboardLayout", OneOf(_KEYBOARDS), _VMV, "KeyboardLayoutValidator()"),
    _b(VM, "machine", Regex(MACHINE_RE), _VMV, "MachineTypeValidator()"),
    _b(VM, "hotplug", Parse("bpg-hotplug"), _VMV, "HotplugValidator()"),
    _api(VM, "agent.enabled", _QM, "agent", sub="enabled"),
    _api(VM, "agent.trim", _QM, "agent", sub="fstrim_cloned_disks"),
    _b(VM, "agent.type", OneOf(("isa", "virtio")), _VMV, "QEMUAgentTypeValidator()"),
    _b(VM, "agent.timeout", Parse("go-duration"), _VMV, "TimeoutValidator()"),
    _b(VM, "cpu.cores", Between(1, 2304), _VM, "cpu.cores: IntBetween(1, 2304)"),
    _api(VM, "cpu.cores", _QM, "cores"),
    _b(VM, "cpu.sockets", Between(1, 16), _VM, "cpu.sockets: IntBetween(1, 16)"),
    _api(VM, "cpu.sockets", _QM, "sockets"),
    _b(VM, "cpu.hotplugged", Between(0, 2304), _VM, "cpu.hotplugged: IntBetween(0, 2304)"),
    _b(VM, "cpu.limit", Between(0, 128), _VM, "cpu.limit: FloatBetween(0, 128)"),
    _b(VM, "cpu.units", Between(1, 262144), _VM, "cpu.units: IntBetween(1, 262144)"),
    _b(VM, "cpu.architecture", OneOf(("", "aarch64", "x86_64")), _VMV, "CPUArchitectureValidator()"),
    _b(VM, "cpu.affinity", Regex(r"^\d+[\d-,]*$", py=r"^\d+[\d\-,]*$"), _VMV, "CPUAffinityValidator()"),
    _b(VM, "cpu.type", OneOf(_CPU_TYPES), _VMV, "CPUTypeValidator() (standard types)"),
    _b(VM, "memory.dedicated", Between(64, 268435456), _VM, "memory.dedicated: IntBetween(64, 268435456)"),
    _api(VM, "memory.dedicated", _QM, "memory", sub="current"),
    _b(VM, "memory.floating", Between(0, 268435456), _VM, "memory.floating: IntBetween(0, 268435456)"),
    _b(VM, "memory.shared", Between(0, 268435456), _VM, "memory.shared: IntBetween(0, 268435456)"),
    _b(VM, "operatingSystem.type", OneOf(_VM_OS), _VMV, "OperatingSystemTypeValidator()"),
    _api(VM, "operatingSystem.type", _QM, "ostype"),
    _b(
        VM,
        "serialDevices",
        Items(max=4),
        _VM,
        "serial_device: MaxItems maxResourceVirtualEnvironmentVMSerialDevices (4)",
    ),
    _b(VM, "serialDevices[].device", Parse("bpg-serial-device"), _VMV, "SerialDeviceValidator()"),
    _api(VM, "serialDevices[].device", _QM, "serial0"),
    # disks
    _b(VM, "disks", Items(max=31), _VM_DISK, "disk: MaxItems maxResourceVirtualEnvironmentVMDiskDevices"),
    _b(VM, "disks[].interface", NoCheck("Required, no validator"), _VM_DISK, "disk.interface"),
    Rule(VM, "disks[].interface", PveApiKey(_QM), Source(PVE_API, f"POST {_QM}", "ide[n]/sata[n]/scsi[n]/virtio[n]")),
    _b(VM, "disks[].datastoreId", NoCheck(), _VM_DISK, "disk.datastore_id"),
    _api(VM, "disks[].datastoreId", "/nodes/{node}/storage/{storage}/content", "storage"),
    _b(VM, "disks[].size", Between(min=1), _VM_DISK, "disk.size: IntAtLeast(1)"),
    _api(VM, "disks[].size", _QM, "scsi0", sub="size", convert="gib"),
    Rule(VM, "disks[].importFrom", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    _api(VM, "disks[].importFrom", _QM, "scsi0", sub="import-from"),
    Rule(VM, "disks[].fileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    _b(
        VM,
        "disks[].fileFormat",
        OneOf(("qcow2", "raw", "vmdk")),
        "proxmoxtf/resource/validators/file.go",
        "FileFormat()",
    ),
    _b(VM, "disks[].aio", OneOf(("io_uring", "native", "threads")), _VM_DISK, "disk.aio"),
    _b(
        VM,
        "disks[].cache",
        OneOf(("none", "writethrough", "writeback", "unsafe", "directsync")),
        _VM_DISK,
        "disk.cache",
    ),
    _b(VM, "disks[].serial", Length(max=20), _VM_DISK, "disk.serial: StringLenBetween(0, 20)"),
    _b(VM, "disks[].discard", NoCheck("no validator in bpg"), _VM_DISK, "disk.discard"),
    _api(VM, "disks[].discard", _QM, "scsi0", sub="discard"),
    _api(VM, "disks[].iothread", _QM, "scsi0", sub="iothread"),
    _api(VM, "disks[].ssd", _QM, "scsi0", sub="ssd"),
    _api(VM, "disks[].backup", _QM, "scsi0", sub="backup"),
    # network devices
    _b(VM, "networkDevices", Items(max=32), _VM_NET, "network_device: MaxItems MaxNetworkDevices"),
    _b(VM, "networkDevices[].bridge", NoCheck(), _VM_NET, "network_device.bridge"),
    _api(VM, "networkDevices[].bridge", _QM, "net0", sub="bridge"),
    _api(VM, "networkDevices[].firewall", _QM, "net0", sub="firewall"),
    Rule(VM, "networkDevices[].macAddress", Regex(MAC_RE, allow_empty=True), _MAC),
    _api(VM, "networkDevices[].macAddress", _QM, "net0", sub="macaddr"),
    _b(
        VM,
        "networkDevices[].model",
        OneOf(("e1000", "e1000e", "rtl8139", "virtio", "vmxnet3")),
        _VM_NET,
        "network_device.model",
    ),
    _api(VM, "networkDevices[].model", _QM, "net0", sub="model"),
    _api(VM, "networkDevices[].mtu", _QM, "net0", sub="mtu", skip=(0,)),
    _api(VM, "networkDevices[].vlanId", _QM, "net0", sub="tag", skip=(0,)),
    _b(VM, "networkDevices[].queues", Between(0, 64), _VM_NET, "network_device.queues: IntBetween(0, 64)"),
    # cloud-init
    _b(
        VM,
        "initialization.interface",
        Regex(r"^ide[0-3]|sata[0-5]|scsi(?:30|[12][0-9]|[0-9])$", allow_empty=True),
        _VMV,
        "CloudInitInterfaceValidator()",
    ),
    Rule(VM, "initialization.interface", PveApiKey(_QM), Source(PVE_API, f"POST {_QM}", "ide[n]/sata[n]/scsi[n]")),
    _b(VM, "initialization.datastoreId", NoCheck(), _VM, "initialization.datastore_id"),
    _api(VM, "initialization.datastoreId", _QM, "ide2", sub="file", convert="cloudinit-volume"),
    Rule(VM, "initialization.userDataFileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    Rule(VM, "initialization.vendorDataFileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    Rule(VM, "initialization.networkDataFileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    Rule(VM, "initialization.metaDataFileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    _b(VM, "initialization.type", OneOf(("configdrive2", "nocloud")), _VMV, "CloudInitTypeValidator()"),
    _b(VM, "initialization.dns.domain", NoCheck(), _VM, "initialization.dns.domain"),
    _api(VM, "initialization.dns.domain", _QM, "searchdomain"),
    _b(VM, "initialization.dns.servers[]", Parse("go-ip"), _VM, "initialization.dns.servers: IsIPAddress"),
    _api(VM, "initialization.dns.servers", _QM, "nameserver", join=" "),
    _b(VM, "initialization.ipConfigs", Items(max=8), _VM, "initialization.ip_config: MaxItems 8"),
    _api(VM, "initialization.ipConfigs[].ipv4.address", _QM, "ipconfig0", sub="ip"),
    _api(VM, "initialization.ipConfigs[].ipv4.gateway", _QM, "ipconfig0", sub="gw"),
    _api(VM, "initialization.ipConfigs[].ipv6.address", _QM, "ipconfig0", sub="ip6"),
    _api(VM, "initialization.ipConfigs[].ipv6.gateway", _QM, "ipconfig0", sub="gw6"),
)

# --- ContainerLegacy: proxmoxtf/resource/container/container.go (+ validators.go) ---
_CTF = "proxmoxtf/resource/container/container.go"
_CTV = "proxmoxtf/resource/container/validators.go"
_LXC = "/nodes/{node}/lxc"
_CT_OS = (
    "alpine",
    "archlinux",
    "centos",
    "debian",
    "devuan",
    "fedora",
    "gentoo",
    "nixos",
    "opensuse",
    "ubuntu",
    "unmanaged",
)

CT_RULES: tuple[Rule, ...] = (
    _b(CT, "vmId", Parse("bpg-vmid"), _VMV, "VMIDValidator() on container vm_id"),
    _api(CT, "vmId", _LXC, "vmid"),
    _b(CT, "nodeName", NoCheck(), _CTF, "node_name"),
    _api(CT, "nodeName", _LXC, "node"),
    _b(CT, "description", NoCheck(), _CTF, "description"),
    _api(CT, "description", _LXC, "description"),
    _b(CT, "tags[]", Length(min=1), _CTF, "tags: elem validation.StringIsNotEmpty"),
    _api(CT, "tags", _LXC, "tags", join=";"),
    _b(CT, "poolId", NoCheck(), _CTF, "pool_id"),
    _api(CT, "poolId", _LXC, "pool"),
    _api(CT, "protection", _LXC, "protection"),
    _api(CT, "startOnBoot", _LXC, "onboot"),
    _b(CT, "started", NoCheck("the provider starts the container after create"), _CTF, "started"),
    _api(CT, "unprivileged", _LXC, "unprivileged"),
    _b(CT, "cpu.cores", Between(1, 128), _CTF, "cpu.cores: IntBetween(1, 128)"),
    _api(CT, "cpu.cores", _LXC, "cores"),
    _b(CT, "cpu.architecture", OneOf(("amd64", "arm64", "armhf", "i386")), _CTV, "CPUArchitectureValidator()"),
    _b(CT, "cpu.limit", Between(0, 8192), _CTF, "cpu.limit: FloatBetween(0, 8192)"),
    _b(CT, "cpu.units", Between(1, 500000), _CTF, "cpu.units: IntBetween(1, 500000)"),
    _b(CT, "memory.dedicated", Between(16, 268435456), _CTF, "memory.dedicated: IntBetween(16, 268435456)"),
    _api(CT, "memory.dedicated", _LXC, "memory"),
    _b(CT, "memory.swap", Between(0, 268435456), _CTF, "memory.swap: IntBetween(0, 268435456)"),
    _api(CT, "memory.swap", _LXC, "swap"),
    _b(CT, "disk.datastoreId", NoCheck(), _CTF, "disk.datastore_id"),
    _api(CT, "disk.datastoreId", _LXC, "storage"),
    _b(CT, "disk.size", Between(min=0), _CTF, "disk.size: IntAtLeast(0)"),
    _api(CT, "features.nesting", _LXC, "features", sub="nesting"),
    _b(CT, "features.mounts[]", OneOf(("cifs", "nfs")), _CTV, "MountTypeValidator() on features.mount"),
    _b(CT, "initialization.hostname", Regex(HOSTNAME_RE, allow_empty=True), _VMV, "HostnameValidator()"),
    _api(CT, "initialization.hostname", _LXC, "hostname"),
    _b(CT, "initialization.dns.domain", NoCheck(), _CTF, "initialization.dns.domain"),
    _api(CT, "initialization.dns.domain", _LXC, "searchdomain"),
    _b(CT, "initialization.dns.servers", Items(min=1), _CTF, "initialization.dns.servers: MinItems 1"),
    _b(CT, "initialization.dns.servers[]", Parse("go-ip"), _CTF, "initialization.dns.servers: IsIPAddress"),
    _b(
        CT,
        "initialization.ipConfigs",
        Items(max=10),
        _CTF,
        "initialization.ip_config: MaxItems maxNetworkInterfaces (10)",
    ),
    _api(CT, "initialization.ipConfigs[].ipv4.address", _LXC, "net0", sub="ip"),
    _api(CT, "initialization.ipConfigs[].ipv4.gateway", _LXC, "net0", sub="gw"),
    _api(CT, "initialization.ipConfigs[].ipv6.address", _LXC, "net0", sub="ip6"),
    _api(CT, "initialization.ipConfigs[].ipv6.gateway", _LXC, "net0", sub="gw6"),
    _b(CT, "initialization.userAccount.keys[]", NoCheck(), _CTF, "initialization.user_account.keys"),
    _api(CT, "initialization.userAccount.keys", _LXC, "ssh-public-keys", join="\n"),
    _b(CT, "initialization.entrypoint", Regex(r"^[^\x00-\x08\x10-\x1F\x7F]+$"), _CTF, "initialization.entrypoint"),
    _b(CT, "networkInterfaces", Items(max=10), _CTF, "network_interface: MaxItems maxNetworkInterfaces (10)"),
    _b(CT, "networkInterfaces[].name", NoCheck("Required, no validator"), _CTF, "network_interface.name"),
    _api(CT, "networkInterfaces[].name", _LXC, "net0", sub="name"),
    _b(CT, "networkInterfaces[].bridge", NoCheck(), _CTF, "network_interface.bridge"),
    _api(CT, "networkInterfaces[].bridge", _LXC, "net0", sub="bridge"),
    _api(CT, "networkInterfaces[].firewall", _LXC, "net0", sub="firewall"),
    Rule(CT, "networkInterfaces[].macAddress", Regex(MAC_RE, allow_empty=True), _MAC),
    _api(CT, "networkInterfaces[].macAddress", _LXC, "net0", sub="hwaddr"),
    _api(CT, "networkInterfaces[].mtu", _LXC, "net0", sub="mtu", skip=(0,)),
    _api(CT, "networkInterfaces[].vlanId", _LXC, "net0", sub="tag", skip=(0,)),
    Rule(CT, "operatingSystem.templateFileId", Regex(FILE_ID_RE, allow_empty=True), _FILE_ID),
    _api(CT, "operatingSystem.templateFileId", _LXC, "ostemplate"),
    _b(CT, "operatingSystem.type", OneOf(_CT_OS), _CTV, "OperatingSystemTypeValidator()"),
    _api(CT, "operatingSystem.type", _LXC, "ostype"),
    _b(CT, "console.type", OneOf(("console", "shell", "tty")), _CTV, "ConsoleModeValidator() on console.type"),
    _b(CT, "console.ttyCount", Between(0, 6), _CTF, "console.tty_count: IntBetween(0, 6)"),
)

# --- FileLegacy: proxmoxtf/resource/file.go; snippets go over SSH, so PVE's API only sees node and storage ---
_FILEF = "proxmoxtf/resource/file.go"
FILE_RULES: tuple[Rule, ...] = (
    _b(
        FILE,
        "contentType",
        OneOf(("backup", "iso", "snippets", "vztmpl", "import")),
        "proxmoxtf/resource/validators/file.go",
        "ContentType()",
    ),
    _b(FILE, "datastoreId", NoCheck("Required, no validator"), _FILEF, "datastore_id"),
    _api(FILE, "datastoreId", "/nodes/{node}/storage/{storage}/upload", "storage"),
    _b(FILE, "nodeName", NoCheck("Required, no validator"), _FILEF, "node_name"),
    _api(FILE, "nodeName", "/nodes/{node}/storage/{storage}/upload", "node"),
    _b(FILE, "", Conflicting(("sourceFile", "sourceRaw")), _FILEF, "fileCreate: source_file or source_raw, not both"),
    _b(FILE, "sourceRaw.data", NoCheck("Required; the data is secret in the plan"), _FILEF, "source_raw.data"),
    _b(FILE, "sourceRaw.fileName", NoCheck("Required, no validator"), _FILEF, "source_raw.file_name"),
    _api(FILE, "sourceRaw.fileName", "/nodes/{node}/storage/{storage}/upload", "filename"),
    _b(FILE, "fileMode", Parse("bpg-file-mode"), "proxmoxtf/resource/validators/file.go", "FileMode()"),
    _b(FILE, "uploadMode", OneOf(("sftp", "stream")), _FILEF, "upload_mode"),
)

# --- download.File: fwprovider/nodes/resource_download_file.go ---
_DLF = "fwprovider/nodes/resource_download_file.go"
_DL = "/nodes/{node}/storage/{storage}/download-url"
DOWNLOAD_RULES: tuple[Rule, ...] = (
    _b(DOWNLOAD, "contentType", OneOf(("iso", "vztmpl", "import")), _DLF, "content_type"),
    _api(DOWNLOAD, "contentType", _DL, "content"),
    _b(DOWNLOAD, "datastoreId", NoCheck("Required, no validator"), _DLF, "datastore_id"),
    _api(DOWNLOAD, "datastoreId", _DL, "storage"),
    _b(DOWNLOAD, "nodeName", NoCheck("Required, no validator"), _DLF, "node_name"),
    _api(DOWNLOAD, "nodeName", _DL, "node"),
    _b(DOWNLOAD, "fileName", NoCheck(), _DLF, "file_name"),
    _api(DOWNLOAD, "fileName", _DL, "filename"),
    _b(DOWNLOAD, "url", Regex(r"https?://.*"), _DLF, "url: httpRegex"),
    _api(DOWNLOAD, "url", _DL, "url"),
    _b(DOWNLOAD, "", RequiredWith("checksum", ("checksumAlgorithm",)), _DLF, "checksum: AlsoRequires"),
    _b(DOWNLOAD, "", RequiredWith("checksumAlgorithm", ("checksum",)), _DLF, "checksum_algorithm: AlsoRequires"),
    _api(DOWNLOAD, "checksum", _DL, "checksum"),
    _b(
        DOWNLOAD,
        "checksumAlgorithm",
        OneOf(("md5", "sha1", "sha224", "sha256", "sha384", "sha512")),
        _DLF,
        "checksum_algorithm",
    ),
    _api(DOWNLOAD, "checksumAlgorithm", _DL, "checksum-algorithm"),
    _b(DOWNLOAD, "decompressionAlgorithm", OneOf(("gz", "lzo", "zst", "bz2")), _DLF, "decompression_algorithm"),
    _b(DOWNLOAD, "uploadTimeout", NoCheck(), _DLF, "upload_timeout"),
    _b(DOWNLOAD, "overwrite", NoCheck(), _DLF, "overwrite"),
)

# --- access: pool, user, group, role (proxmoxtf: no validators; PVE's formats decide), acl and token (fwprovider) ---
_ACLF = "fwprovider/access/resource_acl.go"
_ACL_API = ("proxmox/pve-access-control", "src/PVE/API2/ACL.pm")
# src/PVE/AccessControl.pm check_path: the ACL paths PVE accepts ([[:alnum:]] written out as ASCII, as Perl matches it)
_AL = r"[A-Za-z0-9.\-_]+"
ACL_PATHS: tuple[str, ...] = (
    "/",
    "/access",
    "/access/groups",
    f"/access/groups/{_AL}",
    "/access/realm",
    f"/access/realm/{_AL}",
    "/nodes",
    f"/nodes/{_AL}",
    "/pool",
    r"/pool/[A-Za-z0-9.\-_]+(?:/[A-Za-z0-9.\-_]+){0,2}",
    "/sdn",
    "/sdn/controllers",
    r"/sdn/controllers/[A-Za-z0-9_\-]+",
    "/sdn/dns",
    "/sdn/dns/[A-Za-z0-9]+",
    "/sdn/fabrics",
    "/sdn/fabrics/[A-Za-z0-9]+",
    "/sdn/ipams",
    "/sdn/ipams/[A-Za-z0-9]+",
    "/sdn/prefix-lists",
    "/sdn/prefix-lists/[A-Za-z0-9]+",
    "/sdn/route-maps",
    "/sdn/route-maps/[A-Za-z0-9]+",
    "/sdn/zones",
    f"/sdn/zones/{_AL}",
    f"/sdn/zones/{_AL}/{_AL}",
    f"/sdn/zones/{_AL}/{_AL}/[1-9][0-9]{{0,3}}",
    "/storage",
    f"/storage/{_AL}",
    "/vms",
    "/vms/[1-9][0-9]{2,}",
    "/mapping",
    f"/mapping/{_AL}",
    f"/mapping/{_AL}/{_AL}",
)
_TOKF = "fwprovider/access/resource_user_token.go"
_TOK = "/access/users/{userid}/token/{tokenid}"
ACCESS_RULES: tuple[Rule, ...] = (
    _b(POOL, "poolId", NoCheck("Required, no validator"), "proxmoxtf/resource/pool/pool.go", "pool_id"),
    _api(POOL, "poolId", "/pools", "poolid"),
    _b(POOL, "comment", NoCheck(), "proxmoxtf/resource/pool/pool.go", "comment"),
    _api(POOL, "comment", "/pools", "comment"),
    _b(USER, "userId", NoCheck("Required, no validator"), "proxmoxtf/resource/user.go", "user_id"),
    _api(USER, "userId", "/access/users", "userid"),
    _api(USER, "comment", "/access/users", "comment"),
    _api(USER, "email", "/access/users", "email"),
    _api(USER, "enabled", "/access/users", "enable"),
    _api(USER, "firstName", "/access/users", "firstname"),
    _api(USER, "lastName", "/access/users", "lastname"),
    _api(USER, "groups", "/access/users", "groups", join=","),
    _api(USER, "password", "/access/users", "password"),
    _api(USER, "keys", "/access/users", "keys"),
    _b(USER, "expirationDate", Parse("rfc3339"), "proxmoxtf/resource/user.go", "expiration_date: IsRFC3339Time"),
    _b(GROUP, "groupId", NoCheck("Required, no validator"), "proxmoxtf/resource/group.go", "group_id"),
    _api(GROUP, "groupId", "/access/groups", "groupid"),
    _api(GROUP, "comment", "/access/groups", "comment"),
    _b(ROLE, "roleId", NoCheck("Required, no validator"), "proxmoxtf/resource/role.go", "role_id"),
    _api(ROLE, "roleId", "/access/roles", "roleid"),
    _api(ROLE, "privileges", "/access/roles", "privs", join=","),
    _b(ACL, "", Conflicting(("groupId", "tokenId", "userId")), _ACLF, "ConfigValidators: Conflicting"),
    Rule(
        ACL,
        "",
        ExactlyOneOf(("groupId", "tokenId", "userId")),
        Source(*_ACL_API, "update_acl: either 'users', 'groups' or 'tokens' is required"),
    ),
    _b(ACL, "path", NoCheck("Required, no validator"), _ACLF, "path"),
    Rule(ACL, "path", Parse("pve-acl-path"), Source(*_ACL_API, "update_acl: normalize_path, check_path")),
    _api(ACL, "roleId", "/access/acl", "roles", method="PUT"),
    _api(ACL, "groupId", "/access/acl", "groups", method="PUT"),
    _api(ACL, "userId", "/access/acl", "users", method="PUT"),
    _api(ACL, "tokenId", "/access/acl", "tokens", method="PUT"),
    _api(ACL, "propagate", "/access/acl", "propagate", method="PUT"),
    _b(TOKEN, "tokenName", Regex(r"[A-Za-z][A-Za-z0-9.\-_]+"), _TOKF, "token_name"),
    _api(TOKEN, "tokenName", _TOK, "tokenid"),
    _b(TOKEN, "userId", NoCheck("Required, no validator"), _TOKF, "user_id"),
    _api(TOKEN, "userId", _TOK, "userid"),
    _api(TOKEN, "comment", _TOK, "comment"),
    _api(TOKEN, "privilegesSeparation", _TOK, "privsep"),
    _b(TOKEN, "expirationDate", Parse("rfc3339"), _TOKF, "expiration_date"),
)

# --- SDN: fwprovider/cluster/sdn/{zone,vnet,subnet,applier} ---
_ZONEF = "fwprovider/cluster/sdn/zone/resource_generic.go"
_VNETF = "fwprovider/cluster/sdn/vnet/resource.go"
_SUBF = "fwprovider/cluster/sdn/subnet/resource.go"
_SET = _bpg("fwprovider/types/stringset/attribute.go", "ResourceAttribute(): elements non-empty, non-whitespace")
_SUBNETS = "/cluster/sdn/vnets/{vnet}/subnets"
SDN_RULES: tuple[Rule, ...] = (
    Rule(ZONE, "resourceId", Regex(SDN_ID_RE), _SDN_ID),
    Rule(ZONE, "resourceId", Length(max=8), _SDN_ID),
    _api(ZONE, "resourceId", "/cluster/sdn/zones", "zone"),
    _b(ZONE, "peers", Items(min=1), "fwprovider/cluster/sdn/zone/resource_vxlan.go", "peers: WithRequired"),
    Rule(ZONE, "peers[]", Regex(r"(.|\s)*\S(.|\s)*"), _SET),
    _api(ZONE, "peers", "/cluster/sdn/zones", "peers", join=","),
    Rule(ZONE, "nodes[]", Regex(r"(.|\s)*\S(.|\s)*"), _SET),
    _api(ZONE, "nodes", "/cluster/sdn/zones", "nodes", join=","),
    _b(ZONE, "mtu", NoCheck(), _ZONEF, "mtu"),
    _api(ZONE, "mtu", "/cluster/sdn/zones", "mtu"),
    _b(ZONE, "ipam", NoCheck(), _ZONEF, "ipam"),
    _api(ZONE, "ipam", "/cluster/sdn/zones", "ipam"),
    _api(ZONE, "dnsZone", "/cluster/sdn/zones", "dnszone"),
    Rule(VNET, "resourceId", Regex(SDN_ID_RE), _SDN_ID),
    Rule(VNET, "resourceId", Length(max=8), _SDN_ID),
    _api(VNET, "resourceId", "/cluster/sdn/vnets", "vnet"),
    Rule(VNET, "zone", Regex(SDN_ID_RE), _SDN_ID),
    Rule(VNET, "zone", Length(max=8), _SDN_ID),
    _b(VNET, "alias", Regex(r"^[()._a-zA-Z0-9\s-]+$"), _VNETF, "alias: RegexMatches"),
    _b(VNET, "alias", Length(max=256), _VNETF, "alias: LengthAtMost(256)"),
    _api(VNET, "alias", "/cluster/sdn/vnets", "alias"),
    _b(VNET, "tag", NoCheck(), _VNETF, "tag"),
    _api(VNET, "tag", "/cluster/sdn/vnets", "tag"),
    _api(VNET, "vlanAware", "/cluster/sdn/vnets", "vlanaware"),
    Rule(SUBNET, "vnet", Regex(SDN_ID_RE), _SDN_ID),
    Rule(SUBNET, "vnet", Length(max=8), _SDN_ID),
    _b(SUBNET, "cidr", Parse("go-cidr"), "fwprovider/types/ip_cidr.go", "IPCIDRType.Validate: net.ParseCIDR"),
    _api(SUBNET, "cidr", _SUBNETS, "subnet"),
    _b(SUBNET, "gateway", Parse("go-ip"), "fwprovider/types/ip_addr.go", "IPAddrType.Validate: net.ParseIP"),
    _api(SUBNET, "gateway", _SUBNETS, "gateway"),
    _b(SUBNET, "dhcpDnsServer", Parse("go-ip"), "fwprovider/types/ip_addr.go", "IPAddrType.Validate"),
    _api(SUBNET, "snat", _SUBNETS, "snat"),
    _b(
        APPLIER,
        "",
        NoCheck("on_create/on_destroy booleans; PUT /cluster/sdn takes no input of ours"),
        "fwprovider/cluster/sdn/applier/resource.go",
        "Schema",
    ),
)

# --- firewall (proxmoxtf/resource/firewall/*, proxmoxtf/resource/cluster/firewall/*, fwprovider/nodes/firewall) ---
_RULESF = "proxmoxtf/resource/firewall/rules.go"
_SELF = "proxmoxtf/resource/firewall/selector.go"
_OPTF = "proxmoxtf/resource/firewall/options.go"
_CFWF = "proxmoxtf/resource/cluster/firewall/firewall.go"
_NFWF = "fwprovider/nodes/firewall/resource_node_firewall.go"
_CLUSTER_RULES = "/cluster/firewall/rules"
_VM_OPTS = "/nodes/{node}/qemu/{vmid}/firewall/options"
_CFW = "/cluster/firewall/options"
_NFW = "/nodes/{node}/firewall/options"
_GROUP_RULES = "/cluster/firewall/groups/{group}"
_VNET_RULES = "/cluster/sdn/vnets/{vnet}/firewall/rules"


def _rule_rows(type_: str, env: str, api: str) -> tuple[Rule, ...]:
    """The rows every rule list shares: the provider's per-rule schema, PVE's rule properties, verify_rule."""
    return (
        _b(
            type_,
            "rules[]",
            AnyGroup((("securityGroup",), ("action", "type"))),
            _RULESF,
            "mapToRuleCreateRequestBody: security_group OR both action and type",
        ),
        _b(type_, "rules[].action", OneOf(_FW_POLICY), _FW, "FirewallPolicy() on rule.action"),
        _b(type_, "rules[].type", OneOf(("in", "out", "forward"), ignore_case=True), _RULESF, "rule.type"),
        _api(type_, "rules[].securityGroup", api, "action"),  # posted as type group, action <group>
        *(
            _api(type_, f"rules[].{ours}", api, theirs)
            for ours, theirs in (
                ("action", "action"),
                ("type", "type"),
                ("macro", "macro"),
                ("proto", "proto"),
                ("dport", "dport"),
                ("sport", "sport"),
                ("source", "source"),
                ("dest", "dest"),
                ("iface", "iface"),
                ("log", "log"),
                ("comment", "comment"),
                ("enabled", "enable"),
            )
        ),
        Rule(
            type_,
            "rules[]",
            FirewallRule(env),
            _pvefw("verify_rule, parse_address_list, parse_port_name_number_or_range, $pve_fw_macros"),
        ),
    )


FIREWALL_RULES: tuple[Rule, ...] = (
    *_rule_rows(RULES, "selector", _CLUSTER_RULES),
    _b(RULES, "vmId", Parse("bpg-vmid"), _SELF, "selectorSchema: vm_id VMIDValidator()"),
    _b(RULES, "containerId", Parse("bpg-vmid"), _SELF, "selectorSchema: container_id VMIDValidator()"),
    _b(RULES, "", RequiredWith("vmId", ("nodeName",)), _SELF, "selectorSchema: vm_id RequiredWith node_name"),
    _b(
        RULES,
        "",
        RequiredWith("containerId", ("nodeName",)),
        _SELF,
        "selectorSchema: container_id RequiredWith node_name",
    ),
    _b(RULES, "nodeName", NoCheck(), _SELF, "selectorSchema: node_name"),
    _api(RULES, "nodeName", "/nodes/{node}/qemu/{vmid}/firewall/rules", "node"),
    _api(RULES, "vmId", "/nodes/{node}/qemu/{vmid}/firewall/rules", "vmid"),
    *_rule_rows(SEC_GROUP, "group", _GROUP_RULES),
    _b(
        SEC_GROUP,
        "name",
        NoCheck("Required, no validator"),
        "proxmoxtf/resource/cluster/firewall/security_group.go",
        "name",
    ),
    _api(SEC_GROUP, "name", "/cluster/firewall/groups", "group"),
    _api(SEC_GROUP, "comment", "/cluster/firewall/groups", "comment"),
    *_rule_rows(VNET_FW, "vnet", _VNET_RULES),
    _api(VNET_FW, "vnet", _VNET_RULES, "vnet"),
    _api(VNET_FW, "options.enable", "/cluster/sdn/vnets/{vnet}/firewall/options", "enable", method="PUT"),
    _api(
        VNET_FW, "options.policy_forward", "/cluster/sdn/vnets/{vnet}/firewall/options", "policy_forward", method="PUT"
    ),
    _api(
        VNET_FW,
        "options.log_level_forward",
        "/cluster/sdn/vnets/{vnet}/firewall/options",
        "log_level_forward",
        method="PUT",
    ),
    Rule(
        VNET_FW,
        "endpoint",
        NoCheck("where the API is; not sent"),
        Source("proxcloud", "components/vnet_firewall.py", "PveConnection"),
    ),
    Rule(
        VNET_FW,
        "insecure",
        NoCheck("TLS verification switch; not sent"),
        Source("proxcloud", "components/vnet_firewall.py", "PveConnection"),
    ),
    Rule(
        VNET_FW,
        "api_token",
        NoCheck("secret; sent as the Authorization header"),
        Source("proxcloud", "components/vnet_firewall.py", "PveConnection"),
    ),
    Rule(
        VNET_FW,
        "__provider",
        NoCheck("the pickled dynamic provider (Pulumi's own input)"),
        Source("pulumi/pulumi", "sdk/python/lib/pulumi/dynamic/dynamic.py", "PROVIDER_KEY"),
    ),
    # our notification provider sends `name` and every key of `settings` as the parameter of that name
    *[
        _api(SMTP_TARGET, path, "/cluster/notifications/endpoints/smtp", param)
        for path, param in [("name", "name"), ("password", "password")]
        + [
            (f"settings.{k}", k)
            for k in ("server", "from-address", "mailto", "username", "comment", "mode", "author", "port")
        ]
    ],
    *[
        _api(MATCHER, path, "/cluster/notifications/matchers", param)
        for path, param in [("name", "name")]
        + [(f"settings.{k}", k) for k in ("match-severity", "mode", "match-field", "target", "comment")]
    ],
    *[
        Rule(t, attr, NoCheck(why), Source("proxcloud", "components/pve_notifications.py", ref))
        for t in (SMTP_TARGET, MATCHER)
        for attr, why, ref in [
            ("kind", "which API collection the object lives in; not sent", "kind"),
            ("__provider", "the pickled dynamic provider (Pulumi's own input)", "PROVIDER_KEY"),
        ]
    ],
    _b(IPSET, "name", NoCheck("Required, no validator"), "proxmoxtf/resource/firewall/ipset.go", "name"),
    _api(IPSET, "name", "/cluster/firewall/ipset", "name"),
    _api(IPSET, "comment", "/cluster/firewall/ipset", "comment"),
    _b(IPSET, "cidrs[].name", NoCheck("Required, no validator"), "proxmoxtf/resource/firewall/ipset.go", "cidr.name"),
    _api(IPSET, "cidrs[].name", "/cluster/firewall/ipset/{name}", "cidr"),
    Rule(
        IPSET,
        "cidrs[].name",
        Parse("pve-ipset-entry"),
        Source("proxmox/pve-firewall", "src/PVE/API2/Firewall/IPSet.pm", "create_ip: no zero prefix in ipset entries"),
    ),
    _api(IPSET, "cidrs[].nomatch", "/cluster/firewall/ipset/{name}", "nomatch"),
    _api(IPSET, "cidrs[].comment", "/cluster/firewall/ipset/{name}", "comment"),
    _b(IPSET, "vmId", Parse("bpg-vmid"), _SELF, "selectorSchema: vm_id VMIDValidator()"),
    _b(OPTIONS, "", ExactlyOneOf(("vmId", "containerId")), _SELF, "optionsSelectorSchema: ExactlyOneOf"),
    _b(OPTIONS, "nodeName", NoCheck("Required"), _SELF, "optionsSelectorSchema: node_name Required"),
    _api(OPTIONS, "nodeName", _VM_OPTS, "node", method="PUT"),
    _b(OPTIONS, "vmId", Parse("bpg-vmid"), _SELF, "selectorSchema: vm_id VMIDValidator()"),
    _api(OPTIONS, "vmId", _VM_OPTS, "vmid", method="PUT"),
    _b(OPTIONS, "containerId", Parse("bpg-vmid"), _SELF, "selectorSchema: container_id VMIDValidator()"),
    _api(OPTIONS, "containerId", "/nodes/{node}/lxc/{vmid}/firewall/options", "vmid", method="PUT"),
    _b(OPTIONS, "inputPolicy", OneOf(_FW_POLICY), _FW, "FirewallPolicy() on input_policy"),
    _b(OPTIONS, "outputPolicy", OneOf(_FW_POLICY), _FW, "FirewallPolicy() on output_policy"),
    _b(OPTIONS, "logLevelIn", OneOf(_LOG_LEVELS), _FW, "FirewallLogLevel()"),
    _b(OPTIONS, "logLevelOut", OneOf(_LOG_LEVELS), _FW, "FirewallLogLevel()"),
    *(
        _api(OPTIONS, ours, _VM_OPTS, theirs, method="PUT")
        for ours, theirs in (
            ("inputPolicy", "policy_in"),
            ("outputPolicy", "policy_out"),
            ("enabled", "enable"),
            ("dhcp", "dhcp"),
            ("ipfilter", "ipfilter"),
            ("macfilter", "macfilter"),
            ("ndp", "ndp"),
            ("radv", "radv"),
        )
    ),
    _b(CLUSTER_FW, "inputPolicy", OneOf(_FW_POLICY), _FW, "FirewallPolicy() on input_policy"),
    _b(CLUSTER_FW, "outputPolicy", OneOf(_FW_POLICY), _FW, "FirewallPolicy() on output_policy"),
    _b(CLUSTER_FW, "forwardPolicy", OneOf(("ACCEPT", "DROP")), _FW, "FirewallForwardPolicy()"),
    _b(CLUSTER_FW, "logRatelimit.rate", Regex(r"[1-9][0-9]*/(second|minute|hour|day)"), _FW, "FirewallRate()"),
    _api(CLUSTER_FW, "logRatelimit.rate", _CFW, "log_ratelimit", method="PUT", sub="rate"),
    _api(CLUSTER_FW, "logRatelimit.burst", _CFW, "log_ratelimit", method="PUT", sub="burst"),
    _api(CLUSTER_FW, "logRatelimit.enabled", _CFW, "log_ratelimit", method="PUT", sub="enable"),
    *(
        _api(CLUSTER_FW, ours, _CFW, theirs, method="PUT")
        for ours, theirs in (
            ("inputPolicy", "policy_in"),
            ("outputPolicy", "policy_out"),
            ("forwardPolicy", "policy_forward"),
            ("enabled", "enable"),
            ("ebtables", "ebtables"),
        )
    ),
    _b(NODE_FW, "nodeName", Length(min=1), _NFWF, "node_name: LengthAtLeast(1)"),
    _api(NODE_FW, "nodeName", _NFW, "node", method="PUT"),
    *(
        _b(NODE_FW, attr, OneOf(_LOG_LEVELS), _NFWF, snake)
        for attr, snake in (
            ("logLevelIn", "log_level_in"),
            ("logLevelOut", "log_level_out"),
            ("logLevelForward", "log_level_forward"),
            ("smurfLogLevel", "smurf_log_level"),
            ("tcpFlagsLogLevel", "tcp_flags_log_level"),
        )
    ),
    _b(NODE_FW, "nfConntrackMax", Between(min=32768), _NFWF, "nf_conntrack_max: AtLeast(32768)"),
    _b(
        NODE_FW,
        "nfConntrackTcpTimeoutEstablished",
        Between(min=7875),
        _NFWF,
        "nf_conntrack_tcp_timeout_established: AtLeast(7875)",
    ),
    _api(NODE_FW, "enabled", _NFW, "enable", method="PUT"),
    _api(NODE_FW, "nftables", _NFW, "nftables", method="PUT"),
    _api(NODE_FW, "ndp", _NFW, "ndp", method="PUT"),
)

# --- backup job, PBS storage, replication, HA ---
_JOBF = "fwprovider/cluster/backup/resource.go"
_PBSF = "fwprovider/storage/resource_pbs.go"
_STOF = "fwprovider/storage/schema_factory.go"
_REPF = "fwprovider/cluster/replication/resource.go"
_HARF = "fwprovider/cluster/ha/resource_haresource.go"
_HAUF = "fwprovider/cluster/ha/resource_harule.go"
# pve-storage src/PVE/Storage/Plugin.pm $prune_backups_format (+ validate_prune_backups), as the sub-schema PVE checks
PRUNE_BACKUPS_FORMAT: dict[str, dict[str, object]] = {
    "keep-all": {"type": "boolean", "optional": 1},
    **{
        f"keep-{k}": {"type": "integer", "minimum": 0, "optional": 1}
        for k in ("last", "hourly", "daily", "weekly", "monthly", "yearly")
    },
}
_PRUNE = Source("proxmox/pve-storage", "src/PVE/Storage/Plugin.pm", "$prune_backups_format, validate_prune_backups")
_CALENDAR = Source(
    "proxmox/proxmox-rs", "proxmox-time/src/calendar_event.rs", "parse_calendar_event_incomplete (pve-calendar-event)"
)
_STORAGE_CONTENT = ("backup", "images", "import", "iso", "rootdir", "snippets", "vztmpl")

JOB_RULES: tuple[Rule, ...] = (
    _b(BACKUP_JOB, "", Conflicting(("all", "vmids")), _JOBF, "ConfigValidators: Conflicting(all, vmid)"),
    _b(BACKUP_JOB, "", Conflicting(("all", "pool")), _JOBF, "ConfigValidators: Conflicting(all, pool)"),
    _b(BACKUP_JOB, "", Conflicting(("vmids", "pool")), _JOBF, "ConfigValidators: Conflicting(vmid, pool)"),
    _b(BACKUP_JOB, "resourceId", NoCheck("Required, no validator"), _JOBF, "id"),
    _api(BACKUP_JOB, "resourceId", "/cluster/backup", "id"),
    _b(BACKUP_JOB, "schedule", NoCheck("Required, no validator"), _JOBF, "schedule"),
    Rule(BACKUP_JOB, "schedule", CalendarEvent(), _CALENDAR),
    _api(BACKUP_JOB, "schedule", "/cluster/backup", "schedule"),
    _b(BACKUP_JOB, "storage", NoCheck("Required, no validator"), _JOBF, "storage"),
    _api(BACKUP_JOB, "storage", "/cluster/backup", "storage"),
    _b(BACKUP_JOB, "pool", NoCheck(), _JOBF, "pool"),
    _api(BACKUP_JOB, "pool", "/cluster/backup", "pool"),
    _api(BACKUP_JOB, "vmids", "/cluster/backup", "vmid", join=","),
    _api(BACKUP_JOB, "excludes", "/cluster/backup", "exclude", join=","),
    _api(BACKUP_JOB, "enabled", "/cluster/backup", "enabled"),
    _b(BACKUP_JOB, "mode", OneOf(("snapshot", "suspend", "stop")), _JOBF, "mode"),
    _api(BACKUP_JOB, "mode", "/cluster/backup", "mode"),
    _b(BACKUP_JOB, "compress", OneOf(("0", "1", "gzip", "lzo", "zstd")), _JOBF, "compress"),
    _api(BACKUP_JOB, "compress", "/cluster/backup", "compress"),
    _b(BACKUP_JOB, "mailnotification", OneOf(("always", "failure")), _JOBF, "mailnotification"),
    _api(BACKUP_JOB, "mailnotification", "/cluster/backup", "mailnotification"),
    _api(BACKUP_JOB, "mailtos", "/cluster/backup", "mailto", join=","),
    _api(BACKUP_JOB, "notesTemplate", "/cluster/backup", "notes-template"),
    _api(BACKUP_JOB, "repeatMissed", "/cluster/backup", "repeat-missed"),
    _api(BACKUP_JOB, "pruneBackups", "/cluster/backup", "prune-backups", convert="property-string"),  # keys: _PRUNE
    Rule(BACKUP_JOB, "pruneBackups", Parse("pve-prune-backups"), _PRUNE),
    _b(BACKUP_JOB, "ionice", Between(0, 8), _JOBF, "ionice: Between(0, 8)"),
    _b(BACKUP_JOB, "pbsChangeDetectionMode", OneOf(("legacy", "data", "metadata")), _JOBF, "pbs_change_detection_mode"),
    _b(PBS, "resourceId", NoCheck("Required, no validator"), _STOF, "id"),
    _api(PBS, "resourceId", "/storage", "storage"),
    _api(PBS, "server", "/storage", "server"),
    _api(PBS, "datastore", "/storage", "datastore"),
    _api(PBS, "username", "/storage", "username"),
    _api(PBS, "password", "/storage", "password"),
    _api(PBS, "namespace", "/storage", "namespace"),
    _api(PBS, "fingerprint", "/storage", "fingerprint"),
    _api(PBS, "nodes", "/storage", "nodes", join=","),
    _b(PBS, "contents[]", OneOf(_STORAGE_CONTENT), _STOF, "content: ValueStringsAre(OneOf(ValidContentTypes))"),
    _api(PBS, "contents", "/storage", "content", join=","),
    _b(
        PBS,
        "",
        Conflicting(("encryptionKey", "generateEncryptionKey")),
        _PBSF,
        "encryption_key: ConflictsWith generate_encryption_key",
    ),
    _b(
        PBS,
        "generateEncryptionKey",
        NoCheck("the provider asks PVE to generate the key"),
        _PBSF,
        "generate_encryption_key",
    ),
    *(
        _b(PBS, f"backups.{k}", Between(min=0), _STOF, f"WithBackupBlock: {snake} AtLeast(0)")
        for k, snake in (
            ("keepLast", "keep_last"),
            ("keepHourly", "keep_hourly"),
            ("keepDaily", "keep_daily"),
            ("keepWeekly", "keep_weekly"),
            ("keepMonthly", "keep_monthly"),
            ("keepYearly", "keep_yearly"),
        )
    ),
    _b(REPLICATION, "resourceId", Regex(r"^[0-9]+-[0-9]+$"), _REPF, "id"),
    _api(REPLICATION, "resourceId", "/cluster/replication", "id"),
    _b(REPLICATION, "type", OneOf(("local",)), _REPF, "type"),
    _api(REPLICATION, "type", "/cluster/replication", "type"),
    _b(REPLICATION, "target", NoCheck("Required, no validator"), _REPF, "target"),
    _api(REPLICATION, "target", "/cluster/replication", "target"),
    _b(REPLICATION, "schedule", NoCheck(), _REPF, "schedule"),
    Rule(REPLICATION, "schedule", CalendarEvent(), _CALENDAR),
    _api(REPLICATION, "schedule", "/cluster/replication", "schedule"),
    _api(REPLICATION, "comment", "/cluster/replication", "comment"),
    _api(REPLICATION, "rate", "/cluster/replication", "rate"),
    _b(HA_RESOURCE, "resourceId", Parse("ha-resource-id"), "proxmox/types/ha_resource_id.go", "ParseHAResourceID"),
    _api(HA_RESOURCE, "resourceId", "/cluster/ha/resources", "sid"),
    _b(
        HA_RESOURCE,
        "state",
        OneOf(("started", "enabled", "stopped", "disabled", "ignored")),
        "proxmox/types/ha_resource_state.go",
        "ParseHAResourceState",
    ),
    _api(HA_RESOURCE, "state", "/cluster/ha/resources", "state"),
    _b(HA_RESOURCE, "type", OneOf(("vm", "ct")), "proxmox/types/ha_resource_type.go", "ParseHAResourceType"),
    Rule(HA_RESOURCE, "comment", Length(min=1), _NOT_WS),
    _b(HA_RESOURCE, "comment", Regex(r"^\S|^$"), _HARF, "comment: must not start with whitespace"),
    _b(HA_RESOURCE, "comment", Regex(r"\S$|^$"), _HARF, "comment: must not end with whitespace"),
    _api(HA_RESOURCE, "comment", "/cluster/ha/resources", "comment"),
    _b(HA_RESOURCE, "group", Regex(r"^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$"), _HARF, "group"),
    _b(HA_RESOURCE, "maxRelocate", Between(0, 10), _HARF, "max_relocate: Between(0, 10)"),
    _api(HA_RESOURCE, "maxRelocate", "/cluster/ha/resources", "max_relocate"),
    _b(HA_RESOURCE, "maxRestart", Between(0, 10), _HARF, "max_restart: Between(0, 10)"),
    _api(HA_RESOURCE, "maxRestart", "/cluster/ha/resources", "max_restart"),
    _b(HA_RULE, "rule", Regex(r"^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$"), _HAUF, "rule"),
    _api(HA_RULE, "rule", "/cluster/ha/rules", "rule"),
    _b(HA_RULE, "type", OneOf(("node-affinity", "resource-affinity")), _HAUF, "type"),
    Rule(HA_RULE, "comment", Length(min=1), _NOT_WS),
    _b(HA_RULE, "comment", Regex(r"^\S|^$"), _HAUF, "comment: must not start with whitespace"),
    _b(HA_RULE, "comment", Regex(r"\S$|^$"), _HAUF, "comment: must not end with whitespace"),
    _api(HA_RULE, "comment", "/cluster/ha/rules", "comment"),
    _b(HA_RULE, "resources", Items(min=1), _HAUF, "resources: SizeAtLeast(1)"),
    _b(HA_RULE, "resources[]", Regex(r"^(vm|ct):\d+$"), _HAUF, "resources: ValueStringsAre"),
    _api(HA_RULE, "resources", "/cluster/ha/rules", "resources", join=","),
    _b(HA_RULE, "nodes", Items(min=1), _HAUF, "nodes: mapvalidator.SizeAtLeast(1)"),
    _b(HA_RULE, "nodes{key}", Regex(r"^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?$"), _HAUF, "nodes: KeysAre"),
    _b(HA_RULE, "nodes{}", Between(0, 1000), _HAUF, "nodes: ValueInt64sAre(Between(0, 1000))"),
    _api(HA_RULE, "nodes", "/cluster/ha/rules", "nodes", convert="ha-node-list", when=("type", "node-affinity")),
    # Create sends strict (and nodes) only for node-affinity, affinity only for resource-affinity
    _api(HA_RULE, "strict", "/cluster/ha/rules", "strict", when=("type", "node-affinity")),
    _b(HA_RULE, "affinity", OneOf(("positive", "negative")), _HAUF, "affinity"),
    _api(HA_RULE, "affinity", "/cluster/ha/rules", "affinity", when=("type", "resource-affinity")),
    _b(
        HA_RULE,
        "",
        When("type", "node-affinity", require=("nodes",), forbid=("affinity",)),
        _HAUF,
        "ValidateConfig: node-affinity",
    ),
    _b(
        HA_RULE,
        "",
        When("type", "resource-affinity", require=("affinity",), forbid=("nodes",), forbid_true=("strict",)),
        _HAUF,
        "ValidateConfig: resource-affinity",
    ),
)

# --- random and command: the other providers the plan uses ---
_RANDOM = Source("hashicorp/terraform-provider-random", "internal/provider/resource_password.go", "passwordSchemaV3")
_CMD = Source("pulumi/pulumi-command", "provider/pkg/provider/remote/command.go", "CommandArgs (free strings)")
# --- a tenant's own storages (components/tenant_storage.py): dir, zfspool, and their pool membership ---
DIRECTORY = "proxmoxve:storage/directory:Directory"
ZFSPOOL = "proxmoxve:storage/zfspool:Zfspool"
MEMBERSHIP = "proxmoxve:pool/membership:Membership"
_DIRF = "fwprovider/storage/resource_directory.go"
_ZFSF = "fwprovider/storage/resource_zfs.go"
_MEMF = "fwprovider/pools/pool_membership.go"
STORAGE_RULES: tuple[Rule, ...] = (
    *(
        rule
        for t in (DIRECTORY, ZFSPOOL)
        for rule in (
            _b(t, "resourceId", NoCheck("Required, no validator"), _STOF, "id"),
            _api(t, "resourceId", "/storage", "storage"),
            _b(t, "contents[]", OneOf(_STORAGE_CONTENT), _STOF, "content: ValueStringsAre(OneOf(ValidContentTypes))"),
            _api(t, "contents", "/storage", "content", join=","),
            _b(t, "nodes[]", NoCheck("SetAttribute of strings, no validator"), _STOF, "nodes"),
            _api(t, "nodes", "/storage", "nodes", join=","),
        )
    ),
    _b(DIRECTORY, "path", NoCheck("Required, no validator"), _DIRF, "path"),
    _api(DIRECTORY, "path", "/storage", "path"),
    _b(DIRECTORY, "shared", NoCheck("Default true"), _DIRF, "shared"),
    _api(DIRECTORY, "shared", "/storage", "shared"),
    _b(DIRECTORY, "createBasePath", NoCheck("Default true"), _STOF, "WithDirCreationOptions: create_base_path"),
    _api(DIRECTORY, "createBasePath", "/storage", "create-base-path"),
    _b(DIRECTORY, "createSubdirs", NoCheck("Default true"), _STOF, "WithDirCreationOptions: create_subdirs"),
    _api(DIRECTORY, "createSubdirs", "/storage", "create-subdirs"),
    _b(ZFSPOOL, "zfsPool", NoCheck("Required, no validator"), _ZFSF, "zfs_pool"),
    _api(ZFSPOOL, "zfsPool", "/storage", "pool"),
    _b(ZFSPOOL, "thinProvision", NoCheck(), _ZFSF, "thin_provision"),
    _api(ZFSPOOL, "thinProvision", "/storage", "sparse"),
    _b(MEMBERSHIP, "", Conflicting(("vmId", "storageId")), _MEMF, "ConfigValidators: Conflicting(vm_id, storage_id)"),
    _b(MEMBERSHIP, "poolId", NoCheck("Required, no validator"), _MEMF, "pool_id"),
    _api(MEMBERSHIP, "poolId", "/pools", "poolid", method="PUT"),
    _b(MEMBERSHIP, "storageId", NoCheck(), _MEMF, "storage_id"),
    _api(MEMBERSHIP, "storageId", "/pools", "storage", method="PUT"),
)

OTHER_RULES: tuple[Rule, ...] = (
    Rule(PASSWORD, "length", Between(min=1), _RANDOM),
    Rule(PASSWORD, "length", AtLeastSumOf(("minUpper", "minLower", "minNumeric", "minSpecial")), _RANDOM),
    Rule(PASSWORD, "special", NoCheck(), _RANDOM),
    *(Rule(COMMAND, attr, NoCheck(), _CMD) for attr in ("create", "update", "delete", "stdin", "triggers[]")),
    Rule(
        COMMAND,
        "connection",
        NoCheck("secret as a whole in the plan; pulumi-command checks it when it dials"),
        Source("pulumi/pulumi-command", "provider/pkg/provider/remote/connection.go", "Connection"),
    ),
)

ALL_RULES: tuple[Rule, ...] = (
    *VM_RULES,
    *CT_RULES,
    *FILE_RULES,
    *DOWNLOAD_RULES,
    *ACCESS_RULES,
    *SDN_RULES,
    *FIREWALL_RULES,
    *JOB_RULES,
    *STORAGE_RULES,
    *OTHER_RULES,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass(frozen=True)
class FirewallFacts:
    """pve-firewall's closed vocabularies the rule check needs (src/PVE/Firewall.pm)."""

    macros: frozenset[str] = _words(
        """Amanda Auth BGP BitTorrent BitTorrent32 Ceph CVS Citrix DAAP DCC DHCPfwd DNS Distcc FTP Finger GNUnet
            GRE Git HKP HTTP HTTPS ICPV2 ICQ IMAP IMAPS IPIP IPsec IPsecah IPsecnat IRC Jetdirect L2TP LDAP LDAPS MSNP
            MSSQL Mail MDNS Munin MySQL NNTP NNTPS NTP OSPF OpenVPN PCA PMG POP3 POP3S PPtP Ping PostgreSQL Printer RDP
            RIP RNDC Razor Rdate Rsync SANE SMB SMBswat SMTP SMTPS SNMP SPAMD SSH SVN SixXS SPICEproxy Squid Submission
            Syslog TFTP Telnet Telnets Time Trcrt VNC VNCL Web Webcache Webmin Whois NeighborDiscovery DHCPv6"""
    )  # $pve_fw_macros keys, plus the ipv6-only $pve_ipv6fw_macros init_firewall_macros adds
    protocols_with_ports: frozenset[str] = frozenset(
        ("udp", "17", "udplite", "136", "tcp", "6", "dccp", "33", "sctp", "132")
    )  # $PROTOCOLS_WITH_PORTS
    icmp_types: frozenset[str] = _words(
        """any echo-reply destination-unreachable network-unreachable host-unreachable protocol-unreachable
        port-unreachable fragmentation-needed source-route-failed network-unknown host-unknown network-prohibited
        host-prohibited TOS-network-unreachable TOS-host-unreachable communication-prohibited host-precedence-violation
        precedence-cutoff source-quench redirect network-redirect host-redirect TOS-network-redirect TOS-host-redirect
        echo-request router-advertisement router-solicitation time-exceeded ttl-zero-during-transit
        ttl-zero-during-reassembly parameter-problem ip-header-bad required-option-missing timestamp-request
        timestamp-reply address-mask-request address-mask-reply"""
    )  # $icmp_type_names
    icmpv6_types: frozenset[str] = _words(
        """destination-unreachable no-route communication-prohibited beyond-scope address-unreachable port-unreachable
        failed-policy reject-route packet-too-big time-exceeded ttl-zero-during-transit ttl-zero-during-reassembly
        parameter-problem bad-header unknown-header-type unknown-option echo-request echo-reply router-solicitation
        router-advertisement neighbor-solicitation neighbour-solicitation neighbor-advertisement
        neighbour-advertisement redirect"""
    )  # $icmpv6_type_names
    name_pattern: str = r"[A-Za-z][A-Za-z0-9\-\_]+"  # $security_group_name_pattern = $ipset_name_pattern = alias
    max_ipset_name_length: int = 64  # $max_ipset_name_length
    max_alias_name_length: int = 64  # $max_alias_name_length
    envs: tuple[tuple[str, tuple[str, ...], bool], ...] = (
        ("ct", ("in", "out", "group"), True),
        ("vm", ("in", "out", "group"), True),
        ("group", ("in", "out", "forward"), False),
        ("cluster", ("in", "out", "forward", "group"), True),
        ("host", ("in", "out", "forward", "group"), True),
        ("vnet", ("forward", "group"), False),
    )  # $rule_env_direction_lookup, $rule_env_iface_lookup


FIREWALL = FirewallFacts()
