"""VM allocation: VM IDs (default, pinned, mirrored), placement, dedicated /30 + /64, and the bad cases."""

from __future__ import annotations

import ipaddress
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.errors import SpecError
from model.platform import Nic
from tests.support.model_inputs import BACKUP, CFG, CONFIG, EDGE, HOSTING, IMAGE, load, tenant, vm


def test_vm_id_default_pinned_and_mirror(tmp_path: Path) -> None:
    vms = [
        vm(vnet="acmeweb", address="192.168.10.10"),
        vm(name="web2", slot=2, vm_id=4242, vnet="acmeweb", address="192.168.10.11"),
    ]
    t = load(tmp_path, [tenant(number=7, vms=vms)], CFG).tenants[0]
    assert [v.vm_id for v in t.vms] == [7001, 4242]


def test_mirror_vm_id_like_setup_a(tmp_path: Path) -> None:
    vnets = [{"id": "lan", "cidr": "10.10.10.0/24"}]
    vms = [vm(vnet="lan", address="10.10.10.6", vm_id="mirror")]
    t = load(tmp_path, [tenant(vnets=vnets, vms=vms)], CFG).tenants[0]
    assert t.vms[0].vm_id == 1010106


def test_dedicated_network_allocation(tmp_path: Path) -> None:
    t = load(tmp_path, [tenant(number=3, vms=[vm(slot=1), vm(name="b", slot=2)])], CFG).tenants[0]
    a, b = (v.nics[0] for v in t.vms)
    assert str(a.ipv4) == "10.200.4.182/30" and str(a.gateway4) == "10.200.4.181"
    assert str(b.ipv4.network) == "10.200.4.184/30"
    # IPv6: ::2 as a /128 with the edge's link-local as gateway; the /64 is routed to the NIC's link-local
    assert str(a.ipv6) == "2001:db8:200:12d::2/128" and str(a.gateway6) == "fe80::1"
    assert str(a.routed6) == "2001:db8:200:12d::/64" and a.ipv6.ip in a.routed6
    assert (a.bridge, a.vlan, b.vlan) == ("transit", 301, 302)


@settings(max_examples=30, deadline=None)
@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=40),
        st.lists(st.integers(min_value=1, max_value=94), min_size=1, max_size=5, unique=True),  # VLAN <= 4094
        min_size=1,
        max_size=4,
    )
)
def test_dedicated_networks_never_collide(slots_by_number: dict[int, list[int]]) -> None:
    """Any tenants and slots the spec accepts get distinct /30s, /64s, VNets and VNIs, all inside the pools."""
    with tempfile.TemporaryDirectory() as d:
        tenants = [
            tenant(f"t{n}", n, 0, vnets=[], vms=[vm(name=f"t{n}-vm{s}", slot=s) for s in slots])
            for n, slots in slots_by_number.items()
        ]
        platform = load(Path(d), tenants, CFG)
    nics = [vm_.nics[0] for t in platform.tenants for vm_ in t.vms]
    assert len({n.ipv4.network for n in nics}) == len(nics)
    assert len({n.routed6 for n in nics}) == len(nics)
    assert len({n.vlan for n in nics}) == len(nics)
    assert all(n.ipv4.network.subnet_of(ipaddress.IPv4Network(HOSTING["ipv4Pool"])) for n in nics)
    assert all(n.routed6.subnet_of(ipaddress.IPv6Network(HOSTING["ipv6Pool"])) for n in nics)


def test_link_local_is_eui64_of_the_mac() -> None:
    nic = Nic("b", ipaddress.IPv4Interface("10.0.0.2/30"), None, 1450, "02:00:00:0B:B9:00")
    assert str(nic.link_local) == "fe80::ff:fe0b:b900"


BAD_VMS = [
    ("unknown-vnet", [vm(vnet="nope", address="192.168.10.10")], r"vms\[0\]\.vnet: 'nope' is not a VNet of this"),
    (
        "address-outside",
        [vm(vnet="acmeweb", address="192.168.99.10")],
        r"vms\[0\]\.address: 192\.168\.99\.10 is not a free host address of acmeweb",
    ),
    ("address-is-gateway", [vm(vnet="acmeweb", address="192.168.10.1")], r"is not a free host address"),
    ("vnet-without-address", [vm(vnet="acmeweb")], r"vms\[0\]\.address: a VM needs both vnet and address"),
    ("unknown-node", [vm(node="pve9")], r"vms\[0\]\.node: 'pve9' is not a node of this stack"),
    ("bad-name", [vm(name="Web_1")], r"vms\[0\]\.name: 'Web_1' is not a valid host name"),
    ("slot-zero", [vm(slot=0)], r"vms\[0\]\.slot: Input should be greater than or equal to 1"),
    ("tiny-vm-id", [vm(vm_id=42)], r"vms\[0\]\.vm_id: .*42 is not a PVE VM ID"),
    ("mirror-too-long", [vm(vnet="acmeweb", address="192.168.10.10", vm_id="mirror")], r"no VM ID mirror"),
    (
        "dup-slot",
        [vm(), vm(name="web2")],
        r"vms\[1\]\.slot: slot 1 is already used by tenants/acme\.yaml \(vms\[0\]\.slot\)",
    ),
    (
        "dup-name",
        [vm(), vm(slot=2)],
        r"vms\[1\]\.name: guest name web1 is already used by tenants/acme\.yaml \(vms\[0\]\.name\)",
    ),
    ("too-much-memory", [vm(memory_mb=10**7)], r"vms\[0\]\.memory_mb: Input should be less than"),
    ("stateless-without-reason", [vm(stateful=False)], r"stateful: false needs stateless_reason"),
    ("keep-apart-unknown", [vm(keep_apart_from=["ghost"])], r"vms\[0\]\.keep_apart_from\[0\]: 'ghost' is not another"),
]


