"""The stack settings: everything under `proxcloud:` in Pulumi.<stack>.yaml (less the secret keys)."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from model.capacity import CapacitySpec
from model.guests import Strict
from model.types import (
    TEMPLATE_FILE,
    TEMPLATE_HTTP_HOSTS,
    Bridge,
    CalendarEvent,
    Domain,
    Email,
    FileName,
    Hhmm,
    HostLabel,
    HostOrAddress,
    HttpsUrl,
    Invalid,
    IPv4,
    IPv4Cidr,
    IPv4Iface,
    IPv6,
    IPv6Cidr,
    IPv6Iface,
    NodeName,
    Pattern,
    PbsDatastore,
    PbsUser,
    SdnId,
    SshPublicKey,
    StorageId,
    TenantName,
    TenantsDir,
    Text,
    UnixUser,
    check_checksum,
    check_url,
)

VNI_MIN, VNI_MAX = 1, 16_777_215


VXLAN_OVERHEAD = 50  # bytes: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8


Fingerprint = Pattern(
    re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){31}"),
    "certificate fingerprint",
    "copy the 32 hex byte pairs separated by ':' from `proxmox-backup-manager cert info`",
    95,
)


class PublicNicSpec(Strict):
    """A tenant's public address in this stack: its proxy's own public NIC (with gateway; setup A), or a secondary
    address of the provider edge DNATed to the proxy (without gateway; setup D)."""

    ipv4: IPv4Iface = Field(description="Public IPv4 address with prefix.")
    gateway4: IPv4 | None = Field(default=None, description="IPv4 gateway (own NIC only).")
    ipv6: IPv6Iface | None = Field(default=None, description="Public IPv6 address with prefix.")
    gateway6: IPv6 | None = Field(default=None, description="IPv6 default gateway.")

    @model_validator(mode="after")
    def _gateways(self) -> PublicNicSpec:
        check_gateways(self.ipv4, self.gateway4, self.ipv6, self.gateway6, ("gateway4", "gateway6"))
        return self


def check_gateways(
    ipv4: ipaddress.IPv4Interface,
    gateway4: ipaddress.IPv4Address | None,
    ipv6: ipaddress.IPv6Interface | None,
    gateway6: ipaddress.IPv6Address | None,
    names: tuple[str, str],
) -> None:
    """A gateway is another address of the own prefix (IPv6: or link-local, as many hosters route)."""
    if gateway4 is not None and (gateway4 not in ipv4.network or gateway4 == ipv4.ip or ipv4.network.prefixlen >= 31):
        raise Invalid(
            f"gateway {gateway4} is not another address of the public prefix {ipv4.network}",
            f"use the provider's gateway inside {ipv4.network} (and the address with its real prefix length)",
            [names[0]],
        )
    if gateway6 is not None and (
        ipv6 is None or gateway6 == ipv6.ip or not (gateway6 in ipv6.network or gateway6.is_link_local)
    ):
        where = f"the public prefix {ipv6.network}" if ipv6 is not None else "a public IPv6 prefix (none is given)"
        raise Invalid(
            f"gateway {gateway6} is not another address of {where}, nor link-local",
            "use the provider's IPv6 gateway (inside the prefix, or fe80::1)",
            [names[1]],
        )


class _Config(Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        strict=True,
    )


class NodeSpec(_Config):
    """A PVE node of the cluster."""

    name: NodeName = Field(description="PVE node name, as in `pvecm nodes`.")
    vtep: IPv4 = Field(description="The node's address on the underlay VLAN (its VXLAN tunnel end).")
    address: IPv4 | None = Field(
        default=None, description="Management address for SSH (pct exec / qm guest exec); the VTEP when omitted."
    )
    place_tenants_from: int = Field(
        default=0,
        ge=0,
        description="Tenants numbered at least this place guests and replicas here automatically; tenants below keep "
        "the nodes they had. Set it to the next free tenant number when adding a node: nothing moves "
        "(docs/operations.md, add a node).",
    )


class UnderlaySpec(_Config):
    """The network VXLAN runs over."""

    cidr: IPv4Cidr = Field(description="Underlay subnet holding every node's VTEP address.")
    mtu: int = Field(default=1500, ge=1280, le=9216, description="MTU of the underlay links.")
    vlan: int | None = Field(default=None, ge=1, le=4094, description="VLAN id of the dedicated underlay VLAN.")


class DatastoreSpec(_Config):
    """Where the platform puts guest disks, snippets and imported images."""

    vm: StorageId = Field(description="Datastore for guest disks, e.g. local-zfs.")
    snippets: StorageId = Field(description="Datastore with the `snippets` content type (cloud-init user data).")
    images: StorageId = Field(description="Datastore with the `import` content type (cloud images).")


class ImageSpec(_Config):
    """The Debian 12 cloud image every VM boots from, imported once per node."""

    url: HttpsUrl = Field(description="Download URL of a dated Debian 12 genericcloud qcow2 build.")
    checksum: str = Field(description="Its checksum, from the build's SHA512SUMS / SHA256SUMS.")
    checksum_algorithm: Literal["sha256", "sha512"] = Field(default="sha256", description="Checksum algorithm.")
    file_name: FileName = Field(
        description="File name on the datastore; must end in .qcow2 for the import content type."
    )

    @model_validator(mode="after")
    def _shape(self) -> ImageSpec:
        check_checksum(self.checksum, self.checksum_algorithm)
        if not self.file_name.endswith((".qcow2", ".raw", ".vmdk")):
            raise Invalid(
                f"file name {self.file_name} is not a disk image for PVE's import content",
                "use the image's name ending in .qcow2, .raw or .vmdk",
                ["fileName"],
            )
        return self


class HostingSpec(_Config):
    """Address pools of setup B's dedicated VM networks (a /30 and a /64 per VM)."""

    ipv4_pool: IPv4Cidr = Field(description="RFC 1918 pool the per-VM /30s come from.")
    ipv6_pool: IPv6Cidr = Field(description="Routed IPv6 pool (a /48 or larger) the per-VM /64s come from.")

    @model_validator(mode="after")
    def _pools(self) -> HostingSpec:
        if not any(self.ipv4_pool.subnet_of(n) for n in RFC1918):
            raise Invalid(
                f"ipv4Pool {self.ipv4_pool} is not inside an RFC 1918 range",
                "use a part of 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
                ["ipv4Pool"],
            )
        if self.ipv6_pool.prefixlen > 56:
            raise Invalid(
                f"ipv6Pool {self.ipv6_pool} is too small for a /64 per VM", "use a /56 or larger", ["ipv6Pool"]
            )
        return self


RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


class RetentionSpec(_Config):
    """How many backups to keep per period (PVE prune-backups / PBS prune job keys)."""

    keep_daily: int = Field(default=14, ge=1, le=3650, description="Daily backups kept.")
    keep_weekly: int = Field(default=8, ge=1, le=520, description="Weekly backups kept.")
    keep_monthly: int = Field(default=12, ge=1, le=240, description="Monthly backups kept.")
    keep_yearly: int = Field(default=3, ge=1, le=100, description="Yearly backups kept.")

    def as_pve(self) -> dict[str, str]:
        return {
            "keep-daily": str(self.keep_daily),
            "keep-weekly": str(self.keep_weekly),
            "keep-monthly": str(self.keep_monthly),
            "keep-yearly": str(self.keep_yearly),
        }


class PbsSpec(_Config):
    """The off-site Proxmox Backup Server."""

    server: HostOrAddress = Field(description="PBS host name or address (another location than the nodes).")
    datastore: PbsDatastore = Field(description="PBS datastore the tenants' namespaces live in.")
    fingerprint: Fingerprint = Field(description="SHA-256 fingerprint of the PBS TLS certificate (aa:bb:...).")
    username: PbsUser = Field(description="PBS user PVE authenticates as, e.g. pve-backup@pbs; password: pbsPassword.")
    ssh_user: UnixUser = Field(default="root", description="SSH user on the PBS host for verify/prune job management.")
    verify_schedule: CalendarEvent = Field(default="sat 04:00", description="PBS calendar event of the verify job.")
    verify_outdated_days: int = Field(default=30, ge=1, le=365, description="Re-verify snapshots older than this.")
    prune_schedule: CalendarEvent = Field(default="daily 06:30", description="PBS calendar event of the prune jobs.")

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, v: str) -> str:
        return v.lower()


class BackupWindow(_Config):
    """The night window backups must start in; it may wrap midnight (22:00-05:00)."""

    start: Hhmm = Field(description="HH:MM")
    end: Hhmm = Field(description="HH:MM")

    def contains(self, hhmm: str) -> bool:
        t, a, b = _minutes(hhmm), _minutes(self.start), _minutes(self.end)
        return a <= t < b if a < b else (t >= a or t < b)


class ScratchIds(_Config):
    """VM IDs the restore drill may restore into: a small range no tenant or the edge can ever get."""

    first: int = Field(ge=100, le=999_999_999, description="First scratch VM ID.")
    last: int = Field(ge=100, le=999_999_999, description="Last scratch VM ID (inclusive).")

    @model_validator(mode="after")
    def _order(self) -> ScratchIds:
        if self.last < self.first:
            raise ValueError(f"last {self.last} is below first {self.first}")
        if self.last - self.first >= 100:
            raise ValueError(f"{self.last - self.first + 1} scratch IDs: at most 100 (one is used at a time)")
        return self


