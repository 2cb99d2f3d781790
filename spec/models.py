"""Input models: the tenant file format (`tenants/*.yaml`) and the stack settings (`proxcloud:*` config).

These models check each file on its own (types, PVE id rules, unknown keys). Rules that span files
(uniqueness, overlaps, VNI clashes) live in `spec.load`.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.alias_generators import to_camel

from spec.capacity import CapacitySpec

# --- PVE identifier rules (pve-manager / pve-access-control formats; cross-checked against fakepve in tests) ---
SDN_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]")  # zones and VNets: 2-8 chars
ACCESS_ID = re.compile(r"[A-Za-z0-9.\-_]+")  # pve-groupid, pve-roleid, one level of pve-poolid
NODE_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?")
STORAGE_ID = re.compile(r"[a-z][a-z0-9\-_.]*[a-z0-9]")
TENANT_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PERSON_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*")
EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+")
# VNet alias: the provider's rule (bpg v0.111.1 fwprovider/cluster/sdn/vnet/resource.go, `alias`), stricter than
# PVE's own; checked again over the planned graph by proofs/conformance.py
VNET_ALIAS = re.compile(r"[()._a-zA-Z0-9\s-]+", re.ASCII)  # Go regexp: \s is ASCII white space
VNET_ALIAS_MAX = 256
DNS_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)+")

VNI_MIN, VNI_MAX = 1, 16_777_215
VXLAN_OVERHEAD = 50  # bytes: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8
VNIS_PER_TENANT = 100  # default VNI = tenant number * 100 + position of the VNet (1-based)


def _sdn_id(value: str) -> str:
    if not (2 <= len(value) <= 8) or not SDN_ID.fullmatch(value):
        raise ValueError(
            f"'{value}' is not a valid PVE SDN id: 2-8 characters, a letter first, then letters and digits only"
        )
    return value


def _storage_id(value: str) -> str:
    if not STORAGE_ID.fullmatch(value):
        raise ValueError(f"'{value}' is not a valid PVE storage id: lower-case letters, digits, '-', '_', '.'")
    return value


def _vnet_alias(value: str) -> str:
    if not VNET_ALIAS.fullmatch(value) or len(value) > VNET_ALIAS_MAX:
        raise ValueError(
            f"'{value}' cannot be a PVE VNet alias: at most {VNET_ALIAS_MAX} characters, only letters, digits, "
            "spaces and . _ - ( ) (no ':' or ',')"
        )
    return value


# The JSON Schema carries the same rules, so editors flag them while typing.
SdnId = Annotated[
    str,
    AfterValidator(_sdn_id),
    Field(json_schema_extra={"pattern": f"^{SDN_ID.pattern}$", "minLength": 2, "maxLength": 8}),
]
StorageId = Annotated[str, AfterValidator(_storage_id), Field(json_schema_extra={"pattern": f"^{STORAGE_ID.pattern}$"})]
VnetAlias = Annotated[
    str,
    AfterValidator(_vnet_alias),
    Field(json_schema_extra={"pattern": f"^{VNET_ALIAS.pattern}$", "maxLength": VNET_ALIAS_MAX}),
]


def _vm_id(value: int | str | None) -> int | str | None:
    if isinstance(value, int) and not (100 <= value <= 999_999_999):
        raise ValueError(f"{value} is not a PVE VM ID (100-999999999)")
    return value


# A PVE VM/CT ID: a number, `mirror` (the address without dots: 10.10.10.6 -> 1010106), or None (number*1000+slot).
VmId = Annotated[int | Literal["mirror"] | None, AfterValidator(_vm_id)]


class AccessProfile(StrEnum):
    """What a tenant's people may do in PVE."""

    OPERATOR = "operator"  # setup B: power, console, ISOs on VMs the provider made; no hardware changes
    SELF_SERVICE = "self-service"  # setup D: build and run own VMs in the own pool, zone and datastores


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class UserSpec(_Strict):
    """One person's PVE account, `firstname.lastname@pve`, member of the tenant's group."""

    name: str = Field(
        description="firstname.lastname, lower case; becomes the PVE user `<name>@pve`.",
        json_schema_extra={"pattern": f"^{PERSON_NAME.pattern}$"},
    )
    email: str | None = Field(default=None, description="Contact address, shown in PVE.")
    first_name: str | None = Field(default=None, description="Defaults to the part before the dot, capitalised.")
    last_name: str | None = Field(default=None, description="Defaults to the part after the dot, capitalised.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not PERSON_NAME.fullmatch(v):
            raise ValueError(f"'{v}' must be firstname.lastname in lower case letters (e.g. 'ada.lovelace')")
        if len(v) + len("@pve") > 64:
            raise ValueError(f"'{v}@pve' is longer than PVE's 64 characters for a user id")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is not None and not EMAIL.fullmatch(v):
            raise ValueError(f"'{v}' is not an e-mail address")
        return v

    @property
    def user_id(self) -> str:
        return f"{self.name}@pve"


class ZoneSpec(_Strict):
    """The tenant's own VXLAN SDN zone."""

    id: SdnId = Field(description="PVE SDN zone id, 2-8 characters [a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9].")
    mtu: int | None = Field(
        default=None,
        ge=576,
        le=9000,
        description="VNet MTU; defaults to the underlay MTU minus 50 (VXLAN overhead).",
    )


LEASE_TIME = re.compile(r"([1-9][0-9]*)([mhdw]?)")  # dnsmasq's lease time: seconds, or minutes/hours/days/weeks
LEASE_SECONDS = {"": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DhcpSpec(_Strict):
    """A DHCP range on a tenant VNet, served by the tenant's router (its proxy) with itself as gateway and resolver.

    Checked at load against the VNet (inside its subnet, not the gateway) and every static address the spec gives a
    guest there (spec/dhcp.py)."""

    start: ipaddress.IPv4Address = Field(description="First address handed out.")
    end: ipaddress.IPv4Address = Field(description="Last address handed out (at least start).")
    lease_time: str = Field(
        default="12h", description="Lease time: seconds, or a number with m, h, d or w (dnsmasq; at least 2m)."
    )

    @field_validator("lease_time")
    @classmethod
    def _lease(cls, v: str) -> str:
        match = LEASE_TIME.fullmatch(v)
        if match is None or int(match[1]) * LEASE_SECONDS[match[2]] < 120:
            raise ValueError(f"'{v}' is not a lease time of at least two minutes (e.g. 1h, 12h, 7d)")
        return v

    @model_validator(mode="after")
    def _order(self) -> DhcpSpec:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class VnetSpec(_Strict):
    """One overlay network of the tenant, with one IPv4 subnet."""

    id: SdnId = Field(description="PVE VNet id (also the bridge name guests attach to), 2-8 characters.")
    cidr: ipaddress.IPv4Network = Field(description="IPv4 subnet of this VNet, e.g. 192.168.10.0/24.")
    gateway: ipaddress.IPv4Address | None = Field(
        default=None, description="Gateway address inside the subnet; defaults to the first host address."
    )
    vni: int | None = Field(
        default=None,
        ge=VNI_MIN,
        le=VNI_MAX,
        description="VXLAN network identifier; defaults to tenant number * 100 + the VNet's position (1-based).",
    )
    description: VnetAlias | None = Field(
        default=None,
        description="Shown as the VNet alias in PVE: letters, digits, spaces and . _ - ( ), at most 256 characters.",
    )
    dhcp: DhcpSpec | None = Field(
        default=None,
        description="DHCP range served by the tenant's router (setup D: for the tenant's own VMs); none when omitted.",
    )

    @field_validator("cidr", mode="before")
    @classmethod
    def _strict_cidr(cls, v: object) -> object:
        if isinstance(v, str):
            try:
                ipaddress.IPv4Network(v, strict=True)
            except ValueError as exc:
                raise ValueError(f"'{v}' is not an IPv4 network with host bits zero ({exc})") from None
        return v

    @model_validator(mode="after")
    def _gateway_inside(self) -> VnetSpec:
        if self.cidr.prefixlen > 30:
            raise ValueError(f"cidr {self.cidr} leaves no room for a gateway and hosts; use /30 or larger")
        if self.gateway is not None and (
            self.gateway not in self.cidr or self.gateway in (self.cidr.network_address, self.cidr.broadcast_address)
        ):
            raise ValueError(f"gateway {self.gateway} is not a host address inside {self.cidr}")
        return self


HOSTNAME = re.compile(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?")
ROLE_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")


class VmSpec(_Strict):
    """A cloud-init VM the provider creates for the tenant (Debian 12 cloud image)."""

    name: str = Field(
        description="Host name and PVE VM name (a DNS label), unique in the stack.",
        json_schema_extra={"pattern": f"^{HOSTNAME.pattern}$"},
    )
    slot: int = Field(
        ge=1,
        le=99,
        description="The VM's stable number inside the tenant (unique per tenant, never reused while the VM exists). "
        "Seeds its default VM ID and, for a dedicated network, its VNet, /30 and /64.",
    )
    role: str = Field(default="server", description="What the VM is for (web, db, ...); used by firewall rules.")
    vm_id: VmId = Field(
        default=None,
        description="PVE VM ID: a number (100-999999999), `mirror` (the address without dots: 10.10.10.6 -> 1010106), "
        "or omitted for tenant number * 1000 + slot.",
    )
    node: str | None = Field(default=None, description="PVE node; spread over the nodes by slot when omitted.")
    cores: int = Field(default=2, ge=1, le=64, description="vCPUs (setup B default: 2).")
    memory_mb: int = Field(default=2048, ge=256, le=262144, description="Memory in MiB (setup B default: 2048).")
    disk_gb: int = Field(default=50, ge=8, le=4096, description="System disk in GB (setup B default: 50).")
    vnet: SdnId | None = Field(
        default=None,
        description="The tenant VNet of the VM's NIC (with `address`); omitted: a dedicated VNet with an IPv4 /30 and "
        "an IPv6 /64 from the stack's hosting pools (setup B).",
    )
    address: ipaddress.IPv4Address | None = Field(default=None, description="Static IPv4 address on `vnet`.")
    ssh_keys: list[str] = Field(default_factory=list, description="SSH public keys of the VM's admin user.")
    guest_agent: bool = Field(default=True, description="Install and enable the QEMU guest agent.")
    stateful: bool = Field(default=True, description="Holds data: backed up, replicated, protected in prod.")
    stateless_reason: str | None = Field(
        default=None, description="Required with `stateful: false`: why losing this VM loses nothing (no backup)."
    )
    keep_apart_from: list[str] = Field(
        default_factory=list, description="VM names this VM must not share a node with (HA negative affinity)."
    )
    protect: bool = Field(default=False, description="Protect against deletion (Pulumi protect + PVE protection).")
    description: str | None = Field(default=None, description="Free text, shown in PVE.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not HOSTNAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a host name: lower-case letters, digits and '-', at most 40 characters")
        return v

    @field_validator("role")
    @classmethod
    def _role(cls, v: str) -> str:
        if not ROLE_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a role name: lower-case letters, digits and '-'")
        return v

    @model_validator(mode="after")
    def _addressing(self) -> VmSpec:
        if (self.vnet is None) != (self.address is None):
            raise ValueError("give both vnet and address (a VM on a tenant VNet), or neither (a dedicated network)")
        if self.vm_id == "mirror" and self.address is None:
            raise ValueError("vm_id: mirror needs an address to mirror")
        if not self.stateful and not self.stateless_reason:
            raise ValueError("stateful: false needs stateless_reason: say why this VM needs no backup")
        if self.stateful and self.stateless_reason:
            raise ValueError("stateless_reason is only for stateful: false")
        return self


class HumHubInstance(_Strict):
    """One HumHub web server VM: the production site or its near-identical test copy."""

    name: str = Field(description="VM host name, e.g. humhub or humhub-test.")
    slot: int = Field(ge=1, le=99, description="The VM's stable slot in the tenant (see vms[].slot).")
    address: ipaddress.IPv4Address = Field(description="Static address on the HumHub VNet.")
    public_host: str = Field(description="Public host name the reverse proxy routes to this instance.")
    test: bool = Field(default=False, description="The test instance (not protected, kept apart from prod).")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id.")
    node: str | None = Field(default=None, description="As vms[].node.")
    cores: int = Field(default=2, ge=1, le=64, description="vCPUs.")
    memory_mb: int = Field(default=4096, ge=1024, le=262144, description="Memory in MiB.")
    disk_gb: int = Field(default=50, ge=16, le=4096, description="System disk in GB.")

    @field_validator("public_host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not DNS_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a lower-case DNS name")
        return v


class Placement(_Strict):
    """Slot and address of a service's guest on the service's VNet."""

    slot: int = Field(ge=1, le=99, description="The guest's stable slot in the tenant.")
    address: ipaddress.IPv4Address = Field(description="Static address on the service's VNet.")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id (containers: a number).")
    node: str | None = Field(default=None, description="PVE node; spread by slot when omitted.")


class DesktopSpec(Placement):
    """Setup A's admin desktop VM: internal network only, reached through the Proxmox console."""

    name: str = Field(default="debian-desktop", description="VM host name.")


class HumHubSpec(_Strict):
    """Setup A: a HumHub community site in prod and test (and optionally the admin desktop)."""

    site_name: str = Field(description="HumHub site name.")
    vnet: SdnId = Field(description="The tenant VNet the HumHub VMs live on (internal, port 80 only).")
    version: str = Field(description="HumHub release, e.g. 1.17.3.")
    sha256: str = Field(description="sha256 of the release archive, from HumHub's download page.")
    download_url: str | None = Field(
        default=None,
        description="Release archive URL; defaults to https://download.humhub.com/downloads/install/humhub-<version>.tar.gz",
    )
    admin_username: str = Field(description="The HumHub admin account (password generated, secret).")
    admin_email: str = Field(description="The admin account's e-mail.")
    trusted_proxies: list[ipaddress.IPv4Network] = Field(
        default_factory=list, description="Reverse proxy addresses HumHub trusts X-Forwarded-* headers from."
    )
    instances: list[HumHubInstance] = Field(min_length=1, max_length=2, description="prod and (optionally) test.")
    desktop: DesktopSpec | None = Field(default=None, description="The admin desktop VM.")

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return v

    @field_validator("admin_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL.fullmatch(v):
            raise ValueError(f"'{v}' is not an e-mail address")
        return v

    @model_validator(mode="after")
    def _one_prod(self) -> HumHubSpec:
        if sum(not i.test for i in self.instances) != 1:
            raise ValueError("instances: exactly one production instance (test: false) is needed")
        return self

    @property
    def url(self) -> str:
        return self.download_url or f"https://download.humhub.com/downloads/install/humhub-{self.version}.tar.gz"


class ProxyEngine(StrEnum):
    """How a reverse proxy is run."""

    NPM = "npm"  # Nginx Proxy Manager in Docker Compose (setup A's rProxy)
    CADDY = "caddy"  # a Caddyfile with automatic HTTPS


class RouteSpec(_Strict):
    """host name -> internal upstream, served with TLS from Let's Encrypt."""

    host: str = Field(description="Public host name (a DNS name; no underscores).")
    upstream: ipaddress.IPv4Address = Field(description="Internal address of the upstream.")
    port: int = Field(default=80, ge=1, le=65535, description="Upstream port.")
    scheme: Literal["http", "https"] = Field(default="http", description="Scheme towards the upstream.")
    allow_from: list[ipaddress.IPv4Network] = Field(default_factory=list, description="Client allow-list; empty: all.")
    websocket: bool = Field(default=True, description="Pass websocket upgrades.")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not DNS_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a lower-case DNS name (letters, digits, '-'; no '_')")
        return v


class PublicNicSpec(_Strict):
    """A tenant's public address in this stack: its proxy's own public NIC (with gateway; setup A), or a secondary
    address of the provider edge DNATed to the proxy (without gateway; setup D)."""

    ipv4: ipaddress.IPv4Interface = Field(description="Public IPv4 address with prefix.")
    gateway4: ipaddress.IPv4Address | None = Field(default=None, description="IPv4 gateway (own NIC only).")
    ipv6: ipaddress.IPv6Interface | None = Field(default=None, description="Public IPv6 address with prefix.")
    gateway6: ipaddress.IPv6Address | None = Field(default=None, description="IPv6 default gateway.")


class ProxySpec(_Strict):
    """The tenant's reverse proxy VM (and the router of its VNets)."""

    engine: ProxyEngine = Field(description="`npm` or `caddy`.")
    name: str = Field(description="VM host name, e.g. rproxy.")
    slot: int = Field(ge=1, le=99, description="The VM's stable slot in the tenant.")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id.")
    node: str | None = Field(default=None, description="As vms[].node.")
    acme_email: str = Field(description="Let's Encrypt account e-mail (NPM: also its admin login).")
    public: bool = Field(
        default=False,
        description="Own public NIC (setup A; address from proxcloud:publicAddresses). Otherwise an uplink to the "
        "provider edge, which DNATs the tenant's public address (if any) to it.",
    )
    routes: list[RouteSpec] = Field(default_factory=list, description="Routes besides the services' own.")

    @field_validator("acme_email")
    @classmethod
    def _mail(cls, v: str) -> str:
        if not EMAIL.fullmatch(v):
            raise ValueError(f"'{v}' is not an e-mail address")
        return v


class ForwardSpec(_Strict):
    """An IPv4 port forward from the provider edge's primary address to a hosted VM (setup B)."""

    proto: Literal["tcp", "udp"] = Field(description="Protocol.")
    public_port: int = Field(ge=1, le=65535, description="Port on the edge's primary public address.")
    vm: str = Field(description="Name of a VM of this tenant on a dedicated network.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port on the VM; defaults to public_port.")
    why: str = Field(min_length=3, description="Why this port is open (every allowed port is justified).")


class MonitoringSpec(_Strict):
    """Setup D's monitoring: InfluxDB + Telegraf on one VM, Grafana and Chronograf each on their own VM."""

    vnet: SdnId = Field(description="The tenant VNet of the three VMs (the proxy routes to them).")
    influxdb: Placement = Field(description="The InfluxDB + Telegraf VM.")
    grafana: Placement = Field(description="The Grafana VM.")
    chronograf: Placement = Field(description="The Chronograf VM.")
    retention: str = Field(default="30d", description="InfluxDB retention (InfluxQL duration: 30d, 12w, INF).")
    chronograf_allow_from: list[ipaddress.IPv4Network] = Field(
        default_factory=list,
        description="Client networks allowed to Chronograf through the proxy; required (it has no login of its own).",
    )

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        if not re.fullmatch(r"\d+[wdhm]|INF", v):
            raise ValueError(f"'{v}' is not an InfluxQL duration such as 30d, 12w or INF")
        return v

    @model_validator(mode="after")
    def _chronograf_not_open(self) -> MonitoringSpec:
        # Chronograf has no login: published without an allow-list, anyone who reaches its host name reads the
        # tenant's metrics and can query (and drop) its InfluxDB through it.
        if not self.chronograf_allow_from:
            raise ValueError(
                "chronograf_allow_from is empty: Chronograf has no login of its own and would be open to anyone "
                "(fix: list the client networks allowed to reach it through the proxy, e.g. [198.51.100.0/24])"
            )
        return self

    def vms(self, tenant: str) -> list[tuple[str, str, Placement]]:
        """(VM name, role, placement) of the three VMs."""
        return [
            (f"{tenant}-influxdb", "influxdb", self.influxdb),
            (f"{tenant}-grafana", "grafana", self.grafana),
            (f"{tenant}-chronograf", "chronograf", self.chronograf),
        ]


class ContainerSpec(_Strict):
    """An LXC container (setup C: containers for light services, VMs where a kernel is needed)."""

    name: str = Field(
        description="Host name, unique in the stack.", json_schema_extra={"pattern": f"^{HOSTNAME.pattern}$"}
    )
    slot: int = Field(ge=1, le=99, description="Stable slot in the tenant (shared with the VMs' slots).")
    role: str = Field(default="server", description="What it is for; firewall rules key on it.")
    vnet: SdnId = Field(description="The tenant VNet of its NIC.")
    address: ipaddress.IPv4Address = Field(description="Static IPv4 address on the VNet.")
    vm_id: VmId = Field(default=None, description="PVE ID: a number, `mirror`, or tenant number * 1000 + slot.")
    node: str | None = Field(default=None, description="PVE node; spread by slot when omitted.")
    cores: int = Field(default=1, ge=1, le=64, description="vCPUs.")
    memory_mb: int = Field(default=512, ge=64, le=262144, description="Memory in MiB.")
    disk_gb: int = Field(default=8, ge=1, le=4096, description="Root disk in GB.")
    nesting: bool = Field(default=False, description="Allow nested containers (only for services running Docker).")
    stateful: bool = Field(default=True, description="Holds data: backed up, replicated, protected in prod.")
    stateless_reason: str | None = Field(default=None, description="Required with stateful: false.")

    @model_validator(mode="after")
    def _state(self) -> ContainerSpec:
        if not self.stateful and not self.stateless_reason:
            raise ValueError("stateful: false needs stateless_reason: say why this container needs no backup")
        if not HOSTNAME.fullmatch(self.name):
            raise ValueError(f"'{self.name}' is not a host name")
        return self


class WordPressSpec(_Strict):
    """Setup C's WordPress: `wp-web` (Apache + PHP) and `wp-db` (MariaDB) containers behind the proxy."""

    vnet: SdnId = Field(description="The VNet of wp-web (and of wp-db unless db_vnet is given).")
    db_vnet: SdnId | None = Field(default=None, description="The VNet of wp-db, e.g. the tenant's data tier.")
    public_host: str = Field(description="Public host name routed by the proxy.")
    site_title: str = Field(description="WordPress site title.")
    admin_username: str = Field(description="Admin account (password generated, secret).")
    admin_email: str = Field(description="Admin e-mail.")
    version: str = Field(description="WordPress release, e.g. 6.8.3.")
    sha256: str = Field(description="sha256 of wordpress-<version>.tar.gz (from wordpress.org).")
    web: Placement = Field(description="The wp-web container.")
    db: Placement = Field(description="The wp-db container.")

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{64}", v):
            raise ValueError("sha256 must be 64 lower-case hex digits")
        return v


class _ServerVm(_Strict):
    """A service whose server runs on one VM and whose web UI the tenant's proxy publishes."""

    vnet: SdnId = Field(description="The VNet of the server VM.")
    public_host: str = Field(description="Host name of the web UI, routed by the proxy.")


class ZabbixSpec(_ServerVm):
    """Setup C's Zabbix: server + frontend (Compose on a VM); an agent 2 on every guest of the tenant."""

    server: Placement = Field(description="The Zabbix server VM.")


class LoggingSpec(_ServerVm):
    """Setup C's central logs: Graylog (with OpenSearch and MongoDB, Compose on a VM); rsyslog on every guest."""

    graylog: Placement = Field(description="The Graylog VM.")


class ExtrasSpec(_Strict):
    """Optional services (setup C), each off unless given; each a container running Docker Compose."""

    vnet: SdnId = Field(description="The VNet of the extras.")
    cloudflared: Placement | None = Field(
        default=None, description="Cloudflare tunnel connector (secret cloudflaredToken)."
    )
    vaultwarden: Placement | None = Field(default=None, description="Vaultwarden behind the proxy (sign-ups off).")
    vaultwarden_host: str | None = Field(default=None, description="Public host name of Vaultwarden.")
    twingate: Placement | None = Field(default=None, description="Twingate connector (secret twingate tokens).")
    twingate_network: str | None = Field(default=None, description="Twingate network name.")

    @model_validator(mode="after")
    def _pairs(self) -> ExtrasSpec:
        if self.vaultwarden is not None and not self.vaultwarden_host:
            raise ValueError("vaultwarden needs vaultwarden_host")
        if self.twingate is not None and not self.twingate_network:
            raise ValueError("twingate needs twingate_network")
        return self


class TenantFile(_Strict):
    """A tenant: one `tenants/<name>.yaml` file. Format version 1."""

    name: str = Field(
        description="Tenant id: lower case letters, digits and '-'; names the pool, group and roles.",
        json_schema_extra={"pattern": f"^{TENANT_NAME.pattern}$", "minLength": 2, "maxLength": 24},
    )
    number: int = Field(
        ge=1,
        le=9999,
        description="Stable tenant number, unique per stack; seeds default VNIs. Never change it.",
    )
    description: str | None = Field(default=None, description="Free text, shown as the pool comment in PVE.")
    access: AccessProfile = Field(description="`operator` (setup B) or `self-service` (setup D).")
    users: list[UserSpec] = Field(default_factory=list, description="The tenant's people.")
    zone: ZoneSpec = Field(description="The tenant's VXLAN zone.")
    vnets: list[VnetSpec] = Field(default_factory=list, description="The tenant's overlay networks.")
    storages: list[StorageId] = Field(
        default_factory=list, description="Datastores the tenant may allocate disks on (self-service)."
    )
    vms: list[VmSpec] = Field(default_factory=list, description="Cloud-init VMs the provider creates in the pool.")
    backup_allowance_gb: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Agreed backup/ISO allowance (setup B: 150 GB per organisation). PVE and PBS cannot cap a "
        "namespace: it is bounded by the retention and reported; see docs/operations.md.",
    )
    humhub: HumHubSpec | None = Field(default=None, description="A HumHub site in prod and test (setup A).")
    proxy: ProxySpec | None = Field(default=None, description="The tenant's reverse proxy and router.")
    monitoring: MonitoringSpec | None = Field(default=None, description="Telegraf + InfluxDB + Grafana + Chronograf.")
    containers: list[ContainerSpec] = Field(default_factory=list, description="LXC containers (setup C).")
    wordpress: WordPressSpec | None = Field(default=None, description="WordPress in two containers (setup C).")
    zabbix: ZabbixSpec | None = Field(default=None, description="Zabbix server and agents on every guest (setup C).")
    extras: ExtrasSpec | None = Field(default=None, description="Cloudflare tunnel, Vaultwarden, Twingate (setup C).")
    logging: LoggingSpec | None = Field(default=None, description="Graylog and rsyslog on every guest (setup C).")
    retiring: bool = Field(
        default=False,
        description="Being retired: the next `up` clears the protection of its pool, guests and PBS storage (in "
        "Pulumi and PVE's own flag), so that removing the file afterwards deletes them (docs/operations.md).",
    )

    def all_containers(self) -> list[ContainerSpec]:
        """`containers` plus the containers the services declare (WordPress, extras)."""
        out = list(self.containers)
        if self.wordpress is not None:
            w = self.wordpress
            for name, vnet, place in (("wp-web", w.vnet, w.web), ("wp-db", w.db_vnet or w.vnet, w.db)):
                out.append(
                    ContainerSpec(
                        name=f"{self.name}-{name}",
                        slot=place.slot,
                        role=name,
                        vnet=vnet,
                        address=place.address,
                        vm_id=place.vm_id,
                        node=place.node,
                        memory_mb=1024,
                        disk_gb=16,
                    )
                )
        if self.extras is not None:
            e = self.extras
            for key, place in (
                ("cloudflared", e.cloudflared),
                ("vaultwarden", e.vaultwarden),
                ("twingate", e.twingate),
            ):
                if place is not None:
                    out.append(
                        ContainerSpec(
                            name=f"{self.name}-{key}",
                            slot=place.slot,
                            role=key,
                            vnet=e.vnet,
                            address=place.address,
                            vm_id=place.vm_id,
                            node=place.node,
                            memory_mb=512,
                            disk_gb=8,
                            nesting=True,
                            stateful=key == "vaultwarden",
                            stateless_reason=None if key == "vaultwarden" else "a connector: no data",
                        )
                    )
        return out

    forwards: list[ForwardSpec] = Field(default_factory=list, description="Port forwards to hosted VMs (setup B).")

    def all_vms(self) -> list[VmSpec]:
        """`vms` plus the VMs the services declare (HumHub instances, the desktop), as plain VM specs."""
        out = list(self.vms)
        if self.humhub is not None:
            h = self.humhub
            names = {i.name for i in h.instances}
            for i in h.instances:
                out.append(
                    VmSpec(
                        name=i.name,
                        slot=i.slot,
                        role="humhub-test" if i.test else "humhub",
                        vm_id=i.vm_id,
                        node=i.node,
                        cores=i.cores,
                        memory_mb=i.memory_mb,
                        disk_gb=i.disk_gb,
                        vnet=h.vnet,
                        address=i.address,
                        protect=not i.test,
                        keep_apart_from=sorted(names - {i.name}),
                        description=f"HumHub {'test' if i.test else 'production'} site {i.public_host}",
                    )
                )
            if h.desktop is not None:
                d = h.desktop
                out.append(
                    VmSpec(
                        name=d.name,
                        slot=d.slot,
                        role="desktop",
                        vm_id=d.vm_id,
                        node=d.node,
                        vnet=h.vnet,
                        address=d.address,
                        memory_mb=4096,
                        disk_gb=32,
                        stateful=False,
                        stateless_reason="admin workstation: no data is kept on it",
                        description="admin desktop, reachable only through the Proxmox console",
                    )
                )
        if self.monitoring is not None:
            m = self.monitoring
            for name, role, place in m.vms(self.name):
                out.append(
                    VmSpec(
                        name=name,
                        slot=place.slot,
                        role=role,
                        vm_id=place.vm_id,
                        node=place.node,
                        vnet=m.vnet,
                        address=place.address,
                        memory_mb=4096 if role == "influxdb" else 2048,
                        disk_gb=50 if role == "influxdb" else 20,
                        stateful=role != "chronograf",
                        stateless_reason="Chronograf keeps no data of its own" if role == "chronograf" else None,
                        description=f"monitoring: {role} of tenant {self.name}",
                    )
                )
        if self.logging is not None:
            g = self.logging.graylog
            out.append(
                VmSpec(
                    name=f"{self.name}-graylog",
                    slot=g.slot,
                    role="graylog",
                    vm_id=g.vm_id,
                    node=g.node,
                    vnet=self.logging.vnet,
                    address=g.address,
                    cores=2,
                    memory_mb=6144,
                    disk_gb=80,
                    description=f"central logs (Graylog) of tenant {self.name}",
                )
            )
        if self.zabbix is not None:
            z = self.zabbix
            out.append(
                VmSpec(
                    name=f"{self.name}-zabbix",
                    slot=z.server.slot,
                    role="zabbix",
                    vm_id=z.server.vm_id,
                    node=z.server.node,
                    vnet=z.vnet,
                    address=z.server.address,
                    memory_mb=4096,
                    disk_gb=40,
                    description=f"Zabbix server and frontend of tenant {self.name}",
                )
            )
        if self.proxy is not None and self.vnets:
            p = self.proxy
            out.append(
                VmSpec(
                    name=p.name,
                    slot=p.slot,
                    role="proxy",
                    vm_id=p.vm_id,
                    node=p.node,
                    vnet=self.vnets[0].id,
                    address=self.vnets[0].gateway or next(self.vnets[0].cidr.hosts()),
                    cores=2,
                    memory_mb=2048,
                    disk_gb=20,
                    stateful=p.engine is ProxyEngine.NPM,
                    stateless_reason=None
                    if p.engine is ProxyEngine.NPM
                    else "Caddy's config is rendered; certificates are re-issued",
                    description=f"reverse proxy ({p.engine}) and router of tenant {self.name}",
                )
            )
        return out

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not (2 <= len(v) <= 24) or not TENANT_NAME.fullmatch(v):
            raise ValueError(
                f"'{v}' must be 2-24 characters: lower case letters and digits, words joined by single '-'"
            )
        return v

    @model_validator(mode="after")
    def _proxy(self) -> TenantFile:
        if self.proxy is not None and not self.vnets:
            raise ValueError("proxy: a proxy needs at least one VNet (it is the router of the tenant's VNets)")
        if self.monitoring is not None and self.proxy is None:
            raise ValueError("monitoring: Grafana and Chronograf are published through the tenant's proxy; add one")
        return self

    @model_validator(mode="after")
    def _unique_inside(self) -> TenantFile:
        for label, values in (
            ("users", [u.name for u in self.users]),
            ("vnets", [v.id for v in self.vnets]),
            ("storages", list(self.storages)),
            ("guests (name)", [v.name for v in self.all_vms()] + [c.name for c in self.all_containers()]),
            ("guests (slot)", [str(v.slot) for v in self.all_vms()] + [str(c.slot) for c in self.all_containers()]),
        ):
            dupes = sorted({x for x in values if values.count(x) > 1})
            if dupes:
                raise ValueError(f"{label} lists {', '.join(dupes)} more than once")
        return self


# --- stack settings: the `proxcloud:` namespace of Pulumi.<stack>.yaml ---


class _Config(_Strict):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=False,
        str_strip_whitespace=True,
    )


class NodeSpec(_Config):
    """A PVE node of the cluster."""

    name: str = Field(description="PVE node name, as in `pvecm nodes`.")
    vtep: ipaddress.IPv4Address = Field(description="The node's address on the underlay VLAN (its VXLAN tunnel end).")
    address: ipaddress.IPv4Address | None = Field(
        default=None, description="Management address for SSH (pct exec / qm guest exec); the VTEP when omitted."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NODE_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a valid PVE node name")
        return v


class UnderlaySpec(_Config):
    """The network VXLAN runs over."""

    cidr: ipaddress.IPv4Network = Field(description="Underlay subnet holding every node's VTEP address.")
    mtu: int = Field(default=1500, ge=1280, le=9216, description="MTU of the underlay links.")
    vlan: int | None = Field(default=None, ge=1, le=4094, description="VLAN id of the dedicated underlay VLAN.")


class DatastoreSpec(_Config):
    """Where the platform puts guest disks, snippets and imported images."""

    vm: StorageId = Field(description="Datastore for guest disks, e.g. local-zfs.")
    snippets: StorageId = Field(description="Datastore with the `snippets` content type (cloud-init user data).")
    images: StorageId = Field(description="Datastore with the `import` content type (cloud images).")


class ImageSpec(_Config):
    """The Debian 12 cloud image every VM boots from, imported once per node."""

    url: str = Field(description="Download URL of a dated Debian 12 genericcloud qcow2 build.")
    checksum: str = Field(description="Its checksum, from the build's SHA512SUMS / SHA256SUMS.")
    checksum_algorithm: Literal["sha256", "sha512"] = Field(default="sha256", description="Checksum algorithm.")
    file_name: str = Field(description="File name on the datastore; must end in .qcow2 for the import content type.")

    @model_validator(mode="after")
    def _shape(self) -> ImageSpec:
        length = {"sha256": 64, "sha512": 128}[self.checksum_algorithm]
        if not re.fullmatch(f"[0-9a-f]{{{length}}}", self.checksum):
            raise ValueError(f"checksum must be {length} lower-case hex digits for {self.checksum_algorithm}")
        if not self.file_name.endswith((".qcow2", ".raw", ".vmdk")):
            raise ValueError(f"file_name {self.file_name} must end in .qcow2, .raw or .vmdk (PVE import content)")
        if not self.url.startswith("https://"):
            raise ValueError("url must be https")
        return self


class HostingSpec(_Config):
    """Address pools of setup B's dedicated VM networks (a /30 and a /64 per VM)."""

    ipv4_pool: ipaddress.IPv4Network = Field(description="RFC 1918 pool the per-VM /30s come from.")
    ipv6_pool: ipaddress.IPv6Network = Field(
        description="Routed IPv6 pool (a /48 or larger) the per-VM /64s come from."
    )

    @model_validator(mode="after")
    def _pools(self) -> HostingSpec:
        if not self.ipv4_pool.is_private:
            raise ValueError(f"ipv4Pool {self.ipv4_pool} is not an RFC 1918 range")
        if self.ipv6_pool.prefixlen > 56:
            raise ValueError(f"ipv6Pool {self.ipv6_pool} is too small for /64s per VM; use a /56 or larger")
        return self


HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


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

    server: str = Field(description="PBS host name or address (another location than the nodes).")
    datastore: str = Field(description="PBS datastore the tenants' namespaces live in.")
    fingerprint: str = Field(description="SHA-256 fingerprint of the PBS TLS certificate (aa:bb:...).")
    username: str = Field(description="PBS user PVE authenticates as, e.g. pve-backup@pbs; password: pbsPassword.")
    ssh_user: str = Field(default="root", description="SSH user on the PBS host for verify/prune job management.")
    verify_schedule: str = Field(default="sat 04:00", description="PBS calendar event of the verify job.")
    verify_outdated_days: int = Field(default=30, ge=1, le=365, description="Re-verify snapshots older than this.")
    prune_schedule: str = Field(default="daily 06:30", description="PBS calendar event of the prune jobs.")

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){31}", v):
            raise ValueError(
                "fingerprint must be 32 hex byte pairs separated by ':' (proxmox-backup-manager cert info)"
            )
        return v.lower()

    @field_validator("datastore")
    @classmethod
    def _datastore(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._\-]*", v):
            raise ValueError(f"'{v}' is not a PBS datastore name")
        return v


class BackupWindow(_Config):
    """The night window backups must start in; it may wrap midnight (22:00-05:00)."""

    start: str = Field(description="HH:MM")
    end: str = Field(description="HH:MM")

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not HHMM.fullmatch(v):
            raise ValueError(f"'{v}' is not a time HH:MM")
        return v

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

    node: str = Field(description="PVE node the drill restores on (its vm datastore takes the scratch disks).")
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
    start: str = Field(description="Daily start time of the backup jobs, HH:MM, inside the window.")
    retention: RetentionSpec = Field(default_factory=RetentionSpec, description="What to keep.")
    mailto: str = Field(description="Admin address for failure notifications (SMTP must be configured in PVE).")
    encryption: Literal["generate", "supplied"] = Field(
        default="generate",
        description="Client-side encryption key: generated by PVE, or supplied as the secret pbsEncryptionKey.",
    )
    restore_drill: RestoreDrillSpec | None = Field(
        default=None, description="Scheduled restore drill of the newest backups (prod); none when omitted."
    )

    @field_validator("mailto")
    @classmethod
    def _mail(cls, v: str) -> str:
        if not EMAIL.fullmatch(v):
            raise ValueError(f"'{v}' is not an e-mail address")
        return v

    @model_validator(mode="after")
    def _in_window(self) -> BackupSpec:
        if not HHMM.fullmatch(self.start):
            raise ValueError(f"start '{self.start}' is not a time HH:MM")
        if not self.window.contains(self.start):
            raise ValueError(f"start {self.start} is outside the night window {self.window.start}-{self.window.end}")
        return self

    @property
    def schedule(self) -> str:
        """systemd calendar event for PVE's backup job."""
        return f"*-*-* {self.start}"


class HaSpec(_Config):
    """High availability and storage replication, on stacks with more than one node."""

    replication_schedule: str = Field(default="*/15", description="PVE replication schedule of stateful VMs.")
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

    server: str = Field(description="SMTP relay host name or address.")
    mode: SmtpMode = Field(default=SmtpMode.TLS, description="tls (465), starttls (587) or insecure (25).")
    port: int | None = Field(default=None, ge=1, le=65535, description="SMTP port; the mode's default when omitted.")
    from_address: str = Field(description="From address of the mails (PVE's `from-address`).")
    username: str | None = Field(
        default=None, description="SMTP login; its password is the secret proxcloud:smtpPassword."
    )
    mailto: list[str] = Field(
        default_factory=list, description="Admin addresses; backup.mailto when empty (the stack's admin address)."
    )
    author: str = Field(default="Proxmox VE", description="Display name of the sender.")

    @field_validator("server")
    @classmethod
    def _server(cls, v: str) -> str:
        try:
            ipaddress.ip_address(v)
        except ValueError:
            if not DNS_NAME.fullmatch(v):
                raise ValueError(f"'{v}' is not a host name or IP address") from None
        return v

    @field_validator("from_address")
    @classmethod
    def _from(cls, v: str) -> str:
        if not EMAIL.fullmatch(v):
            raise ValueError(f"'{v}' is not an e-mail address")
        return v

    @field_validator("mailto")
    @classmethod
    def _to(cls, v: list[str]) -> list[str]:
        bad = [a for a in v if not EMAIL.fullmatch(a)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(repr(a) for a in bad)}")
        return v

    @property
    def effective_port(self) -> int:
        return self.port or {SmtpMode.TLS: 465, SmtpMode.STARTTLS: 587, SmtpMode.INSECURE: 25}[self.mode]


class ContainerTemplateConfig(_Config):
    """The Debian LXC template, downloaded once per node (content type vztmpl), checksum verified."""

    url: str = Field(description="Template URL (PVE's appliance index or https).")
    file_name: str = Field(description="File name, e.g. debian-12-standard_12.7-1_amd64.tar.zst.")
    checksum: str = Field(description="Its checksum (pveam available lists sha512sums).")
    checksum_algorithm: Literal["sha256", "sha512"] = Field(default="sha512", description="Checksum algorithm.")


class EdgeSpec(_Config):
    """The provider edge: router of hosted VMs (setup B) and of tenant proxies' uplinks (setup D), NAT to the world."""

    name: str = Field(default="edge", description="VM host name.")
    vm_id: int = Field(default=100, ge=100, le=999_999_999, description="PVE VM ID.")
    node: str | None = Field(default=None, description="PVE node; the first node when omitted.")
    public_ipv4: ipaddress.IPv4Interface = Field(description="Primary public IPv4 (egress SNAT, forwards).")
    gateway4: ipaddress.IPv4Address = Field(description="Upstream IPv4 gateway.")
    public_ipv6: ipaddress.IPv6Interface = Field(description="Public IPv6 of the edge.")
    gateway6: ipaddress.IPv6Address = Field(description="Upstream IPv6 gateway.")
    admin_from: list[ipaddress.IPv4Network] = Field(default_factory=list, description="Who may SSH to the edge.")
    transit_zone: SdnId = Field(default="provider", description="The provider's VXLAN zone.")
    transit_vnet: SdnId = Field(default="transit", description="VLAN-aware VNet carrying one VLAN per hosted net.")
    transit_vni: int = Field(default=999_000, ge=VNI_MIN, le=VNI_MAX, description="VNI of the transit VNet.")


class StackSettings(_Config):
    """Everything under `proxcloud:` in Pulumi.<stack>.yaml (less the secret keys)."""

    domain: str = Field(description="DNS domain of the stack's public names.")
    underlay: UnderlaySpec = Field(description="The VXLAN underlay network.")
    nodes: list[NodeSpec] = Field(min_length=1, description="The cluster's nodes.")
    datastores: DatastoreSpec = Field(description="Datastores the platform uses.")
    public_bridge: str = Field(default="vmbr0", description="Linux bridge with the public uplink.")
    image: ImageSpec | None = Field(default=None, description="Cloud image for VMs (required once any VM exists).")
    admin_ssh_keys: list[str] = Field(default_factory=list, description="Operators' SSH keys, on every VM.")
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
    public_addresses: dict[str, PublicNicSpec] = Field(
        default_factory=dict, description="Per tenant name: its public address in this stack (see PublicNicSpec)."
    )
    dns_servers: list[ipaddress.IPv4Address] = Field(
        default_factory=list, description="Resolvers given to VMs by cloud-init; the gateway when empty."
    )
    tenants: list[str] | None = Field(
        default=None,
        description="Names of the tenant files this stack deploys; all of tenants/ when omitted.",
    )
    tenants_dir: str = Field(default="tenants", description="Folder of the tenant files, relative to the project.")

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not DNS_NAME.fullmatch(v):
            raise ValueError(f"'{v}' is not a lower-case DNS domain name")
        return v

    @field_validator("nodes")
    @classmethod
    def _nodes(cls, nodes: list[NodeSpec], info: ValidationInfo) -> list[NodeSpec]:
        names = [n.name for n in nodes]
        vteps = [n.vtep for n in nodes]
        if len(set(names)) != len(names):
            raise ValueError("two nodes have the same name")
        if len(set(vteps)) != len(vteps):
            raise ValueError("two nodes have the same VTEP address")
        underlay = info.data.get("underlay")
        outside = [str(v) for v in vteps if underlay is not None and v not in underlay.cidr]
        if outside:
            raise ValueError(f"VTEP address(es) {', '.join(outside)} are outside the underlay {underlay.cidr}")
        return nodes
