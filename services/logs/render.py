"""Central logs (setup C, "Keepers of Logs"): rsyslog on every VM/CT forwards to one Graylog.

Pure renderers: the rsyslog forwarding drop-in (TCP, RFC 5424, a disk-assisted queue so nothing is lost while
the collector is down), the pieces to merge into any VM's CloudConfig, a provisioning script for LXC containers
(no cloud-init there), and the Graylog VM (Graylog + OpenSearch + MongoDB in Docker Compose, its secrets in a
root-only env file, a Syslog TCP input created through Graylog's REST API).

Why imuxsock and not imjournal: Debian 12's rsyslog.conf loads imuxsock, and Debian's journald forwards every
journal entry to the syslog socket (`ForwardToSyslog=yes` is Debian's default, see /etc/systemd/journald.conf),
which systemd's syslog.socket hands to rsyslog. Loading imjournal as well would forward each message twice. So
the drop-in adds only the forwarding action and keeps Debian's inputs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

from render.cloudinit import DOCKER_PACKAGES, CloudConfig, CloudFragment, WriteFile, docker_apt_source

# --- rsyslog forwarding -------------------------------------------------------------------------------------------

RSYSLOG_DROPIN = "/etc/rsyslog.d/90-proxcloud-forward.conf"
# Debian's rsyslog package creates this directory and sets it as $WorkDirectory in /etc/rsyslog.conf.
RSYSLOG_SPOOL = "/var/spool/rsyslog"
# Graylog runs as an unprivileged user in its container, so its syslog input listens above 1024.
SYSLOG_TCP_PORT = 1514
# rsyslog's built-in RFC 5424 template ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG"); Graylog's Syslog inputs
# parse it, and its ISO timestamp keeps the year and the time zone that RFC 3164 loses.
RFC5424_TEMPLATE = "RSYSLOG_SyslogProtocol23Format"

_SIZE = re.compile(r"[1-9][0-9]*[kmg]?")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


class TcpFraming(StrEnum):
    """How messages are delimited on the TCP stream (omfwd `TCP_Framing`). Graylog's Syslog TCP input takes
    either: it looks at the first byte of a connection and picks octet counting or line framing."""

    TRADITIONAL = "traditional"  # one message per line; Graylog's Syslog TCP input default
    OCTET_COUNTED = "octet-counted"  # RFC 6587 length prefix; safe for multi-line messages


def _check_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        if not _HOST.fullmatch(host) or len(host) > 253:
            raise ValueError(f"collector_host '{host}' is neither an IP address nor a DNS name") from None
        return host


def _check_port(port: int, what: str) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"{what} {port} is not a TCP port (1-65535)")
    return port


def rsyslog_forward_conf(
    collector_host: str,
    collector_port: int = SYSLOG_TCP_PORT,
    *,
    queue_dir: str = RSYSLOG_SPOOL,
    queue_max_disk: str = "1g",
    queue_file: str = "fwd_graylog",
    queue_size: int = 100_000,
    dequeue_batch_size: int = 16,
    resume_interval_s: int = 10,
    framing: TcpFraming = TcpFraming.TRADITIONAL,
    template: str = RFC5424_TEMPLATE,
) -> str:
    """The drop-in (RSYSLOG_DROPIN) that forwards every message to the collector over TCP.

    The action has its own disk-assisted queue: messages wait in memory (LinkedList) and spill to
    `queue_dir/queue_file.*` when memory fills up or rsyslog stops (saveOnShutdown), up to `queue_max_disk`;
    `action.resumeRetryCount -1` retries the collector forever instead of discarding after a few tries.

    Known limit (rsyslog issue #2710, reproduced by tests/render/test_logging_delivery.py): if rsyslog is stopped
    while the collector is down, the batch its worker is retrying is not spooled and is lost; everything else
    in the queue is. `dequeue_batch_size` bounds that loss. Lines not yet through rsyslog's main queue (memory only
    on Debian) at a stop are lost as well.
    """
    host = _check_host(collector_host)
    _check_port(collector_port, "collector_port")
    if not queue_dir.startswith("/") or any(c in queue_dir for c in "\"'\n "):
        raise ValueError(f"queue_dir '{queue_dir}' must be an absolute path without quotes or spaces")
    if not _SIZE.fullmatch(queue_max_disk):
        raise ValueError(f"queue_max_disk '{queue_max_disk}' must be a size like 512m or 1g")
    if not _NAME.fullmatch(queue_file):
        raise ValueError(f"queue_file '{queue_file}' must be a plain file name prefix")
    if queue_size < 100 or resume_interval_s < 1 or not 1 <= dequeue_batch_size <= queue_size:
        raise ValueError(
            "queue_size must be at least 100 messages, dequeue_batch_size 1..queue_size, resume_interval_s >= 1 s"
        )
    if not _NAME.fullmatch(template):
        raise ValueError(f"template '{template}' is not an rsyslog template name")
    return f"""# Managed by proxcloud (render/logging.py): forward every message to the central Graylog over TCP.