class RestoreDrillSpec(_Config):
    """A scheduled restore drill: the newest backup of each stateful guest, in turn, restored and started
    without network on one node, checked to answer, timed, then destroyed (render/restore_drill.py)."""

    node: NodeName = Field(description="PVE node the drill restores on (its vm datastore takes the scratch disks).")
    schedule: str = Field(
        default="Sun *-*-* 10:00",
        description="systemd calendar event (OnCalendar) of the drill; keep it outside the backup window.",
    )
    scratch_ids: ScratchIds = Field(description="VM IDs to restore into, outside every ID the spec allocates.")
    guests_per_run: int = Field(
        default=2, ge=1, le=50, description="Guests drilled per run; the next run goes on with the next ones."
    )
    boot_timeout: int = Field(
        default=300, ge=30, le=3600, description="Seconds a restored guest has to answer (agent ping / pct exec)."
    )

    @field_validator("schedule")
    @classmethod
    def _calendar(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9*:,./~ -]{1,64}", v):
            raise ValueError(f"'{v}' is not a systemd calendar event (e.g. 'Sun *-*-* 10:00')")
        return v


class BackupSpec(_Config):
    """Nightly backups of every stateful guest to PBS, one namespace per tenant."""

    pbs: PbsSpec = Field(description="The backup server.")
    window: BackupWindow = Field(description="The night window.")
    start: Hhmm = Field(description="Daily start time of the backup jobs, HH:MM, inside the window.")
    retention: RetentionSpec = Field(default_factory=RetentionSpec, description="What to keep.")
    mailto: Email = Field(description="Admin address for failure notifications (SMTP must be configured in PVE).")
    encryption: Literal["generate", "supplied"] = Field(
        default="generate",
        description="Client-side encryption key: generated by PVE, or supplied as the secret pbsEncryptionKey.",
    )
    restore_drill: RestoreDrillSpec | None = Field(
        default=None, description="Scheduled restore drill of the newest backups (prod); none when omitted."
    )

    @model_validator(mode="after")
    def _in_window(self) -> BackupSpec:
        if not self.window.contains(self.start):
            raise Invalid(
                f"start {self.start} is outside the night window {self.window.start}-{self.window.end}",
                "pick a start time inside the window, or widen the window",
                ["start"],
            )
        return self

    @property
    def schedule(self) -> str:
        """systemd calendar event for PVE's backup job."""
        return f"*-*-* {self.start}"


class HaSpec(_Config):
    """High availability and storage replication, on stacks with more than one node."""

    replication_schedule: CalendarEvent = Field(default="*/15", description="PVE replication schedule of stateful VMs.")
    rate_mbps: float | None = Field(default=None, gt=0, description="Replication bandwidth limit in MB/s.")


# Secret config keys: read with `require_secret`, never part of the (plain) settings model.
SECRET_CONFIG_KEYS = (
    "pbsPassword",
    "pbsEncryptionKey",
    "pbsSshPrivateKey",
    "opsSshPrivateKey",
    "nodeSshPrivateKey",
    "cloudflaredToken",
    "twingateAccessToken",
    "twingateRefreshToken",
    "smtpPassword",
)


class SmtpMode(StrEnum):
    """How PVE's SMTP target talks to the relay (proxmox-notify `SmtpMode`; default port per mode)."""

    TLS = "tls"  # implicit TLS, port 465
    STARTTLS = "starttls"  # upgrade after connecting, port 587
    INSECURE = "insecure"  # plain text, port 25: only to a relay on a trusted network


class NotificationsSpec(_Config):
    """PVE's notification system as code: one SMTP target and a matcher routing failures to the admins
    (components/pve_notifications.py). The password is the secret `proxcloud:smtpPassword`."""

    server: HostOrAddress = Field(description="SMTP relay host name or address.")
    mode: SmtpMode = Field(
        default=SmtpMode.TLS, strict=False, description="tls (465), starttls (587) or insecure (25)."
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="SMTP port; the mode's default when omitted.")
    from_address: Email = Field(description="From address of the mails (PVE's `from-address`).")
    username: Text(128, what="SMTP login") | None = Field(
        default=None, description="SMTP login; its password is the secret proxcloud:smtpPassword."
    )
    mailto: list[Email] = Field(
        default_factory=list, description="Admin addresses; backup.mailto when empty (the stack's admin address)."
    )
    author: Text(64, what="sender name") = Field(default="Proxmox VE", description="Display name of the sender.")

    @property
    def effective_port(self) -> int:
        return self.port or {SmtpMode.TLS: 465, SmtpMode.STARTTLS: 587, SmtpMode.INSECURE: 25}[self.mode]


