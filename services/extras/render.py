"""Optional services of setup C, each off unless a tenant asks: a Cloudflare tunnel connector, Vaultwarden and a
Twingate connector, as Docker Compose projects with pinned images and their tokens in root-only env files.

Only Vaultwarden publishes a port, on its host's internal address for the reverse proxy; both connectors only dial
out (that is their point: no inbound port is opened anywhere for them).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import yaml

from render.provision import ENV_FILE, ComposeProject

CLOUDFLARED_IMAGE = "cloudflare/cloudflared:2024.12.2"
VAULTWARDEN_IMAGE = "vaultwarden/server:1.32.7"
TWINGATE_IMAGE = "twingate/connector:1.72.0"
VAULTWARDEN_CONTAINER_PORT = 80  # Vaultwarden's ROCKET_PORT in the image


def _logging() -> dict[str, Any]:
    """A fresh copy per service (a shared dict would come out as a YAML anchor)."""
    return {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")
_NETWORK_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Extra(StrEnum):
    """The closed list of optional services."""

    CLOUDFLARED = "cloudflared"
    VAULTWARDEN = "vaultwarden"
    TWINGATE = "twingate"


class ExtrasError(ValueError):
    """An input that cannot be rendered; the message names it and the fix."""


def _env_value(name: str, value: str, min_len: int = 16) -> str:
    """A secret as a Compose env-file value: single-quoted, so Compose never interpolates `$` in it."""
    if len(value) < min_len or not value.isprintable() or "'" in value:
        raise ExtrasError(f"{name}: use at least {min_len} printable characters without single quotes")
    return f"{name}='{value}'\n"


def _doc(project: str, service: str, spec: dict[str, Any], volumes: dict[str, Any] | None = None) -> str:
    doc: dict[str, Any] = {"name": project, "services": {service: spec}}
    if volumes:
        doc["volumes"] = volumes
    return f"# Managed by proxcloud (render/extras.py): {service}.\n" + yaml.safe_dump(doc, sort_keys=False)


# --- Cloudflare tunnel ---------------------------------------------------------------------------------------


def cloudflared_compose() -> str:
    """The connector of a remotely managed tunnel: it dials out to Cloudflare; the routes live in Cloudflare's
    dashboard. `tunnel run` reads the token from TUNNEL_TOKEN (Cloudflare's docs), so it is not an argument."""
    return _doc(
        "cloudflared",
        "cloudflared",
        {
            "image": CLOUDFLARED_IMAGE,
            "restart": "unless-stopped",
            "command": ["tunnel", "--no-autoupdate", "run"],
            "env_file": [f"./{ENV_FILE}"],
            "logging": _logging(),
        },
    )


def cloudflared_env_file(tunnel_token: str) -> str:
    return _env_value("TUNNEL_TOKEN", tunnel_token, min_len=32)


# --- Vaultwarden ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VaultwardenSite:
    """Where Vaultwarden listens (internal address, for the reverse proxy) and its public name."""

    public_host: str
    listen_address: str
    listen_port: int = 8080

    def __post_init__(self) -> None:
        if not _HOST_RE.match(self.public_host):
            raise ExtrasError(f"VaultwardenSite.public_host = {self.public_host!r}: use a lowercase DNS name")
        try:
            ip = ipaddress.ip_address(self.listen_address)
        except ValueError:
            raise ExtrasError(f"VaultwardenSite.listen_address = {self.listen_address!r}: use an address") from None
        if ip.is_unspecified:
            raise ExtrasError("VaultwardenSite.listen_address: bind the internal address, not every interface")
        if not 1 <= self.listen_port <= 65535:
            raise ExtrasError(f"VaultwardenSite.listen_port = {self.listen_port}: use a TCP port 1-65535")


def vaultwarden_compose(site: VaultwardenSite) -> str:
    """Vaultwarden: sign-ups off (accounts by invitation from the admin page), the admin page behind ADMIN_TOKEN,
    the web vault published only on the internal address the reverse proxy forwards to."""
    addr = f"[{site.listen_address}]" if ":" in site.listen_address else site.listen_address
    return _doc(
        "vaultwarden",
        "vaultwarden",
        {
            "image": VAULTWARDEN_IMAGE,
            "restart": "unless-stopped",
            "ports": [f"{addr}:{site.listen_port}:{VAULTWARDEN_CONTAINER_PORT}"],
            "environment": {
                "DOMAIN": f"https://{site.public_host}",
                "SIGNUPS_ALLOWED": "false",
                "INVITATIONS_ALLOWED": "true",
                "SHOW_PASSWORD_HINT": "false",
                # The reverse proxy is the only client: take the visitor's address from its header for the logs
                # and the login rate limits.
                "IP_HEADER": "X-Forwarded-For",
            },
            "env_file": [f"./{ENV_FILE}"],  # ADMIN_TOKEN
            "volumes": ["vaultwarden-data:/data"],
            "logging": _logging(),
        },
        {"vaultwarden-data": {}},
    )


def vaultwarden_env_file(admin_token: str) -> str:
    """ADMIN_TOKEN: a long random string, or the Argon2 PHC hash Vaultwarden's docs recommend (`$argon2id$...`;
    single quotes keep its `$` literal)."""
    return _env_value("ADMIN_TOKEN", admin_token, min_len=32)


# --- Twingate ------------------------------------------------------------------------------------------------


def twingate_compose(network: str, hostname: str) -> str:
    """A Twingate connector: it dials out to the Twingate network `network` (`<network>.twingate.com`)."""
    if not _NETWORK_RE.match(network):
        raise ExtrasError(f"twingate network = {network!r}: use the name before .twingate.com, e.g. keepers")
    if not _HOST_RE.match(hostname):
        raise ExtrasError(f"twingate hostname = {hostname!r}: use the host's DNS label")
    return _doc(
        f"twingate-{network}",
        "twingate-connector",
        {
            "image": TWINGATE_IMAGE,
            "restart": "unless-stopped",
            "environment": {"TWINGATE_NETWORK": network, "TWINGATE_LABEL_HOSTNAME": hostname},
            "env_file": [f"./{ENV_FILE}"],  # TWINGATE_ACCESS_TOKEN, TWINGATE_REFRESH_TOKEN
            # Twingate's deployment guide: let the connector send ICMP (ping through the connector) unprivileged.
            "sysctls": {"net.ipv4.ping_group_range": "0 2147483647"},
            "logging": _logging(),
        },
    )


def twingate_env_file(access_token: str, refresh_token: str) -> str:
    return _env_value("TWINGATE_ACCESS_TOKEN", access_token, 32) + _env_value(
        "TWINGATE_REFRESH_TOKEN", refresh_token, 32
    )


# --- what lands on the host (a VM's write_files, or a nesting container's compose_project_script) ----------------


def cloudflared_project(tunnel_token: str) -> ComposeProject:
    return ComposeProject(Extra.CLOUDFLARED.value, cloudflared_compose(), cloudflared_env_file(tunnel_token))


def vaultwarden_project(site: VaultwardenSite, admin_token: str) -> ComposeProject:
    return ComposeProject(Extra.VAULTWARDEN.value, vaultwarden_compose(site), vaultwarden_env_file(admin_token))


def twingate_project(network: str, hostname: str, access_token: str, refresh_token: str) -> ComposeProject:
    return ComposeProject(
        Extra.TWINGATE.value, twingate_compose(network, hostname), twingate_env_file(access_token, refresh_token)
    )
