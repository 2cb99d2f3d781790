"""DHCP and DNS on the tenant routers: the shipped tenants' dnsmasq configs pass dnsmasq's own check, and in a
network-namespace lab the real dnsmasq serves real DHCP clients (ISC dhclient).

Lab: alpha's router RA (a bridge per VNet, the router's address on it, an uplink to W) and beta's router RB, each
running dnsmasq with the config the plan gives it; W holds the stack's upstream resolver 9.9.9.9 (a fake DNS
server answering every A query with 198.51.100.7). Clients: a new VM on alphaweb, one on alphadb, one on betaweb,
and alpha-grafana (a declared guest, by its MAC). Each runs dhclient asking for every option a client may get, the
classless static routes (121, 249) among them, and records what it was given.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from model.dhcp import dhcp_server
from model.platform import Platform
from render.dhcp import DhcpLan, DhcpServer, StaticLease, dnsmasq_conf, validate_dhcp
from render.natgw import gateway_ruleset
from tests.support.netns import netns, run

pytestmark = pytest.mark.system  # a DHCP lab in network namespaces (dnsmasq, dhclient)

ANSWER = "198.51.100.7"  # what the fake upstream resolver answers for every name


def server_of(spec: Platform, tenant: str) -> DhcpServer:
    t = next(t for t in spec.tenants if t.name == tenant)
    server = dhcp_server(t, spec.settings)
    assert server is not None
    return server


def dnsmasq_test(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "dnsmasq.conf"
    path.write_text(text)
    return run("dnsmasq", "--test", f"--conf-file={path}", check=False)


# ------------------------------------------------------------------ dnsmasq's own check


@pytest.mark.parametrize("tenant", ["alpha", "beta"])
def test_shipped_configs_pass_dnsmasqs_check(spec_dev: Platform, tenant: str, tmp_path: Path) -> None:
    result = dnsmasq_test(dnsmasq_conf(server_of(spec_dev, tenant)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "syntax check OK" in result.stderr


def test_twin_dnsmasqs_check_rejects_a_broken_config(spec_dev: Platform, tmp_path: Path) -> None:
    text = dnsmasq_conf(server_of(spec_dev, "alpha")).replace(
        "dhcp-range=set:alphaweb,192.168.10.100", "dhcp-range=set:alphaweb,192.168.10.300"
    )
    result = dnsmasq_test(text, tmp_path)
    assert result.returncode != 0 and "bad dhcp-range" in result.stderr


def test_shipped_configs_serve_only_the_lans_with_the_router_as_gateway_and_resolver(spec_dev: Platform) -> None:
    alpha = server_of(spec_dev, "alpha")
    lines = dnsmasq_conf(alpha).splitlines()
    assert [x for x in lines if x.startswith("listen-address=")] == [
        "listen-address=192.168.10.1",
        "listen-address=192.168.20.1",
    ]
    assert "bind-dynamic" in lines and "dhcp-authoritative" in lines and "no-hosts" in lines
    assert [x for x in lines if x.startswith("server=")] == ["server=9.9.9.9", "server=1.1.1.1"]
    options = [x for x in lines if x.startswith("dhcp-option=")]
    assert (
        sorted(o.split(",")[1] for o in options)
        == ["option:dns-server"] * 2 + ["option:mtu"] * 2 + ["option:router"] * 2
    )
    hosts = [x for x in lines if x.startswith("dhcp-host=")]
    assert hosts == [
        "dhcp-host=02:00:00:03:fc:00,192.168.10.20,alpha-influxdb",
        "dhcp-host=02:00:00:03:fd:00,192.168.10.21,alpha-grafana",
        "dhcp-host=02:00:00:03:fe:00,192.168.10.22,alpha-chronograf",
    ]


LAN = DhcpLan("web", "192.168.10.1", "192.168.10.0/24", "192.168.10.100", "192.168.10.199", "12h", 1450)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"router": "192.168.10.150"}, "contains the router"),
        ({"start": "192.168.10.0"}, "not an ordered range of host addresses"),
        ({"end": "192.168.11.5"}, "not an ordered range"),
        ({"start": "192.168.10.200"}, "not an ordered range"),
        ({"lease_time": "12 hours"}, "lease time"),
        ({"vnet": "web-1"}, "dnsmasq tag"),
        ({"leases": (StaticLease("02:00:00:00:00:01", "192.168.10.120", "a"),)}, "which is for dynamic leases"),
        ({"leases": (StaticLease("02:00:00:00:00:01", "192.168.10.1", "a"),)}, "the router's or another lease's"),
        ({"leases": (StaticLease("02:00:00:00:00", "192.168.10.5", "a"),)}, "not a MAC address"),
        (
            {
                "leases": (
                    StaticLease("02:00:00:00:00:01", "192.168.10.5", "a"),
                    StaticLease("02:00:00:00:00:01", "192.168.10.6", "b"),
                )
            },
            "already leased",
        ),
    ],
)
def test_bad_dhcp_servers_are_refused(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_dhcp(DhcpServer((replace(LAN, **change),)))
    validate_dhcp(DhcpServer((LAN,)))  # twin: the unchanged server passes


def test_overlapping_lans_and_bad_upstreams_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps"):
        validate_dhcp(DhcpServer((LAN, replace(LAN, vnet="other"))))
    with pytest.raises(ValueError, match="upstream"):
        validate_dhcp(DhcpServer((LAN,), ("dns.example",)))


# ------------------------------------------------------------------ the lab

# Asks for everything a DHCP server may hand out, classless static routes included (so the lab would see them).
DHCLIENT_CONF = """option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
option ms-classless-static-routes code 249 = array of unsigned integer 8;
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, interface-mtu,
    rfc3442-classless-static-routes, ms-classless-static-routes, static-routes, ntp-servers;
