"""Readiness inside a guest: cloud-init has finished, and for a router its forwarding and NAT are in place.

A guest whose first boot needs the internet (cloud-init's package stage: qemu-guest-agent, Docker's repository,
Caddy) must not boot before the routers on its path forward and NAT. These scripts run inside the router through
the QEMU guest agent (components/readiness.py) and fail loudly with what is missing.
"""

from __future__ import annotations

import shlex

from render.natgw import NAT_TABLE
from render.router import TABLE as EDGE_TABLE

# `cloud-init status --wait` exits 0 when done, 1 on a critical error, 2 (cloud-init >= 23.4) on recoverable
# errors such as a deprecated key; Debian 12's 22.4 knows 0 and 1 only (cloudinit/cmd/status.py
# `handle_status_args`). 2 means the boot finished and is not a reason to stop.
CLOUD_INIT_DONE = (0, 2)


def cloud_init_wait() -> str:
    """POSIX sh that blocks until cloud-init has finished in this guest, and stops the command (exit 1, cloud-init's
    long status on stderr) when the boot failed. Needs no root: it reads cloud-init's status files."""
    ok = " && ".join(f'[ "$rc" -ne {c} ]' for c in CLOUD_INIT_DONE)
    return (
        f"rc=0; cloud-init status --wait >/dev/null || rc=$?; if {ok}; then cloud-init status --long >&2; exit 1; fi; "
    )


# The routers' NAT tables as they render them: the tenant proxy (render/natgw.py) and the provider edge
# (render/router.py). Family and name, as `nft list table` takes them.
PROXY_NAT = ("ip", NAT_TABLE)
EDGE_NAT = ("inet", EDGE_TABLE)


def router_ready_script(nat_table: tuple[str, str]) -> str:
    """Bash run as root inside a router once cloud-init has finished: exit 0 when IPv4 forwarding is on and the
    NAT table is loaded with a source-NAT rule, else name what is missing and exit 1."""
    family, table = nat_table
    t = shlex.quote(table)
    return f"""set -u
fail() {{ echo "router not ready: $*" >&2; exit 1; }}
[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || fail "IPv4 forwarding is off (net.ipv4.ip_forward)"
rules=$(nft list table {family} {t} 2>&1) || fail "nftables table {family} {table} is not loaded: $rules"
printf '%s\\n' "$rules" | grep -Eq '(snat|masquerade)' || fail "table {family} {table} has no source NAT rule"
echo "router ready: forwarding on, {family} {table} loaded with source NAT"
"""
