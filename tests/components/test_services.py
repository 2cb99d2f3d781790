"""Setup C as planned: containers, WordPress, Zabbix and logging on every guest, extras; secrets redacted."""

from __future__ import annotations

import json

from tools.mockengine import Recording
from tools.plan import plan_document

CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
CMD = "command:remote:Command"


def _cts(plan: Recording) -> dict[str, dict]:
    return {c.inputs["initialization"]["hostname"]: c.inputs for c in plan.by_type(CT)}


def test_containers_unprivileged_firewalled_in_the_pool(plan: Recording) -> None:
    cts = _cts(plan)
    assert set(cts) == {"keepers-wp-web", "keepers-wp-db", "keepers-vaultwarden", "keepers-cloudflared"}
    for name, c in cts.items():
        assert c["unprivileged"] is True and c["poolId"] == "keepers"
        assert all(n["firewall"] is True for n in c["networkInterfaces"])
        assert c["tags"] == sorted(c["tags"])
        nesting = (c.get("features") or {}).get("nesting", False)
        assert nesting is (name in ("keepers-vaultwarden", "keepers-cloudflared")), name  # Docker only
    assert cts["keepers-wp-db"]["networkInterfaces"][0]["bridge"] == "keepdb"
    templates = [f.inputs for f in plan.by_type("proxmoxve:download/file:File") if f.inputs["contentType"] == "vztmpl"]
    assert templates and all(len(t["checksum"]) == 128 for t in templates)


def test_wordpress_provisioning_is_secret_and_runs_in_the_containers(plan: Recording) -> None:
    web = plan.one(CMD, "keepers-wordpress-web-provision-wordpress").inputs
    db = plan.one(CMD, "keepers-wordpress-db-provision-mariadb").inputs
    assert web["stdin"] == "[secret]" and db["stdin"] == "[secret]"
    assert web["create"].endswith("pct exec 5031 -- bash -s") and "pct exec 5032" in db["create"]
    assert web["connection"] == "[secret]"


def test_zabbix_agent_and_rsyslog_on_every_other_guest(plan: Recording) -> None:
    guests = {"keepers-proxy", "keepers-wp-web", "keepers-wp-db", "keepers-vaultwarden", "keepers-cloudflared"}
    agents = {c.name.removeprefix("keepers-zabbix-agent-") for c in plan.by_type(CMD) if "-zabbix-agent-" in c.name}
    logs = {c.name.removeprefix("keepers-logging-rsyslog-") for c in plan.by_type(CMD) if "-logging-rsyslog-" in c.name}
    assert agents == guests | {"keepers-graylog"}
    assert logs == guests | {"keepers-zabbix"}
    vm_agent = plan.one(CMD, "keepers-zabbix-agent-keepers-proxy").inputs
    assert "qm guest exec 5090" in vm_agent["create"] and "Server=192.168.70.40" in vm_agent["stdin"]
    ct_log = plan.one(CMD, "keepers-logging-rsyslog-keepers-wp-db").inputs
    assert ct_log["create"] == "pct exec 5032 -- bash -s" and "192.168.70.41" in ct_log["stdin"]


def test_extras_off_unless_asked_and_tokens_secret(plan: Recording) -> None:
    names = {c.name for c in plan.by_type(CMD) if c.name.startswith("keepers-extras-")}
    assert names == {
        "keepers-extras-vaultwarden-provision-vaultwarden",
        "keepers-extras-cloudflared-provision-cloudflared",
    }
    assert all(plan.one(CMD, n).inputs["stdin"] == "[secret]" for n in names)
    assert not any("twingate" in r.name for r in plan.resources)  # not asked for


def test_routes_of_setup_c(plan: Recording) -> None:
    routes = plan.one(CMD, "keepers-proxy-routes").inputs["stdin"]
    for host in (
        "blog.keepers.example.org",
        "zabbix.keepers.example.org",
        "vault.keepers.example.org",
        "logs.keepers.example.org",
    ):
        assert host in routes


def test_no_generated_secret_in_the_plan(plan: Recording) -> None:
    assert "mock-password-" not in json.dumps(plan_document("proxcloud", "x", plan))
