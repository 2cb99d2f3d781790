"""The provider edge router: the nftables ruleset passes `nft -c` in a throwaway namespace and, loaded into a
namespace lab (router, Internet, two hosted VMs), really does SNAT, DNAT, isolation and default drop; the networkd
files use only documented sections and keys and carry the gateways; bad specs are refused."""

from __future__ import annotations

import configparser
import ipaddress
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from render.router import (
    HostedNet,
    Port,
    PortForward,
    RouterSpec,
    SecondaryAddress,
    networkd_files,
    nftables_ruleset,
    validate_router,
)
from tests.render.netns import netns, nft_check, run

SPEC = RouterSpec(
    public_nic="ens18",
    public_ipv4="203.0.113.10/24",
    gateway4="203.0.113.1",
    public_ipv6="2001:db8::10/64",
    gateway6="2001:db8::1",
    internal_nic="ens19",
    hosted=(
        HostedNet("t1-web", 101, "10.100.0.0/30", "2001:db8:1:1::/64", open_v6=(Port("tcp", 443),)),
        HostedNet("t2-edge", 102, "10.100.0.4/30", "2001:db8:1:2::/64"),
    ),
    forwards=(PortForward("tcp", 2222, "10.100.0.2", 22),),
    secondaries=(SecondaryAddress("203.0.113.20", "10.100.0.6"),),
    admin_from=("198.51.100.0/24", "2001:db8:ffff::/48"),
)


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
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.8); print("ok:" + c.recv(100).decode())
except socket.timeout: print("timeout")
except ConnectionRefusedError: print("refused")
except OSError as e: print("error:" + str(e))
"""


class Lab:
    """Namespaces wired like the edge: router R (ens18 to the Internet W, vlan101/vlan102 to VMs V1/V2)."""

    def __init__(self, names: list[str], tmp: Path) -> None:
        self.r, self.w, self.v1, self.v2 = names
        self.tmp = tmp
        self.servers: list[subprocess.Popen[str]] = []
        r, w, v1, v2 = names
        for ns in names:  # no duplicate address detection: addresses (link-local too) are usable at once
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0")
            run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0")
        run("ip", "-n", r, "link", "add", "ens18", "type", "veth", "peer", "name", "wan0", "netns", w)
        run("ip", "-n", r, "link", "add", "vlan101", "type", "veth", "peer", "name", "eth0", "netns", v1)
        run("ip", "-n", r, "link", "add", "vlan102", "type", "veth", "peer", "name", "eth0", "netns", v2)
        for ns, dev, addrs in (
            (r, "ens18", ("203.0.113.10/24", "203.0.113.20/32", "2001:db8::10/64")),
            (r, "vlan101", ("10.100.0.1/30", "2001:db8:1:1::1/64")),
            (r, "vlan102", ("10.100.0.5/30", "2001:db8:1:2::1/64")),
            (w, "wan0", ("203.0.113.1/24", "2001:db8::1/64")),
            (v1, "eth0", ("10.100.0.2/30", "2001:db8:1:1::2/64")),
            (v2, "eth0", ("10.100.0.6/30", "2001:db8:1:2::2/64")),
        ):
            for a in addrs:
                run("ip", "-n", ns, "addr", "add", a, "dev", dev, *(["nodad"] if ":" in a else []))
            run("ip", "-n", ns, "link", "set", dev, "up")
        for ns, gw4, gw6 in ((v1, "10.100.0.1", "2001:db8:1:1::1"), (v2, "10.100.0.5", "2001:db8:1:2::1")):
            run("ip", "-n", ns, "route", "add", "default", "via", gw4)
            run("ip", "-n", ns, "-6", "route", "add", "default", "via", gw6)
        # The Internet knows the provider's IPv6 prefix is behind the router, and nothing about 10.100.0.0/16.
        run("ip", "-n", w, "-6", "route", "add", "2001:db8:1::/48", "via", "2001:db8::10")
        run("ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for ns, ports in ((w, ("8000",)), (r, ("22", "80")), (v1, ("22", "443", "8080")), (v2, ("80", "443", "8080"))):
            self._serve(ns, ports)
        # Wait until every link answers (fresh veths need a moment for IPv6), so later timeouts mean "dropped".
        for ns, host in ((v1, "2001:db8:1:1::1"), (v2, "2001:db8:1:2::1"), (w, "2001:db8::10"), (v1, "10.100.0.1")):
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

    def probe(self, ns: str, host: str, port: int) -> str:
        """'ok:<source address the server saw>', 'timeout' (dropped) or 'refused'."""
        return run("ip", "netns", "exec", ns, sys.executable, "-c", CLIENT, host, str(port)).stdout.strip()

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
    assert _values(vlan, "Address") == ["10.100.0.1/30", "2001:db8:1:1::1/64"]
    assert _values(vlan, "IPForward") == ["yes"]


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
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/29", "2001:db8:1:1::/64"),)}, "RFC 1918 /30"),
        ({"hosted": (HostedNet("a", 5, "100.64.0.0/30", "2001:db8:1:1::/64"),)}, "RFC 1918 /30"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/56"),)}, "must be a /64"),
        ({"hosted": (HostedNet("a", 5, "10.0.0.0/30", "2001:db8::/64"),)}, "overlaps 2001:db8::/64"),
        (
            {
                "hosted": (
                    HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64"),
                    HostedNet("b", 5, "10.0.0.4/30", "2001:db8:2::/64"),
                )
            },
            "vlan 5 is already used",
        ),
        (
            {
                "hosted": (
                    HostedNet("a", 5, "10.0.0.0/30", "2001:db8:1::/64"),
                    HostedNet("b", 6, "10.0.0.0/30", "2001:db8:2::/64"),
                )
            },
            "overlaps 10.0.0.0/30",
        ),
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
