"""SdnApply: the one SDN apply of a stack (`PUT /cluster/sdn`), after every zone, VNet and subnet.

PVE stages SDN edits as pending until they are applied. Following the provider's documented pattern, a
"finalizer" Applier exists before every SDN object (so on destroy it runs last, applying the deletions) and
the "applier" runs after all of them; its replacement trigger is the SDN spec, so any change re-applies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from model.platform import Platform


def sdn_fingerprint(platform: Platform) -> str:
    """Every SDN input of the stack, canonical: a change in any of them re-applies SDN."""
    return json.dumps(
        {
            "peers": platform.vteps,
            "nodes": platform.node_names,
            "zones": [
                {
                    "id": t.zone_id,
                    "mtu": t.zone_mtu,
                    "vnets": [[v.id, v.vni, str(v.cidr), str(v.gateway), v.description] for v in t.vnets],
                }
                for t in sorted(platform.tenants, key=lambda t: t.zone_id)
            ],
        },
        sort_keys=True,
        separators=(",", ":"),
    )


@dataclass
class SdnApplyArgs:
    """Inputs of SdnApply."""

    fingerprint: pulumi.Input[str]
    """Canonical JSON of the stack's SDN spec (sdn_fingerprint); a change replaces, and so re-runs, the apply."""


class SdnApply(pulumi.ComponentResource):
    """Owns the finalizer and the applier. Create it first, give `finalizer` to every SDN object, then `apply`."""

    finalizer: px.sdn.Applier
    applier: px.sdn.Applier | None

    def __init__(self, name: str, args: SdnApplyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:SdnApply", name, None, opts)
        self._name = name
        self._args = args
        self.finalizer = px.sdn.Applier(f"{name}-finalizer", opts=pulumi.ResourceOptions(parent=self))
        self.applier = None

    def apply(self, sdn_objects: Sequence[pulumi.Resource]) -> px.sdn.Applier:
        """Create the applier after every given zone, VNet and subnet; call once, after all tenants."""
        if self.applier is not None:
            raise RuntimeError("SdnApply.apply() called twice: there is one SDN apply per stack")
        self.applier = px.sdn.Applier(
            f"{self._name}-applier",
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(sdn_objects),
                replacement_trigger=self._args.fingerprint,
            ),
        )
        self.register_outputs({"finalizer": self.finalizer.id, "applier": self.applier.id})
        return self.applier