# Debian's /etc/rsyslog.conf keeps its inputs (imuxsock receives the journal through journald's
# ForwardToSyslog socket) and its local files; this only adds the forwarding action.
action(
  name="fwd_central"
  type="omfwd"
  target="{host}"
  port="{collector_port}"
  protocol="tcp"
  TCP_Framing="{framing.value}"
  template="{template}"
  # Disk-assisted queue: memory first, disk when memory is full or at shutdown; kept across restarts.
  queue.type="LinkedList"
  queue.filename="{queue_file}"
  queue.spoolDirectory="{queue_dir}"
  queue.maxDiskSpace="{queue_max_disk}"
  queue.size="{queue_size}"
  # A stop while the collector is down loses the batch being retried (rsyslog #2710): keep batches small.
  queue.dequeueBatchSize="{dequeue_batch_size}"
  queue.saveOnShutdown="on"
  # Never give up on the collector; try again every {resume_interval_s} s while it is down.
  action.resumeRetryCount="-1"
  action.resumeInterval="{resume_interval_s}"
)
"""


def rsyslog_cloud_config_fragment(
    collector_host: str, collector_port: int = SYSLOG_TCP_PORT, **options: Any
) -> CloudFragment:
    """rsyslog for a VM: Debian 12 cloud images ship only journald, so install rsyslog, write the drop-in first
    (cloud-init writes files before it installs packages, so rsyslog starts with it), restart to be sure."""
    conf = rsyslog_forward_conf(collector_host, collector_port, **options)
    queue_dir = options.get("queue_dir", RSYSLOG_SPOOL)
    return CloudFragment(
        packages=("rsyslog",),
        write_files=(WriteFile(RSYSLOG_DROPIN, conf),),
        runcmd=(
            ("install", "-d", "-m", "0700", queue_dir),
            ("systemctl", "enable", "rsyslog"),
            ("systemctl", "restart", "rsyslog"),
        ),
    )


def rsyslog_container_script(collector_host: str, collector_port: int = SYSLOG_TCP_PORT, **options: Any) -> str:
    """The same for an LXC container (no cloud-init): a bash script run as root inside it, e.g. by
    `pct exec <vmid> -- bash -s < script`. Idempotent. ROOT (default empty) installs under another root for
    image building and tests; package install and restart are skipped when ROOT is set."""
    conf = rsyslog_forward_conf(collector_host, collector_port, **options)
    queue_dir = options.get("queue_dir", RSYSLOG_SPOOL)
    if "PROXCLOUD_EOF" in conf:  # pragma: no cover - the renderer never produces it
        raise ValueError("the configuration contains the here-document delimiter")
    return f"""#!/bin/bash
