"""The Caddy engine and the shared route validation: the real `caddy validate` accepts the Caddyfile, and `caddy
adapt` shows what it means (ACME e-mail, HSTS, 403 before proxying for outsiders, upstream dial addresses)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.proxy.render import Route, caddyfile, validate_routes

EMAIL = "ops@example.net"
ROUTES = (
    Route("humhub.example.net", "10.10.10.6", 80),
    Route("test.example.net", "10.10.10.7", 80, allow_from=("203.0.113.0/24", "2001:db8::/32")),
    Route("api.example.net", "fd00:10::5", 8443, scheme="https", websocket=False),
)


def _caddy(text: str, tmp_path: Path, verb: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("caddy")
    assert exe, "caddy is not installed: run `make test`, which installs deps/apt-*.txt"
    path = tmp_path / "Caddyfile"
    path.write_text(text)
    return subprocess.run(
        [exe, verb, "--config", str(path), "--adapter", "caddyfile"], capture_output=True, text=True, check=False
    )


def _site(config: dict[str, Any], host: str) -> list[dict[str, Any]]:
    """The subroutes Caddy runs for `host`, in order."""
    for route in config["apps"]["http"]["servers"]["srv0"]["routes"]:
        if route["match"] == [{"host": [host]}]:
            return route["handle"][0]["routes"]
    raise AssertionError(f"no site for {host}")


def _handlers(site: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every handler of a site in order (Caddy merges neighbouring unmatched handlers into one subroute)."""
    return [h for r in site for h in r["handle"]]


def test_caddyfile_passes_caddy_validate(tmp_path: Path) -> None:
    result = _caddy(caddyfile(ROUTES, EMAIL), tmp_path, "validate")
    assert result.returncode == 0, result.stderr
    assert "not formatted" not in result.stderr  # the file is what `caddy fmt` would write


def test_twin_caddy_validate_rejects_a_broken_caddyfile(tmp_path: Path) -> None:
    broken = caddyfile(ROUTES, EMAIL).replace("reverse_proxy", "reverse_proxyy", 1)
    assert _caddy(broken, tmp_path, "validate").returncode != 0


def test_caddyfile_means_acme_hsts_allow_list_and_proxying(tmp_path: Path) -> None:
    result = _caddy(caddyfile(ROUTES, EMAIL), tmp_path, "adapt")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    issuers = [i for p in config["apps"]["tls"]["automation"]["policies"] for i in p.get("issuers", [])]
    assert {i.get("email") for i in issuers} == {EMAIL}
    assert "automatic_https" not in config["apps"]["http"]["servers"]["srv0"]  # redirects stay Caddy's default

    guarded = _site(config, "test.example.net")
    handlers = [h["handler"] for h in _handlers(guarded)]
    assert handlers == ["headers", "static_response", "reverse_proxy"]
    assert guarded[0]["handle"][0]["response"]["set"]["Strict-Transport-Security"] == ["max-age=31536000"]
    assert guarded[1]["handle"][0]["status_code"] == 403
    assert guarded[1]["match"] == [{"not": [{"remote_ip": {"ranges": ["203.0.113.0/24", "2001:db8::/32"]}}]}]
    assert guarded[2]["handle"][0]["upstreams"] == [{"dial": "10.10.10.7:80"}]

    open_site = _site(config, "humhub.example.net")
    assert [h["handler"] for h in _handlers(open_site)] == ["headers", "reverse_proxy"]

    no_ws = _site(config, "api.example.net")
    assert no_ws[1]["match"] == [{"header": {"Connection": ["*Upgrade*"]}}]
    assert no_ws[1]["handle"][0]["status_code"] == 400
    tls_upstream = _handlers(no_ws)[-1]
    assert tls_upstream["upstreams"] == [{"dial": "[fd00:10::5]:8443"}]
    assert "tls" in tls_upstream["transport"]


def test_twin_meaning_check_sees_a_missing_allow_list(tmp_path: Path) -> None:
    text = caddyfile(ROUTES, EMAIL)
    broken = "\n".join(line for line in text.splitlines() if "@outside" not in line) + "\n"
    config = json.loads(_caddy(broken, tmp_path, "adapt").stdout)
    handlers = [h["handler"] for h in _handlers(_site(config, "test.example.net"))]
    assert handlers != ["headers", "static_response", "reverse_proxy"]


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        ((Route("a.example.net", "10.0.0.1", 80), Route("a.example.net", "10.0.0.2", 80)), "already routed"),
        ((Route("A.example.net", "10.0.0.1", 80),), "lower case"),
        ((Route("localhost", "10.0.0.1", 80),), "two labels"),
        ((Route("bad_name.example.net", "10.0.0.1", 80),), "invalid label"),
        ((Route("-x.example.net", "10.0.0.1", 80),), "invalid label"),
        ((Route("10.0.0.1", "10.0.0.1", 80),), "IP address"),
        ((Route("a.example.net", "10.0.0.1", 0),), "upstream_port"),
        ((Route("a.example.net", "10.0.0.1", 70000),), "upstream_port"),
        ((Route("a.example.net", "not an address!", 80),), "upstream_address"),
        ((Route("a.example.net", "10.0.0.1", 80, scheme="ftp"),), "scheme"),
        ((Route("a.example.net", "10.0.0.1", 80, allow_from=("10.0.0.1/8",)),), "allow_from"),
    ],
)
def test_bad_routes_are_refused_with_the_route_named(routes: tuple[Route, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        validate_routes(routes)
    assert repr(routes[-1].host) in str(info.value)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValueError) as info:
        validate_routes((Route("A.example.net", "10.0.0.1", 0), Route("b.example.net", "x y", 80)))
    assert str(info.value).count("\n") == 3


def test_caddyfile_refuses_a_bad_acme_email() -> None:
    with pytest.raises(ValueError, match="acme_email"):
        caddyfile(ROUTES, "not-an-email")


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(st.lists(st.tuples(_label, _label), min_size=1, max_size=6, unique=True))
def test_valid_route_lists_render_one_site_per_host(names: list[tuple[str, str]]) -> None:
    routes = [Route(f"{a}.{b}.example.net", "10.0.0.1", 80) for a, b in names]
    text = caddyfile(routes, EMAIL)
    for r in routes:
        assert text.count(f"\n{r.host} {{\n") == 1
