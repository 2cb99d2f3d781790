"""A HumHub site and its secrets (quotes, backslashes and `$` included), for the renderer and chroot tests."""

from __future__ import annotations

from render.humhub import HumHubSite
from tests.support.keys import KEY

__all__ = ["ADMIN_PW", "DB_PW", "KEY", "site"]

DB_PW = "db-Pa55 'quoted' \\ $HOME `x`"
ADMIN_PW = 'admin-Pa55-w0rd!"#'


def site(**kw: object) -> HumHubSite:
    base: dict[str, object] = {
        "hostname": "humhub-vm",
        "public_host": "community.example.org",
        "listen_address": "10.10.10.6",
        "site_name": "Example Community",
        "admin_username": "siteadmin",
        "admin_email": "admin@example.org",
        "humhub_version": "1.17.3",
        "download_url": "https://download.humhub.com/downloads/install/humhub-1.17.3.tar.gz",
        "download_sha256": "ab" * 32,
        "trusted_proxies": ("10.10.10.2/32",),
    }
    base.update(kw)
    return HumHubSite(**base)  # type: ignore[arg-type]
