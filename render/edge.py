"""The reverse-proxy edge: routes by host name to internal upstreams, rendered for Caddy or Nginx Proxy Manager.

Both engines read the same validated `Route` list. Caddy gets a Caddyfile; Nginx Proxy Manager (setup A's rProxy)
gets a Compose file, a routes document and `render/npm_sync.py`, which applies the document through NPM's API.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

from render.cloudinit import DOCKER_PACKAGES, CloudConfig, WriteFile, docker_apt_source
from render.readiness import cloud_init_wait

# Pinned release of jc21/nginx-proxy-manager; its API (tokens, proxy-hosts, certificates, access-lists) is what
# npm_sync.py speaks. 2.15 takes the admin from INITIAL_ADMIN_EMAIL/PASSWORD and uses that e-mail for Let's Encrypt.
NPM_IMAGE = "jc21/nginx-proxy-manager:2.15.1"
NPM_DIR = "/opt/npm"
NPM_COMPOSE_PATH = f"{NPM_DIR}/docker-compose.yml"
NPM_CREDENTIALS_PATH = "/etc/proxcloud/npm-admin.env"
NPM_ROUTES_PATH = "/etc/proxcloud/npm-routes.json"
NPM_SYNC_PATH = "/usr/local/sbin/proxcloud-npm-sync"
NPM_ADMIN_URL = "http://127.0.0.1:81"
# Re-run after every change of the routes document (e.g. by a pulumi-command resource); safe to repeat.
NPM_SYNC_COMMAND = (
    f"{NPM_SYNC_PATH} --api {NPM_ADMIN_URL} --routes {NPM_ROUTES_PATH} --credentials {NPM_CREDENTIALS_PATH}"
)
CADDYFILE_PATH = "/etc/caddy/Caddyfile"
HSTS_VALUE = "max-age=31536000"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class Scheme(StrEnum):
    """How the edge talks to the upstream."""

    HTTP = "http"
    HTTPS = "https"


@dataclass(frozen=True)
class Route:
    """One public host name served by the edge and forwarded to one internal upstream."""

    host: str
    upstream_address: str
    upstream_port: int
    scheme: Scheme | str = Scheme.HTTP
    allow_from: tuple[str, ...] = ()  # client networks allowed; empty = everyone, others get 403
    websocket: bool = True
    own_login: bool = True  # the upstream authenticates its users; False: only `allow_from` protects it


def _check_host(host: str) -> str | None:
    """Why `host` is not a usable public DNS name (None when it is)."""
    if host != host.lower():
        return "must be lower case"
    if len(host) > 253:
        return "is longer than 253 characters"
    labels = host.split(".")
    if len(labels) < 2:
        return "needs at least two labels (a public domain such as app.example.net)"
    for label in labels:
        if not _LABEL.match(label):
            return f"has an invalid label {label!r} (letters, digits and inner hyphens, 1-63 characters)"
    if labels[-1].isdigit():
        return "is an IP address, not a host name"
    return None


def _check_upstream(address: str) -> str | None:
    try:
        ipaddress.ip_address(address)
        return None
    except ValueError:
        pass
    if not all(_LABEL.match(label) for label in address.split(".")):
        return "is neither an IP address nor a DNS name"
    return None


def validate_routes(routes: Sequence[Route]) -> tuple[Route, ...]:
    """Checks a route list and returns it with schemes and allow-lists normalised; raises ValueError otherwise.

    Every problem is listed in one message, each naming the route (by host) and the fix.
    """
    errors: list[str] = []
    seen: dict[str, int] = {}
    out: list[Route] = []
    for i, r in enumerate(routes):
        where = f"route {i} ({r.host!r})"
        if (why := _check_host(r.host)) is not None:
            errors.append(f"{where}: host {why}")
        if r.host in seen:
            errors.append(f"{where}: host is already routed by route {seen[r.host]}; each host name may appear once")
        seen.setdefault(r.host, i)
        if (why := _check_upstream(r.upstream_address)) is not None:
            errors.append(f"{where}: upstream_address {r.upstream_address!r} {why}")
        port = r.upstream_port
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            errors.append(f"{where}: upstream_port {r.upstream_port!r} must be an integer 1-65535")
        try:
            scheme = Scheme(r.scheme)
        except ValueError:
            errors.append(f"{where}: scheme {r.scheme!r} must be one of {', '.join(s.value for s in Scheme)}")
            scheme = Scheme.HTTP
        nets: list[str] = []
        for a in r.allow_from:
            try:
                nets.append(str(ipaddress.ip_network(a, strict=True)))
            except ValueError as exc:
                errors.append(f"{where}: allow_from entry {a!r} is not a network address ({exc})")
        out.append(Route(r.host, r.upstream_address, r.upstream_port, scheme, tuple(nets), r.websocket))
    if errors:
        raise ValueError("invalid edge routes:\n  " + "\n  ".join(errors))
    return tuple(out)


def validate_acme_email(email: str) -> str:
    """The Let's Encrypt account address; raises ValueError when it would be rejected."""
    if not _EMAIL.match(email):
        raise ValueError(f"acme_email {email!r} is not an e-mail address (Let's Encrypt needs one for expiry notices)")
    return email


