"""Integration: the rendered HumHub provisioning, run unchanged on a real Debian 12 system (a debootstrap chroot).

The chroot gets the packages the cloud-config installs, the files its write_files writes (same paths, same
modes), then runs its runcmd: MariaDB, PHP-FPM and nginx come up for real, and HumHub is replaced by a test
archive whose index.php queries MariaDB with the credentials the installer was given, and whose protected/yii
records every console installer call. Needs root (mounts, chroot); fails, never skips, without it.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from render.cloudinit import CloudConfig, render_user_data
from render.humhub import (
    PROVISION_PATH,
    RECOMMENDED_PHP_EXTENSIONS,
    REQUIRED_PHP_EXTENSIONS,
    HumHubSite,
    humhub_cloud_config,
    humhub_packages,
)
from tests.support.debian_chroot import (
    cached_chroot,
    chroot_run,
    free_port,
    processes_in,
    require_root,
    session,
    tar_gz,
)
from tests.support.humhub_site import ADMIN_PW, DB_PW, KEY, site

pytestmark = pytest.mark.system  # a debootstrap chroot

VERSION = "1.17.3"
ARCHIVE_IN_CHROOT = "/var/tmp/humhub-test-archive.tar.gz"

# Stand-ins for HumHub's files. index.php proves PHP-FPM -> MariaDB works with the credentials the installer got.
INDEX_PHP = r"""<?php
header('Content-Type: text/plain');
$cfg = require __DIR__ . '/protected/config/dynamic.php';
$db = $cfg['components']['db'];
$pdo = new PDO($db['dsn'], $db['username'], $db['password']);
$server = $pdo->query('SELECT VERSION()')->fetchColumn();
echo 'db-ok ' . trim(file_get_contents(__DIR__ . '/protected/version.txt')) . " server=$server\n";
foreach (['memory_limit', 'upload_max_filesize', 'post_max_size', 'max_execution_time', 'date.timezone'] as $k) {
    echo "$k=" . ini_get($k) . "\n";
}
echo 'user=' . posix_getpwuid(posix_geteuid())['name'] . "\n";
echo 'extensions=' . strtolower(implode(',', get_loaded_extensions())) . "\n";
"""
# protected/yii: records the call; write-db-config opens the connection and writes dynamic.php, as HumHub's does.
YII_PHP = r"""<?php
$args = array_slice($argv, 1);
$who = posix_getpwuid(posix_geteuid())['name'];
$record = json_encode(['user' => $who, 'args' => $args]) . "\n";
file_put_contents(__DIR__ . '/runtime/installer-calls.jsonl', $record, FILE_APPEND);
if ($args[0] === 'installer/write-db-config') {
    [$host, $name, $user, $pass] = array_slice($args, 1, 4);
    $dsn = "mysql:host=$host;dbname=$name";
    new PDO($dsn, $user, $pass);
    $config = ['components' => ['db' => ['dsn' => $dsn, 'username' => $user, 'password' => $pass]]];
    file_put_contents(__DIR__ . '/config/dynamic.php', '<?php return ' . var_export($config, true) . ";\n");
}
"""


def fake_archive(version: str = VERSION) -> bytes:
    """A HumHub-shaped release archive: one top directory humhub-<version>/."""
    files = {
        "index.php": INDEX_PHP,
        "protected/yii": YII_PHP,
        "protected/version.txt": version + "\n",
        "protected/config/web.php": "<?php return [];\n",
        "protected/runtime/.keep": "",
        "uploads/file/private.txt": "uploaded file\n",
        "assets/evil.php": "<?php echo 'executed';\n",
        "static/ok.txt": "static\n",
    }
    return tar_gz(f"humhub-{version}", files)


def apply_write_files(root: Path, cfg: CloudConfig) -> None:
    """What cloud-init's write_files does: every file at its path with its mode (owner root)."""
    for f in yaml.safe_load(render_user_data(cfg))["write_files"]:
        path = root / f["path"].lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f["content"])
        path.chmod(int(f["permissions"], 8))


