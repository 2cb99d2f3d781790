"""Integration: the rendered wp-db, wp-web and Zabbix agent scripts, run unchanged (`bash -s` on stdin, exactly as
`pct exec <id> -- bash -s` feeds them) on a real Debian 12 system: a debootstrap chroot (tests/support/debian_chroot.py)
playing both containers, with 127.0.0.1 as both addresses.

WordPress is replaced by a test archive shaped like the release (top directory `wordpress/`): its wp-settings.php
connects to MariaDB over TCP with wp-config.php's constants, its wp_install() records the call. MariaDB, Apache
with mod_php 8.2 and zabbix_agent2 really run; pages are fetched over 127.0.0.1. Needs root; fails, never skips.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import subprocess
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from render.wordpress import (
    RECOMMENDED_PHP_EXTENSIONS,
    REQUIRED_PHP_EXTENSIONS,
    WordPressSite,
    db_script,
    web_script,
)
from render.zabbix import AGENT_PORT, zabbix_agent_script
from tests.support.debian_chroot import (
    chroot_run,
    free_port,
    processes_in,
    session,
    tar_gz,
)
from tests.support.wordpress_site import ADMIN_PW, DB_PW, SALTS, lxcwp_chroot, site

pytestmark = pytest.mark.system  # a debootstrap chroot

VERSION = "6.8.3"
ARCHIVE_IN_CHROOT = "/var/tmp/wordpress-test.tar.gz"
WEBROOT = "/var/www/wordpress"

WP_LOAD = r"""<?php
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-config.php';
"""
# Stands in for WordPress's bootstrap: the database connection wp-config.php describes, over TCP (DB_HOST is an
# address, so mysqli never uses the Unix socket), and the two helpers the installer script calls.
WP_SETTINGS = r"""<?php
mysqli_report(MYSQLI_REPORT_OFF);
function is_ssl() { return isset($_SERVER['HTTPS']) && strtolower($_SERVER['HTTPS']) === 'on'; }
function wp_slash($value) { return addslashes($value); }
[$db_host, $db_port] = explode(':', DB_HOST);
$proxcloud_db = @new mysqli($db_host, DB_USER, DB_PASSWORD, DB_NAME, (int) $db_port);
if ($proxcloud_db->connect_errno) {
    http_response_code(500);
    echo "Error establishing a database connection\n";
    exit(1);
}
"""
UPGRADE_PHP = r"""<?php
function is_blog_installed() {
    global $proxcloud_db, $table_prefix;
    $r = $proxcloud_db->query("SHOW TABLES LIKE '{$table_prefix}options'");
    return $r && $r->num_rows > 0;
}
function wp_install($title, $user, $email, $public, $deprecated = '', $password = '') {
    global $proxcloud_db, $table_prefix;
    $proxcloud_db->query("CREATE TABLE {$table_prefix}options (name VARCHAR(64) PRIMARY KEY, value TEXT)");
    $st = $proxcloud_db->prepare("INSERT INTO {$table_prefix}options VALUES (?, ?)");
    foreach (['blogname' => $title, 'admin_user' => $user, 'admin_email' => $email] as $k => $v) {
        $st->bind_param('ss', $k, $v);
        $st->execute();
    }
    $who = posix_getpwuid(posix_geteuid())['name'];
    $call = ['user' => $who, 'args' => [$title, $user, $email, $public, stripslashes($password)]];
    file_put_contents(ABSPATH . 'wp-content/install-calls.jsonl', json_encode($call) . "\n", FILE_APPEND);
    return ['user_id' => 1];
}
"""
INDEX_PHP = r"""<?php
require __DIR__ . '/wp-load.php';
header('Content-Type: text/plain');
$admin = $proxcloud_db->query("SELECT value FROM {$table_prefix}options WHERE name = 'admin_user'");
echo "wordpress-db-reached\n";
echo 'via=' . $proxcloud_db->host_info . "\n";
echo 'admin=' . ($admin ? $admin->fetch_row()[0] : '') . "\n";
echo 'https=' . (is_ssl() ? 'on' : 'off') . "\n";
echo 'force_ssl_admin=' . var_export(FORCE_SSL_ADMIN, true) . "\n";
echo 'home=' . WP_HOME . "\n";
echo 'memory_limit=' . ini_get('memory_limit') . "\n";
echo 'upload_max_filesize=' . ini_get('upload_max_filesize') . "\n";
echo 'user=' . posix_getpwuid(posix_geteuid())['name'] . "\n";
echo 'extensions=' . strtolower(implode(',', get_loaded_extensions())) . "\n";
"""


def fake_archive(version: str = VERSION) -> bytes:
    files = {
        "index.php": INDEX_PHP,
        "wp-load.php": WP_LOAD,
        "wp-settings.php": WP_SETTINGS,
        "wp-admin/includes/upgrade.php": UPGRADE_PHP,
        "wp-includes/version.php": f"<?php $wp_version = '{version}';\n",
        "wp-config-sample.php": "<?php // sample\n",
        "readme.html": "<html>readme</html>\n",
        "wp-content/index.php": "<?php // Silence is golden.\n",
        "wp-content/uploads/evil.php": "<?php echo 'executed';\n",
        "wp-content/uploads/photo.txt": "an upload\n",
    }
    return tar_gz("wordpress", files)


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def zabbix_get(key: str, port: int = AGENT_PORT) -> str:
    """A passive check with Zabbix's protocol (header ZBXD\\x01, 8-byte length): what the server sends."""
    payload = key.encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"ZBXD\x01" + struct.pack("<Q", len(payload)) + payload)
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except ConnectionResetError:  # how the agent refuses a peer that is not its Server
            return ""
    return data[13:].decode() if data.startswith(b"ZBXD") else ""


