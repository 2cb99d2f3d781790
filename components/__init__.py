"""Pulumi ComponentResources, one per concept: Tenant, VxlanZone, SdnApply, and the services built on them."""
