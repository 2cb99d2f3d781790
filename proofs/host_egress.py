"""Host egress over a planned graph: does the PVE host firewall let a node's own traffic out?

`host_egress_allowed(rec, proto, port, dest)` judges a packet a node sends, by PVE firewall semantics (PVE
firewall docs, PVE/Firewall.pm): the datacenter switch (`cluster.FirewallLegacy.enabled`: off lets everything
through), then the cluster-level rule list (`firewall.RulesLegacy` without node or guest) in order, `out` rules
only, first match wins (ACCEPT passes; DROP/REJECT stop), else the datacenter `outputPolicy` (default ACCEPT).

Not modelled: node-level rule lists (the plan has none), security groups and IP sets in `out` rules (a rule with
a `dest` other than a plain address or CIDR is treated as matching, which can only make a DROP stricter), macros
other than SMTP's ports, connection tracking (replies pass), IPv6.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple

from tools.mockengine import Recording

CLUSTER_FW = "proxmoxve:cluster/firewallLegacy:FirewallLegacy"
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"


class Verdict(NamedTuple):
    ok: bool
    reason: str


def _dest_matches(spec: str | None, dest: str) -> bool:
    if not spec:
        return True
    try:
        ip = ipaddress.ip_address(dest)
    except ValueError:
        return True  # a host name: any destination rule may be it
    for part in spec.split(","):
        try:
            if ip in ipaddress.ip_network(part.strip(), strict=False):
                return True
        except ValueError:
            return True  # an IP set or alias: assume it matches (stricter for DROP)
    return False


def _port_matches(spec: str | None, port: int) -> bool:
    if not spec:
        return True
    for part in str(spec).split(","):
        low, _, high = part.partition(":")
        if int(low) <= port <= int(high or low):
            return True
    return False


def host_egress_allowed(rec: Recording, proto: str, port: int, dest: str) -> Verdict:
    clusters = rec.by_type(CLUSTER_FW)
    if not clusters or not clusters[0].inputs.get("enabled"):
        return Verdict(True, "the datacenter firewall is off")
    host_lists = [r for r in rec.by_type(RULES) if not r.inputs.get("nodeName") and not r.inputs.get("vmId")]
    for rules in host_lists:
        for rule in rules.inputs.get("rules") or []:
            if rule.get("type") != "out" or rule.get("enabled") is False:
                continue
            if rule.get("proto") not in (None, proto) or not _port_matches(rule.get("dport"), port):
                continue
            if not _dest_matches(rule.get("dest"), dest):
                continue
            action = str(rule.get("action", "")).upper()
            return Verdict(action == "ACCEPT", f"host rule {action}: {rule.get('comment', '')}")
    policy = str(clusters[0].inputs.get("outputPolicy") or "ACCEPT").upper()
    return Verdict(policy == "ACCEPT", f"datacenter output policy {policy}")
