"""Reads one namespace of the Pulumi stack config as plain Python values, for the spec layer."""

from __future__ import annotations

from typing import Any

from pulumi.runtime import config as runtime_config

from model.files import config_value


def namespace_config(namespace: str) -> dict[str, Any]:
    """Every `<namespace>:<key>` of the stack config, keyed by `<key>`; JSON objects and lists parsed.

    The engine hands config to the program as strings (structured values JSON-encoded), either set in-process
    or through PULUMI_CONFIG; both are read so that unknown keys can be reported, not silently ignored.
    """
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{namespace}:"
    out: dict[str, Any] = {}
    for key in sorted(k for k in keys if k.startswith(prefix)):
        out[key[len(prefix) :]] = config_value(runtime_config.get_config(key))
    return out


def pve_api_url() -> str:
    """The PVE API base as API clients (Telegraf) want it: `proxmoxve:endpoint` + `api2/json`."""
    import pulumi

    endpoint = pulumi.Config("proxmoxve").require("endpoint").rstrip("/")
    return endpoint if endpoint.endswith("/api2/json") else f"{endpoint}/api2/json"
