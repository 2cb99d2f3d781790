"""A tenant proxy as the router of its tenant's VNets: forwarding and source NAT to its WAN address.

The proxy VM holds the gateway address of every tenant VNet. Guests reach the world through it (SNAT to the
WAN address); traffic between the tenant's own VNets is routed and left to the PVE firewall (VNet and guest
rules) to filter; nothing from outside is forwarded in (published services go through the reverse proxy). With a
DHCP server (render/dhcp.py) the router also hands out addresses and resolves names on the VNets with a range.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from render.cloudinit import CloudConfig, WriteFile
from render.dhcp import CONF_PATH as DHCP_CONF_PATH
from render.dhcp import PACKAGE as DHCP_PACKAGE
from render.dhcp import DhcpServer, dnsmasq_conf
from render.dhcp import check_command as dhcp_check_command

NAT_PATH = "/etc/nftables.d/proxcloud-gateway.nft"
SYSCTL_PATH = "/etc/sysctl.d/60-proxcloud-forward.conf"
NAT_TABLE = "proxcloud_gateway"  # family ip


def gateway_ruleset(lans: Sequence[str], wan_address: str) -> str:
    """An nftables table of its own (replaced atomically on each load)."""
    nets = [ipaddress.IPv4Network(n) for n in lans]
    wan = ipaddress.IPv4Address(wan_address)
    if not nets:
        raise ValueError("a gateway needs at least one LAN")
    if any(wan in n for n in nets):
        raise ValueError(f"WAN address {wan} lies inside a LAN")
    lan_set = ", ".join(str(n) for n in nets)
    return f"""#!/usr/sbin/nft -f
# proxcloud: this VM routes its tenant's VNets and SNATs their egress to {wan}.
table ip {NAT_TABLE}
delete table ip {NAT_TABLE}
table ip {NAT_TABLE} {{
  set lans {{
    type ipv4_addr; flags interval;
    elements = {{ {lan_set} }}
  }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct state invalid drop
    ip saddr @lans ip daddr != @lans accept comment "tenant egress to the world"
    ip saddr @lans ip daddr @lans accept comment "between the tenant's VNets; filtered by the PVE firewall"
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr @lans ip daddr != @lans snat to {wan}
  }}
}}
"""


def with_gateway(
    cfg: CloudConfig, lans: Sequence[str], wan_address: str, dhcp: DhcpServer | None = None
) -> CloudConfig:
    """The same cloud-config, plus forwarding and the gateway ruleset loaded at boot, and with `dhcp` the DHCP and
    DNS service of the VNets that declare a range (render/dhcp.py: dnsmasq, its config checked by dnsmasq itself
    before the service is restarted on it)."""
    from dataclasses import replace

    serve: tuple[tuple[str, ...], ...] = ()
    if dhcp is not None:
        check = " ".join(dhcp_check_command())
        serve = (("sh", "-c", f"{check} && systemctl enable dnsmasq && systemctl restart dnsmasq"),)
    return replace(
        cfg,
        packages=(*cfg.packages, "nftables", *((DHCP_PACKAGE,) if dhcp is not None else ())),
        write_files=(
            *cfg.write_files,
            *((WriteFile(DHCP_CONF_PATH, dnsmasq_conf(dhcp)),) if dhcp is not None else ()),
            WriteFile(SYSCTL_PATH, "net.ipv4.ip_forward = 1\n"),
            WriteFile(NAT_PATH, gateway_ruleset(lans, wan_address), permissions="0755"),
            WriteFile(
                "/etc/nftables.conf",
                '#!/usr/sbin/nft -f\nflush ruleset\ninclude "/etc/nftables.d/*.nft"\n',
                permissions="0755",
            ),
        ),
        runcmd=(
            ("sysctl", "--system"),
            ("nft", "-c", "-f", "/etc/nftables.conf"),
            ("systemctl", "enable", "--now", "nftables"),
            ("systemctl", "restart", "nftables"),
            *serve,
            *cfg.runcmd,
        ),
    )
