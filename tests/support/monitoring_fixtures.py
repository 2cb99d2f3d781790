"""Shared inputs of the monitoring renderer tests: one tenant's params, an SSH key, a PVE token and a password."""

from __future__ import annotations

from render.monitoring import InfluxPasswords, MonitoringParams

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@example"
TOKEN = "monitoring@pve!tenant1=3f2a9c4e-1b7d-4e8a-9c2f-5d6e7f8a9b0c"
PASSWORD = "Zq7-rT9pLm2xWv4KsN8b"
PASSWORDS = InfluxPasswords(
    admin="adm-9Hq2Lx7Vw3Rt5Zk1",
    telegraf="tlg-4Nf8Jd2Qp6Ys0Wm3",
    grafana="gfn-7Ub5Xc1Ke9Ta3Lr8",
    chronograf="chr-2Mv6Pz4Hs8Dq0Gy5",
)
# Shape only (a PEM block); nothing parses the certificate.
CA_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUproxcloudtestcaonly0000000000wCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----\n"
)


def params(**overrides: object) -> MonitoringParams:
    base: dict[str, object] = {
        "tenant": "tenant1",
        "influx_address": "192.168.20.10",
        "grafana_address": "192.168.20.11",
        "chronograf_address": "192.168.20.12",
        "grafana_hostname": "grafana-tenant1.example.net",
        "chronograf_hostname": "chronograf-tenant1.example.net",
        "pve_api_url": "https://10.0.0.11:8006/api2/json",
        "pve_nodes": ("pve1", "pve2", "pve3"),
        "pve_ca_pem": CA_PEM,
    }
    base.update(overrides)
    return MonitoringParams(**base)  # type: ignore[arg-type]
