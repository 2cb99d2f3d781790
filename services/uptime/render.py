"""Uptime Kuma as a Docker Compose project: the web UI published only on the container's internal address, for
the tenant's proxy. Pure: values in, text out; the inputs are already checked at load (services/uptime/model.py)."""

from __future__ import annotations

import yaml

from render.provision import ComposeProject

IMAGE = "louislam/uptime-kuma:1.23.16"  # pinned; the 1.x line the project documents for Docker
PORT = 3001  # Uptime Kuma's default listening port (UPTIME_KUMA_PORT)


def uptime_compose(listen_address: str) -> str:
    doc = {
        "name": "uptime",
        "services": {
            "uptime-kuma": {
                "image": IMAGE,
                "restart": "unless-stopped",
                "ports": [f"{listen_address}:{PORT}:{PORT}"],
                "volumes": ["uptime-data:/app/data"],
            }
        },
        "volumes": {"uptime-data": {}},
    }
    return "# Managed by proxcloud (services/uptime/render.py).\n" + yaml.safe_dump(doc, sort_keys=False)


def uptime_project(listen_address: str) -> ComposeProject:
    """No secret: Uptime Kuma asks for its admin account on first visit (publish it with allow_from until then)."""
    return ComposeProject("uptime", uptime_compose(listen_address), "# no secrets\n")