def _hostport(address: str, port: int) -> str:
    try:
        if ipaddress.ip_address(address).version == 6:
            return f"[{address}]:{port}"
    except ValueError:
        pass
    return f"{address}:{port}"


# ---------------------------------------------------------------------------------------------------- Caddy engine


def caddyfile(routes: Sequence[Route], acme_email: str) -> str:
    """A Caddyfile: automatic HTTPS per host (Caddy's HTTP->HTTPS redirect kept), HSTS, IP allow-lists, proxying."""
    checked = validate_routes(routes)
    lines = ["{", f"\temail {validate_acme_email(acme_email)}", "}"]
    for r in sorted(checked, key=lambda r: r.host):
        lines += ["", f"{r.host} {{", f'\theader Strict-Transport-Security "{HSTS_VALUE}"']
        if r.allow_from:
            # `respond` runs before `reverse_proxy` in Caddy's directive order, so outsiders never reach upstream.
            lines += [f"\t@outside not remote_ip {' '.join(r.allow_from)}", "\trespond @outside 403"]
        target = f"{Scheme(r.scheme).value}://{_hostport(r.upstream_address, r.upstream_port)}"
        if r.websocket:
            lines.append(f"\treverse_proxy {target}")
        else:
            # Caddy proxies Upgrade requests by default; refusing them keeps a websocket-less route honest.
            lines += [
                "\t@upgrade header Connection *Upgrade*",
                "\trespond @upgrade 400",
                f"\treverse_proxy {target}",
            ]
        lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------ NPM engine


def npm_compose(
    image: str = NPM_IMAGE,
    credentials_file: str = NPM_CREDENTIALS_PATH,
    data_dir: str = f"{NPM_DIR}/data",
    letsencrypt_dir: str = f"{NPM_DIR}/letsencrypt",
) -> str:
    """docker-compose.yml for Nginx Proxy Manager: 80/443 public, the admin UI (81) on loopback only."""
    if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
        raise ValueError(f"image {image!r} must be pinned to a release tag (e.g. {NPM_IMAGE})")
    return "\n".join(
        [
            "name: npm",
            "services:",
            "  app:",
            f"    image: {image}",
            "    restart: unless-stopped",
            "    ports:",
            '      - "80:80"',
            '      - "443:443"',
            "      # The admin UI and API: loopback only, reached over SSH or by the sync script on the VM.",
            '      - "127.0.0.1:81:81"',
            "    env_file:",
            f"      - {credentials_file}",
            "    environment:",
            '      DISABLE_IPV6: "false"',
            "    volumes:",
            f"      - {data_dir}:/data",
            f"      - {letsencrypt_dir}:/etc/letsencrypt",
            "",
        ]
    )


def npm_credentials_env(admin_email: str, admin_password: str) -> str:
    """The root-only env file both NPM (initial admin) and the sync script read; values single-quoted = literal."""
    validate_acme_email(admin_email)
    if len(admin_password) < 12 or any(c in admin_password for c in "'\n\r\\"):
        raise ValueError("the NPM admin password needs 12+ characters and no quote, backslash or line break")
    return f"INITIAL_ADMIN_EMAIL='{admin_email}'\nINITIAL_ADMIN_PASSWORD='{admin_password}'\n"


