"""Zabbix (setup C): the server + frontend + PostgreSQL as Docker Compose, and agent2 on every VM and container.

Pure: addresses and names in, text out. The agent is Debian 12's `zabbix-agent2` package (6.0 LTS; a 7.0 server
talks to older agents). It is configured by a bash script run in every guest (`pct exec` in containers, the QEMU
guest agent in VMs; render/provision.py). Its flows are the kind's (services/zabbix/__init__.py).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import yaml

from render.provision import ENV_FILE, ComposeProject, put_file, script

AGENT_PORT = 10050
"""Passive checks: the server connects to each agent."""
SERVER_PORT = 10051
"""Active checks: each agent connects to the server (trapper)."""
AGENT_PACKAGES = ("zabbix-agent2",)
AGENT_CONF_PATH = "/etc/zabbix/zabbix_agent2.conf"

# Pinned images (Zabbix 7.0 LTS, Alpine variants; PostgreSQL 16 as Zabbix 7.0's supported range allows).
ZABBIX_SERVER_IMAGE = "zabbix/zabbix-server-pgsql:alpine-7.0.7"
ZABBIX_WEB_IMAGE = "zabbix/zabbix-web-nginx-pgsql:alpine-7.0.7"
POSTGRES_IMAGE = "postgres:16.6-alpine"
ZABBIX_DB_ENV_FILE = ENV_FILE
WEB_CONTAINER_PORT = 8080  # the frontend image's nginx runs unprivileged on 8080

_HOSTNAME_RE = re.compile(r"^[0-9A-Za-z._ -]{1,128}$")  # Zabbix host names: alphanumerics, '.', ' ', '_', '-'


def _logging() -> dict[str, Any]:
    """A fresh copy per service (a shared dict would come out as a YAML anchor)."""
    return {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


class ZabbixError(ValueError):
    """An input that cannot be rendered; the message names it and the fix."""


def _ip(name: str, value: str) -> str:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise ZabbixError(f"{name} = {value!r}: use an IPv4/IPv6 address") from None
    if addr.is_unspecified:
        raise ZabbixError(f"{name} = {value!r}: use the internal address, not every interface")
    return str(addr)


def zabbix_agent2_conf(server_address: str, hostname: str, listen_address: str) -> str:
    """/etc/zabbix/zabbix_agent2.conf: passive checks from the server only, active checks to it, on one address."""
    server = _ip("server_address", server_address)
    listen = _ip("listen_address", listen_address)
    if not _HOSTNAME_RE.match(hostname):
        raise ZabbixError(f"hostname = {hostname!r}: use 1-128 of A-Z a-z 0-9 . _ - and space (Zabbix host name)")
    return f"""# Managed by proxcloud (render/zabbix.py): Zabbix agent 2 of {hostname}.
