"""The data path, for real: Debian's InfluxDB 1.x with our config and setup script, points in exactly the shape
Telegraf's proxmox input writes (written as the `telegraf` user), and every InfluxQL query of both dashboards
(macros substituted as Grafana does, run as the read-only `grafana` user) returns data. Plus the privileges:
who may write, who may only read, and that nothing works without credentials."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from render.monitoring import (
    InfluxPasswords,
    MonitoringParams,
    dashboard_cluster,
    dashboard_guests,
    dashboard_queries,
    influxdb_conf,
    influxdb_setup_script,
)
from tests.support import telegraf_proxmox_shape as telegraf
from tests.support.monitoring_fixtures import PASSWORDS, params

pytestmark = pytest.mark.system  # a real InfluxDB daemon

NODES = ("pve1", "pve2", "pve3")
SEARCH_DOMAIN = "example.net"  # node_fqdn = node_name + "." + search domain (proxmox.go)
RANGE_S = 3600  # the dashboard range of the test: last hour
INTERVAL = "1m"  # what Grafana computes for $__interval on a 1 h range (range / max data points, >= timeInterval)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Influx:
    params: MonitoringParams
    url: str

    def query(self, q: str, user: str = "grafana", password: str | None = None) -> dict[str, Any]:
        """Run InfluxQL as `user` (default: Grafana's read-only user); `user=""` sends no credentials."""
        args = {"db": self.params.db, "q": q, "epoch": "ms"}
        if user:
            args |= {"u": user, "p": password if password is not None else getattr(PASSWORDS, user)}
        qs = urllib.parse.urlencode(args)
        try:
            with urllib.request.urlopen(f"{self.url}/query?{qs}", timeout=10) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:  # InfluxQL errors come back as 400 with a JSON body
            return json.loads(err.read())

    def write(self, lines: list[str], user: str = "telegraf") -> int:
        """Write line protocol as `user` (default: Telegraf's write-only user, as telegraf.conf does); HTTP status."""
        args = {"db": self.params.db, "rp": self.params.retention_policy, "precision": "ns"}
        if user:
            args |= {"u": user, "p": getattr(PASSWORDS, user)}
        req = urllib.request.Request(
            f"{self.url}/write?{urllib.parse.urlencode(args)}", data="\n".join(lines).encode(), method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as err:
            return int(err.code)


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influx]:
    exe = shutil.which("influxd")
    assert exe and shutil.which("influx"), "influxdb/influxdb-client are not installed: run `make test` (deps/apt-*)"
    tmp = tmp_path_factory.mktemp("influx")
    p = params(influx_address="127.0.0.1", influx_port=_free_port())
    conf = tmp / "influxdb.conf"
    conf.write_text(influxdb_conf(p, root=str(tmp / "var"), rpc_port=_free_port()))
    log = (tmp / "influxd.log").open("w")
    proc = subprocess.Popen([exe, "-config", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{p.influx_port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ping", timeout=1) as resp:
                    if resp.status == 204:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert proc.poll() is None, f"influxd exited: {(tmp / 'influxd.log').read_text()}"
            assert time.monotonic() < deadline, "influxd did not become ready in 30 s"
            time.sleep(0.1)
        setup = subprocess.run(
            ["sh", "-c", influxdb_setup_script(p, PASSWORDS)], capture_output=True, text=True, check=False
        )
        assert setup.returncode == 0, setup.stdout + setup.stderr
        # Meta, data and WAL live in the temp dir (the rendered conf's `root`), nothing under /var.
        assert (tmp / "var" / "meta" / "meta.db").is_file()
        yield Influx(p, url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _guests() -> list[dict[str, str]]:
    guests = []
    for n, node in enumerate(NODES):
        for g in range(3):
            vmid = str(100 + n * 10 + g)
            kind = "qemu" if g < 2 else "lxc"
            name = f"{kind}-{node}-{g}"
            guests.append(
                {
                    "node_fqdn": f"{node}.{SEARCH_DOMAIN}",
                    "vm_name": name,
                    "vm_fqdn": f"{name}.{SEARCH_DOMAIN}",
                    "vm_type": kind,
                    "vm_id": vmid,
                }
            )
    return guests


@pytest.fixture(scope="module")
def telegraf_points(influx: Influx) -> tuple[int, int]:
    """Thirty minutes of 10 s samples for 9 guests on 3 nodes, ending now; returns the test's time range (ms)."""
    now_s = int(time.time())
    lines = []
    for i, tags in enumerate(_guests()):
        for step in range(180):
            t = now_s - 1800 + step * 10
            mem_total, disk_total = 2 * 2**30, 50 * 2**30
            mem_used, disk_used = 2**29 + i * 2**20 + step * 4096, 10 * 2**30 + i * 2**20
            fields: dict[str, int | float | str] = {
                "status": "running",
                "uptime": 86400 + step * 10,
                "cpuload": 0.05 + (i % 4) * 0.1 + (step % 7) * 0.01,
                "mem_used": mem_used,
                "mem_total": mem_total,
                "mem_free": mem_total - mem_used,
                "mem_used_percentage": mem_used * 100 / mem_total,
                "swap_used": 0,
                "swap_total": 0,
                "swap_free": 0,
                "swap_used_percentage": 0.0,
                "disk_used": disk_used,
                "disk_total": disk_total,
                "disk_free": disk_total - disk_used,
                "disk_used_percentage": disk_used * 100 / disk_total,
                "disk_read_bytes": 10**9 + step * 40960 * (i + 1),
                "disk_write_bytes": 2 * 10**9 + step * 81920 * (i + 1),
                "net_in_bytes": 5 * 10**8 + step * 12500 * (i + 1),
                "net_out_bytes": 3 * 10**8 + step * 6250 * (i + 1),
            }
            lines.append(telegraf.line(tags, fields, t * 10**9))
    assert influx.write(lines) == 204
    return (now_s - RANGE_S) * 1000, (now_s + 1) * 1000


def _regex_escape(value: str) -> str:
    """Grafana's escapeRegex (@grafana/data) on each variable value the InfluxDB data source puts in a regex."""
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def grafana_interpolate(query: str, time_range: tuple[int, int], variables: dict[str, list[str]]) -> str:
    """Substitute what Grafana substitutes in a raw InfluxQL query: $timeFilter, $__interval and variables
    (one value: the escaped value; several: `(a|b)` of escaped values, as for a multi-value or All selection)."""
    start, end = time_range
    q = query.replace("$timeFilter", f"time >= {start}ms and time <= {end}ms").replace("$__interval", INTERVAL)
    for name, values in variables.items():
        escaped = [_regex_escape(v) for v in values]
        q = q.replace(f"${name}", escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")")
    assert not re.search(r"\$(?!tag_)[A-Za-z_]", q), f"unsubstituted macro in {q}"
    return q


def rows_with_values(result: dict[str, Any]) -> int:
    """Number of rows with at least one non-null value, after asserting InfluxDB reported no error."""
    assert "error" not in result, result
    rows = 0
    for statement in result["results"]:
        assert "error" not in statement, statement["error"]
        for series in statement.get("series", []):
            rows += sum(1 for row in series["values"] if any(v is not None for v in row[1:]))
    return rows


SELECTIONS = {
    "all": {"node": [f"{n}.{SEARCH_DOMAIN}" for n in NODES], "vm": [g["vm_name"] for g in _guests()]},
    "one": {"node": [f"pve2.{SEARCH_DOMAIN}"], "vm": ["qemu-pve2-1"]},
}


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
@pytest.mark.parametrize("dashboard", ["cluster", "guests"])
def test_every_dashboard_query_returns_data(
    influx: Influx, telegraf_points: tuple[int, int], dashboard: str, selection: str
) -> None:
    dash = (dashboard_cluster if dashboard == "cluster" else dashboard_guests)(influx.params)
    queries = dashboard_queries(dash)
    assert queries
    empty = []
    for q in queries:
        rendered = grafana_interpolate(q, telegraf_points, SELECTIONS[selection])
        if rows_with_values(influx.query(rendered)) == 0:
            empty.append(rendered)
    assert empty == [], "queries without data:\n" + "\n".join(empty)


def test_node_variable_lists_every_node(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    q = dashboard_queries(dashboard_guests(influx.params))[0]
    series = influx.query(grafana_interpolate(q, telegraf_points, {}))["results"][0]["series"][0]
    assert sorted(v[1] for v in series["values"]) == [f"{n}.{SEARCH_DOMAIN}" for n in NODES]


def test_check_fails_on_a_query_for_a_field_telegraf_does_not_write(
    influx: Influx, telegraf_points: tuple[int, int]
) -> None:
    q = dashboard_queries(dashboard_cluster(influx.params))[0].replace('"cpuload"', '"cpu_load"')
    assert rows_with_values(influx.query(grafana_interpolate(q, telegraf_points, {}))) == 0


def test_check_fails_on_a_tag_telegraf_does_not_write(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    q = dashboard_queries(dashboard_guests(influx.params))[2].replace('"node_fqdn"', '"node"')
    assert rows_with_values(influx.query(grafana_interpolate(q, telegraf_points, SELECTIONS["one"]))) == 0


def test_check_fails_outside_the_time_range(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    start, _ = telegraf_points
    q = dashboard_queries(dashboard_guests(influx.params))[2]
    assert rows_with_values(influx.query(grafana_interpolate(q, (start - 7200_000, start), SELECTIONS["all"]))) == 0


def test_check_fails_on_an_influxql_error(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    q = dashboard_queries(dashboard_cluster(influx.params))[0].replace("GROUP BY", "GROUP")
    with pytest.raises(AssertionError):
        rows_with_values(influx.query(grafana_interpolate(q, telegraf_points, {})))


def _setup(p: MonitoringParams, passwords: InfluxPasswords) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", influxdb_setup_script(p, passwords)], capture_output=True, text=True, check=False
    )


def test_setup_created_the_policy_and_converges_on_a_new_retention(influx: Influx) -> None:
    def policies() -> list[list[Any]]:
        result = influx.query(f'SHOW RETENTION POLICIES ON "{influx.params.db}"', "admin")
        return result["results"][0]["series"][0]["values"]

    assert [(p[0], p[1], p[4]) for p in policies()] == [("proxcloud", "720h0m0s", True)]
    longer = MonitoringParams(**{**influx.params.__dict__, "retention": "12w"})
    rerun = _setup(longer, PASSWORDS)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert [(p[0], p[1], p[4]) for p in policies()] == [("proxcloud", "2016h0m0s", True)]
    back = _setup(influx.params, PASSWORDS)
    assert back.returncode == 0 and [(p[0], p[1]) for p in policies()] == [("proxcloud", "720h0m0s")]


def test_setup_converges_a_changed_client_password(influx: Influx) -> None:
    new = InfluxPasswords(**{**PASSWORDS.__dict__, "chronograf": "chr-NEW-0000000000000"})
    assert _setup(influx.params, new).returncode == 0
    try:
        shown = influx.query("SHOW MEASUREMENTS", "chronograf", new.chronograf)
        assert shown["results"][0]["series"][0]["values"] == [["proxmox"]]
        assert "error" in influx.query("SHOW MEASUREMENTS", "chronograf", PASSWORDS.chronograf)
    finally:
        assert _setup(influx.params, PASSWORDS).returncode == 0


def test_setup_fails_with_a_wrong_admin_password(influx: Influx) -> None:
    wrong = InfluxPasswords(**{**PASSWORDS.__dict__, "admin": "adm-WRONG-00000000000"})
    p = influx.params
    result = subprocess.run(
        ["sh", "-c", influxdb_setup_script(p, wrong, wait_seconds=2)], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0 and "refused the admin" in result.stderr


def test_readers_read_and_nothing_without_credentials(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    for reader in ("grafana", "chronograf"):
        assert rows_with_values(influx.query('SELECT last("cpuload") FROM "proxmox"', reader)) == 1
    assert "error" in influx.query('SELECT last("cpuload") FROM "proxmox"', "")
    assert "error" in influx.query('SELECT last("cpuload") FROM "proxmox"', "grafana", "not-the-password-123")
    # Telegraf may write, not read.
    assert "error" in influx.query('SELECT last("cpuload") FROM "proxmox"', "telegraf")


def test_readers_cannot_write_or_drop(influx: Influx, telegraf_points: tuple[int, int]) -> None:
    point = "proxmox,node_fqdn=x,vm_name=x,vm_fqdn=x,vm_type=qemu,vm_id=1 cpuload=0.5"
    for reader in ("grafana", "chronograf"):
        assert influx.write([point], reader) == 403
        assert "error" in influx.query(f'DROP DATABASE "{influx.params.db}"', reader)
    assert influx.write([point], "") == 401
    assert rows_with_values(influx.query('SELECT count("cpuload") FROM "proxmox" WHERE "node_fqdn" = \'x\'')) == 0
