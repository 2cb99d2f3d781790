"""CloudImage: the Debian 12 cloud image, downloaded by PVE once per node and datastore, checksum verified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

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
    after: Sequence[pulumi.Resource] = field(default_factory=list)
    """Resources the downloads wait for (the SDN apply): every guest made from the image waits for them too."""


def per_node_downloads(
    parent: pulumi.Resource,
    name: str,
    nodes: list[str],
    datastore: str,
    content_type: str,
    spec: ImageSpec | ContainerTemplateSpec,
    after: Sequence[pulumi.Resource] = (),
) -> dict[str, px.download.File]:
    """One verified download per node (the datastores are node-local), never overwriting a file PVE has.

    `after`: the downloads depend on these (`depends_on`), and so does every guest whose disk or template takes a
    download's id. This is how guests wait for the SDN apply (a VM started on a VNet before `PUT /cluster/sdn`
    finds no bridge): an explicit dependency, never the applier's id threaded into a guest input - the applier is
    replaced on every SDN change, its id is unknown in preview, and `import_from`/`template_file_id` force a
    replacement of the guest (bpg v0.111.1 proxmoxtf/resource/vm/vm.go disk `import_from`,
    proxmoxtf/resource/container/container.go `template_file_id`: ForceNew). A download's id is its volume id,
    known in preview: the guests see no change when only the apply runs again."""
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
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(after)),
        )
        for node in sorted(set(nodes))
    }


class CloudImage(pulumi.ComponentResource):
    """`file_ids[node]` is the volume id (`<ds>:import/<file>`) a VM disk's import_from takes."""

    files: dict[str, px.download.File]
    file_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CloudImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:CloudImage", name, None, opts)
        self.files = per_node_downloads(self, name, args.nodes, args.datastore, "import", args.image, args.after)
        self.file_ids = {node: f.id for node, f in self.files.items()}
        self.register_outputs({"file_ids": self.file_ids})
