"""The provider edge router: the nftables ruleset passes `nft -c` in a throwaway namespace and, loaded into a
namespace lab (router, Internet, two hosted VMs) addressed from the rendered networkd files, really does SNAT, DNAT,
isolation and default drop, and routes each VM's /64 to the VM's link-local with no neighbour discovery for the
/64 on the link; the networkd files use only documented sections and keys and carry the gateways and routes; bad
specs are refused."""

from __future__ import annotations

import configparser
import ipaddress
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from render.router import (
    EDGE_LINK_LOCAL,
    HostedNet,
    PortForward,
    SecondaryAddress,
    gateway4,
    gateway6,
    networkd_files,
    nftables_ruleset,
    validate_router,
    vlan_link,
    vm_address4,
    vm_address6,
)
from tests.support.netns import netns, nft_check, run
from tests.support.pve_network import apply_networkd, guest_networkd, nocloud_network
from tests.support.router_spec import SPEC, V1_LL, V1_MAC, V2_LL, V2_MAC

pytestmark = pytest.mark.system  # network namespace labs (nft, the router between VMs)

# ------------------------------------------------------------------------------------------------ nft -c


def test_ruleset_passes_nft_check_in_a_namespace(tmp_path: Path) -> None:
    path = tmp_path / "nftables.conf"
    path.write_text(nftables_ruleset(SPEC))
    with netns() as (ns,):
        result = nft_check(ns, str(path))
        assert result.returncode == 0, result.stderr


def test_a_minimal_router_passes_nft_check(tmp_path: Path) -> None:
    bare = replace(SPEC, hosted=(), forwards=(), secondaries=(), admin_from=(), serve_http=False)
    path = tmp_path / "nftables.conf"
    path.write_text(nftables_ruleset(bare))
    with netns() as (ns,):
        result = nft_check(ns, str(path))
        assert result.returncode == 0, result.stderr


def test_twin_nft_check_rejects_a_broken_ruleset(tmp_path: Path) -> None:
    path = tmp_path / "nftables.conf"
    path.write_text(nftables_ruleset(SPEC).replace("dnat ip to", "dnat ipx to", 1))
    with netns() as (ns,):
        assert nft_check(ns, str(path)).returncode != 0


def test_ruleset_loads_twice_and_drops_by_default(tmp_path: Path) -> None:
    path = tmp_path / "nftables.conf"
    path.write_text(nftables_ruleset(SPEC))
    with netns() as (ns,):
        for _ in range(2):  # re-applying replaces the table instead of failing or duplicating it
            run("ip", "netns", "exec", ns, "nft", "-f", str(path))
        listing = json.loads(run("ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset").stdout)
    chains = {c["chain"]["name"]: c["chain"] for c in listing["nftables"] if "chain" in c}
    assert {n: chains[n]["policy"] for n in ("input", "forward")} == {"input": "drop", "forward": "drop"}
    assert len([t for t in listing["nftables"] if "table" in t]) == 1


# ------------------------------------------------------------------------------------------------ packet lab

SERVER = r"""
import socket, sys, threading
def serve(s):
    while True:
        c, peer = s.accept()
        c.sendall(peer[0].removeprefix("::ffff:").encode()); c.close()
for port in map(int, sys.argv[1:]):
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("::", port)); s.listen()
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True); sys.stdin.read()
"""
CLIENT = r"""
import socket, sys
try:
    source = (sys.argv[3], 0) if len(sys.argv) > 3 else None
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.8, source_address=source)
    print("ok:" + c.recv(100).decode())
except socket.timeout: print("timeout")
except ConnectionRefusedError: print("refused")
except OSError as e: print("error:" + str(e))
"""