@pytest.mark.parametrize(("case", "vms", "message"), BAD_VMS, ids=[c[0] for c in BAD_VMS])
def test_bad_vm(tmp_path: Path, case: str, vms: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant(vms=vms)], CFG)


def test_vm_id_collision_across_tenants(tmp_path: Path) -> None:
    one = tenant("acme", 1, 10, vms=[vm(vm_id=5000, vnet="acmeweb", address="192.168.10.10")])
    two = tenant("other", 2, 50, vms=[vm(name="web9", vm_id=5000, vnet="otherweb", address="192.168.50.10")])
    with pytest.raises(SpecError, match=r"\.yaml: vms\[0\]\.vm_id: VM ID 5000 is already used by tenants/\w+\.yaml"):
        load(tmp_path, [one, two], CFG)


def test_dedicated_network_needs_hosting_pools(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"vms\[0\]: the stack has no proxcloud:hosting pools and proxcloud:edge"):
        load(tmp_path, [tenant(vms=[vm()])], {**CONFIG, "image": IMAGE, "backup": BACKUP})


def test_vms_need_an_image(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"vms: the stack has no proxcloud:image"):
        load(tmp_path, [tenant(vms=[vm()])], {**CONFIG, "hosting": HOSTING, "backup": BACKUP, "edge": EDGE})


def test_stateful_vms_need_backups(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"vms\[0\]: stateful VM web1 would have no backup"):
        load(tmp_path, [tenant(vms=[vm()])], {**CONFIG, "image": IMAGE, "hosting": HOSTING, "edge": EDGE})
    stateless = vm(stateful=False, stateless_reason="a cache, rebuilt by cloud-init")
    no_backup = {**CONFIG, "image": IMAGE, "hosting": HOSTING, "edge": EDGE}
    assert load(tmp_path, [tenant(vms=[stateless])], no_backup).tenants


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "12:00"}, r"proxcloud:backup\.start: start 12:00 is outside the night window 22:00-05:00"),
        ({"start": "25:00"}, r"proxcloud:backup\.start: '25:00' is not a valid time HH:MM"),
        ({"retention": {"keepDaily": 0}}, r"proxcloud:backup\.retention\.keepDaily: Input should be greater than"),
        ({"mailto": "ops"}, r"proxcloud:backup\.mailto: 'ops' is not a valid e-mail address"),
        ({"window": {"start": "22:00", "end": "5"}}, r"proxcloud:backup\.window\.end: '5' is not a valid time"),
        (
            {"pbs": {**BACKUP["pbs"], "fingerprint": "ab:cd"}},
            r"proxcloud:backup\.pbs\.fingerprint: 'ab:cd' is not a valid certificate fingerprint",
        ),
    ],
    ids=["outside-window", "bad-time", "keep-zero", "bad-mail", "bad-window", "bad-fingerprint"],
)
def test_bad_backup_settings(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant()], {**CFG, "backup": {**BACKUP, **change}})


def test_window_wraps_midnight() -> None:
    from model.models import BackupWindow

    w = BackupWindow.model_validate({"start": "22:00", "end": "05:00"})
    assert [w.contains(t) for t in ("21:59", "22:00", "00:30", "04:59", "05:00")] == [False, True, True, True, False]


def test_slot_outside_the_hosting_pool(tmp_path: Path) -> None:
    small = {**CFG, "hosting": {"ipv4Pool": "10.200.0.0/24", "ipv6Pool": "2001:db8:200::/48"}}
    with pytest.raises(SpecError, match=r"vms\[0\]: tenant number 1 slot 1 gives hosted net 101, outside"):
        load(tmp_path, [tenant(vms=[vm()])], small)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ({**IMAGE, "checksum": "abc"}, r"proxcloud:image\.checksum: checksum 'abc' is not 64 lower-case hex digits"),
        ({**IMAGE, "fileName": "x.iso"}, r"proxcloud:image\.fileName: file name x\.iso is not a disk image"),
        ({**IMAGE, "url": "http://x/y.qcow2"}, r"proxcloud:image\.url: 'http://x/y\.qcow2' is not an https URL"),
    ],
    ids=["checksum", "file-name", "plain-http"],
)
def test_bad_image(tmp_path: Path, image: dict[str, str], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant()], {**CFG, "image": image})
