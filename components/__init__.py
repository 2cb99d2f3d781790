"""Pulumi ComponentResources, one per concept: Tenant, VxlanZone, SdnApply, SdnCommit and the services on them."""