class Lab:
    """Namespaces wired like the edge: router R (ens18 to the Internet W, vlan101/vlan102 to VMs V1/V2).

    R is addressed and routed from the rendered networkd files. Each VM as it boots on PVE: its fixed MAC (so the
    kernel derives the link-local R routes the /64 to), and the networkd files the real cloud-init renders from the
    network-config PVE writes for its ip config (.2/30 via .1; ::2/128 via R's fixed link-local)."""

    def __init__(self, names: list[str], tmp: Path) -> None:
        self.r, self.w, self.v1, self.v2 = names
        self.tmp = tmp
        self.servers: list[subprocess.Popen[str]] = []
        r, w, v1, v2 = names
        for ns in names:  # no duplicate address detection: addresses (link-local too) are usable at once
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.addr_gen_mode=0")  # EUI-64
        run("ip", "-n", r, "link", "add", "ens18", "type", "veth", "peer", "name", "wan0", "netns", w)
        vms = ((v1, V1_MAC, SPEC.hosted[0]), (v2, V2_MAC, SPEC.hosted[1]))
        for ns, mac, net in vms:
            run("ip", "-n", r, "link", "add", vlan_link(net), "type", "veth", "peer", "name", "eth0", "netns", ns)
            run("ip", "-n", ns, "link", "set", "eth0", "address", mac)
        for ns, dev in ((r, "ens18"), (r, "vlan101"), (r, "vlan102"), (w, "wan0"), (v1, "eth0"), (v2, "eth0")):
            run("ip", "-n", ns, "link", "set", dev, "up")
        for a in ("203.0.113.1/24", "2001:db8::1/64"):
            run("ip", "-n", w, "addr", "add", a, "dev", "wan0", *(["nodad"] if ":" in a else []))
        apply_networkd(r, networkd_files(SPEC), {"ens18", "vlan101", "vlan102"})
        for ns, mac, net in vms:
            ip_config = {
                "ipv4": {"address": f"{vm_address4(net)}/30", "gateway": str(gateway4(net).ip)},
                "ipv6": {"address": f"{vm_address6(net)}/128", "gateway": str(gateway6(net).ip)},
            }
            guest = tmp / ns
            guest.mkdir()
            apply_networkd(ns, guest_networkd(nocloud_network([mac], [ip_config], []), guest), {"eth0"})
        # The Internet knows the provider's IPv6 prefix is behind the router, and nothing about 10.100.0.0/16.
        run("ip", "-n", w, "-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::10")
        run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for ns, ports in ((w, ("8000",)), (r, ("22", "80")), (v1, ("22", "443", "8080")), (v2, ("80", "443", "8080"))):
            self._serve(ns, ports)
        # Wait until every link answers (fresh veths need a moment for IPv6), so later timeouts mean "dropped".
        for ns, host in ((v1, "2001:db8::10"), (v2, "2001:db8::10"), (w, "2001:db8:1:1::2"), (v1, "10.100.0.1")):
            deadline = time.monotonic() + 10
            while not self.probe(ns, host, 80).startswith(("ok:", "refused")):
                assert time.monotonic() < deadline, f"lab link to {host} never came up"

    def _serve(self, ns: str, ports: tuple[str, ...]) -> None:
        cmd = ["ip", "netns", "exec", ns, sys.executable, "-c", SERVER, *ports]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.servers.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"

    def load(self, ruleset: str) -> None:
        path = self.tmp / "lab.nft"
        path.write_text(ruleset)
        run("ip", "netns", "exec", self.r, "nft", "-f", str(path))

    def probe(self, ns: str, host: str, port: int, source: str | None = None) -> str:
        """'ok:<source address the server saw>', 'timeout' (dropped) or 'refused'."""
        src = [source] if source else []
        return run("ip", "netns", "exec", ns, sys.executable, "-c", CLIENT, host, str(port), *src).stdout.strip()

    def neighbours(self, ns: str, dev: str) -> list[str]:
        """The IPv6 neighbour cache of one link (addresses only, in any state)."""
        out = run("ip", "-n", ns, "-6", "neigh", "show", "dev", dev).stdout
        return [line.split()[0] for line in out.splitlines() if line.strip()]

    def close(self) -> None:
        for proc in self.servers:
            proc.terminate()
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with netns(4) as names:
        lab = Lab(names, tmp_path_factory.mktemp("lab"))
        try:
            yield lab
        finally:
            lab.close()


