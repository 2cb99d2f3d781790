"""The proxy-as-gateway ruleset: accepted by the real nft in a namespace, and it really NATs and filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.natgw import gateway_ruleset
from tests.support.netns import netns, nft_check, run

pytestmark = pytest.mark.system  # a network namespace lab


def test_ruleset_passes_nft_check(tmp_path: Path) -> None:
    path = tmp_path / "gw.nft"
    path.write_text(gateway_ruleset(["192.168.10.0/24", "192.168.20.0/24"], "10.200.1.2"))
    with netns() as (ns,):
        result = nft_check(ns, str(path))
    assert result.returncode == 0, result.stderr


def test_nft_check_catches_a_broken_ruleset(tmp_path: Path) -> None:
    path = tmp_path / "gw.nft"
    path.write_text(gateway_ruleset(["192.168.10.0/24"], "10.200.1.2").replace("snat to", "snatt to"))
    with netns() as (ns,):
        assert nft_check(ns, str(path)).returncode != 0


def test_rejects_wan_inside_a_lan() -> None:
    with pytest.raises(ValueError, match="inside a LAN"):
        gateway_ruleset(["10.0.0.0/8"], "10.1.1.1")


def test_egress_is_natted_and_inbound_is_dropped(tmp_path: Path) -> None:
    """Three namespaces: a LAN guest, the gateway, the world. The guest reaches the world as the WAN address;
    the world cannot open a connection to the guest."""
    rules = tmp_path / "gw.nft"
    rules.write_text(gateway_ruleset(["192.168.10.0/24"], "10.9.0.1"))
    with netns(3) as (guest, gw, world):
        run("ip", "link", "add", "g0", "netns", guest, "type", "veth", "peer", "name", "l0", "netns", gw)
        run("ip", "link", "add", "w0", "netns", gw, "type", "veth", "peer", "name", "x0", "netns", world)
        for ns, dev, addr in (
            (guest, "g0", "192.168.10.5/24"),
            (gw, "l0", "192.168.10.1/24"),
            (gw, "w0", "10.9.0.1/24"),
            (world, "x0", "10.9.0.2/24"),
        ):
            run("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            run("ip", "-n", ns, "link", "set", dev, "up")
        run("ip", "-n", guest, "route", "add", "default", "via", "192.168.10.1")
        run("ip", "-n", world, "route", "add", "192.168.10.0/24", "via", "10.9.0.1")
        run("ip", "netns", "exec", gw, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "netns", "exec", gw, "nft", "-f", str(rules))
        listener = (
            "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
            "s.bind(('0.0.0.0',8080));s.listen(1);s.settimeout(5);c,a=s.accept();print(a[0])"
        )
        import subprocess
        import sys

        srv = subprocess.Popen(
            ["ip", "netns", "exec", world, sys.executable, "-c", listener], stdout=subprocess.PIPE, text=True
        )
        try:
            import time

            time.sleep(0.5)
            client = "import socket;socket.create_connection(('10.9.0.2',8080),timeout=3)"
            run("ip", "netns", "exec", guest, sys.executable, "-c", client)
            seen = srv.communicate(timeout=10)[0].strip()
        finally:
            srv.kill()
        assert seen == "10.9.0.1"  # the world saw the WAN address, not 192.168.10.5
        inbound = run(
            "ip",
            "netns",
            "exec",
            world,
            sys.executable,
            "-c",
            "import socket;socket.create_connection(('192.168.10.5',22),timeout=2)",
            check=False,
        )
        assert inbound.returncode != 0 and "timed out" in inbound.stderr


def test_with_gateway_adds_dhcp_only_when_given() -> None:
    from render.cloudinit import CloudConfig
    from render.dhcp import CONF_PATH, DhcpLan, DhcpServer, dnsmasq_conf
    from render.natgw import with_gateway

    base = CloudConfig(hostname="gw", ssh_keys=(), runcmd=(("caddy", "start"),))
    plain = with_gateway(base, ["192.168.10.0/24"], "10.9.0.1")
    assert "dnsmasq" not in plain.packages and all(f.path != CONF_PATH for f in plain.write_files)
    server = DhcpServer(
        (DhcpLan("web", "192.168.10.1", "192.168.10.0/24", "192.168.10.100", "192.168.10.199", "12h", 1450),)
    )
    served = with_gateway(base, ["192.168.10.0/24"], "10.9.0.1", server)
    assert "dnsmasq" in served.packages
    assert [f.content for f in served.write_files if f.path == CONF_PATH] == [dnsmasq_conf(server)]
    commands = [" ".join(c) for c in served.runcmd]
    check = next(i for i, c in enumerate(commands) if "dnsmasq --test" in c)
    assert commands.index("systemctl restart nftables") < check < commands.index("caddy start")
    assert commands[check].endswith("&& systemctl restart dnsmasq")  # never restarted on a config it refuses
