"""CloudImage: the Debian 12 cloud image, downloaded by PVE once per node and datastore, checksum verified."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

from model.containers import ContainerTemplateSpec
from model.models import ImageSpec


@dataclass
class CloudImageArgs:
    """Inputs of CloudImage."""

    image: ImageSpec
    """URL, checksum and file name of the pinned build."""
    datastore: str
    """Datastore with the `import` content type."""
    nodes: list[str]
    """Nodes that run VMs from it: one download each (the datastore is node-local)."""


def per_node_downloads(
    parent: pulumi.Resource,
    name: str,
    nodes: list[str],
    datastore: str,
    content_type: str,
    spec: ImageSpec | ContainerTemplateSpec,
) -> dict[str, px.download.File]:
    """One verified download per node (the datastores are node-local), never overwriting a file PVE has."""
    return {
        node: px.download.File(
            f"{name}-{node}",
            node_name=node,
            datastore_id=datastore,
            content_type=content_type,
            url=spec.url,
            file_name=spec.file_name,
            checksum=spec.checksum,
            checksum_algorithm=spec.checksum_algorithm,
            overwrite=False,
            upload_timeout=1800,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for node in sorted(set(nodes))
    }


class CloudImage(pulumi.ComponentResource):
    """`file_ids[node]` is the volume id (`<ds>:import/<file>`) a VM disk's import_from takes."""

    files: dict[str, px.download.File]
    file_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CloudImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:CloudImage", name, None, opts)
        self.files = per_node_downloads(self, name, args.nodes, args.datastore, "import", args.image)
        self.file_ids = {node: f.id for node, f in self.files.items()}
        self.register_outputs({"file_ids": self.file_ids})
