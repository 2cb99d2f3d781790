"""SdnApply: the one SDN apply of a stack (`PUT /cluster/sdn`), covering creates, changes and deletes of every
SDN object, the provider's transit zone and VNet included.

PVE stages SDN edits as pending until they are applied. Two Appliers (bpg v0.111.1
fwprovider/cluster/sdn/applier/resource.go: `PUT /cluster/sdn` on create and, `on_destroy` defaulting to true,
on delete), both replaced whenever the SDN spec (sdn_fingerprint) changes:
- the "applier" depends on every SDN object: its create runs after their creates and updates, applying them;
- the "finalizer" is depended on by every SDN object. Pulumi deletes dependents before what they depend on, and
  runs every delete - of removed objects and of replaced resources' old copies - after all creates and updates.
  So on a removal the old finalizer is deleted after the removed zones, VNets and subnets, and its delete applies
  their removal; the old applier, depending on them, is deleted before them (its apply there changes nothing).
docs/operations.md ("SDN changes") describes what `make diff` shows. `replacement_trigger` needs Pulumi CLI
3.208.0 or newer (pulumi/pulumi#20936): Pulumi.yaml `requiredPulumiVersion`.
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
    e = platform.settings.edge
    edge = None
    if e is not None and platform.edge is not None:
        edge = {
            "zone": e.transit_zone,
            "mtu": platform.edge.vm.nics[1].mtu,
            "vnet": [e.transit_vnet, e.transit_vni, True],
        }
    return json.dumps(
        {
            "edge": edge,
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
        # replaced with the applier: its old copy's delete applies the removals (see the module docstring)
        self.finalizer = px.sdn.Applier(
            f"{name}-finalizer",
            opts=pulumi.ResourceOptions(parent=self, replacement_trigger=args.fingerprint),
        )
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