def wait_for_agent() -> None:
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", AGENT_PORT), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("zabbix_agent2 did not listen on 127.0.0.1:10050")


def first_packet(source: str, host: str, port: int) -> bytes:
    """The first packet a MySQL/MariaDB server sends to a TCP client from `source` (handshake or error)."""
    with socket.socket() as sock:
        sock.settimeout(10)
        sock.bind((source, 0))
        sock.connect((host, port))
        return sock.recv(4096)


def chroot_site(sha256: str) -> WordPressSite:
    return site(
        web_address="127.0.0.1",
        db_address="127.0.0.1",
        reverse_proxies=("127.0.0.1",),
        listen_port=free_port(),
        db_port=free_port(),
        download_url=f"file://{ARCHIVE_IN_CHROOT}",
        download_sha256=sha256,
    )


def run_script(root: Path, text: str) -> str:
    run = chroot_run(root, "bash", "-s", input=text, check=False)
    assert run.returncode == 0, f"script failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout + run.stderr


def mariadb(root: Path, sql: str) -> str:
    return chroot_run(root, "mariadb", "--batch", "-N", "-e", sql).stdout.strip()


@pytest.fixture(scope="module")
def chroot_cache() -> Path:
    return lxcwp_chroot()


def test_wordpress_on_debian_12(chroot_cache: Path, tmp_path: Path) -> None:
    archive = fake_archive()
    s = chroot_site(hashlib.sha256(archive).hexdigest())
    url = f"http://127.0.0.1:{s.listen_port}"
    with session(chroot_cache, tmp_path / "overlay") as root:
        (root / ARCHIVE_IN_CHROOT.lstrip("/")).write_bytes(archive)
        out = run_script(root, db_script(s, DB_PW)) + run_script(root, web_script(s, DB_PW, ADMIN_PW, SALTS))
        assert DB_PW not in out and ADMIN_PW not in out

        # Apache -> mod_php -> MariaDB over TCP 127.0.0.1, with the generated credentials.
        status, body = http_get(f"{url}/")
        assert status == 200, body
        lines = dict(line.split("=", 1) for line in body.splitlines()[1:])
        assert body.startswith("wordpress-db-reached\n")
        assert "TCP/IP" in lines["via"] and lines["admin"] == s.admin_username
        assert lines["user"] == "www-data" and lines["home"] == "https://blog.keepers.example"
        assert lines["force_ssl_admin"] == "true" and lines["https"] == "off"
        assert lines["memory_limit"] == "256M" and lines["upload_max_filesize"] == "64M"
        loaded = set(lines["extensions"].split(","))
        wanted = set(REQUIRED_PHP_EXTENSIONS) | set(RECOMMENDED_PHP_EXTENSIONS)
        assert wanted - loaded == set()
        assert wanted - (loaded - {"imagick"}) == {"imagick"}  # twin: a missing extension is seen

        # HTTPS as the reverse proxy reports it, believed from the proxy's address only.
        assert "https=on" in http_get(f"{url}/", {"X-Forwarded-Proto": "https"})[1]
        php_ssl = (
            "$_SERVER['HTTP_X_FORWARDED_PROTO'] = 'https'; $_SERVER['REMOTE_ADDR'] = '{addr}';"
            f"require '{WEBROOT}/wp-load.php'; echo is_ssl() ? 'on' : 'off';"
        )
        assert chroot_run(root, "php8.2", "-r", php_ssl.format(addr="127.0.0.1")).stdout == "on"
        assert chroot_run(root, "php8.2", "-r", php_ssl.format(addr="10.9.9.9")).stdout == "off"  # twin

        # What must never be served or executed.
        for path in ("/wp-config.php", "/wp-content/uploads/evil.php", "/readme.html", "/wp-config-sample.php"):
            assert http_get(f"{url}{path}")[0] == 403, path
        assert http_get(f"{url}/wp-content/uploads/photo.txt")[0] == 200

        # WordPress's installer ran once, as www-data, with the spec's values and the admin password intact.
        calls_file = root / f"{WEBROOT[1:]}/wp-content/install-calls.jsonl"
        calls = [json.loads(x) for x in calls_file.read_text().splitlines()]
        assert calls == [{"user": "www-data", "args": [s.site_title, s.admin_username, s.admin_email, False, ADMIN_PW]}]

        # The db user exists for wp-web's address only, and only TCP from there gets in.
        assert mariadb(root, "SELECT Host FROM mysql.user WHERE User = 'wordpress'") == "127.0.0.1"
        assert mariadb(root, "SELECT @@bind_address, @@port") == f"127.0.0.1\t{s.db_port}"
        tcp = ["mariadb", "-h", "127.0.0.1", "-P", str(s.db_port), "-u", "wordpress", f"-p{DB_PW}", "-e", "SELECT 1"]
        assert chroot_run(root, *tcp, check=False).returncode == 0
        sock = ["mariadb", "-u", "wordpress", f"-p{DB_PW}", "-e", "SELECT 1"]  # Unix socket = 'wordpress'@'localhost'
        denied = chroot_run(root, *sock, check=False)
        assert denied.returncode != 0 and "Access denied" in denied.stderr  # twin: another host is refused

        # wp-config.php holds the secrets: root:www-data 0640.
        st = (root / f"{WEBROOT[1:]}/wp-config.php").stat()
        assert st.st_mode & 0o777 == 0o640 and st.st_uid == 0

        # Idempotent: both scripts again; a stale host of the db user is dropped; no second install.
        mariadb(root, "CREATE USER 'wordpress'@'10.1.1.1' IDENTIFIED BY 'old-password-123'")
        run_script(root, db_script(s, DB_PW))
        run_script(root, web_script(s, DB_PW, ADMIN_PW, SALTS))
        assert mariadb(root, "SELECT Host FROM mysql.user WHERE User = 'wordpress'") == "127.0.0.1"
        assert len(calls_file.read_text().splitlines()) == 1
        assert http_get(f"{url}/")[0] == 200

        # Twin: wp-web rendered with a wrong DB password fails (install step and page), the right one recovers.
        wrong = chroot_run(root, "bash", "-s", input=web_script(s, "not-the-password!", ADMIN_PW, SALTS), check=False)
        assert wrong.returncode != 0
        status, body = http_get(f"{url}/")
        assert status == 500 and "wordpress-db-reached" not in body
        run_script(root, web_script(s, DB_PW, ADMIN_PW, SALTS))
        assert http_get(f"{url}/")[0] == 200

        # The Zabbix agent in the same "container": configured, started, answering the server's passive check.
        run_script(root, zabbix_agent_script("127.0.0.1", "wp-web", "127.0.0.1"))
        wait_for_agent()
        assert zabbix_get("agent.ping") == "1"
        assert zabbix_get("agent.hostname") == "wp-web"
        # Twin: an agent whose Server is another address refuses the same request.
        run_script(root, zabbix_agent_script("10.9.9.9", "wp-web", "127.0.0.1"))
        wait_for_agent()
        assert zabbix_get("agent.ping") == ""
    assert processes_in(root) == []