def test_lab_egress_is_snatted_to_the_primary_address(lab: Lab) -> None:
    lab.load(nftables_ruleset(SPEC))
    assert lab.probe(lab.v1, "203.0.113.1", 8000) == "ok:203.0.113.10"
    assert lab.probe(lab.v2, "203.0.113.1", 8000) == "ok:203.0.113.10"
    assert lab.probe(lab.v1, "2001:db8::1", 8000) == "ok:2001:db8:1:1::2"  # IPv6 is routed, not translated


def test_lab_inbound_only_what_is_declared(lab: Lab) -> None:
    lab.load(nftables_ruleset(SPEC))
    assert lab.probe(lab.w, "203.0.113.10", 2222) == "ok:203.0.113.1"  # port forward to V1:22
    assert lab.probe(lab.w, "203.0.113.10", 2223) == "timeout"
    assert lab.probe(lab.w, "203.0.113.20", 443) == "ok:203.0.113.1"  # secondary address -> tenant edge V2
    assert lab.probe(lab.w, "203.0.113.20", 8080) == "timeout"
    assert lab.probe(lab.w, "203.0.113.10", 80) == "ok:203.0.113.1"  # the edge's own reverse proxy
    assert lab.probe(lab.w, "203.0.113.10", 22) == "timeout"  # SSH only from admin_from
    assert lab.probe(lab.w, "2001:db8:1:1::2", 443) == "ok:2001:db8::1"  # declared IPv6 open
    assert lab.probe(lab.w, "2001:db8:1:1::2", 8080) == "timeout"
    assert lab.probe(lab.w, "2001:db8:1:2::2", 443) == "timeout"


def test_lab_tenants_cannot_reach_each_other_or_the_router(lab: Lab) -> None:
    lab.load(nftables_ruleset(SPEC))
    assert lab.probe(lab.v1, "10.100.0.6", 80) == "timeout"
    assert lab.probe(lab.v2, "2001:db8:1:1::2", 443) == "timeout"
    assert lab.probe(lab.v1, "10.100.0.1", 22) == "timeout"


# ---------------------------------------------------------------------------- the routed /64 (setup B)

V1_OTHER = "2001:db8:1:1::abcd"  # another address of V1's /64, configured by the VM itself (not announced anywhere)
IN_V2_NET = "2001:db8:1:2::99"  # an address of V2's /64


ND_WATCH = "ndwatch"


def _prefix_match(net: str) -> str:
    """nft raw match of an NS whose target (ICMPv6 bytes 8-23) lies in the /64 (nft 1.0.6 has no `icmpv6 taddr`)."""
    prefix = ipaddress.IPv6Network(net).network_address.packed[:8].hex()
    return f"icmpv6 type nd-neighbor-solicit @th,64,64 0x{prefix} counter drop"


@pytest.fixture
def nd_for_the_64_refused(lab: Lab) -> Iterator[Callable[[], int]]:
    """While in use, the VM never answers a neighbour solicitation for an address of its /64 and the edge never gets
    one out (each dropped and counted); yields how many the edge tried to send."""
    match = _prefix_match(SPEC.hosted[0].ipv6)
    for ns, hook in ((lab.r, "output"), (lab.v1, "input")):
        lines = [f"table inet {ND_WATCH} {{", "chain c {", f"type filter hook {hook} priority -10;", match, "}", "}"]
        path = lab.tmp / f"nd-{hook}.nft"
        path.write_text("\n".join(lines) + "\n")
        run("ip", "netns", "exec", ns, "nft", "-f", str(path))

    def sent() -> int:
        listing = json.loads(run("ip", "netns", "exec", lab.r, "nft", "-j", "list", "table", "inet", ND_WATCH).stdout)
        rule = next(i["rule"] for i in listing["nftables"] if "rule" in i)
        return next(e["counter"]["packets"] for e in rule["expr"] if "counter" in e)

    try:
        yield sent
    finally:
        for ns in (lab.r, lab.v1):
            run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", ND_WATCH)


@pytest.fixture
def v1_addresses(lab: Lab) -> Iterator[None]:
    """V1 uses more of its /64 (on its loopback, as a VM may) and tries an address of V2's /64."""
    for a in (V1_OTHER, IN_V2_NET):
        run("ip", "-n", lab.v1, "addr", "add", f"{a}/128", "dev", "lo", "nodad")
    try:
        yield
    finally:
        for a in (V1_OTHER, IN_V2_NET):
            run("ip", "-n", lab.v1, "addr", "del", f"{a}/128", "dev", "lo")


