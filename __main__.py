"""proxcloud: load this stack's spec, build one Tenant per tenant file, apply SDN once, export the outputs."""

from pathlib import Path

import pulumi

from components.config import namespace_config
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
tenants = {t.name: Tenant(t.name, TenantArgs.of(t, platform, sdn.finalizer)) for t in platform.tenants}
sdn.apply([obj for tenant in tenants.values() for obj in tenant.zone.sdn_objects])

for key, value in stack_outputs(platform, tenants).items():
    pulumi.export(key, value)