def provision_commands(cfg: CloudConfig) -> list[list[str]]:
    """The cloud-config's runcmd entries that belong to HumHub (the guest agent needs a VM's virtio port)."""
    cmds = yaml.safe_load(render_user_data(cfg))["runcmd"]
    ours = [c for c in cmds if "qemu-guest-agent" not in c]
    assert ours == [[PROVISION_PATH]]
    return ours


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def chroot_site(port: int, sha256: str) -> HumHubSite:
    return site(
        listen_address="127.0.0.1", listen_port=port, download_url=f"file://{ARCHIVE_IN_CHROOT}", download_sha256=sha256
    )


def missing_extensions(loaded: set[str]) -> set[str]:
    return (set(REQUIRED_PHP_EXTENSIONS) | set(RECOMMENDED_PHP_EXTENSIONS)) - loaded


@pytest.fixture(scope="module")
def chroot_cache() -> Path:
    require_root()
    return cached_chroot("bookworm-humhub", humhub_packages(site()))


def test_provisioning_on_debian_12(chroot_cache: Path, tmp_path: Path) -> None:
    archive = fake_archive()
    s = chroot_site(free_port(), hashlib.sha256(archive).hexdigest())
    cfg = humhub_cloud_config(s, (KEY,), DB_PW, ADMIN_PW)
    with session(chroot_cache, tmp_path / "overlay") as root:
        (root / ARCHIVE_IN_CHROOT.lstrip("/")).write_bytes(archive)
        apply_write_files(root, cfg)
        started = time.monotonic()
        for cmd in provision_commands(cfg):
            run = chroot_run(root, *cmd, check=False)
            assert run.returncode == 0, f"{cmd} failed:\n{run.stdout}\n{run.stderr}"
        assert DB_PW not in run.stdout + run.stderr and ADMIN_PW not in run.stdout + run.stderr
        first_run_s = time.monotonic() - started

        # nginx -> PHP-FPM -> MariaDB, with the credentials given to HumHub's installer.
        status, body = http_get(f"http://127.0.0.1:{s.listen_port}/")
        assert status == 200, body
        assert body.startswith(f"db-ok {VERSION} server=10.11."), body
        lines = dict(line.split("=", 1) for line in body.splitlines()[1:])
        assert lines["upload_max_filesize"] == f"{s.upload_max_mb}M" and lines["post_max_size"] == f"{s.post_max_mb}M"
        assert lines["memory_limit"] == f"{s.memory_limit_mb}M" and lines["date.timezone"] == s.timezone
        assert lines["user"] == "www-data"
        fpm_extensions = set(lines["extensions"].split(","))
        assert missing_extensions(fpm_extensions) == set()
        assert missing_extensions(fpm_extensions - {"intl"}) == {"intl"}  # twin: the check sees a missing one

        # HumHub's protection rules, for real.
        for path, want in [
            ("/protected/config/dynamic.php", 403),
            ("/protected/yii", 403),
            ("/uploads/file/private.txt", 403),
            ("/assets/evil.php", 403),
            ("/.env", 403),
            ("/static/ok.txt", 200),
        ]:
            assert http_get(f"http://127.0.0.1:{s.listen_port}{path}")[0] == want, path

        # The non-interactive install: HumHub's console commands, in order, as www-data, with the spec's values.
        calls = [
            json.loads(line)
            for line in (root / "var/www/humhub/protected/runtime/installer-calls.jsonl").read_text().splitlines()
        ]
        assert {c["user"] for c in calls} == {"www-data"}
        assert [c["args"] for c in calls] == [
            ["installer/write-db-config", "localhost", s.db_name, s.db_user, DB_PW, "--interactive=0"],
            ["installer/install-db", "--interactive=0"],
            ["installer/write-site-config", s.site_name, s.admin_email, "--interactive=0"],
            ["installer/set-base-url", "https://community.example.org", "--interactive=0"],
            ["installer/create-admin-account", s.admin_username, s.admin_email, ADMIN_PW, "--interactive=0"],
        ]

        # Every PHP extension of the required list in the CLI too (cron jobs run there).
        cli = {
            m.strip().lower()
            for m in chroot_run(root, "php8.2", "-m").stdout.splitlines()
            if m and not m.startswith("[")
        }
        assert missing_extensions(cli) == set()

        # The rendered pool and configs are accepted by the real tools on the system.
        fpm_t = chroot_run(root, "php-fpm8.2", "-t", check=False)
        assert fpm_t.returncode == 0 and "test is successful" in fpm_t.stderr, fpm_t.stderr
        for conf in ("web.php", "common.php"):
            assert chroot_run(root, "php8.2", "-l", f"/var/www/humhub/protected/config/{conf}").returncode == 0
        trusted = chroot_run(
            root,
            "php8.2",
            "-r",
            "$c = require '/var/www/humhub/protected/config/web.php';"
            "echo json_encode($c['components']['request']['trustedHosts']);",
        )
        assert json.loads(trusted.stdout) == list(s.trusted_proxies)

        # MariaDB: Unix socket only, no TCP listener; Debian's catch-all nginx site is gone; secrets root-only.
        assert chroot_run(root, "mariadb", "-N", "-e", "SELECT @@skip_networking").stdout.strip() == "1"
        assert not (root / "etc/nginx/sites-enabled/default").exists()
        for name in ("db_password", "admin_password"):
            assert (root / "etc/proxcloud/humhub" / name).stat().st_mode & 0o777 == 0o600
        cron = (root / "etc/cron.d/humhub").read_text()
        assert "www-data /usr/bin/php8.2 /var/www/humhub/protected/yii queue/run" in cron
        assert "www-data /usr/bin/php8.2 /var/www/humhub/protected/yii cron/run" in cron

        # Idempotent: a second run succeeds, restarts the services, and does not install again.
        again = chroot_run(root, PROVISION_PATH, check=False)
        assert again.returncode == 0, again.stderr
        assert len((root / "var/www/humhub/protected/runtime/installer-calls.jsonl").read_text().splitlines()) == 5
        assert http_get(f"http://127.0.0.1:{s.listen_port}/")[0] == 200

        # Twins, on the live system: the page really depends on the DB credentials, and php-fpm -t on a bad pool.
        chroot_run(root, "mariadb", "-e", f"ALTER USER '{s.db_user}'@'localhost' IDENTIFIED BY 'not-the-password'")
        status, body = http_get(f"http://127.0.0.1:{s.listen_port}/")
        assert status != 200 or "db-ok" not in body
        pool = root / "etc/php/8.2/fpm/pool.d/humhub.conf"
        pool.write_text(pool.read_text().replace("pm = dynamic", "pm = sometimes"))
        assert chroot_run(root, "php-fpm8.2", "-t", check=False).returncode != 0
        print(f"first provisioning run: {first_run_s:.1f}s")
    assert processes_in(root) == []


def test_wrong_sha256_stops_before_unpacking(chroot_cache: Path, tmp_path: Path) -> None:
    archive = fake_archive()
    s = replace(chroot_site(free_port(), hashlib.sha256(b"another archive").hexdigest()))
    cfg = humhub_cloud_config(s, (KEY,), DB_PW, ADMIN_PW)
    with session(chroot_cache, tmp_path / "overlay") as root:
        (root / ARCHIVE_IN_CHROOT.lstrip("/")).write_bytes(archive)
        apply_write_files(root, cfg)
        run = chroot_run(root, PROVISION_PATH, check=False)
        assert run.returncode != 0
        assert "sha256 mismatch" in run.stderr and hashlib.sha256(archive).hexdigest() in run.stderr
        assert not (root / "var/www/humhub").exists()
        assert processes_in(root) == []  # nothing was started either
        assert not (root / "etc/nginx/sites-enabled/humhub").exists()