def test_lab_the_whole_64_is_routed_to_the_vms_link_local(lab: Lab, v1_addresses: None) -> None:
    lab.load(nftables_ruleset(SPEC))
    # out and back in, from ::2 on the NIC and from another address of the /64 that only the VM knows about
    assert lab.probe(lab.v1, "2001:db8::1", 8000) == "ok:2001:db8:1:1::2"
    assert lab.probe(lab.v1, "2001:db8::1", 8000, source=V1_OTHER) == f"ok:{V1_OTHER}"
    assert lab.probe(lab.w, "2001:db8:1:1::2", 443) == "ok:2001:db8::1"
    assert lab.probe(lab.w, V1_OTHER, 443) == "ok:2001:db8::1"
    routes = run("ip", "-n", lab.r, "-6", "route", "show", "2001:db8:1:1::/64").stdout
    assert f"via {V1_LL} dev vlan101" in routes


def test_lab_another_vms_64_is_not_reachable_through_a_vm(lab: Lab, v1_addresses: None) -> None:
    lab.load(nftables_ruleset(SPEC))
    # V2's /64 goes to V2's link, whatever V1 configures; V1 cannot send from it (no spoofing) nor reach V2's /64
    route = run("ip", "-n", lab.r, "-6", "route", "get", IN_V2_NET).stdout
    assert f"via {V2_LL} dev vlan102" in route
    assert lab.probe(lab.v1, "2001:db8::1", 8000, source=IN_V2_NET) == "timeout"
    assert lab.probe(lab.v1, "2001:db8:1:2::2", 443) == "timeout"
    assert lab.probe(lab.w, "2001:db8:1:2::2", 443) == "timeout"  # V2 declared no inbound IPv6


def test_lab_no_neighbour_discovery_for_the_64(
    lab: Lab, v1_addresses: None, nd_for_the_64_refused: Callable[[], int]
) -> None:
    """The VM answers no solicitation for its /64 and the edge sends none: the /64 still works both ways, and the
    only addresses the edge resolves on the link are link-local ones."""
    lab.load(nftables_ruleset(SPEC))
    for ns in (lab.r, lab.v1):
        run("ip", "-n", ns, "-6", "neigh", "flush", "all")
    assert lab.probe(lab.w, "2001:db8:1:1::2", 443) == "ok:2001:db8::1"
    assert lab.probe(lab.w, V1_OTHER, 443) == "ok:2001:db8::1"
    assert lab.probe(lab.v1, "2001:db8::1", 8000) == "ok:2001:db8:1:1::2"
    assert nd_for_the_64_refused() == 0
    assert run("ip", "netns", "exec", lab.r, "sysctl", "-n", "net.ipv6.conf.all.proxy_ndp").stdout.strip() == "0"
    assert V1_LL in lab.neighbours(lab.r, "vlan101") and str(EDGE_LINK_LOCAL) in lab.neighbours(lab.v1, "eth0")


def test_twin_lab_sees_neighbour_discovery_of_an_on_link_64(
    lab: Lab, v1_addresses: None, nd_for_the_64_refused: Callable[[], int]
) -> None:
    """The former shape (the /64 on the link): the edge has to ask the link for the VM's address, the watch counts
    it, and without an answer the VM is unreachable."""
    lab.load(nftables_ruleset(SPEC))
    run("ip", "-n", lab.r, "-6", "route", "replace", "2001:db8:1:1::/64", "dev", "vlan101")
    try:
        run("ip", "-n", lab.r, "-6", "neigh", "flush", "all")
        assert lab.probe(lab.w, V1_OTHER, 443) == "timeout"
        assert nd_for_the_64_refused() > 0
    finally:
        run("ip", "-n", lab.r, "-6", "route", "replace", "2001:db8:1:1::/64", "via", V1_LL, "dev", "vlan101")