def npm_routes_json(routes: Sequence[Route], acme_email: str) -> str:
    """The routes document npm_sync.py applies (stable order and formatting, so a change is a real change)."""
    checked = validate_routes(routes)
    doc = {
        "version": 1,
        "acme_email": validate_acme_email(acme_email),
        "routes": [
            {
                "host": r.host,
                "forward_scheme": Scheme(r.scheme).value,
                "forward_host": r.upstream_address,
                "forward_port": r.upstream_port,
                "websocket": r.websocket,
                "allow_from": list(r.allow_from),
            }
            for r in sorted(checked, key=lambda r: r.host)
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def npm_apply_command(
    sudo: str = "sudo",
    routes_path: str = NPM_ROUTES_PATH,
    sync: str = NPM_SYNC_PATH,
    api: str = NPM_ADMIN_URL,
    credentials: str = NPM_CREDENTIALS_PATH,
) -> str:
    """Shell command that takes a new routes document on stdin, stores it root-only and applies it.

    For a pulumi-command remote.Command (stdin = npm_routes_json(...), triggers on its text); it first waits for
    cloud-init to finish on the VM (on the first `up` the command may reach the VM before NPM is installed).
    """
    run = f"{sudo} " if sudo else ""
    return (
        cloud_init_wait() + f"{run}install -m 0600 /dev/stdin {routes_path} && "
        f"{run}{sync} --api {api} --routes {routes_path} --credentials {credentials} --wait 120"
    )


def caddy_apply_command(sudo: str = "sudo", path: str = CADDYFILE_PATH) -> str:
    """Shell command that takes a new Caddyfile on stdin, validates it with Caddy and only then swaps and reloads.

    For a pulumi-command remote.Command (stdin = caddyfile(...), triggers on its text); it first waits for
    cloud-init to finish on the VM (on the first `up` the command may reach the VM before Caddy is installed).
    """
    run = f"{sudo} " if sudo else ""
    return (
        cloud_init_wait() + f"{run}install -m 0644 /dev/stdin {path}.new && "
        f"{run}caddy validate --config {path}.new --adapter caddyfile && "
        f"{run}mv {path}.new {path} && {run}systemctl reload caddy"
    )


def npm_sync_script() -> str:
    """The text of render/npm_sync.py, shipped to the VM as NPM_SYNC_PATH."""
    return resources.files("render").joinpath("npm_sync.py").read_text()


# ------------------------------------------------------------------------------------------------ edge VMs (cloud-init)


def npm_edge_cloud_config(
    hostname: str,
    ssh_keys: Iterable[str],
    routes: Sequence[Route],
    acme_email: str,
    admin_password: str,
    fqdn: str | None = None,
) -> CloudConfig:
    """Setup A's rProxy: Docker from Docker's repository, NPM in Compose, routes applied by the sync script.

    Without routes (proxcloud's proxies: the routes command delivers them, components/edge.py) no routes document
    is written and no sync runs: a later run of the first boot (a new cloud-init instance-id) must not apply an
    empty document over the routes the command applied."""
    routes_doc = (WriteFile(NPM_ROUTES_PATH, npm_routes_json(routes, acme_email), permissions="0600"),)
    sync = ((*NPM_SYNC_COMMAND.split(), "--wait", "300"),)
    return CloudConfig(
        hostname=hostname,
        fqdn=fqdn,
        ssh_keys=tuple(ssh_keys),
        packages=(*DOCKER_PACKAGES, "python3"),
        apt_sources=docker_apt_source(),
        write_files=(
            WriteFile(NPM_COMPOSE_PATH, npm_compose()),
            WriteFile(NPM_CREDENTIALS_PATH, npm_credentials_env(acme_email, admin_password), permissions="0600"),
            *(routes_doc if routes else ()),
            WriteFile(NPM_SYNC_PATH, npm_sync_script(), permissions="0755"),
        ),
        runcmd=(
            ("systemctl", "enable", "--now", "docker"),
            ("docker", "compose", "-f", NPM_COMPOSE_PATH, "up", "-d"),
            *(sync if routes else ()),
        ),
    )


def caddy_edge_cloud_config(
    hostname: str,
    ssh_keys: Iterable[str],
    routes: Sequence[Route],
    acme_email: str,
    fqdn: str | None = None,
) -> CloudConfig:
    """A Caddy edge VM (Debian's caddy package): the Caddyfile, validated on the VM before Caddy reloads it.

    Without routes (proxcloud's proxies: the routes command delivers the Caddyfile, components/edge.py) Caddy starts
    with its packaged Caddyfile, and a later run of the first boot leaves the delivered one alone."""
    validate = (("caddy", "validate", "--config", CADDYFILE_PATH, "--adapter", "caddyfile"),)
    return CloudConfig(
        hostname=hostname,
        fqdn=fqdn,
        ssh_keys=tuple(ssh_keys),
        packages=("caddy",),
        write_files=(WriteFile(CADDYFILE_PATH, caddyfile(routes, acme_email)),) if routes else (),
        runcmd=(*(validate if routes else ()), ("systemctl", "enable", "caddy"), ("systemctl", "restart", "caddy")),
    )
