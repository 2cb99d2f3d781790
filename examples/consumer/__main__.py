"""Example consumer: reads one tenant's networks and endpoints from proxcloud's outputs (contract 1.x)."""

import pulumi

SUPPORTED_MAJOR = "1"

config = pulumi.Config()
stack = config.get("proxcloudStack") or "organization/proxcloud/dev"
tenant = config.get("tenant") or "alpha"
proxcloud = pulumi.StackReference(stack)


def checked(version: str) -> str:
    """Refuse a contract this program was not written for, instead of reading the wrong fields."""
    if str(version).split(".")[0] != SUPPORTED_MAJOR:
        raise pulumi.RunError(f"{stack} exports outputs schema {version}; this program reads {SUPPORTED_MAJOR}.x")
    return str(version)


version = proxcloud.require_output("schema_version").apply(checked)
tenant_outputs = pulumi.Output.all(version, proxcloud.require_output("tenants")).apply(lambda v: v[1][tenant])

pulumi.export("contract", version)
pulumi.export("pool", tenant_outputs.apply(lambda t: t["pool"]))
pulumi.export("networks", tenant_outputs.apply(lambda t: {name: v["cidr"] for name, v in t["vnets"].items()}))
pulumi.export("grafana", tenant_outputs.apply(lambda t: t["monitoring"].get("grafana", "")))