def test_twin_lab_without_the_route_the_64_is_unreachable(lab: Lab) -> None:
    lab.load(nftables_ruleset(SPEC))
    run("ip", "-n", lab.r, "-6", "route", "del", "2001:db8:1:1::/64")
    try:
        assert lab.probe(lab.w, "2001:db8:1:1::2", 443) != "ok:2001:db8::1"
    finally:
        run("ip", "-n", lab.r, "-6", "route", "add", "2001:db8:1:1::/64", "via", V1_LL, "dev", "vlan101")


def test_twin_lab_sees_missing_snat(lab: Lab) -> None:
    broken = "\n".join(line for line in nftables_ruleset(SPEC).splitlines() if "snat" not in line) + "\n"
    lab.load(broken)
    assert lab.probe(lab.v1, "203.0.113.1", 8000) != "ok:203.0.113.10"


def test_twin_lab_sees_an_open_forward_chain(lab: Lab) -> None:
    lab.load(
        nftables_ruleset(SPEC).replace(
            "hook forward priority filter; policy drop;", "hook forward priority filter; policy accept;"
        )
    )
    assert lab.probe(lab.v1, "10.100.0.6", 80).startswith("ok:")


# ------------------------------------------------------------------------------------------------ networkd

# Sections and keys of systemd.network(5) / systemd.netdev(5) (systemd 252, Debian 12) that these files may use.
DOCUMENTED = {
    ".network": {
        "Match": {"Name", "MACAddress", "PermanentMACAddress", "Path", "Driver", "Type", "Kind", "Property"},
        "Network": {
            "Description",
            "Address",
            "Gateway",
            "DNS",
            "Domains",
            "VLAN",
            "IPForward",
            "IPMasquerade",
            "IPv6AcceptRA",
            "IPv6SendRA",
            "LinkLocalAddressing",
            "ConfigureWithoutCarrier",
            "DHCP",
        },
        "Link": {"MTUBytes", "RequiredForOnline", "ActivationPolicy"},
        "Address": {"Address", "Peer", "Label", "Scope"},
        "Route": {"Gateway", "Destination", "Metric", "Scope"},
    },
    ".netdev": {
        "NetDev": {"Description", "Name", "Kind", "MTUBytes", "MACAddress"},
        "VLAN": {"Id", "GVRP", "MVRP", "LooseBinding", "ReorderHeader", "Protocol"},
    },
}