# Managed by proxcloud (render/logging.py): forward this container's logs to the central Graylog.
set -euo pipefail
ROOT="${{ROOT:-}}"
if [ -z "$ROOT" ] && ! dpkg-query -W -f='${{Status}}' rsyslog 2>/dev/null | grep -q 'install ok installed'; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends rsyslog
fi
install -d -m 0755 "$ROOT/etc/rsyslog.d"
install -d -m 0700 "$ROOT"{shlex.quote(queue_dir)}
tmp="$(mktemp)"
cat > "$tmp" <<'PROXCLOUD_EOF'
{conf}PROXCLOUD_EOF
install -m 0644 "$tmp" "$ROOT"{shlex.quote(RSYSLOG_DROPIN)}
rm -f "$tmp"
if [ -z "$ROOT" ]; then
  rsyslogd -N1 >/dev/null
  systemctl enable rsyslog
  systemctl restart rsyslog
fi
"""


# --- Graylog ------------------------------------------------------------------------------------------------------

# Pinned tags of one tested combination: Graylog 6.1 supports OpenSearch 1.x-2.15 and MongoDB 5.0.7-7.x.
GRAYLOG_IMAGE = "graylog/graylog:6.1.4"
OPENSEARCH_IMAGE = "opensearchproject/opensearch:2.15.0"
MONGODB_IMAGE = "mongo:6.0.18"
GRAYLOG_DIR = "/opt/graylog"
GRAYLOG_ENV_FILE = "graylog.env"
GRAYLOG_ADMIN_FILE = "admin-password"
GRAYLOG_INPUT_SCRIPT = "create-syslog-input.sh"
GRAYLOG_INPUT_TITLE = "proxcloud syslog tcp"
SYSCTL_FILE = "/etc/sysctl.d/90-opensearch.conf"
# OpenSearch refuses to start in production mode below this (its docs: vm.max_map_count at least 262144).
MAX_MAP_COUNT = 262_144


def _logging() -> dict[str, Any]:
    """A fresh dict per service, so the YAML has no anchors/aliases."""
    return {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


@dataclass(frozen=True)
class GraylogParams:
    """Where and how the central Graylog runs."""

    internal_address: str
    """The VM's internal IPv4 address: the web UI/API and the syslog input are published there only."""
    external_uri: str | None = None
    """The URL people open (behind the reverse proxy); defaults to http://<internal_address>:<web_port>/."""
    web_port: int = 9000
    syslog_port: int = SYSLOG_TCP_PORT
    opensearch_heap_mb: int = 1024
    directory: str = GRAYLOG_DIR
    timezone: str = "UTC"
    extra: dict[str, str] = field(default_factory=dict)
    """More GRAYLOG_* settings (non-secret), e.g. {"GRAYLOG_TRANSPORT_EMAIL_ENABLED": "true"}."""

    def __post_init__(self) -> None:
        ipaddress.IPv4Address(self.internal_address)
        _check_port(self.web_port, "web_port")
        _check_port(self.syslog_port, "syslog_port")
        if self.syslog_port < 1024:
            raise ValueError(f"syslog_port {self.syslog_port}: Graylog runs unprivileged, use a port >= 1024")
        if self.opensearch_heap_mb < 256:
            raise ValueError("opensearch_heap_mb must be at least 256")

    @property
    def uri(self) -> str:
        return self.external_uri or f"http://{self.internal_address}:{self.web_port}/"


