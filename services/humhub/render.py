"""The HumHub web server VM (setup A): MariaDB + PHP-FPM + nginx on Debian 12, rendered from one HumHubSite.

Pure: spec values in, file text out. Secrets (db and admin password) are plain `str` arguments of
`humhub_cloud_config`, so the Pulumi component calls it inside `Output.apply` on secret Outputs and the user data
stays secret. Everything the VM does after package installation is in one idempotent bash script
(`provision_script`), which the integration test runs unchanged in a real Debian 12 chroot.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass
from urllib.parse import urlparse

from model.types import EMAIL_RE as _EMAIL_RE  # one rule for e-mails and host names: the tenant file's types
from model.types import HOST_NAME_RE as _HOST_RE
from model.types import SHA256_RE as _SHA256_RE  # and for checksums
from render.cloudinit import CloudConfig, WriteFile

# PHP extensions HumHub's requirement check demands, as `php -m` module name -> Debian 12 package providing it.
# Source: humhub/humhub protected/humhub/libs/SelfTest.php, SelfTest::getResults() (the non-"Optional" PHP checks:
# gd_info/imageCreateFromJpeg/imageCreateFromPng, collator_create, exif_read_data, libxml_get_errors,
# extension_loaded('fileinfo'), mb_substr, iconv_strlen, extension_loaded('json'), curl_version,
# class_exists('ZipArchive'), extension_loaded('pdo_mysql')), matching docs.humhub.org admin/requirements
# "Extensions" (Required: Yes) and composer.json ext-exif/ext-intl/ext-json/ext-pdo/ext-zip.
REQUIRED_PHP_EXTENSIONS: dict[str, str] = {
    "gd": "php{v}-gd",
    "intl": "php{v}-intl",
    "exif": "php{v}-common",
    "xml": "php{v}-xml",
    "fileinfo": "php{v}-common",
    "mbstring": "php{v}-mbstring",
    "iconv": "php{v}-common",
    "json": "php{v}-cli",  # compiled into PHP 8
    "curl": "php{v}-curl",
    "zip": "php{v}-zip",
    "pdo_mysql": "php{v}-mysql",
}
# The "Optional" checks of the same SelfTest we satisfy too: APCu (caching), Imagick (HumHub docs: "Recommended"
# for better image processing), OpenSSL (e-mail S/MIME) and Sodium (Mercure push) ship in php-common/cli.
RECOMMENDED_PHP_EXTENSIONS: dict[str, str] = {
    "apcu": "php{v}-apcu",
    "imagick": "php{v}-imagick",
    "openssl": "php{v}-common",
    "sodium": "php{v}-common",
}

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_DB_IDENT_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_ADMIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{4,50}$")
_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?([-.][A-Za-z0-9.]+)?$")
_TZ_RE = re.compile(r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./-]*[A-Za-z0-9_]$")


class HumHubSiteError(ValueError):
    """A HumHubSite field that cannot be rendered safely; the message names the field and the fix."""


def _check(ok: bool, field: str, value: object, fix: str) -> None:
    if not ok:
        raise HumHubSiteError(f"HumHubSite.{field} = {value!r}: {fix}")


@dataclass(frozen=True)
class HumHubSite:
    """Everything the HumHub VM needs except the secrets (those are arguments of the render functions)."""

    hostname: str
    """VM host name (one DNS label), e.g. `humhub-vm`."""
    public_host: str
    """Host name users reach through the reverse proxy, e.g. `community.example.org` (nginx server_name)."""
    listen_address: str
    """The internal NIC's address; nginx listens there only, never on 0.0.0.0."""
    site_name: str
    admin_username: str
    admin_email: str
    humhub_version: str
    download_url: str
    """Release archive (.tar.gz with one top directory), https:// (or file:// in tests)."""
    download_sha256: str
    """sha256 of the archive; provisioning refuses to unpack anything else."""
    trusted_proxies: tuple[str, ...] = ()
    """CIDRs of the reverse proxies whose X-Forwarded-* headers HumHub may trust (its `request.trustedHosts`)."""
    public_scheme: str = "https"
    listen_port: int = 80
    db_name: str = "humhub"
    db_user: str = "humhub"
    php_version: str = "8.2"
    timezone: str = "UTC"
    webroot: str = "/var/www/humhub"
    upload_max_mb: int = 128
    memory_limit_mb: int = 512
    max_execution_time_s: int = 120
    fpm_max_children: int = 16
    config_dir: str = "/etc/proxcloud/humhub"
    """Root-only directory cloud-init writes the staged configs and the two secret files into."""

    def __post_init__(self) -> None:
        _check(bool(_LABEL_RE.match(self.hostname)), "hostname", self.hostname, "use one lowercase DNS label")
        _check(bool(_HOST_RE.match(self.public_host)), "public_host", self.public_host, "use a lowercase DNS name")
        try:
            ipaddress.ip_address(self.listen_address)
        except ValueError:
            _check(False, "listen_address", self.listen_address, "use the internal NIC's IPv4/IPv6 address")
        _check(
            not ipaddress.ip_address(self.listen_address).is_unspecified,
            "listen_address",
            self.listen_address,
            "listen on the internal address, not on every interface",
        )
        for cidr in self.trusted_proxies:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                _check(False, "trusted_proxies", cidr, "use CIDRs such as 10.10.10.2/32")
        _check(self.public_scheme in ("http", "https"), "public_scheme", self.public_scheme, "use http or https")
        _check(1 <= self.listen_port <= 65535, "listen_port", self.listen_port, "use a TCP port 1-65535")
        _check(
            bool(self.site_name) and self.site_name.isprintable() and len(self.site_name) <= 100,
            "site_name",
            self.site_name,
            "use 1-100 printable characters",
        )
        _check(
            bool(_ADMIN_RE.match(self.admin_username)),
            "admin_username",
            self.admin_username,
            "use 4-50 of A-Z a-z 0-9 _ . @ -",
        )
        _check(
            bool(_EMAIL_RE.match(self.admin_email)),
            "admin_email",
            self.admin_email,
            "use an address like admin@example.org",
        )
        _check(
            bool(_VERSION_RE.match(self.humhub_version)),
            "humhub_version",
            self.humhub_version,
            "use a release number like 1.17.3",
        )
        url = urlparse(self.download_url)
        _check(
            (url.scheme == "https" and bool(url.netloc)) or (url.scheme == "file" and url.path.startswith("/")),
            "download_url",
            self.download_url,
            "use the https:// release URL (file:// only in tests)",
        )
        _check(
            bool(_SHA256_RE.match(self.download_sha256)),
            "download_sha256",
            self.download_sha256,
            "use 64 lowercase hex digits",
        )
        _check(bool(_DB_IDENT_RE.match(self.db_name)), "db_name", self.db_name, "use 1-64 of A-Z a-z 0-9 _")
        _check(bool(_DB_IDENT_RE.match(self.db_user)), "db_user", self.db_user, "use 1-64 of A-Z a-z 0-9 _")
        _check(self.php_version == "8.2", "php_version", self.php_version, "Debian 12 ships PHP 8.2 only")
        _check(bool(_TZ_RE.match(self.timezone)), "timezone", self.timezone, "use an IANA zone like Europe/Berlin")
        for name in ("webroot", "config_dir"):
            value = getattr(self, name)
            _check(bool(_PATH_RE.match(value)), name, value, "use an absolute path without a trailing slash")
        _check(self.upload_max_mb >= 32, "upload_max_mb", self.upload_max_mb, "HumHub recommends at least 32")
        _check(self.memory_limit_mb >= 64, "memory_limit_mb", self.memory_limit_mb, "HumHub needs at least 64")
        _check(
            self.max_execution_time_s >= 120,
            "max_execution_time_s",
            self.max_execution_time_s,
            "HumHub recommends at least 120",
        )
        _check(self.fpm_max_children >= 2, "fpm_max_children", self.fpm_max_children, "use 2 or more")

    # Derived values, in one place so nginx, PHP and the pool agree.
    @property
    def post_max_mb(self) -> int:
        """A request carries the file plus form fields: PHP's post_max_size and nginx's body limit are this."""
        return self.upload_max_mb + 8

    @property
    def fpm_socket(self) -> str:
        return f"/run/php/php{self.php_version}-fpm-humhub.sock"

    @property
    def base_url(self) -> str:
        return f"{self.public_scheme}://{self.public_host}"


