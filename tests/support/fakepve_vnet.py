"""A fakepve that also keeps SDN VNet firewall rules and options, for testing the VNet firewall provider.

fakepve 0.5.0 answers `/cluster/sdn/vnets/{vnet}/firewall/*` only through its generic route: parameters are
checked against the PVE 9 schema (enums, patterns, `pve-iface`, `pve-fw-comment-spec`; *not* the
`pve-fw-*-spec` formats of ports, addresses and protocols), nothing is stored, and GET returns a value
synthesised from the schema. This subclass routes those paths to fakepve's own stateful firewall code (the
code that serves guest and cluster rules: PVE's `unshift` on POST, `moveto`, `delete`, digests and
`verify_rule`, which does check ports, addresses, protocols and macros). The VNet rule environment is
modelled as PVE documents it: only `forward` (and `group`) rules; REJECT is refused on forward chains.
"""

from __future__ import annotations

from typing import Any

from fakepve import FakePve
from fakepve import firewall as fw
from fakepve import schema as pve_schema
from fakepve.routing import param_error

VNET_BASE = "/cluster/sdn/vnets/{vnet}/firewall"


class VnetFakePve(FakePve):
    """FakePve with stateful VNet firewall rules and options (kept per VNet id)."""

    def firewall_config(self, scope: str, node: Any = None, vmid: Any = None) -> dict[str, Any]:
        if scope == "vnet":
            return self.__dict__.setdefault("_vnet_fw", {}).setdefault(node, fw.empty_conf())
        return super().firewall_config(scope, node, vmid)

    def vnet_firewall(self, vnet: str) -> dict[str, Any]:
        """The stored config of one VNet: {'rules': [...], 'options': {...}, ...}."""
        return self.firewall_config("vnet", vnet)

    def _option_names(self, scope: str) -> list[str]:
        if scope != "vnet":
            return super()._option_names(scope)
        props = pve_schema.load().paths[VNET_BASE + "/options"]["PUT"]["parameters"]["properties"]
        return [k for k in props if k not in ("vnet", "delete", "digest")]

    def _check_rule(self, scope: str, rule: dict[str, Any], conf: dict[str, Any]) -> dict[str, Any]:
        if scope != "vnet":
            return super()._check_rule(scope, rule, conf)
        if rule.get("type") not in (None, "forward", "group"):
            raise param_error(type=f"invalid rule type '{rule['type']}' for rule_env 'vnet'")
        # The cluster environment takes forward and group rules with an iface, as a VNet does.
        return fw.verify_rule(rule, self.firewall_config("cluster"), conf, "cluster")

    def _routes_vnetfirewall(self) -> list[tuple[str, str, Any]]:
        def bind(fn: Any) -> Any:
            async def call(v: dict[str, Any], user: str) -> Any:
                # fakepve's firewall code finds a config by `node`; the VNet id plays that part here.
                return await fn("vnet", dict(v, node=v["vnet"]), user)

            return call

        return [
            ("GET", VNET_BASE + "/options", bind(self._fw_options_get)),
            ("PUT", VNET_BASE + "/options", bind(self._fw_options_put)),
            ("GET", VNET_BASE + "/rules", bind(self._fw_rules_get)),
            ("POST", VNET_BASE + "/rules", bind(self._fw_rule_create)),
            ("GET", VNET_BASE + "/rules/{pos}", bind(self._fw_rule_get)),
            ("PUT", VNET_BASE + "/rules/{pos}", bind(self._fw_rule_update)),
            ("DELETE", VNET_BASE + "/rules/{pos}", bind(self._fw_rule_delete)),
        ]
