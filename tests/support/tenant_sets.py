"""Random tenant sets the spec allows (hypothesis), and the program planned for one on the fixture dev stack."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import strategies as st

from tests.support.stacks import fixture_config, run_fixture
from tools.mockengine import Recording

NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"]


@st.composite
def tenant_sets(draw: st.DrawFn) -> list[dict]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    tenants = []
    for n, name in enumerate(names, start=1):
        vnets = [{"id": f"{name[:4]}n{i}", "cidr": f"10.{n}.{i}.0/24"} for i in range(draw(st.integers(0, 3)))]
        storages = draw(st.lists(st.sampled_from([f"tank-{name}", f"nfs-{name}"]), unique=True, max_size=3))
        users = [{"name": f"user{c}.{name}"} for c in "abc"[: draw(st.integers(0, 2))]]
        tenants.append(
            {
                "name": name,
                "number": n,
                "access": draw(st.sampled_from(["operator", "self-service"])),
                "users": users,
                "zone": {"id": f"z{name[:6]}"},
                "vnets": vnets,
                "storages": storages,
            }
        )
    return tenants


def plan_tenants(tenants: list[dict]) -> Recording:
    """The fixture dev stack planned with exactly these tenant files (and no public addresses, which name tenants)."""
    with tempfile.TemporaryDirectory() as d:
        for t in tenants:
            (Path(d) / f"{t['name']}.yaml").write_text(yaml.safe_dump(t))
        config = fixture_config("dev")
        config["proxcloud:tenantsDir"] = d
        del config["proxcloud:publicAddresses"]  # names the fixture's tenants
        return run_fixture("dev", config)