timeout 20;
"""
# dhclient runs its script with an environment of its own: the result file's path is written into the script. On
# a lease it configures what a client OS does (as Debian's dhclient-script and its rfc3442 hook): the address, then
# the classless static routes when given (RFC 3442: they replace the router option), else the default route.
DHCLIENT_SCRIPT = """#!{python}
import json, os, subprocess
env = {{k: v for k, v in os.environ.items() if k in ("reason", "interface") or k.startswith("new_")}}
if env.get("reason") in ("BOUND", "RENEW", "REBOOT"):
    dev = env["interface"]
    subprocess.run(["ip", "addr", "add", env["new_ip_address"] + "/" + env["new_subnet_mask"], "dev", dev], check=True)
    octets = [int(x) for x in env.get("new_rfc3442_classless_static_routes", "").split()]
    while octets:
        width = octets.pop(0)
        size = (width + 7) // 8
        net = (octets[:size] + [0, 0, 0, 0])[:4]
        via = octets[size:size + 4]
        del octets[:size + 4]
        dest = ".".join(map(str, net)) + "/" + str(width)
        subprocess.run(["ip", "route", "add", dest, "via", ".".join(map(str, via)), "dev", dev], check=True)
    if not env.get("new_rfc3442_classless_static_routes") and env.get("new_routers"):
        gateway = env["new_routers"].split()[0]
        subprocess.run(["ip", "route", "add", "default", "via", gateway, "dev", dev], check=True)
    with open("{out}", "w") as f:
        json.dump(env, f)
"""
FAKE_DNS = r"""
import select, socket, sys
# one socket per resolver address: an answer must come from the address asked (dnsmasq drops any other)
socks = []
for address in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((address, 53)); socks.append(s)
answer = socket.inet_aton(sys.argv[1])
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        q, peer = s.recvfrom(512)
        end = q.index(b"\0", 12) + 5
        s.sendto(q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:end]
                 + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + answer, peer)
"""


def dns_query(ns: str, server: str, name: str) -> str:
    """The first A record `server` answers for `name` from inside `ns`, or 'timeout' / 'refused' / 'error:...'."""
    code = r"""