def php_extension_packages(site: HumHubSite) -> tuple[str, ...]:
    """Debian packages for every required and recommended PHP extension (deduplicated, sorted)."""
    names = {**REQUIRED_PHP_EXTENSIONS, **RECOMMENDED_PHP_EXTENSIONS}.values()
    return tuple(sorted({n.format(v=site.php_version) for n in names}))


def humhub_packages(site: HumHubSite) -> tuple[str, ...]:
    """Every Debian package the VM installs for HumHub (CloudConfig adds the guest agent and unattended-upgrades)."""
    v = site.php_version
    base = ("mariadb-server", "nginx", f"php{v}-fpm", f"php{v}-cli", "curl", "ca-certificates", "cron")
    return tuple(sorted(set(base) | set(php_extension_packages(site))))


def nginx_site(site: HumHubSite) -> str:
    """The HumHub server block (HumHub docs' nginx rules), listening on the internal address only."""
    listen = site.listen_address if ":" not in site.listen_address else f"[{site.listen_address}]"
    timeout = site.max_execution_time_s + 30
    return f"""# Managed by proxcloud: HumHub {site.humhub_version} for {site.public_host}.
# Plain http on the internal NIC only; TLS ends at the reverse proxy.
server {{
    listen {listen}:{site.listen_port} default_server;
    server_name {site.public_host};
    root {site.webroot};
    index index.php;
    charset utf-8;
    server_tokens off;
    # Same limit as PHP's post_max_size, so nginx never rejects an upload PHP would accept.
    client_max_body_size {site.post_max_mb}m;
    # try_files below stats files on every request; cache those lookups.
    open_file_cache max=2000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;

    location / {{
        try_files $uri $uri/ /index.php$is_args$args;
    }}

    # Application code, configs, view templates, uploaded files (served through PHP's access checks), dot files.
    location ~ ^/(protected|framework|themes/\\w+/views|uploads/file)(/|$) {{
        deny all;
    }}
    location ~ /\\. {{
        deny all;
    }}
    # Nothing under the public asset/upload trees is ever executed.
    location ~ ^/(assets|static|themes|uploads)/.*\\.php$ {{
        deny all;
    }}

    location ~ ^/(assets|static|themes|uploads)/ {{
        expires 10d;
        add_header Cache-Control "public, no-transform";
    }}

    location ~ \\.php$ {{
        try_files $uri =404;
        include /etc/nginx/fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_pass unix:{site.fpm_socket};
        fastcgi_read_timeout {timeout}s;
    }}
}}
"""


