"""WordPress's tenant-file model: the wp-web and wp-db containers."""

from __future__ import annotations

from pydantic import Field

from model.guests import Placement, Strict
from model.types import (
    LOGIN,
    RELEASE,
    Email,
    HostName,
    Pattern,
    SdnId,
    Sha256,
    Text,
)

WordPressTitle = Text(100, what="site title")


WordPressAdmin = Pattern(LOGIN, "admin user name", "use 3-60 of A-Z a-z 0-9 _ . @ -", 60, 3)


WordPressVersion = Pattern(RELEASE, "WordPress release", "use a release number like 6.8.3", 20)


class WordPressSpec(Strict):
    """Setup C's WordPress: `wp-web` (Apache + PHP) and `wp-db` (MariaDB) containers behind the proxy."""

    vnet: SdnId = Field(description="The VNet of wp-web (and of wp-db unless db_vnet is given).")
    db_vnet: SdnId | None = Field(default=None, description="The VNet of wp-db, e.g. the tenant's data tier.")
    public_host: HostName = Field(description="Public host name routed by the proxy.")
    site_title: WordPressTitle = Field(description="WordPress site title.")
    admin_username: WordPressAdmin = Field(description="Admin account (password generated, secret).")
    admin_email: Email = Field(description="Admin e-mail.")
    version: WordPressVersion = Field(description="WordPress release, e.g. 6.8.3.")
    sha256: Sha256 = Field(description="sha256 of wordpress-<version>.tar.gz (from wordpress.org).")
    web: Placement = Field(description="The wp-web container.")
    db: Placement = Field(description="The wp-db container.")