# Passive checks: only the Zabbix server may connect (the firewall says the same).
Server={server}
# Active checks: the agent connects to the server's trapper port.
ServerActive={server}:{SERVER_PORT}
Hostname={hostname}
ListenIP={listen}
ListenPort={AGENT_PORT}
PidFile=/run/zabbix/zabbix_agent2.pid
LogFile=/var/log/zabbix/zabbix_agent2.log
LogFileSize=0
ControlSocket=/run/zabbix/agent.sock
# Remote commands stay off (the agent's default, stated so a reviewer sees it).
DenyKey=system.run[*]
Include=/etc/zabbix/zabbix_agent2.d/plugins.d/*.conf
"""


_AGENT_BODY = r"""
ensure_packages zabbix-agent2
log "agent config: server $SERVER, listening on $LISTEN:10050"
__CONF__
# Debian 12's agent2 (6.0) has no -T; -t loads and validates the whole config (unknown keys, ranges) first.
zabbix_agent2 -c /etc/zabbix/zabbix_agent2.conf -t agent.ping >/dev/null
if have_systemd; then
  systemctl enable --quiet zabbix-agent2
  systemctl restart zabbix-agent2
else
  stop_pidfile /run/zabbix/zabbix_agent2.pid
  install -d -o zabbix -g zabbix -m 0755 /run/zabbix /var/log/zabbix
  setsid runuser -u zabbix -- zabbix_agent2 -c /etc/zabbix/zabbix_agent2.conf </dev/null >/dev/null 2>&1 &
fi
log "done"
"""


def zabbix_agent_script(server_address: str, hostname: str, listen_address: str) -> str:
    """The agent in an LXC container (`pct exec <id> -- bash -s`): package, config, service enabled."""
    conf = zabbix_agent2_conf(server_address, hostname, listen_address)
    values = {"SERVER": server_address, "LISTEN": listen_address}
    return script("zabbix-agent", values, _AGENT_BODY.replace("__CONF__\n", put_file(AGENT_CONF_PATH, conf)))


def zabbix_compose_doc(server_address: str, timezone: str = "UTC", project: str = "zabbix") -> dict[str, Any]:
    """Server, frontend and PostgreSQL. Published: the trapper (10051, for active agents) and the frontend (for
    the reverse proxy), both on the internal address only; PostgreSQL stays on the project network."""
    addr = _ip("server_address", server_address)
    host = f"[{addr}]" if ":" in addr else addr
    db_env = {"POSTGRES_USER": "zabbix", "POSTGRES_DB": "zabbix", "DB_SERVER_HOST": "postgres"}
    return {
        "name": project,
        "services": {
            "postgres": {
                "image": POSTGRES_IMAGE,
                "restart": "unless-stopped",
                "environment": {"POSTGRES_USER": "zabbix", "POSTGRES_DB": "zabbix"},
                "env_file": [f"./{ZABBIX_DB_ENV_FILE}"],  # POSTGRES_PASSWORD
                "volumes": ["postgres-data:/var/lib/postgresql/data"],
                "logging": _logging(),
            },
            "zabbix-server": {
                "image": ZABBIX_SERVER_IMAGE,
                "restart": "unless-stopped",
                "depends_on": ["postgres"],
                "ports": [f"{host}:{SERVER_PORT}:{SERVER_PORT}"],
                "environment": dict(db_env),
                "env_file": [f"./{ZABBIX_DB_ENV_FILE}"],
                "logging": _logging(),
            },
            "zabbix-web": {
                "image": ZABBIX_WEB_IMAGE,
                "restart": "unless-stopped",
                "depends_on": ["postgres", "zabbix-server"],
                "ports": [f"{host}:{WEB_CONTAINER_PORT}:{WEB_CONTAINER_PORT}"],
                "environment": {**db_env, "ZBX_SERVER_HOST": "zabbix-server", "PHP_TZ": timezone},
                "env_file": [f"./{ZABBIX_DB_ENV_FILE}"],
                "logging": _logging(),
            },
        },
        "volumes": {"postgres-data": {}},
    }


def zabbix_compose(server_address: str, timezone: str = "UTC") -> str:
    """compose.yaml of the Zabbix project directory (beside its root-only secrets.env)."""
    return "# Managed by proxcloud (render/zabbix.py).\n" + yaml.safe_dump(
        zabbix_compose_doc(server_address, timezone), sort_keys=False
    )


def zabbix_db_env_file(db_password: str) -> str:
    """secrets.env (mode 0600): the PostgreSQL password every service of the project reads."""
    if len(db_password) < 12 or any(c in db_password for c in "'\n\r") or not db_password.isprintable():
        raise ZabbixError("db_password: use at least 12 printable characters, without quotes (') or line breaks")
    # Single quotes make Compose take the value literally (no ${...} interpolation).
    return f"POSTGRES_PASSWORD='{db_password}'\n"


def zabbix_server_project(server_address: str, db_password: str, timezone: str = "UTC") -> ComposeProject:
    """The Zabbix server project (compose.yaml + secrets.env) for a VM's write_files or for
    `render.provision.compose_project_script` in a nesting container."""
    return ComposeProject("zabbix", zabbix_compose(server_address, timezone), zabbix_db_env_file(db_password))
