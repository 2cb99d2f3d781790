"""A WordPress site and its secrets (quotes, backslashes and `$` included), for the renderer and chroot tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from render.wordpress import SALT_NAMES, WordPressSite, db_packages, web_packages
from render.zabbix import AGENT_PACKAGES
from tests.support.debian_chroot import cached_chroot, require_root

DB_PW = "db-Secret'with\"quotes$and\\slash"
ADMIN_PW = "admin-Pass phrase $HOME `x`"
SALTS = {name: f"{name.lower()}-" + "s$'\\" * 10 + "x" * 20 for name in SALT_NAMES}


def site(**changes: Any) -> WordPressSite:
    base = WordPressSite(
        public_host="blog.keepers.example",
        web_address="192.168.50.11",
        db_address="192.168.60.12",
        site_title="Keepers of Logs",
        admin_username="keeper",
        admin_email="admin@keepers.example",
        wordpress_version="6.8.3",
        download_url="https://wordpress.org/wordpress-6.8.3.tar.gz",
        download_sha256="0123456789abcdef" * 4,
        reverse_proxies=("192.168.50.2",),
    )
    return replace(base, **changes)


def lxcwp_chroot() -> Path:
    """The Debian 12 chroot of setup C's WordPress containers (web, db and the Zabbix agent), built once."""
    require_root()
    packages = tuple(sorted(set(db_packages()) | set(web_packages(site())) | set(AGENT_PACKAGES)))
    return cached_chroot("bookworm-lxcwp", packages)