import socket, struct, sys
name, server = sys.argv[1], sys.argv[2]
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + b"".join(
    bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
try:
    s.sendto(q, (server, 53)); r = s.recv(512)
    print(socket.inet_ntoa(r[-4:]) if struct.unpack(">H", r[6:8])[0] else "no answer")
except socket.timeout: print("timeout")
except ConnectionRefusedError: print("refused")
except OSError as e: print("error:" + str(e))
"""
    return run("ip", "netns", "exec", ns, sys.executable, "-c", code, name, server).stdout.strip()


@dataclass
class Lease:
    """What a client was given, as dhclient reports it."""

    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(f"new_{key}", "")

    @property
    def classless_routes(self) -> list[str]:
        return [
            k
            for k in ("new_rfc3442_classless_static_routes", "new_ms_classless_static_routes", "new_static_routes")
            if self.values.get(k)
        ]


class DhcpLab:
    """Routers RA (alpha) and RB (beta) with dnsmasq, the upstream W, the VNets as bridges in a switch namespace SW
    (as PVE's bridges on the node), and clients on the tenants' VNets. Each router's NICs are plain links: eth<N>
    on its VNets in order, then its uplink (as cloud-init names a PVE VM's NICs)."""

    CLIENTS = {  # name: (router, VNet, MAC)
        "alpha-new-web": ("ra", "alphaweb", "02:aa:00:00:00:01"),
        "alpha-new-db": ("ra", "alphadb", "02:aa:00:00:00:02"),
        "beta-new-web": ("rb", "betaweb", "02:bb:00:00:00:01"),
    }
    UPLINKS = {"ra": ("10.200.2.250", "10.200.2.249"), "rb": ("10.200.4.138", "10.200.4.137")}  # (router, edge)

    def __init__(self, names: list[str], tmp: Path, spec: Platform) -> None:
        self.tmp = tmp
        self.ns = dict(zip(["ra", "rb", "w", "sw", *self.CLIENTS, "alpha-grafana"], names, strict=True))
        grafana = next(t for t in spec.tenants if t.name == "alpha").vm("alpha-grafana").nics[0]
        self.clients = {**self.CLIENTS, "alpha-grafana": ("ra", "alphaweb", grafana.mac)}
        self.procs: list[subprocess.Popen[str]] = []
        self.runs = 0
        self.servers = {"ra": server_of(spec, "alpha"), "rb": server_of(spec, "beta")}
        w, sw = self.ns["w"], self.ns["sw"]
        ports = 0

        def plug(ns: str, dev: str, vnet: str) -> None:
            nonlocal ports
            ports += 1
            run("ip", "-n", sw, "link", "add", f"port{ports}", "type", "veth", "peer", "name", dev, "netns", ns)
            run("ip", "-n", sw, "link", "set", f"port{ports}", "master", vnet, "up")

        for router, server in self.servers.items():
            ns = self.ns[router]
            for index, lan in enumerate(server.lans):
                run("ip", "-n", sw, "link", "add", lan.vnet, "type", "bridge")
                run("ip", "-n", sw, "link", "set", lan.vnet, "up")
                plug(ns, f"eth{index}", lan.vnet)
                prefix = ipaddress.IPv4Network(lan.cidr).prefixlen
                run("ip", "-n", ns, "addr", "add", f"{lan.router}/{prefix}", "dev", f"eth{index}")
                run("ip", "-n", ns, "link", "set", f"eth{index}", "up")
            mine, edge = self.UPLINKS[router]
            wan = f"eth{len(server.lans)}"
            run("ip", "-n", ns, "link", "add", wan, "type", "veth", "peer", "name", f"to-{router}", "netns", w)
            run("ip", "-n", ns, "addr", "add", f"{mine}/30", "dev", wan)
            run("ip", "-n", w, "addr", "add", f"{edge}/30", "dev", f"to-{router}")
            run("ip", "-n", ns, "link", "set", wan, "up")
            run("ip", "-n", w, "link", "set", f"to-{router}", "up")
            run("ip", "-n", ns, "route", "add", "default", "via", edge)
            rules = tmp / f"{router}-gw.nft"  # the router's own forwarding and NAT, as it boots with them
            rules.write_text(gateway_ruleset([lan.cidr for lan in server.lans], mine))
            run("ip", "netns", "exec", ns, "nft", "-f", str(rules))
        for upstream in ("9.9.9.9", "1.1.1.1"):  # the stack's resolvers (proxcloud:dnsServers)
            run("ip", "-n", w, "addr", "add", f"{upstream}/32", "dev", "lo")
        self._spawn(w, [sys.executable, "-c", FAKE_DNS, ANSWER, "9.9.9.9", "1.1.1.1"], ready=True)
        for name, (_, vnet, mac) in self.clients.items():
            plug(self.ns[name], "eth0", vnet)
            run("ip", "-n", self.ns[name], "link", "set", "eth0", "address", mac)
            run("ip", "-n", self.ns[name], "link", "set", "eth0", "up")
        self.dnsmasq: dict[str, subprocess.Popen[str]] = {}
        for router in ("ra", "rb"):
            self.start_dnsmasq(router, dnsmasq_conf(self.servers[router]))

    def start_dnsmasq(self, router: str, text: str) -> None:
        """dnsmasq in the router's namespace on `text` (in the foreground, with its own pid and lease files)."""
        self.runs += 1
        base = self.tmp / f"{router}-{self.runs}"
        conf = base.with_suffix(".conf")
        conf.write_text(text)
        self.dnsmasq[router] = self._spawn(
            self.ns[router],
            ["dnsmasq", "--keep-in-foreground", f"--conf-file={conf}", f"--pid-file={base}.pid",
             f"--dhcp-leasefile={base}.leases", "--user=root", "--log-dhcp", "--log-queries",
             f"--log-facility={base}.log"],
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while "dnsmasq" not in run("ip", "netns", "exec", self.ns[router], "ss", "-Hlnup", "sport", "= :67").stdout:
            assert time.monotonic() < deadline, f"dnsmasq did not start in {router}: {base}.log"
            time.sleep(0.1)

    def stop_dnsmasq(self, router: str) -> None:
        proc = self.dnsmasq.pop(router)
        proc.terminate()
        proc.wait(timeout=5)

    def _spawn(self, ns: str, cmd: list[str], ready: bool = False) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.procs.append(proc)
        if ready:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return proc

    def lease(self, client: str, timeout: float = 30, dev: str = "eth0", fresh: bool = True) -> Lease | None:
        """Run dhclient (afresh: no address, route or lease kept) on the client namespace's `dev` until it is bound
        (its address and routes applied); None when no lease came."""
        ns = self.ns[client]
        if fresh:
            run("ip", "-n", ns, "addr", "flush", "dev", dev)
        self.runs += 1
        base = self.tmp / f"{client}-{self.runs}"
        out, script, conf = base.with_suffix(".lease"), base.with_suffix(".sh"), base.with_suffix(".conf")
        script.write_text(DHCLIENT_SCRIPT.format(python=sys.executable, out=out))
        script.chmod(0o755)
        conf.write_text(DHCLIENT_CONF)
        cmd = ["dhclient", "-d", "-1", "-v", "-cf", str(conf), "-sf", str(script)]
        cmd += ["-lf", f"{base}.leases", "-pf", f"{base}.pid", dev]
        proc = self._spawn(ns, cmd)
        deadline = time.monotonic() + timeout
        while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        proc.terminate()  # dhclient -d stays to renew; the lease is what counts here
        proc.wait(timeout=5)
        if not out.exists():
            return None
        return Lease(json.loads(out.read_text()))

    def routes(self, client: str) -> list[str]:
        return [line.strip() for line in run("ip", "-n", self.ns[client], "-4", "route", "show").stdout.splitlines()]

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, spec_dev: Platform) -> Iterator[DhcpLab]:
    assert os.geteuid() == 0, "the DHCP lab needs root (network namespaces)"
    with netns(8) as names:
        lab = DhcpLab(names, tmp_path_factory.mktemp("dhcp"), spec_dev)
        try:
            yield lab
        finally:
            lab.close()


def in_range(address: str, lan: DhcpLan) -> bool:
    return ipaddress.IPv4Address(lan.start) <= ipaddress.IPv4Address(address) <= ipaddress.IPv4Address(lan.end)


def test_lab_a_new_vm_on_a_tenant_vnet_gets_a_lease_gateway_and_resolver(lab: DhcpLab) -> None:
    lease = lab.lease("alpha-new-web")
    assert lease is not None, "no lease on alphaweb"
    web = lab.servers["ra"].lans[0]
    assert in_range(lease["ip_address"], web), lease.values
    assert lease["routers"] == "192.168.10.1" and lease["domain_name_servers"] == "192.168.10.1"
    assert lease["subnet_mask"] == "255.255.255.0" and lease["interface_mtu"] == "1450"
    assert lease.classless_routes == []
    # the router resolves for it: the name comes back from the stack's resolver, through dnsmasq on the LAN address
    assert dns_query(lab.ns["alpha-new-web"], "192.168.10.1", "www.example.org") == ANSWER


def test_lab_a_second_tenants_vm_gets_its_own_range_and_router(lab: DhcpLab) -> None:
    lease = lab.lease("beta-new-web")
    assert lease is not None, "no lease on betaweb"
    assert in_range(lease["ip_address"], lab.servers["rb"].lans[0]), lease.values
    assert lease["routers"] == "192.168.30.1" and lease["domain_name_servers"] == "192.168.30.1"
    assert dns_query(lab.ns["beta-new-web"], "192.168.30.1", "shop.example.org") == ANSWER


def test_lab_a_vm_on_the_db_vnet_gets_only_its_router_as_route(lab: DhcpLab) -> None:
    lease = lab.lease("alpha-new-db")
    assert lease is not None, "no lease on alphadb"
    assert in_range(lease["ip_address"], lab.servers["ra"].lans[1]), lease.values
    assert lease["routers"] == "192.168.20.1" and lease.classless_routes == []
    assert sorted(lab.routes("alpha-new-db")) == sorted(
        [
            f"192.168.20.0/24 dev eth0 proto kernel scope link src {lease['ip_address']}",
            "default via 192.168.20.1 dev eth0",
        ]
    )


def test_lab_a_declared_guest_gets_its_fixed_lease(lab: DhcpLab) -> None:
    lease = lab.lease("alpha-grafana")
    assert lease is not None and lease["ip_address"] == "192.168.10.21", lease and lease.values
    # and the router answers for its name (a lease's name; no upstream is asked for a name without a dot)
    assert dns_query(lab.ns["alpha-grafana"], "192.168.10.1", "alpha-grafana") == "192.168.10.21"


def test_lab_dnsmasq_answers_only_on_the_lans(lab: DhcpLab) -> None:
    w = lab.ns["w"]
    assert dns_query(w, "10.200.2.250", "www.example.org") in ("refused", "timeout")  # the uplink address
    listening = run("ip", "netns", "exec", lab.ns["ra"], "ss", "-Hlnu", "sport", "= :53").stdout.split()
    bound = sorted({a.rsplit(":", 1)[0] for a in listening if a.endswith(":53")})
    assert bound == ["192.168.10.1", "192.168.20.1"]


def test_lab_no_dhcp_on_the_uplink(lab: DhcpLab) -> None:
    """A DHCP client on the router's uplink (the edge's side of it) gets nothing: only the VNets are served."""
    assert lab.lease("w", timeout=8, dev="to-ra", fresh=False) is None


def test_twin_lab_sees_classless_routes_when_the_router_hands_them_out(lab: DhcpLab) -> None:
    """A router that also pushes a route (to the provider's hosting pool) on the db VNet: the client reports it,
    and gets the route, which the db test above would refuse."""
    extra = "dhcp-option=tag:alphadb,option:classless-static-route,10.200.0.0/16,192.168.20.1\n"
    lab.stop_dnsmasq("ra")
    try:
        lab.start_dnsmasq("ra", dnsmasq_conf(lab.servers["ra"]) + extra)
        lease = lab.lease("alpha-new-db")
        assert lease is not None and lease.classless_routes == ["new_rfc3442_classless_static_routes"]
        assert "10.200.0.0/16 via 192.168.20.1 dev eth0" in lab.routes("alpha-new-db")
    finally:
        lab.stop_dnsmasq("ra")
        lab.start_dnsmasq("ra", dnsmasq_conf(lab.servers["ra"]))


def test_twin_lab_no_lease_without_the_routers_dnsmasq(lab: DhcpLab) -> None:
    lab.stop_dnsmasq("rb")
    try:
        assert lab.lease("beta-new-web", timeout=8) is None
    finally:
        lab.start_dnsmasq("rb", dnsmasq_conf(lab.servers["rb"]))


def test_twin_lab_a_router_listening_on_its_uplink_serves_it(lab: DhcpLab) -> None:
    """The uplink test above can fail: with the uplink address among dnsmasq's and a range there, it is served."""
    extra = "listen-address=10.200.2.250\ndhcp-range=set:up,10.200.2.249,10.200.2.249,255.255.255.252,2m\n"
    lab.stop_dnsmasq("ra")
    try:
        lab.start_dnsmasq("ra", dnsmasq_conf(lab.servers["ra"]) + extra)
        lease = lab.lease("w", timeout=20, dev="to-ra")
        assert lease is not None and lease["ip_address"] == "10.200.2.249"
    finally:
        lab.stop_dnsmasq("ra")
        lab.start_dnsmasq("ra", dnsmasq_conf(lab.servers["ra"]))
        run("ip", "-n", lab.ns["w"], "route", "flush", "dev", "to-ra")
        run("ip", "-n", lab.ns["w"], "addr", "flush", "dev", "to-ra")
        run("ip", "-n", lab.ns["w"], "addr", "add", "10.200.2.249/30", "dev", "to-ra")