def nginx_main_conf(site_conf_path: str, pid_path: str, error_log_path: str) -> str:
    """A minimal main config that includes only the site: lets `nginx -t -c` and gixy check the site standalone.

    The VM itself keeps Debian's /etc/nginx/nginx.conf (which includes sites-enabled/*).
    """
    return f"""worker_processes 1;
worker_rlimit_nofile 1024;
pid {pid_path};
error_log {error_log_path};
events {{
    worker_connections 64;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    include {site_conf_path};
}}
"""


def php_fpm_pool(site: HumHubSite) -> str:
    """A dedicated FPM pool for HumHub (replaces Debian's `www` pool) on a socket only nginx can use."""
    return f"""; Managed by proxcloud: the HumHub pool.
[humhub]
user = www-data
group = www-data
listen = {site.fpm_socket}
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = dynamic
pm.max_children = {site.fpm_max_children}
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 4
pm.max_requests = 500
; Kill a request PHP did not end itself (a little after max_execution_time).
request_terminate_timeout = {site.max_execution_time_s + 10}s
; Only the variables PHP needs; the secrets live in files, never in the environment.
clear_env = yes
"""


def php_ini_overrides(site: HumHubSite) -> str:
    """php.ini values HumHub's docs recommend (installed for FPM and CLI, so cron jobs see the same limits)."""
    return f"""; Managed by proxcloud: HumHub's recommended PHP settings (docs.humhub.org admin/server-setup).
memory_limit = {site.memory_limit_mb}M
upload_max_filesize = {site.upload_max_mb}M
post_max_size = {site.post_max_mb}M
max_execution_time = {site.max_execution_time_s}
max_input_time = {site.max_execution_time_s}
date.timezone = {site.timezone}
expose_php = Off
"""