def networkd_problems(path: str, text: str) -> list[str]:
    """Unknown sections/keys, unparsable addresses and booleans in one networkd file."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    problems: list[str] = []
    # configparser keeps the last of repeated keys; networkd repeats Address=/Gateway=/VLAN=, so check every line.
    parser.read_string(text)
    allowed = DOCUMENTED[Path(path).suffix]
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
            if section not in allowed:
                problems.append(f"{path}: unknown section [{section}]")
        elif "=" in line:
            key, value = line.split("=", 1)
            if key not in allowed.get(section, set()):
                problems.append(f"{path}: [{section}] has no key {key}")
            if key in ("Address", "Gateway"):
                try:
                    (ipaddress.ip_interface if key == "Address" else ipaddress.ip_address)(value)
                except ValueError:
                    problems.append(f"{path}: {key}={value} is not an address")
            if key in ("IPForward", "IPv6AcceptRA") and value not in ("yes", "no", "ipv4", "ipv6"):
                problems.append(f"{path}: {key}={value} is not a boolean")
    return problems


def test_networkd_files_use_documented_keys_and_valid_values() -> None:
    files = networkd_files(SPEC)
    assert all(p.startswith("/etc/systemd/network/") for p in files)
    assert [p for path, text in files.items() for p in networkd_problems(path, text)] == []


def test_twin_networkd_check_sees_a_misspelt_key_and_a_bad_address() -> None:
    text = networkd_files(SPEC)["/etc/systemd/network/05-public.network"]
    broken = text.replace("IPForward=yes", "IPForwarding=yes").replace(
        "Address=203.0.113.10/24", "Address=203.0.113.300/24"
    )
    assert len(networkd_problems("05-public.network", broken)) == 2


def _values(text: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(key + "=")]


def test_networkd_carries_public_addresses_gateways_and_vlans() -> None:
    files = networkd_files(SPEC)
    public = files["/etc/systemd/network/05-public.network"]
    assert _values(public, "Address") == ["203.0.113.10/24", "203.0.113.20/32", "2001:db8::10/64"]
    assert _values(public, "Gateway") == ["203.0.113.1", "2001:db8::1"]
    assert _values(files["/etc/systemd/network/06-internal.network"], "VLAN") == ["vlan101", "vlan102"]
    assert _values(files["/etc/systemd/network/07-vlan102.netdev"], "Id") == ["102"]
    vlan = files["/etc/systemd/network/07-vlan101.network"]
    assert _values(vlan, "Address") == ["10.100.0.1/30", "fe80::1/64"]  # nothing of the /64 on the link
    assert _values(vlan, "IPForward") == ["yes"] and _values(vlan, "IPv6SendRA") == ["no"]
    assert _values(vlan, "Destination") == ["2001:db8:1:1::/64"] and _values(vlan, "Gateway") == [V1_LL]


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"forwards": (PortForward("tcp", 443, "10.100.0.2"),)}, "tcp/443 of the primary address belongs to the edge"),
        ({"forwards": (PortForward("tcp", 80, "10.100.0.2", 8080),)}, "tcp/80 of the primary address"),
        ({"forwards": (PortForward("udp", 443, "10.100.0.2"),)}, "udp/443 of the primary address"),
        ({"forwards": (PortForward("tcp", 22, "10.100.0.2"),)}, "tcp/22 of the primary address"),
        ({"forwards": (PortForward("tcp", 2222, "10.100.0.1", 22),)}, "not the VM address"),
        (
            {"forwards": (PortForward("tcp", 2222, "10.100.0.2"), PortForward("tcp", 2222, "10.100.0.6"))},
            "already forwarded",
        ),
        ({"forwards": (PortForward("sctp", 2222, "10.100.0.2"),)}, "tcp or udp"),
        ({"secondaries": (SecondaryAddress("203.0.113.10", "10.100.0.6"),)}, "primary address"),
        ({"secondaries": (SecondaryAddress("203.0.113.21", "10.200.0.2"),)}, "not the VM address"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/29", "2001:db8:1:1::/64", V1_LL),)}, "RFC 1918 /30"),
        ({"hosted": (HostedNet("a", 5, "100.64.0.0/30", "2001:db8:1:1::/64", V1_LL),)}, "RFC 1918 /30"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/56", V1_LL),)}, "must be a /64"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8::/64", V1_LL),)}, "overlaps 2001:db8::/64"),
        (
            {
                "hosted": (
                    HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64", V1_LL),
                    HostedNet("b", 5, "10.0.0.4/30", "2001:db8:2::/64", V2_LL),
                )
            },
            "vlan 5 is already used",
        ),
        (
            {
                "hosted": (
                    HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64", V1_LL),
                    HostedNet("b", 6, "10.0.0.0/30", "2001:db8:2::/64", V2_LL),
                )
            },
            "overlaps 10.0.0.0/30",
        ),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64", "2001:db8:1::2"),)}, "vm_link_local"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64", "fe80::1"),)}, "not the edge's fe80::1"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64", "fe80:1::5"),)}, "in fe80::/64"),
        ({"gateway4": "198.51.100.1"}, "not in the public network"),
        ({"internal_nic": "ens18"}, "different interfaces"),
    ],
)
def test_bad_router_specs_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_router(replace(SPEC, **change))


def test_forwarding_22_is_fine_when_the_router_has_no_ssh_allowed() -> None:
    spec = replace(SPEC, admin_from=(), forwards=(PortForward("tcp", 22, "10.100.0.2"),))
    validate_router(spec)
    assert "dport 22 dnat ip to 10.100.0.2:22" in nftables_ruleset(spec)


def test_renderers_refuse_an_invalid_spec() -> None:
    bad = replace(SPEC, forwards=(PortForward("tcp", 443, "10.100.0.2"),))
    with pytest.raises(ValueError):
        nftables_ruleset(bad)
    with pytest.raises(ValueError):
        networkd_files(bad)
