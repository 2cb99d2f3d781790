"""telegraf.conf: real TOML, and every option of every plugin section is one Telegraf documents for that plugin.

No Telegraf binary exists here, so the allow-lists below are the option names of each plugin's sample.conf
(influxdata/telegraf at v1.39.3, commit b2726314) plus, per section kind, the options Telegraf accepts on every
plugin (docs/CONFIGURATION.md, "Input Plugins" / "Output Plugins").
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
import tomli_w

from render.monitoring import telegraf_conf, telegraf_env_file
from render.monitoring.telegraf import TOKEN_ENV, telegraf_settings
from tests.support.monitoring_fixtures import PASSWORDS, TOKEN, params

# cmd/telegraf/agent.conf (the [agent] sample) and docs/CONFIGURATION.md "Agent".
AGENT_OPTIONS = {
    "interval", "round_interval", "metric_batch_size", "metric_buffer_limit", "collection_jitter",
    "collection_offset", "flush_interval", "flush_jitter", "precision", "debug", "quiet", "logformat",
    "structured_log_message_key", "logfile", "logfile_rotation_interval", "logfile_rotation_max_size",
    "logfile_rotation_max_archives", "log_with_timezone", "hostname", "omit_hostname", "snmp_translator",
    "statefile", "always_include_local_tags", "always_include_global_tags", "skip_processors_before_aggregators",
    "skip_processors_after_aggregators", "buffer_strategy",
}  # fmt: skip
# docs/CONFIGURATION.md "Input Plugins": options every input accepts.
INPUT_COMMON = {
    "alias", "interval", "precision", "time_source", "collection_jitter", "collection_offset", "name_override",
    "name_prefix",
    "name_suffix", "tags", "log_level",
}  # fmt: skip
# docs/CONFIGURATION.md "Output Plugins": options every output accepts.
OUTPUT_COMMON = {
    "alias", "flush_interval", "flush_jitter", "metric_batch_size", "metric_buffer_limit", "name_override",
    "name_prefix", "name_suffix", "log_level",
}  # fmt: skip
# plugins/inputs/proxmox/sample.conf
PROXMOX_OPTIONS = {
    "base_url", "api_token", "node_name", "additional_vmstats_tags", "response_timeout", "tls_ca", "tls_cert",
    "tls_key", "insecure_skip_verify",
}  # fmt: skip
# plugins/outputs/influxdb/sample.conf
INFLUXDB_OUTPUT_OPTIONS = {
    "urls", "local_address", "database", "database_tag", "exclude_database_tag", "skip_database_creation",
    "retention_policy", "retention_policy_tag", "exclude_retention_policy_tag", "write_consistency", "timeout",
    "username", "password", "user_agent", "udp_payload", "tls_ca", "tls_cert", "tls_key", "insecure_skip_verify",
    "http_proxy", "http_headers", "content_encoding", "influx_uint_support", "influx_omit_timestamp",
}  # fmt: skip

ALLOWED: dict[str, set[str]] = {
    "inputs.proxmox": PROXMOX_OPTIONS | INPUT_COMMON,
    "outputs.influxdb": INFLUXDB_OUTPUT_OPTIONS | OUTPUT_COMMON,
}


def undocumented_options(conf_text: str) -> list[str]:
    """Every `section.option` of the conf that Telegraf does not document (unknown plugins count as a finding)."""
    doc = tomllib.loads(conf_text)
    problems: list[str] = []
    for top, body in doc.items():
        if top == "agent":
            problems += [f"agent.{k}" for k in body if k not in AGENT_OPTIONS]
        elif top in ("inputs", "outputs"):
            for plugin, instances in body.items():
                kind = f"{top}.{plugin}"
                if kind not in ALLOWED:
                    problems.append(f"{kind} (no allow-list: unknown plugin)")
                    continue
                for inst in instances:
                    problems += [f"{kind}.{k}" for k in inst if k not in ALLOWED[kind]]
        else:
            problems.append(f"{top} (unknown top-level table)")
    return problems


def test_conf_parses_and_every_option_is_documented() -> None:
    text = telegraf_conf(params())
    doc: dict[str, Any] = tomllib.loads(text)
    assert undocumented_options(text) == []
    assert [i["node_name"] for i in doc["inputs"]["proxmox"]] == ["pve1", "pve2", "pve3"]
    out = doc["outputs"]["influxdb"][0]
    assert out == {**out, "urls": ["http://192.168.20.10:8086"], "database": "proxmox_tenant1"}
    assert out["skip_database_creation"] is True and out["retention_policy"] == "proxcloud"


@pytest.mark.parametrize(
    ("section", "bad_key"),
    [("agent", "flush_intervall"), ("inputs.proxmox", "api_key"), ("outputs.influxdb", "db")],
)
def test_check_fails_on_an_undocumented_option(section: str, bad_key: str) -> None:
    doc = telegraf_settings(params())
    if section == "agent":
        doc["agent"][bad_key] = "x"
    else:
        top, plugin = section.split(".")
        doc[top][plugin][0][bad_key] = "x"
    assert undocumented_options(tomli_w.dumps(doc)) == [f"{section}.{bad_key}"]


def test_check_fails_on_an_unknown_plugin_and_on_broken_toml() -> None:
    assert undocumented_options('[[inputs.proxmoxx]]\nbase_url = "x"\n') == [
        "inputs.proxmoxx (no allow-list: unknown plugin)"
    ]
    with pytest.raises(tomllib.TOMLDecodeError):
        undocumented_options(telegraf_conf(params()).replace("[agent]", "[agent"))


def test_token_only_in_the_env_file() -> None:
    text = telegraf_conf(params())
    assert TOKEN.split("=")[1] not in text
    assert all(i["api_token"] == "${" + TOKEN_ENV + "}" for i in tomllib.loads(text)["inputs"]["proxmox"])
    out = tomllib.loads(text)["outputs"]["influxdb"][0]
    assert out["username"] == "telegraf" and out["password"] == "${INFLUX_PASSWORD}"
    assert PASSWORDS.telegraf not in text
    env = telegraf_env_file(TOKEN, PASSWORDS.telegraf)
    assert env == f"{TOKEN_ENV}={TOKEN}\nINFLUX_PASSWORD={PASSWORDS.telegraf}\n"


def test_malformed_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as err:
        telegraf_env_file("monitoring@pve=not-a-token", PASSWORDS.telegraf)
    assert "not-a-token" not in str(err.value)


def test_tls_ca_only_when_given() -> None:
    with_ca = tomllib.loads(telegraf_conf(params()))
    assert all(i["tls_ca"] == "/etc/telegraf/pve-ca.pem" for i in with_ca["inputs"]["proxmox"])
    without = tomllib.loads(telegraf_conf(params(pve_ca_pem="")))
    assert all("tls_ca" not in i for i in without["inputs"]["proxmox"])
