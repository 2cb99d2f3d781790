"""model/types.py: each shared type is at least as strict as every renderer check and PVE format its values reach
(so those checks cannot fire on loaded input), and refuses what the issue lists (twins: the rules do refuse)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fakepve.formats import NAMED
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import render.desktop
import render.edge
import render.extras
import render.humhub
import render.wordpress
import render.zabbix
from model import models, types

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv1gq6r0pWj0lAo3P1sH3t2kq2m5Jm4oYkR3J8Kx7yQ ops@proxcloud"


def accepts(type_: Any, value: object) -> bool:
    try:
        TypeAdapter(type_).validate_python(value, strict=True)
        return True
    except ValidationError:
        return False


TRICKY = "abz09-._@A'\" /\\$`\t\n\u200b\u200f\u202e\u2028\uff41\u00e9:%"
tricky_text = st.text(st.sampled_from(TRICKY), max_size=24)
label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
host_like = st.one_of(
    tricky_text,
    st.lists(st.one_of(label, tricky_text), min_size=1, max_size=4).map(".".join),
    st.lists(label, min_size=2, max_size=4).map(".".join),
)
mail_like = st.one_of(tricky_text, st.tuples(st.one_of(label, tricky_text), host_like).map(lambda p: f"{p[0]}@{p[1]}"))


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(value=host_like)
def test_host_names_the_spec_accepts_every_renderer_accepts(value: str) -> None:
    if accepts(types.HostName, value):
        assert render.edge._check_host(value) is None, value  # the proxy's routes (Caddy, NPM)
        assert render.humhub._HOST_RE.match(value) and render.wordpress._HOST_RE.match(value)
        assert render.extras._HOST_RE.match(value), value  # Vaultwarden's DOMAIN
        assert NAMED["dns-name"](value) is None, value


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(value=mail_like)
def test_emails_the_spec_accepts_every_renderer_and_pve_accept(value: str) -> None:
    if accepts(types.Email, value):
        assert render.edge.validate_acme_email(value) == value  # Let's Encrypt and NPM's admin (env file in quotes)
        assert NAMED["email"](value) is None, value  # a PVE user's e-mail
        assert "'" not in value and '"' not in value and "\\" not in value


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(value=st.one_of(tricky_text, label))
def test_names_the_spec_accepts_every_consumer_accepts(value: str) -> None:
    if accepts(types.HostLabel, value):  # a guest's host name: cloud-init, the desktop, Zabbix, Twingate's label
        assert re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", value)
        assert render.extras._HOST_RE.match(value)
        assert render.zabbix._HOSTNAME_RE.match(value) and render.desktop._LABEL_RE.match(value)
    if accepts(types.Bridge, value):
        assert NAMED["pve-bridge-id"](value) is None, value
    if accepts(types.NodeName, value):
        assert NAMED["pve-node"](value) is None, value
    if accepts(types.StorageId, value):
        assert NAMED["pve-storage-id"](value) is None, value
    if accepts(models.TwingateNetwork, value):
        assert render.extras._NETWORK_RE.match(value)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        tricky_text, st.text(max_size=120), st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}(\.[0-9])?", fullmatch=True)
    )
)
def test_service_settings_the_spec_accepts_the_renderers_accept(value: str) -> None:
    if accepts(models.HumHubSiteName, value):  # the test instance shows it with " (test)"
        for name in (value, f"{value} (test)"):
            assert name and name.isprintable() and len(name) <= 100
    if accepts(models.WordPressTitle, value):
        assert value and value.isprintable() and len(value) <= 100
    if accepts(models.HumHubAdmin, value):
        assert render.humhub._ADMIN_RE.match(value)
    if accepts(models.WordPressAdmin, value):
        assert render.wordpress._ADMIN_RE.match(value)
    if accepts(models.HumHubVersion, value):
        assert render.humhub._VERSION_RE.match(value)
    if accepts(models.WordPressVersion, value):
        assert render.wordpress._VERSION_RE.match(value)


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        (types.HostName, ""),
        (types.HostName, "x" * 300 + ".example.org"),
        (types.HostName, "zab\tbix.example.org"),
        (types.HostName, "zabbix\u200f.example.org"),
        (types.HostName, "10.0.0.1"),
        (types.HostName, "localhost"),
        (types.Email, "o'brien@example.org"),
        (types.Email, "a@b.c"),
        (types.Bridge, "../vmbr0"),
        (types.Bridge, ""),
        (types.HostLabel, "ed\u202ege"),
        (types.HostLabel, "\uff45\uff44\uff47\uff45"),  # fullwidth "edge"
        (types.HostOrAddress, ""),
        (types.PbsUser, ""),
        (types.SshPublicKey, KEY[:-9] + "\0" + KEY[-9:]),
        (types.SshPublicKey, KEY[:-9] + "\u2028" + KEY[-9:]),
        (types.SshPublicKey, KEY[:-9] + "\u200b" + KEY[-9:]),
        (types.SshPublicKey, KEY.replace("AAAAC3", "AAAAB3")),  # the blob names another key type
        (types.SshPublicKey, "ssh-ed25519"),
        (types.IPv4, True),
        (types.IPv4, 167969547),
        (types.IPv6, 12345),
        (types.IPv4Cidr, "10.0.0.1/24"),
        (types.HttpsUrl, ""),
        (types.HttpsUrl, "http://example.org/a"),
        (types.HttpsUrl, "https://user:pw@example.org/a"),
        (types.HttpsUrl, "https://example.org/a b"),
        (types.FileName, "deb\tian.qcow2"),
        (types.FileName, "../x.qcow2"),
        (types.Sha256, ""),
        (models.HumHubSiteName, "x" * 94),
        (models.HumHubSiteName, "Com\u2028munity"),
        (types.Text(), " padded "),
    ],
    ids=lambda v: repr(v)[:30] if isinstance(v, str | int) else getattr(v, "__name__", None) or "type",
)
def test_refused(type_: Any, value: object) -> None:
    assert not accepts(type_, value)


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        (types.HostName, "community.example.org"),
        (types.Email, "tom.keeper@keepers.example.org"),
        (types.Bridge, "vmbr0"),
        (types.SshPublicKey, KEY),
        (types.SshPublicKey, KEY.rsplit(" ", 1)[0]),  # without a comment
        (types.IPv4, "10.99.0.11"),
        (types.HttpsUrl, "https://cloud.debian.org/images/x.qcow2"),
        (models.HumHubSiteName, "Keepers' Logs & Co."),
        (types.Text(), "a plain line, with 'quotes' and $dollars"),
    ],
)
def test_accepted(type_: Any, value: object) -> None:
    """Twin: the rules are not so strict that real values fail."""
    assert accepts(type_, value)


def test_checksums_and_template_urls() -> None:
    with pytest.raises(types.Invalid, match="not 128 lower-case hex digits"):
        types.check_checksum("0" * 64, "sha512")
    assert types.check_checksum("0" * 128, "sha512")
    assert types.check_url("http://download.proxmox.com/images/system/x.tar.zst", types.TEMPLATE_HTTP_HOSTS)
    with pytest.raises(types.Invalid, match="is not an https URL"):
        types.check_url("http://example.org/x.tar.zst", types.TEMPLATE_HTTP_HOSTS)
