"""WordPress renderers: validation names the field, secrets stay out of argv/logs, the vhost and ports.conf pass the
real `apache2ctl -t` (Debian's apache2, in a copy of its /etc/apache2), the scripts pass shellcheck."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from render.wordpress import (
    SALT_NAMES,
    WordPressSiteError,
    apache_ports_conf,
    apache_vhost,
    db_script,
    mariadb_conf,
    web_packages,
    web_script,
    wp_config_php,
)
from tests.support.shell import shellcheck
from tests.support.wordpress_site import ADMIN_PW, DB_PW, SALTS, site


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("public_host", "Blog.Example"),
        ("web_address", "wp-web"),
        ("db_address", "0.0.0.0"),
        ("reverse_proxies", ("10.0.0.0/8",)),
        ("download_url", "http://wordpress.org/latest.tar.gz"),
        ("download_sha256", "ABC"),
        ("db_user", "wp-user"),
        ("table_prefix", "wp"),
        ("php_version", "8.3"),
        ("listen_port", 0),
        ("admin_email", "nobody"),
    ],
)
def test_bad_fields_are_named(field: str, value: object) -> None:
    with pytest.raises(WordPressSiteError, match=f"WordPressSite.{field} = "):
        site(**{field: value})


def test_secrets_are_checked() -> None:
    with pytest.raises(WordPressSiteError, match="db_password"):
        db_script(site(), "short")
    with pytest.raises(WordPressSiteError, match="admin_password"):
        web_script(site(), DB_PW, "short", SALTS)
    with pytest.raises(WordPressSiteError, match="salts: give exactly"):
        web_script(site(), DB_PW, ADMIN_PW, {k: v for k, v in SALTS.items() if k != "NONCE_SALT"})
    with pytest.raises(WordPressSiteError, match=r"salts\[AUTH_KEY\]"):
        web_script(site(), DB_PW, ADMIN_PW, {**SALTS, "AUTH_KEY": "too short"})


def test_mariadb_listens_on_the_db_address_and_matches_by_ip() -> None:
    conf = mariadb_conf(site())
    assert "bind-address = 192.168.60.12\n" in conf and "skip-name-resolve\n" in conf


def test_db_script_grants_only_to_the_web_address() -> None:
    text = db_script(site(), DB_PW)
    assert "readonly WEB_ADDRESS=192.168.50.11\n" in text
    assert "GRANT ALL PRIVILEGES ON \\`$DB_NAME\\`.* TO '$DB_USER'@'$WEB_ADDRESS';" in text
    assert "'%'" not in text and "@'localhost'" not in text


def test_wp_config_points_at_wp_db_over_tcp_and_trusts_only_the_proxy() -> None:
    text = wp_config_php(site(), DB_PW, SALTS)
    assert "define('DB_HOST', '192.168.60.12:3306');" in text
    assert "define('FORCE_SSL_ADMIN', true);" in text
    assert "in_array($_SERVER['REMOTE_ADDR'], ['192.168.50.2'], true)" in text
    assert "define('DB_PASSWORD', 'db-Secret\\'with\"quotes$and\\\\slash');" in text
    for name in SALT_NAMES:
        assert f"define('{name}', " in text
    assert "define('FORCE_SSL_ADMIN', false);" in wp_config_php(site(public_scheme="http"), DB_PW, SALTS)
    v6 = wp_config_php(site(db_address="fd00::12"), DB_PW, SALTS)
    assert "define('DB_HOST', '[fd00::12]:3306');" in v6


def test_web_packages_cover_the_handbook_extensions() -> None:
    pkgs = set(web_packages(site()))
    assert {"apache2", "libapache2-mod-php8.2", "php8.2-mysql", "php8.2-imagick", "php8.2-intl"} <= pkgs
    assert not any(p.startswith("php8.2-fpm") for p in pkgs)


def test_scripts_pass_shellcheck(tmp_path: Path) -> None:
    for name, text in {"db.sh": db_script(site(), DB_PW), "web.sh": web_script(site(), DB_PW, ADMIN_PW, SALTS)}.items():
        result = shellcheck(text, tmp_path, name)
        assert result.returncode == 0, result.stdout
    broken = shellcheck("#!/bin/bash\nrm -rf $WEBROOT/\n[ $x = 1 ]\n", tmp_path, "broken.sh")
    assert broken.returncode != 0  # twin: shellcheck does flag unquoted expansions


def apache_configtest(tmp_path: Path, ports: str, vhost: str) -> subprocess.CompletedProcess[str]:
    """Debian's own apache2ctl -t on a copy of /etc/apache2 holding our ports.conf and site (rewrite enabled,
    Debian's default site disabled) - the layout the web script produces in the container."""
    assert shutil.which("apache2ctl"), "apache2 is not installed: run `make test`, which installs deps/apt-*.txt"
    conf = tmp_path / "apache2"
    shutil.copytree("/etc/apache2", conf, symlinks=True)
    (conf / "ports.conf").write_text(ports)
    (conf / "sites-available/wordpress.conf").write_text(vhost)
    for link in (conf / "sites-enabled").iterdir():
        link.unlink()
    (conf / "sites-enabled/wordpress.conf").symlink_to("../sites-available/wordpress.conf")
    rewrite = conf / "mods-enabled/rewrite.load"
    if not rewrite.exists():
        rewrite.symlink_to("../mods-available/rewrite.load")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "APACHE_CONFDIR": str(conf), "LC_ALL": "C"}
    return subprocess.run(["apache2ctl", "-t"], capture_output=True, text=True, check=False, env=env)


def test_vhost_passes_apache_configtest(tmp_path: Path) -> None:
    s = site()
    result = apache_configtest(tmp_path, apache_ports_conf(s), apache_vhost(s))
    assert result.returncode == 0 and "Syntax OK" in result.stderr, result.stderr
    # the check reads the copy (not the host's /etc/apache2): an error in our ports.conf is reported from there
    bad = apache_configtest(tmp_path / "v", "Listen x:y\n", apache_vhost(s))
    assert bad.returncode != 0 and f"{tmp_path}/v/apache2/ports.conf" in bad.stderr


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("AllowOverride All", "AllowOverride Everything"),
        ("Require all denied", "Require nobody"),
        ("</VirtualHost>", ""),
    ],
)
def test_apache_configtest_fails_on_a_broken_vhost(tmp_path: Path, old: str, new: str) -> None:
    s = site()
    vhost = apache_vhost(s)
    assert old in vhost
    result = apache_configtest(tmp_path, apache_ports_conf(s), vhost.replace(old, new))
    assert result.returncode != 0, result.stderr


def test_apache_configtest_fails_on_a_broken_ports_conf(tmp_path: Path) -> None:
    result = apache_configtest(tmp_path, "Listen 192.168.50.11:http\n", apache_vhost(site()))
    assert result.returncode != 0