def mariadb_conf(site: HumHubSite) -> str:
    """MariaDB for one local application: Unix socket only (no TCP port at all), utf8mb4 as HumHub requires."""
    return """# Managed by proxcloud: HumHub connects over the Unix socket; no TCP listener.
[mariadbd]
skip-networking
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
"""


def _php_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def humhub_web_config(site: HumHubSite) -> str:
    """protected/config/web.php: trust the reverse proxies' X-Forwarded-* headers (HumHub docs admin/reverse-proxy)."""
    hosts = ", ".join(_php_str(c) for c in site.trusted_proxies)
    return f"""<?php
// Managed by proxcloud: HumHub runs behind the reverse proxy, which terminates TLS.
return [
    'components' => [
        'request' => [
            'trustedHosts' => [{hosts}],
        ],
    ],
];
"""


def humhub_common_config(site: HumHubSite) -> str:
    """protected/config/common.php: pretty URLs (nginx's try_files above routes them to index.php)."""
    return """<?php
// Managed by proxcloud: pretty URLs, for web and console (links in e-mails sent by cron jobs).
return [
    'components' => [
        'urlManager' => [
            'showScriptName' => false,
            'enablePrettyUrl' => true,
        ],
    ],
];
"""


def humhub_crontab(site: HumHubSite) -> str:
    """/etc/cron.d/humhub: HumHub's two scheduled commands (docs admin/cron-jobs), as the web server's user."""
    yii = f"{site.webroot}/protected/yii"
    php = f"/usr/bin/php{site.php_version}"
    return f"""# Managed by proxcloud: HumHub background jobs.
SHELL=/bin/sh
* * * * * www-data {php} {yii} queue/run >/dev/null 2>&1
* * * * * www-data {php} {yii} cron/run >/dev/null 2>&1
"""


# Staged files: cloud-init writes them under site.config_dir; the provision script installs them in place.
def staged_files(site: HumHubSite) -> dict[str, str]:
    """File name under config_dir -> content (everything but the secrets)."""
    return {
        "nginx-site.conf": nginx_site(site),
        "php-fpm-pool.conf": php_fpm_pool(site),
        "php.ini": php_ini_overrides(site),
        "mariadb.cnf": mariadb_conf(site),
        "web.php": humhub_web_config(site),
        "common.php": humhub_common_config(site),
        "crontab": humhub_crontab(site),
    }


PROVISION_PATH = "/usr/local/sbin/proxcloud-humhub-provision"