def test_wrong_sha256_stops_before_unpacking(chroot_cache: Path, tmp_path: Path) -> None:
    archive = fake_archive()
    s = chroot_site(hashlib.sha256(b"another archive").hexdigest())
    with session(chroot_cache, tmp_path / "overlay") as root:
        (root / ARCHIVE_IN_CHROOT.lstrip("/")).write_bytes(archive)
        run = chroot_run(root, "bash", "-s", input=web_script(s, DB_PW, ADMIN_PW, SALTS), check=False)
        assert run.returncode != 0
        assert "sha256 mismatch" in run.stderr and hashlib.sha256(archive).hexdigest() in run.stderr
        assert not (root / WEBROOT[1:]).exists()
        assert not (root / "etc/apache2/sites-enabled/wordpress.conf").exists()
        assert processes_in(root) == []


def test_same_site_twice_is_the_same_script() -> None:
    s = replace(chroot_site("0" * 64), listen_port=8080, db_port=3306)
    assert web_script(s, DB_PW, ADMIN_PW, SALTS) == web_script(s, DB_PW, ADMIN_PW, SALTS)


def test_db_listens_on_its_own_address_and_admits_only_wp_web(chroot_cache: Path, tmp_path: Path) -> None:
    """wp-db and wp-web on distinct addresses (127.0.0.2 and 127.0.0.1 are both on lo; the kernel picks 127.0.0.1
    as the source towards 127.0.0.2): MariaDB binds the db address only, and only wp-web's source address gets in."""
    s = replace(chroot_site("0" * 64), db_address="127.0.0.2", web_address="127.0.0.1")
    with session(chroot_cache, tmp_path / "overlay") as root:
        run_script(root, db_script(s, DB_PW))
        assert mariadb(root, "SELECT @@bind_address, @@port") == f"127.0.0.2\t{s.db_port}"
        assert mariadb(root, "SELECT Host FROM mysql.user WHERE User = 'wordpress'") == "127.0.0.1"

        def client(host: str, *extra: str) -> subprocess.CompletedProcess[str]:
            cmd = ["mariadb", "-h", host, "-P", str(s.db_port), "-u", "wordpress", f"-p{DB_PW}", *extra]
            return chroot_run(root, *cmd, "-N", "-e", "SELECT CURRENT_USER()", check=False)

        ok = client("127.0.0.2")
        assert ok.returncode == 0 and ok.stdout.strip() == "wordpress@127.0.0.1", ok.stderr
        # twins: from another source address MariaDB refuses before any login (its first packet is error 1130),
        # while wp-web's source address gets the normal handshake; on another address nothing listens
        assert b"is not allowed to connect" in first_packet("127.0.0.3", "127.0.0.2", s.db_port)
        assert first_packet("127.0.0.1", "127.0.0.2", s.db_port)[4:5] == b"\x0a"  # protocol 10 handshake
        not_listening = client("127.0.0.1")
        assert not_listening.returncode != 0 and "Can't connect" in not_listening.stderr
    assert processes_in(root) == []
