"""HumHub VM renderers: real `cloud-init schema`, real `nginx -t`, real gixy, and the spec's safety rules.

Each validator check has a twin that feeds it a broken artifact and sees it fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from render.cloudinit import CloudConfig, WriteFile, render_user_data
from render.humhub import (
    PROVISION_PATH,
    RECOMMENDED_PHP_EXTENSIONS,
    REQUIRED_PHP_EXTENSIONS,
    HumHubSiteError,
    humhub_cloud_config,
    humhub_packages,
    nginx_main_conf,
    nginx_site,
    php_fpm_pool,
    php_ini_overrides,
    provision_script,
)
from tests.support.cloudinit_schema import assert_valid_cloud_config, cloud_init_schema
from tests.support.humhub_site import ADMIN_PW, DB_PW, KEY, site


def user_data() -> str:
    return render_user_data(humhub_cloud_config(site(), (KEY,), DB_PW, ADMIN_PW))


# --- cloud-init ---------------------------------------------------------------------------------------------


def test_user_data_passes_cloud_init_schema(tmp_path: Path) -> None:
    assert_valid_cloud_config(user_data(), tmp_path)


def test_schema_rejects_broken_humhub_user_data(tmp_path: Path) -> None:
    doc = yaml.safe_load(user_data())
    doc["write_files"][0]["permissions"] = ["0600"]  # must be a string
    doc["runcmd"] = {"provision": PROVISION_PATH}  # must be a list
    broken = "#cloud-config\n" + yaml.safe_dump(doc)
    result = cloud_init_schema(broken, tmp_path)
    assert result.returncode != 0
    assert "permissions" in result.stdout + result.stderr


def test_cloud_config_installs_every_required_php_extension() -> None:
    doc = yaml.safe_load(user_data())
    for module, package in {**REQUIRED_PHP_EXTENSIONS, **RECOMMENDED_PHP_EXTENSIONS}.items():
        assert package.format(v="8.2") in doc["packages"], module
    for pkg in ("mariadb-server", "php8.2-fpm", "nginx", "qemu-guest-agent", "cron"):
        assert pkg in doc["packages"]
    assert doc["runcmd"][-1] == [PROVISION_PATH]
    assert set(humhub_packages(site())) <= set(doc["packages"])


def secret_holders(cfg: CloudConfig, secret: str) -> dict[str, str]:
    """path -> permissions of every written file containing `secret`."""
    return {f.path: f.permissions for f in cfg.write_files if secret in f.content}


def test_secrets_only_in_root_only_files() -> None:
    cfg = humhub_cloud_config(site(), (KEY,), DB_PW, ADMIN_PW)
    assert secret_holders(cfg, DB_PW) == {"/etc/proxcloud/humhub/db_password": "0600"}
    assert secret_holders(cfg, ADMIN_PW) == {"/etc/proxcloud/humhub/admin_password": "0600"}
    assert DB_PW not in str(cfg.runcmd) and ADMIN_PW not in str(cfg.runcmd)


def test_secret_check_sees_a_leak() -> None:
    cfg = humhub_cloud_config(site(), (KEY,), DB_PW, ADMIN_PW)
    leaky = replace(cfg, write_files=(*cfg.write_files, WriteFile("/etc/motd", f"db: {DB_PW}\n")))
    assert secret_holders(leaky, DB_PW) != {"/etc/proxcloud/humhub/db_password": "0600"}


def test_weak_secrets_are_refused() -> None:
    with pytest.raises(HumHubSiteError, match="db_password"):
        humhub_cloud_config(site(), (KEY,), "short", ADMIN_PW)
    with pytest.raises(HumHubSiteError, match="admin_password"):
        humhub_cloud_config(site(), (KEY,), DB_PW, "pw\nwith-newline-x")


# --- spec validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("listen_address", "0.0.0.0"),
        ("listen_address", "humhub.local"),
        ("download_url", "http://download.humhub.com/humhub.tar.gz"),
        ("download_sha256", "AB" * 32),
        ("db_user", "hum'hub"),
        ("php_version", "8.3"),
        ("public_host", "Community.example.org"),
        ("upload_max_mb", 8),
        ("trusted_proxies", ("10.10.10.300/32",)),
        ("admin_email", "admin"),
    ],
)
def test_bad_site_fields_name_the_field(field: str, value: object) -> None:
    with pytest.raises(HumHubSiteError, match=rf"HumHubSite\.{field} = "):
        site(**{field: value})


def test_good_site_fields_are_accepted() -> None:
    ok = site(listen_address="fd00::6", download_url="file:///var/tmp/humhub.tar.gz", upload_max_mb=32)
    assert ok.post_max_mb == 40


# --- nginx: real nginx -t and gixy ----------------------------------------------------------------------------


def write_nginx(tmp_path: Path, site_text: str) -> Path:
    conf = tmp_path / "humhub.conf"
    conf.write_text(site_text)
    main = tmp_path / "main.conf"
    main.write_text(nginx_main_conf(str(conf), str(tmp_path / "nginx.pid"), str(tmp_path / "error.log")))
    return main


def nginx_t(main: Path, addr: str = "10.10.10.6") -> subprocess.CompletedProcess[str]:
    """`nginx -t` binds the listen sockets, so it runs in a private network namespace that has the VM's internal
    address on its loopback (as the VM has it on its NIC); nothing on the test machine is touched."""
    exe = shutil.which("nginx")
    assert exe, "nginx is not installed: run `make test`, which installs deps/apt-*.txt"
    assert shutil.which("unshare") and shutil.which("ip"), "unshare/ip missing: install util-linux and iproute2"
    script = f'ip link set lo up && ip addr add "$1" dev lo && exec {exe} -t -c "$2"'
    return subprocess.run(
        ["unshare", "--net", "sh", "-c", script, "sh", addr, str(main)], capture_output=True, text=True, check=False
    )


def gixy(main: Path) -> subprocess.CompletedProcess[str]:
    """gixy-ng (pinned in deps/pip-humhub.txt), run as `python -m gixy` from the test's own interpreter."""
    return subprocess.run([sys.executable, "-m", "gixy", str(main)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("addr", ["10.10.10.6", "fd00::6"])
def test_nginx_accepts_the_site(tmp_path: Path, addr: str) -> None:
    result = nginx_t(write_nginx(tmp_path, nginx_site(site(listen_address=addr))), addr)
    assert result.returncode == 0, result.stderr


def test_nginx_rejects_a_broken_site(tmp_path: Path) -> None:
    broken = nginx_site(site()).replace("fastcgi_pass unix:", "fastcgi_passs unix:")
    result = nginx_t(write_nginx(tmp_path, broken))
    assert result.returncode != 0 and "fastcgi_passs" in result.stderr


def test_gixy_finds_nothing(tmp_path: Path) -> None:
    result = gixy(write_nginx(tmp_path, nginx_site(site())))
    assert result.returncode == 0, result.stdout + result.stderr


def test_gixy_flags_a_weakened_site(tmp_path: Path) -> None:
    # A server-level header silently dropped in the location that sets its own (gixy: add_header_redefinition).
    weak = nginx_site(site()).replace(
        "    server_tokens off;", "    server_tokens off;\n    add_header X-Frame-Options SAMEORIGIN;"
    )
    result = gixy(write_nginx(tmp_path, weak))
    assert result.returncode != 0, result.stdout


def listen_addresses(conf: str) -> list[str]:
    return re.findall(r"^\s*listen\s+([^;\s]+)", conf, flags=re.M)


def test_nginx_listens_on_the_internal_address_only() -> None:
    assert listen_addresses(nginx_site(site())) == ["10.10.10.6:80"]
    assert listen_addresses(nginx_site(site(listen_address="fd00::6", listen_port=8080))) == ["[fd00::6]:8080"]


def test_listen_check_sees_a_wildcard_listen() -> None:
    widened = nginx_site(site()).replace("listen 10.10.10.6:80", "listen 80")
    assert listen_addresses(widened) != ["10.10.10.6:80"]


def _ini(text: str) -> dict[str, str]:
    return dict(
        (k.strip(), v.strip())
        for k, v in (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith(";"))
    )


def limits_agree(nginx: str, ini: str, pool: str) -> list[str]:
    """Disagreements between nginx's body/timeout limits and PHP's (empty when consistent)."""
    php = _ini(ini)
    problems = []
    body = re.search(r"client_max_body_size (\d+)m;", nginx)
    if not body or f"{body.group(1)}M" != php["post_max_size"]:
        problems.append("client_max_body_size != post_max_size")
    if int(php["upload_max_filesize"].rstrip("M")) > int(php["post_max_size"].rstrip("M")):
        problems.append("upload_max_filesize > post_max_size")
    read = re.search(r"fastcgi_read_timeout (\d+)s;", nginx)
    if not read or int(read.group(1)) <= int(php["max_execution_time"]):
        problems.append("fastcgi_read_timeout <= max_execution_time")
    term = _ini(pool).get("request_terminate_timeout", "0s").rstrip("s")
    if int(term) <= int(php["max_execution_time"]):
        problems.append("request_terminate_timeout <= max_execution_time")
    return problems


def test_nginx_and_php_limits_agree() -> None:
    s = site(upload_max_mb=256, max_execution_time_s=600)
    assert limits_agree(nginx_site(s), php_ini_overrides(s), php_fpm_pool(s)) == []
    ini = _ini(php_ini_overrides(s))
    assert ini["upload_max_filesize"] == "256M" and int(ini["memory_limit"].rstrip("M")) >= 64


def test_limit_check_sees_a_mismatch() -> None:
    s = site()
    small_body = nginx_site(s).replace(f"client_max_body_size {s.post_max_mb}m", "client_max_body_size 1m")
    assert limits_agree(small_body, php_ini_overrides(s), php_fpm_pool(s)) == ["client_max_body_size != post_max_size"]


def test_provision_script_quotes_spec_values(tmp_path: Path) -> None:
    s = site(site_name="Bob's $(reboot) `x` Community")
    script = provision_script(s)
    (tmp_path / "p.sh").write_text(script)
    assert subprocess.run(["bash", "-n", str(tmp_path / "p.sh")], check=False).returncode == 0
    # Evaluate only the readonly header in a real bash and read SITE_NAME back.
    header = "\n".join(line for line in script.splitlines() if line.startswith("readonly "))
    out = subprocess.run(
        ["bash", "-c", header + '\nprintf %s "$SITE_NAME"'], capture_output=True, text=True, check=True
    )
    assert out.stdout == s.site_name


def test_bash_syntax_check_sees_a_broken_script(tmp_path: Path) -> None:
    (tmp_path / "p.sh").write_text(provision_script(site()).replace("fi\n", "", 1))
    assert subprocess.run(["bash", "-n", str(tmp_path / "p.sh")], capture_output=True, check=False).returncode != 0
