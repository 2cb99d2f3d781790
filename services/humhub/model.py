"""HumHub's tenant-file model: a community site in prod and test, and setup A's admin desktop."""

from __future__ import annotations

from pydantic import Field, model_validator

from model.guests import Placement, Strict, VmId
from model.types import (
    LOGIN,
    RELEASE_SUFFIXED,
    Email,
    HostLabel,
    HostName,
    HttpsUrl,
    Invalid,
    IPv4,
    IPv4Cidr,
    NodeName,
    Pattern,
    SdnId,
    Sha256,
    Text,
)

# Service settings, as strict as the renderers that write them into config files and scripts (services/humhub/render.py,
# services/wordpress/render.py, services/extras/render.py): anything they would refuse is refused here, with the field.
HumHubSiteName = Text(93, what="site name")  # the test instance shows it with " (test)": 100 at most


HumHubAdmin = Pattern(LOGIN, "admin user name", "use 4-50 of A-Z a-z 0-9 _ . @ -", 50, 4)


HumHubVersion = Pattern(RELEASE_SUFFIXED, "HumHub release", "use a release number like 1.17.3", 40)


class HumHubInstance(Strict):
    """One HumHub web server VM: the production site or its near-identical test copy."""

    name: HostLabel = Field(description="VM host name, e.g. humhub or humhub-test.")
    slot: int = Field(ge=1, le=99, description="The VM's stable slot in the tenant (see vms[].slot).")
    address: IPv4 = Field(description="Static address on the HumHub VNet.")
    public_host: HostName = Field(description="Public host name the reverse proxy routes to this instance.")
    test: bool = Field(default=False, description="The test instance (not protected, kept apart from prod).")
    vm_id: VmId = Field(default=None, description="As vms[].vm_id.")
    node: NodeName | None = Field(default=None, description="As vms[].node.")
    cores: int = Field(default=2, ge=1, le=64, description="vCPUs.")
    memory_mb: int = Field(default=4096, ge=1024, le=262144, description="Memory in MiB.")
    disk_gb: int = Field(default=50, ge=16, le=4096, description="System disk in GB.")


class DesktopSpec(Placement):
    """Setup A's admin desktop VM: internal network only, reached through the Proxmox console."""

    name: HostLabel = Field(default="debian-desktop", description="VM host name.")


class HumHubSpec(Strict):
    """Setup A: a HumHub community site in prod and test (and optionally the admin desktop)."""

    site_name: HumHubSiteName = Field(description="HumHub site name (the test instance adds ' (test)').")
    vnet: SdnId = Field(description="The tenant VNet the HumHub VMs live on (internal, port 80 only).")
    version: HumHubVersion = Field(description="HumHub release, e.g. 1.17.3.")
    sha256: Sha256 = Field(description="sha256 of the release archive, from HumHub's download page.")
    download_url: HttpsUrl | None = Field(
        default=None,
        description="Release archive URL; defaults to https://download.humhub.com/downloads/install/humhub-<version>.tar.gz",
    )
    admin_username: HumHubAdmin = Field(description="The HumHub admin account (password generated, secret).")
    admin_email: Email = Field(description="The admin account's e-mail.")
    trusted_proxies: list[IPv4Cidr] = Field(
        default_factory=list, description="Reverse proxy addresses HumHub trusts X-Forwarded-* headers from."
    )
    instances: list[HumHubInstance] = Field(min_length=1, max_length=2, description="prod and (optionally) test.")
    desktop: DesktopSpec | None = Field(default=None, description="The admin desktop VM.")

    @model_validator(mode="after")
    def _one_prod(self) -> HumHubSpec:
        if sum(not i.test for i in self.instances) != 1:
            raise Invalid(
                "exactly one production instance (test: false) is needed",
                "mark every other instance test: true",
                ["instances"],
            )
        return self

    @property
    def url(self) -> str:
        return self.download_url or f"https://download.humhub.com/downloads/install/humhub-{self.version}.tar.gz"