class ContainerTemplateConfig(_Config):
    """The Debian LXC template, downloaded once per node (content type vztmpl), checksum verified."""

    url: str = Field(description="Template URL (PVE's appliance index or https).")
    file_name: TemplateFileName = Field(description="File name, e.g. debian-12-standard_12.7-1_amd64.tar.zst.")
    checksum: str = Field(description="Its checksum (pveam available lists sha512sums).")
    checksum_algorithm: Literal["sha256", "sha512"] = Field(default="sha512", description="Checksum algorithm.")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v, http_hosts=TEMPLATE_HTTP_HOSTS)

    @model_validator(mode="after")
    def _checksum(self) -> ContainerTemplateConfig:
        check_checksum(self.checksum, self.checksum_algorithm)
        return self


TemplateFileName = Pattern(
    TEMPLATE_FILE, "LXC template file name", "use the template's file name ending in .tar.zst, .tar.xz or .tar.gz", 255
)


class EdgeSpec(_Config):
    """The provider edge: router of hosted VMs (setup B) and of tenant proxies' uplinks (setup D), NAT to the world."""

    name: HostLabel = Field(default="edge", description="VM host name.")
    vm_id: int = Field(default=100, ge=100, le=999_999_999, description="PVE VM ID.")
    node: NodeName | None = Field(default=None, description="PVE node; the first node when omitted.")
    public_ipv4: IPv4Iface = Field(description="Primary public IPv4 (egress SNAT, forwards).")
    gateway4: IPv4 = Field(description="Upstream IPv4 gateway.")
    public_ipv6: IPv6Iface = Field(description="Public IPv6 of the edge.")
    gateway6: IPv6 = Field(description="Upstream IPv6 gateway.")
    admin_from: list[IPv4Cidr] = Field(default_factory=list, description="Who may SSH to the edge.")
    transit_zone: SdnId = Field(default="provider", description="The provider's VXLAN zone.")
    transit_vnet: SdnId = Field(default="transit", description="VLAN-aware VNet carrying one VLAN per hosted net.")
    transit_vni: int = Field(default=999_000, ge=VNI_MIN, le=VNI_MAX, description="VNI of the transit VNet.")

    @model_validator(mode="after")
    def _gateways(self) -> EdgeSpec:
        check_gateways(self.public_ipv4, self.gateway4, self.public_ipv6, self.gateway6, ("gateway4", "gateway6"))
        return self


class StackSettings(_Config):
    """Everything under `proxcloud:` in Pulumi.<stack>.yaml (less the secret keys)."""

    domain: Domain = Field(description="DNS domain of the stack's public names.")
    underlay: UnderlaySpec = Field(description="The VXLAN underlay network.")
    nodes: list[NodeSpec] = Field(min_length=1, description="The cluster's nodes.")
    datastores: DatastoreSpec = Field(description="Datastores the platform uses.")
    public_bridge: Bridge = Field(default="vmbr0", description="Linux bridge with the public uplink.")
    image: ImageSpec | None = Field(default=None, description="Cloud image for VMs (required once any VM exists).")
    admin_ssh_keys: list[SshPublicKey] = Field(default_factory=list, description="Operators' SSH keys, on every VM.")
    backup: BackupSpec | None = Field(default=None, description="Backups (required once any stateful VM exists).")
    ha: HaSpec = Field(default_factory=HaSpec, description="HA and replication (multi-node stacks only).")
    notifications: NotificationsSpec | None = Field(
        default=None, description="PVE's notification system: SMTP target and admin matcher (both stacks)."
    )
    capacity: CapacitySpec | None = Field(
        default=None, description="Node capacity and over-commit limits, for `make report` (right-sizing)."
    )
    protect_stateful: bool = Field(
        default=False, description="Protect every stateful VM and every tenant pool (set in prod): deletes fail."
    )
    hosting: HostingSpec | None = Field(default=None, description="Pools for dedicated VM networks (setup B).")
    edge: EdgeSpec | None = Field(default=None, description="The provider edge router (setups B and D).")
    container_template: ContainerTemplateConfig | None = Field(
        default=None, description="LXC template (required once any container exists)."
    )
    public_addresses: dict[TenantName, PublicNicSpec] = Field(
        default_factory=dict, description="Per tenant name: its public address in this stack (see PublicNicSpec)."
    )
    dns_servers: list[IPv4] = Field(
        default_factory=list, description="Resolvers given to VMs by cloud-init; the gateway when empty."
    )
    tenants: list[TenantName] | None = Field(
        default=None,
        description="Names of the tenant files this stack deploys; all of tenants/ when omitted.",
    )
    tenants_dir: TenantsDir = Field(
        default="tenants", description="Folder of the tenant files, relative to the project."
    )