def graylog_compose_doc(params: GraylogParams) -> dict[str, Any]:
    """MongoDB and OpenSearch on the project network only; Graylog published on the internal address only."""
    heap = f"-Xms{params.opensearch_heap_mb}m -Xmx{params.opensearch_heap_mb}m"
    return {
        "name": "graylog",
        "services": {
            "mongodb": {
                "image": MONGODB_IMAGE,
                "restart": "unless-stopped",
                "volumes": ["mongodb-data:/data/db"],
                "logging": _logging(),
            },
            "opensearch": {
                "image": OPENSEARCH_IMAGE,
                "restart": "unless-stopped",
                "environment": {
                    "OPENSEARCH_JAVA_OPTS": heap,
                    "bootstrap.memory_lock": "true",
                    "discovery.type": "single-node",
                    "action.auto_create_index": "false",
                    # Reached only by Graylog on the project network; no demo certificates, no admin password.
                    "plugins.security.disabled": "true",
                    "DISABLE_INSTALL_DEMO_CONFIG": "true",
                    "DISABLE_SECURITY_PLUGIN": "true",
                },
                "ulimits": {"memlock": {"soft": -1, "hard": -1}, "nofile": {"soft": 65536, "hard": 65536}},
                "volumes": ["opensearch-data:/usr/share/opensearch/data"],
                "logging": _logging(),
            },
            "graylog": {
                "image": GRAYLOG_IMAGE,
                "restart": "unless-stopped",
                "depends_on": ["mongodb", "opensearch"],
                "environment": {
                    "GRAYLOG_HTTP_BIND_ADDRESS": "0.0.0.0:9000",
                    "GRAYLOG_HTTP_EXTERNAL_URI": params.uri,
                    "GRAYLOG_ELASTICSEARCH_HOSTS": "http://opensearch:9200",
                    "GRAYLOG_MONGODB_URI": "mongodb://mongodb:27017/graylog",
                    "GRAYLOG_ROOT_TIMEZONE": params.timezone,
                    "GRAYLOG_NODE_ID_FILE": "/usr/share/graylog/data/data/node-id",
                    **params.extra,
                },
                # GRAYLOG_PASSWORD_SECRET and GRAYLOG_ROOT_PASSWORD_SHA2, from a root-only file.
                "env_file": [f"./{GRAYLOG_ENV_FILE}"],
                "ports": [
                    f"{params.internal_address}:{params.web_port}:9000/tcp",
                    f"{params.internal_address}:{params.syslog_port}:{params.syslog_port}/tcp",
                ],
                "volumes": [
                    "graylog-data:/usr/share/graylog/data/data",
                    "graylog-journal:/usr/share/graylog/data/journal",
                ],
                "logging": _logging(),
            },
        },
        "volumes": {"mongodb-data": {}, "opensearch-data": {}, "graylog-data": {}, "graylog-journal": {}},
    }


def graylog_compose(params: GraylogParams) -> str:
    """The text of <directory>/compose.yaml."""
    doc = graylog_compose_doc(params)
    return "# Managed by proxcloud (render/logging.py).\n" + yaml.safe_dump(doc, sort_keys=False)


def graylog_env_file(password_secret: str, root_password: str) -> str:
    """The root-only env file: GRAYLOG_PASSWORD_SECRET (pepper for stored passwords, at least 16 characters) and
    GRAYLOG_ROOT_PASSWORD_SHA2 (SHA-256 of the admin password). Call inside apply on the secrets."""
    if len(password_secret) < 16 or any(c in password_secret for c in "'\n\r"):
        raise ValueError("password_secret must have at least 16 characters, without quotes (') or line breaks")
    if not root_password:
        raise ValueError("root_password must not be empty")
    sha2 = hashlib.sha256(root_password.encode()).hexdigest()
    # Single quotes: Compose takes the value literally (no ${...} interpolation).
    return f"GRAYLOG_PASSWORD_SECRET='{password_secret}'\nGRAYLOG_ROOT_PASSWORD_SHA2={sha2}\n"


def graylog_input_payload(params: GraylogParams) -> dict[str, Any]:
    """The Syslog TCP input as Graylog's REST API (POST /api/system/inputs) takes it; the configuration keys are
    those of Graylog's SyslogTCPInput (its TCP transport and syslog codec)."""
    return {
        "title": GRAYLOG_INPUT_TITLE,
        "type": "org.graylog2.inputs.syslog.tcp.SyslogTCPInput",
        "global": True,
        "configuration": {
            "bind_address": "0.0.0.0",
            "port": params.syslog_port,
            "recv_buffer_size": 1_048_576,
            "tcp_keepalive": True,
            "use_null_delimiter": False,
            "max_message_size": 2_097_152,
            "allow_override_date": True,
            "store_full_message": False,
            "expand_structured_data": False,
        },
    }


