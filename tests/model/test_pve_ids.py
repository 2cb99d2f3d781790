"""The ids the spec produces are ones PVE accepts: cross-checked with fakepve's copy of PVE's own formats."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import fakepve
import pytest
from fakepve.formats import NAMED

from model.models import SDN_ID
from tests.support.stacks import load_stack_spec


@pytest.fixture(scope="module")
def platform():
    return load_stack_spec("prod")


def test_sdn_id_rule_is_pves(platform) -> None:
    with gzip.open(Path(fakepve.__file__).parent / "data" / "pve-api.json.gz", "rt") as fh:
        schema = json.load(fh)
    vnet = schema["paths"]["/cluster/sdn/vnets"]["POST"]["parameters"]["properties"]["vnet"]
    assert vnet["pattern"] == SDN_ID.pattern and (vnet["minLength"], vnet["maxLength"]) == (2, 8)
    for t in platform.tenants:
        for value in [t.zone_id, *(v.id for v in t.vnets)]:
            assert re.fullmatch(vnet["pattern"], value) and 2 <= len(value) <= 8, value


def test_access_ids_pass_pves_formats(platform) -> None:
    for t in platform.tenants:
        assert NAMED["pve-poolid"](t.pool_id) is None
        assert NAMED["pve-groupid"](t.group_id) is None
        for purpose in (
            "vm-operator",
            "vm-builder",
            "sdn-user",
            "storage-user",
            "iso-user",
            "backup-user",
            "node-audit",
        ):
            assert NAMED["pve-roleid"](t.role_id(purpose)) is None
        for u in t.users:
            assert NAMED["pve-userid"](u.user_id) is None
        for g in t.guests:
            assert NAMED["pve-vmid"](str(g.vm_id)) is None
            for nic in g.nics:
                assert NAMED["mac-addr"](nic.mac) is None


def test_the_formats_reject_what_the_spec_refuses() -> None:
    """Twin: PVE's checkers do refuse the names our models refuse."""
    assert NAMED["pve-poolid"]("bad pool") is not None
    assert NAMED["pve-userid"]("no-realm") is not None
    assert NAMED["pve-vmid"]("42") is not None
    assert NAMED["mac-addr"]("03:00:00:00:00:00") is not None  # multicast