def provision_script(site: HumHubSite) -> str:
    """Idempotent bash run once packages are installed; reads the secrets from root-only files, never echoes them.

    Services: with systemd running (the VM) it uses systemctl; without it (a chroot or container, where
    /run/systemd/system does not exist) it starts the daemons directly with their Debian pid files, so the very
    same script is what the integration test runs.
    """
    q = shlex.quote
    v = site.php_version
    cfg = site.config_dir
    values = {
        "CFG": cfg,
        "WEBROOT": site.webroot,
        "PHPV": v,
        "VERSION": site.humhub_version,
        "URL": site.download_url,
        "SHA256": site.download_sha256,
        "DB_NAME": site.db_name,
        "DB_USER": site.db_user,
        "SITE_NAME": site.site_name,
        "ADMIN_USER": site.admin_username,
        "ADMIN_EMAIL": site.admin_email,
        "BASE_URL": site.base_url,
    }
    header = "\n".join(f"readonly {k}={q(str(val))}" for k, val in values.items())
    return (
        """#!/bin/bash
# Managed by proxcloud: provisions HumHub on this Debian 12 VM. Safe to run again (every step checks first).
set -euo pipefail
umask 027
"""
        + header
        + r"""
DB_PASSWORD_FILE="$CFG/db_password"
ADMIN_PASSWORD_FILE="$CFG/admin_password"
MARKER=/var/lib/proxcloud/humhub-installed

log() { printf 'proxcloud-humhub: %s\n' "$*" >&2; }

have_systemd() { [ -d /run/systemd/system ]; }

stop_pidfile() {  # without systemd: stop a daemon by its pid file and wait for it to go
  local pidfile=$1 pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
}

wait_for_mariadb() {
  for _ in $(seq 1 150); do mariadb-admin --silent ping >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "MariaDB did not come up"; return 1
}

restart_service() {  # restart_service mariadb|php-fpm|nginx
  if have_systemd; then
    case $1 in
      php-fpm) systemctl enable --quiet "php$PHPV-fpm"; systemctl restart "php$PHPV-fpm" ;;
      *) systemctl enable --quiet "$1"; systemctl restart "$1" ;;
    esac
    [ "$1" != mariadb ] || wait_for_mariadb
    return 0
  fi
  case $1 in
    mariadb)
      stop_pidfile /run/mysqld/mysqld.pid
      install -d -o mysql -g mysql -m 0755 /run/mysqld
      setsid mariadbd --user=mysql --pid-file=/run/mysqld/mysqld.pid \
        </dev/null >>/var/log/mysql/proxcloud-direct.log 2>&1 &
      wait_for_mariadb ;;
    php-fpm)
      stop_pidfile "/run/php/php$PHPV-fpm.pid"
      install -d -m 0755 /run/php
      "php-fpm$PHPV" --daemonize --fpm-config "/etc/php/$PHPV/fpm/php-fpm.conf" ;;
    nginx)
      stop_pidfile /run/nginx.pid
      nginx ;;
  esac
}

sql_string() {  # a MariaDB string literal (backslash and quote escaped)
  local s=${1//\\/\\\\}
  s=${s//\'/\\\'}
  printf "'%s'" "$s"
}

for f in "$DB_PASSWORD_FILE" "$ADMIN_PASSWORD_FILE"; do
  [ -s "$f" ] || { log "missing secret file $f (written by cloud-init)"; exit 1; }
done
chmod 0600 "$DB_PASSWORD_FILE" "$ADMIN_PASSWORD_FILE"
DB_PASSWORD=$(cat "$DB_PASSWORD_FILE")
ADMIN_PASSWORD=$(cat "$ADMIN_PASSWORD_FILE")

# The archive first: a bad download stops the run before anything on the system changed.
if [ ! -e "$MARKER" ]; then
  if [ ! -e "$WEBROOT/protected/yii" ]; then
    log "HumHub $VERSION: download and verify sha256"
    work=$(mktemp -d /var/tmp/proxcloud-humhub.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    curl --fail --silent --show-error --location --proto '=https,file' --output "$work/humhub.tar.gz" "$URL"
    if ! printf '%s  %s\n' "$SHA256" "$work/humhub.tar.gz" | sha256sum --check --status; then
      got=$(sha256sum "$work/humhub.tar.gz" | cut -d' ' -f1)
      log "sha256 mismatch for $URL: expected $SHA256, got $got; not unpacking"
      exit 1
    fi
    mkdir "$work/tree"
    tar -xzf "$work/humhub.tar.gz" -C "$work/tree" --strip-components=1 --no-same-owner
    [ -e "$work/tree/protected/yii" ] || { log "archive has no protected/yii"; exit 1; }
    install -d -m 0755 "$(dirname "$WEBROOT")"
    rm -rf "$WEBROOT"
    mv "$work/tree" "$WEBROOT"
  fi
fi
log "MariaDB: socket only, database and user"
install -m 0644 "$CFG/mariadb.cnf" /etc/mysql/mariadb.conf.d/60-proxcloud-humhub.cnf
install -d -o mysql -g adm -m 2750 /var/log/mysql
restart_service mariadb
# The statements go through stdin, so the password never shows in a process list or a log.
mariadb --batch <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY $(sql_string "$DB_PASSWORD");
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY $(sql_string "$DB_PASSWORD");
GRANT SELECT, INSERT, DELETE, UPDATE, CREATE, ALTER, INDEX, DROP, REFERENCES
  ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL

log "PHP $PHPV: limits and the humhub FPM pool"
install -m 0644 "$CFG/php.ini" "/etc/php/$PHPV/fpm/conf.d/90-proxcloud-humhub.ini"
install -m 0644 "$CFG/php.ini" "/etc/php/$PHPV/cli/conf.d/90-proxcloud-humhub.ini"
install -m 0644 "$CFG/php-fpm-pool.conf" "/etc/php/$PHPV/fpm/pool.d/humhub.conf"
rm -f "/etc/php/$PHPV/fpm/pool.d/www.conf"
"php-fpm$PHPV" -t --fpm-config "/etc/php/$PHPV/fpm/php-fpm.conf"

log "nginx: the HumHub site on the internal address only"
install -m 0644 "$CFG/nginx-site.conf" /etc/nginx/sites-available/humhub
ln -sfn /etc/nginx/sites-available/humhub /etc/nginx/sites-enabled/humhub
rm -f /etc/nginx/sites-enabled/default  # Debian's default site listens on every interface
nginx -t -q

install -m 0644 "$CFG/web.php" "$WEBROOT/protected/config/web.php"
install -m 0644 "$CFG/common.php" "$WEBROOT/protected/config/common.php"
chown -R www-data:www-data "$WEBROOT"
chmod 0755 "$WEBROOT"

restart_service php-fpm
restart_service nginx

yii() { (cd "$WEBROOT" && runuser -u www-data -- "php$PHPV" protected/yii "$@" --interactive=0); }
if [ ! -e "$MARKER" ]; then
  log "HumHub: non-interactive install"
  # HumHub's console installer takes these as arguments (they are briefly visible to local root/ops only).
  yii installer/write-db-config localhost "$DB_NAME" "$DB_USER" "$DB_PASSWORD"
  yii installer/install-db
  yii installer/write-site-config "$SITE_NAME" "$ADMIN_EMAIL"
  yii installer/set-base-url "$BASE_URL"
  yii installer/create-admin-account "$ADMIN_USER" "$ADMIN_EMAIL" "$ADMIN_PASSWORD"
  install -d -m 0755 "$(dirname "$MARKER")"
  printf '%s\n' "$VERSION" >"$MARKER"
fi

log "cron: queue/run and cron/run every minute"
install -m 0644 "$CFG/crontab" /etc/cron.d/humhub
log "done"
"""
    )


def humhub_cloud_config(
    site: HumHubSite, ssh_keys: tuple[str, ...], db_password: str, admin_password: str
) -> CloudConfig:
    """The HumHub VM's cloud-config: packages, staged configs, root-only secret files, then the provision script."""
    for name, secret in (("db_password", db_password), ("admin_password", admin_password)):
        if len(secret) < 12 or not secret.isprintable():
            raise HumHubSiteError(f"{name}: use at least 12 printable characters (got {len(secret)})")
    files = [WriteFile(f"{site.config_dir}/{name}", text) for name, text in staged_files(site).items()]
    files += [
        WriteFile(f"{site.config_dir}/db_password", db_password, permissions="0600"),
        WriteFile(f"{site.config_dir}/admin_password", admin_password, permissions="0600"),
        WriteFile(PROVISION_PATH, provision_script(site), permissions="0700"),
    ]
    return CloudConfig(
        hostname=site.hostname,
        fqdn=None,
        ssh_keys=ssh_keys,
        packages=humhub_packages(site),
        write_files=tuple(files),
        runcmd=((PROVISION_PATH,),),
        timezone=site.timezone,
        guest_agent=True,
    )
