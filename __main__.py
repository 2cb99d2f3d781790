"""proxcloud: load this stack's spec, build one Tenant per tenant file, apply SDN once, export the outputs."""

from pathlib import Path

import pulumi

from components.config import namespace_config
from components.images import CloudImage, CloudImageArgs
from components.outputs import stack_outputs
from components.sdn import SdnApply, SdnApplyArgs, sdn_fingerprint
from components.tenant import Tenant, TenantArgs
from spec.errors import SpecError
from spec.load import load_platform

try:
    platform = load_platform(
        pulumi.get_project(), pulumi.get_stack(), namespace_config("proxcloud"), Path(__file__).parent
    )
except SpecError as exc:
    # A user mistake: report every problem, register nothing, no traceback.
    raise pulumi.RunError(f"invalid proxcloud input:\n{exc}") from None

sdn = SdnApply("sdn", SdnApplyArgs(fingerprint=sdn_fingerprint(platform)))
vm_nodes = [vm.node for t in platform.tenants for vm in t.vms]
image_ids = {}
if vm_nodes and platform.settings.image is not None:
    image = CloudImage(
        "debian12", CloudImageArgs(platform.settings.image, platform.settings.datastores.images, vm_nodes)
    )
    image_ids = image.file_ids
tenants = {t.name: Tenant(t.name, TenantArgs.of(t, platform, sdn.finalizer, image_ids)) for t in platform.tenants}
sdn.apply([obj for tenant in tenants.values() for obj in tenant.zone.sdn_objects])

for key, value in stack_outputs(platform, tenants).items():
    pulumi.export(key, value)