def graylog_input_script(params: GraylogParams, api_url: str | None = None) -> str:
    """Creates the Syslog TCP input once Graylog answers (inputs live in MongoDB, not in configuration).
    Idempotent: does nothing when an input with the same title exists. Reads the admin password from the
    root-only file beside it. `api_url` is for tests; on the VM it is the internal address."""
    import json

    api = (api_url or f"http://{params.internal_address}:{params.web_port}").rstrip("/")
    payload = json.dumps(graylog_input_payload(params), sort_keys=True)
    pw_file = f"{params.directory}/{GRAYLOG_ADMIN_FILE}"
    return f"""#!/bin/bash
# Managed by proxcloud (render/logging.py): create Graylog's Syslog TCP input through the REST API.
set -euo pipefail
API={shlex.quote(api)}
AUTH="admin:$(cat {shlex.quote(pw_file)})"
for _ in $(seq 1 "${{GRAYLOG_WAIT_TRIES:-120}}"); do
  if curl -fsS -o /dev/null "$API/api/system/lbstatus"; then break; fi
  sleep "${{GRAYLOG_WAIT_SECONDS:-5}}"
done
# python3 is on every Debian cloud image (cloud-init is written in it): parse the JSON, do not grep it.
if curl -fsS -u "$AUTH" -H 'Accept: application/json' "$API/api/system/inputs" | python3 -c '
import json, sys
titles = [i.get("title") for i in json.load(sys.stdin).get("inputs", [])]
sys.exit(0 if sys.argv[1] in titles else 1)' {shlex.quote(GRAYLOG_INPUT_TITLE)}; then
  echo "input exists"
  exit 0
fi
curl -fsS -u "$AUTH" -H 'Content-Type: application/json' -H 'X-Requested-By: proxcloud' \\
  -X POST "$API/api/system/inputs" --data-binary {shlex.quote(payload)}
echo
"""


def _compose_up(directory: str) -> tuple[str, ...]:
    return ("docker", "compose", "--project-directory", directory, "-f", f"{directory}/compose.yaml", "up", "-d")


def graylog_vm_cloud_config(
    params: GraylogParams,
    *,
    hostname: str,
    ssh_keys: tuple[str, ...],
    password_secret: str,
    root_password: str,
) -> CloudConfig:
    """The Graylog VM: Docker from Docker's repository, vm.max_map_count for OpenSearch, the compose project and
    its root-only secrets, `compose up`, then the Syslog TCP input. Holds secrets: build inside apply, keep the
    user data secret. The VM's own logs go to its local Graylog like every other host's."""
    d = params.directory
    own_logs = rsyslog_cloud_config_fragment(params.internal_address, params.syslog_port)
    cfg = CloudConfig(
        hostname=hostname,
        ssh_keys=ssh_keys,
        packages=(*DOCKER_PACKAGES, "curl"),
        apt_sources=docker_apt_source(),
        write_files=(
            WriteFile(SYSCTL_FILE, f"vm.max_map_count = {MAX_MAP_COUNT}\n"),
            WriteFile(f"{d}/compose.yaml", graylog_compose(params)),
            WriteFile(f"{d}/{GRAYLOG_ENV_FILE}", graylog_env_file(password_secret, root_password), permissions="0600"),
            WriteFile(f"{d}/{GRAYLOG_ADMIN_FILE}", root_password, permissions="0600"),
            WriteFile(f"{d}/{GRAYLOG_INPUT_SCRIPT}", graylog_input_script(params), permissions="0700"),
        ),
        runcmd=(
            ("sysctl", "-p", SYSCTL_FILE),
            _compose_up(d),
            (f"{d}/{GRAYLOG_INPUT_SCRIPT}",),
        ),
    )
    return own_logs.merge(cfg)
