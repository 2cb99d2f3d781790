"""WordPress split over two LXC containers (setup C): `wp-web` (Apache + mod_php 8.2) and `wp-db` (MariaDB).

Pure: a WordPressSite plus secrets (plain `str` arguments, so the Pulumi component calls these inside
`Output.apply` on secret Outputs) in, file text and idempotent bash scripts out. Each script is piped into its
container with `pct exec <id> -- bash -s` (render/provision.py) and runs unchanged in the tests' Debian chroot.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from model.types import EMAIL_RE as _EMAIL_RE  # one rule for e-mails and host names: the tenant file's types
from model.types import HOST_NAME_RE as _HOST_RE
from model.types import SHA256_RE as _SHA256_RE  # and for checksums
from render.provision import put_file, script

# PHP extensions of the WordPress Hosting Handbook, "Server Environment" > "PHP Extensions"
# (make.wordpress.org/hosting/handbook/server-environment/#php-extensions): "required" json and mysqli, and the
# "highly recommended" curl, dom, exif, fileinfo, hash, igbinary, imagick, intl, mbstring, openssl, pcre, xml,
# zip. `php -m` module name -> the Debian 12 package that provides it (json, hash, pcre, openssl are built in).
REQUIRED_PHP_EXTENSIONS: dict[str, str] = {"json": "php{v}-cli", "mysqli": "php{v}-mysql"}
RECOMMENDED_PHP_EXTENSIONS: dict[str, str] = {
    "curl": "php{v}-curl",
    "dom": "php{v}-xml",
    "exif": "php{v}-common",
    "fileinfo": "php{v}-common",
    "hash": "php{v}-cli",
    "igbinary": "php{v}-igbinary",
    "imagick": "php{v}-imagick",
    "intl": "php{v}-intl",
    "mbstring": "php{v}-mbstring",
    "openssl": "php{v}-common",
    "pcre": "php{v}-cli",
    "xml": "php{v}-xml",
    "zip": "php{v}-zip",
}
# wp-config.php's eight keys and salts (WordPress's wp-config-sample.php; api.wordpress.org/secret-key/1.1/salt/).
SALT_NAMES = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)

_DB_IDENT_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{1,20}_$")
_ADMIN_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,60}$")
_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
_PATH_RE = re.compile(r"^/[A-Za-z0-9_./-]*[A-Za-z0-9_]$")


class WordPressSiteError(ValueError):
    """A WordPressSite field or secret that cannot be rendered safely; the message names it and the fix."""


def _check(ok: bool, field: str, value: object, fix: str) -> None:
    if not ok:
        raise WordPressSiteError(f"WordPressSite.{field} = {value!r}: {fix}")


def _is_ip(value: str) -> bool:
    try:
        return not ipaddress.ip_address(value).is_unspecified
    except ValueError:
        return False


@dataclass(frozen=True)
class WordPressSite:
    """Everything both containers need except the secrets (arguments of the render functions)."""

    public_host: str
    """Host name visitors use through the reverse proxy (WP_HOME / WP_SITEURL, Apache ServerName)."""
    web_address: str
    """wp-web's internal address: Apache listens there only; the db user is allowed from there only."""
    db_address: str
    """wp-db's internal address: MariaDB listens there only; wp-config.php's DB_HOST."""
    site_title: str
    admin_username: str
    admin_email: str
    wordpress_version: str
    download_url: str
    """Release archive from wordpress.org/download/releases/ (https; file:// only in tests)."""
    download_sha256: str
    """sha256 of that archive, pinned by the operator; provisioning refuses to unpack anything else."""
    reverse_proxies: tuple[str, ...] = ()
    """Addresses of the reverse proxies whose `X-Forwarded-Proto: https` WordPress believes."""
    public_scheme: str = "https"
    listen_port: int = 80
    db_port: int = 3306
    db_name: str = "wordpress"
    db_user: str = "wordpress"
    table_prefix: str = "wp_"
    php_version: str = "8.2"
    webroot: str = "/var/www/wordpress"
    upload_max_mb: int = 64
    memory_limit_mb: int = 256

    def __post_init__(self) -> None:
        _check(bool(_HOST_RE.match(self.public_host)), "public_host", self.public_host, "use a lowercase DNS name")
        for name in ("web_address", "db_address"):
            value = getattr(self, name)
            _check(_is_ip(value), name, value, "use the container's internal IPv4/IPv6 address")
        for proxy in self.reverse_proxies:
            _check(_is_ip(proxy), "reverse_proxies", proxy, "use the reverse proxies' addresses, e.g. 10.10.10.2")
        _check(self.public_scheme in ("http", "https"), "public_scheme", self.public_scheme, "use http or https")
        for name in ("listen_port", "db_port"):
            value = getattr(self, name)
            _check(isinstance(value, int) and 1 <= value <= 65535, name, value, "use a TCP port 1-65535")
        _check(
            bool(self.site_title) and self.site_title.isprintable() and len(self.site_title) <= 100,
            "site_title",
            self.site_title,
            "use 1-100 printable characters",
        )
        _check(
            bool(_ADMIN_RE.match(self.admin_username)),
            "admin_username",
            self.admin_username,
            "use 3-60 of A-Z a-z 0-9 _ . @ -",
        )
        _check(bool(_EMAIL_RE.match(self.admin_email)), "admin_email", self.admin_email, "use admin@example.org")
        _check(
            bool(_VERSION_RE.match(self.wordpress_version)),
            "wordpress_version",
            self.wordpress_version,
            "use a release number like 6.8.3",
        )
        url = urlparse(self.download_url)
        _check(
            (url.scheme == "https" and bool(url.netloc)) or (url.scheme == "file" and url.path.startswith("/")),
            "download_url",
            self.download_url,
            "use the https:// release URL, e.g. https://wordpress.org/wordpress-6.8.3.tar.gz",
        )
        _check(
            bool(_SHA256_RE.match(self.download_sha256)),
            "download_sha256",
            self.download_sha256,
            "use 64 lowercase hex digits (sha256sum of the release archive)",
        )
        for name in ("db_name", "db_user"):
            value = getattr(self, name)
            _check(bool(_DB_IDENT_RE.match(value)), name, value, "use 1-32 of A-Z a-z 0-9 _")
        _check(bool(_PREFIX_RE.match(self.table_prefix)), "table_prefix", self.table_prefix, "use e.g. wp_")
        _check(self.php_version == "8.2", "php_version", self.php_version, "Debian 12 ships PHP 8.2 only")
        _check(bool(_PATH_RE.match(self.webroot)), "webroot", self.webroot, "use an absolute path, no trailing /")
        _check(self.upload_max_mb >= 2, "upload_max_mb", self.upload_max_mb, "use 2 or more")
        _check(self.memory_limit_mb >= 128, "memory_limit_mb", self.memory_limit_mb, "WordPress needs 128 or more")

    @property
    def home_url(self) -> str:
        return f"{self.public_scheme}://{self.public_host}"

    @property
    def db_host(self) -> str:
        """wp-config.php's DB_HOST: an address (never `localhost`, which means the Unix socket) and the port."""
        host = f"[{self.db_address}]" if ":" in self.db_address else self.db_address
        return f"{host}:{self.db_port}"


def _check_secret(name: str, value: str, min_len: int = 12) -> None:
    if len(value) < min_len or not value.isprintable():
        raise WordPressSiteError(f"{name}: use at least {min_len} printable characters (got {len(value)})")


def check_salts(salts: Mapping[str, str]) -> None:
    """Exactly WordPress's eight keys/salts, each long and printable (WordPress's generator makes 64)."""
    if set(salts) != set(SALT_NAMES):
        raise WordPressSiteError(f"salts: give exactly {', '.join(SALT_NAMES)} (got {', '.join(sorted(salts))})")
    for name in SALT_NAMES:
        _check_secret(f"salts[{name}]", salts[name], min_len=32)


# --- wp-db ---------------------------------------------------------------------------------------------------


def db_packages() -> tuple[str, ...]:
    return ("mariadb-server",)


def mariadb_conf(site: WordPressSite) -> str:
    """MariaDB on wp-db's internal address only; IP-based grants (skip-name-resolve) so the host check is exact."""
    return f"""# Managed by proxcloud: WordPress's database, reachable from wp-web only (grant + firewall).
[mariadbd]
bind-address = {site.db_address}
port = {site.db_port}
# Accounts are matched by address: no reverse DNS, so a PTR record can never widen who may log in.
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
"""


DB_CONF_PATH = "/etc/mysql/mariadb.conf.d/60-proxcloud-wordpress.cnf"

_DB_HEAD = r"""
ensure_packages mariadb-server

wait_for_mariadb() {
  for _ in $(seq 1 150); do mariadb-admin --silent ping >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "MariaDB did not come up"; return 1
}
restart_mariadb() {
  if have_systemd; then
    systemctl enable --quiet mariadb; systemctl restart mariadb
  else
    stop_pidfile /run/mysqld/mysqld.pid
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    install -d -o mysql -g adm -m 2750 /var/log/mysql
    setsid mariadbd --user=mysql --pid-file=/run/mysqld/mysqld.pid \
      </dev/null >>/var/log/mysql/proxcloud-direct.log 2>&1 &
  fi
  wait_for_mariadb
}

log "MariaDB: listen on $DB_ADDRESS:$DB_PORT only"
"""
_DB_TAIL = r"""restart_mariadb

log "database $DB_NAME, user $DB_USER@$WEB_ADDRESS only"
# Statements go through stdin (root over the Unix socket): the password is never an argument of a process.
mariadb --batch <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$DB_USER'@'$WEB_ADDRESS' IDENTIFIED BY $(sql_string "$DB_PASSWORD");
ALTER USER '$DB_USER'@'$WEB_ADDRESS' IDENTIFIED BY $(sql_string "$DB_PASSWORD");
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'$WEB_ADDRESS';
SQL
# The user exists for wp-web's address and nothing else: drop hosts left from an earlier address.
mariadb --batch -N -e "SELECT Host FROM mysql.user WHERE User = '$DB_USER'" | while read -r host; do
  [ "$host" = "$WEB_ADDRESS" ] && continue
  log "dropping stale $DB_USER@$host"
  mariadb --batch -e "DROP USER '$DB_USER'@'$host'"
done
mariadb --batch -e "FLUSH PRIVILEGES"
log "done"
"""


def db_script(site: WordPressSite, db_password: str) -> str:
    """wp-db's provisioning: MariaDB on the db address, the database, a user allowed only from wp-web."""
    _check_secret("db_password", db_password)
    values = {
        "DB_ADDRESS": site.db_address,
        "DB_PORT": site.db_port,
        "DB_NAME": site.db_name,
        "DB_USER": site.db_user,
        "WEB_ADDRESS": site.web_address,
        "DB_PASSWORD": db_password,
    }
    return script("wp-db", values, _DB_HEAD + put_file(DB_CONF_PATH, mariadb_conf(site)) + _DB_TAIL)


# --- wp-web --------------------------------------------------------------------------------------------------


def php_extension_packages(site: WordPressSite) -> tuple[str, ...]:
    names = {**REQUIRED_PHP_EXTENSIONS, **RECOMMENDED_PHP_EXTENSIONS}.values()
    return tuple(sorted({n.format(v=site.php_version) for n in names}))


def web_packages(site: WordPressSite) -> tuple[str, ...]:
    v = site.php_version
    base = ("apache2", f"libapache2-mod-php{v}", f"php{v}-cli", "curl", "ca-certificates")
    return tuple(sorted(set(base) | set(php_extension_packages(site))))


def _listen(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def apache_ports_conf(site: WordPressSite) -> str:
    """/etc/apache2/ports.conf: Debian's listens on every interface; this one on the internal address only."""
    return f"""# Managed by proxcloud: plain http on wp-web's internal address; TLS ends at the reverse proxy.
Listen {_listen(site.web_address, site.listen_port)}
"""


def apache_vhost(site: WordPressSite) -> str:
    """The WordPress virtual host (mod_php handles .php through Debian's php8.2.conf)."""
    root = site.webroot
    return f"""# Managed by proxcloud: WordPress {site.wordpress_version} for {site.public_host}.
<VirtualHost {_listen(site.web_address, site.listen_port)}>
    ServerName {site.public_host}
    DocumentRoot {root}
    DirectoryIndex index.php index.html
    ServerSignature Off
    ErrorLog ${{APACHE_LOG_DIR}}/wordpress-error.log
    CustomLog ${{APACHE_LOG_DIR}}/wordpress-access.log combined
    # One request may carry an upload plus form fields (PHP's post_max_size).
    LimitRequestBody {(site.upload_max_mb + 8) * 1024 * 1024}

    <Directory {root}>
        Options FollowSymLinks
        # WordPress writes its permalink rules to .htaccess (mod_rewrite), as its documentation expects.
        AllowOverride All
        Require all granted
    </Directory>
    # Secrets and the installer's leftovers are never served.
    <FilesMatch "^(wp-config\\.php|wp-config-sample\\.php|readme\\.html|license\\.txt)$">
        Require all denied
    </FilesMatch>
    # Uploaded files are data: nothing under uploads/ is ever executed.
    <Directory {root}/wp-content/uploads>
        <FilesMatch "\\.(php[0-9]?|phtml|phar)$">
            Require all denied
        </FilesMatch>
    </Directory>
</VirtualHost>
"""


def _php_str(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def wp_config_php(site: WordPressSite, db_password: str, salts: Mapping[str, str]) -> str:
    """wp-config.php: DB on wp-db's address over TCP, the generated salts, HTTPS as seen by the reverse proxy."""
    _check_secret("db_password", db_password)
    check_salts(salts)
    keys = "\n".join(f"define({_php_str(k)}, {_php_str(salts[k])});" for k in SALT_NAMES)
    proxies = ", ".join(_php_str(p) for p in site.reverse_proxies)
    force_ssl = "true" if site.public_scheme == "https" else "false"
    return f"""<?php
// Managed by proxcloud: re-rendered on every provisioning run; edit the spec, not this file.
define('DB_NAME', {_php_str(site.db_name)});
define('DB_USER', {_php_str(site.db_user)});
define('DB_PASSWORD', {_php_str(db_password)});
define('DB_HOST', {_php_str(site.db_host)});
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');

{keys}

$table_prefix = {_php_str(site.table_prefix)};

// The public URL is fixed here, so WordPress never derives it from a (spoofable) Host header.
define('WP_HOME', {_php_str(site.home_url)});
define('WP_SITEURL', {_php_str(site.home_url)});

// TLS ends at the reverse proxy. Its X-Forwarded-Proto is believed only from its own address(es), so is_ssl()
// is right behind the proxy and cannot be faked by anyone else (the firewall lets only the proxy in anyway).
if (isset($_SERVER['HTTP_X_FORWARDED_PROTO'], $_SERVER['REMOTE_ADDR'])
    && strtolower($_SERVER['HTTP_X_FORWARDED_PROTO']) === 'https'
    && in_array($_SERVER['REMOTE_ADDR'], [{proxies}], true)) {{
    $_SERVER['HTTPS'] = 'on';
}}
define('FORCE_SSL_ADMIN', {force_ssl});

// Code changes come from provisioning, not from the dashboard's file editor.
define('DISALLOW_FILE_EDIT', true);
define('WP_DEBUG', false);

if (!defined('ABSPATH')) {{
    define('ABSPATH', __DIR__ . '/');
}}
require_once ABSPATH . 'wp-settings.php';
"""


def php_ini(site: WordPressSite) -> str:
    return f"""; Managed by proxcloud: WordPress's PHP limits (Apache module and CLI).
memory_limit = {site.memory_limit_mb}M
upload_max_filesize = {site.upload_max_mb}M
post_max_size = {site.upload_max_mb + 8}M
max_execution_time = 60
expose_php = Off
"""


# WordPress's own installer, as WP-CLI's `core install` drives it: wp_install() from wp-admin/includes/upgrade.php,
# only when is_blog_installed() says no. The admin password arrives on stdin (never argv, never a file).
INSTALLER_PHP = r"""<?php
// Managed by proxcloud: WordPress's non-interactive install (wp_install), run as www-data.
[$self, $webroot, $host, $title, $user, $email] = $argv;
$_SERVER['HTTP_HOST'] = $host;
$_SERVER['SERVER_NAME'] = $host;
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require $webroot . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) {
    fwrite(STDERR, "already installed\n");
    exit(0);
}
$password = rtrim(stream_get_contents(STDIN), "\n");
$result = wp_install($title, $user, $email, false, '', wp_slash($password));
if (empty($result['user_id'])) {
    fwrite(STDERR, "wp_install did not create the admin account\n");
    exit(1);
}
fwrite(STDERR, "installed, admin user id {$result['user_id']}\n");
"""
INSTALLER_PATH = "/usr/local/lib/proxcloud/wordpress-install.php"

_WEB_BODY = r"""
ensure_packages $PACKAGES

restart_apache() {
  if have_systemd; then
    systemctl enable --quiet apache2; systemctl restart apache2
  else
    stop_pidfile /run/apache2/apache2.pid
    apache2ctl start
  fi
}

# The archive first: a bad download stops the run before anything on the system changed.
if [ ! -e "$WEBROOT/wp-settings.php" ]; then
  log "WordPress $VERSION: download and verify sha256"
  work=$(mktemp -d /var/tmp/proxcloud-wordpress.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  curl --fail --silent --show-error --location --proto '=https,file' --output "$work/wordpress.tar.gz" "$URL"
  if ! printf '%s  %s\n' "$SHA256" "$work/wordpress.tar.gz" | sha256sum --check --status; then
    got=$(sha256sum "$work/wordpress.tar.gz" | cut -d' ' -f1)
    log "sha256 mismatch for $URL: expected $SHA256, got $got; not unpacking"
    exit 1
  fi
  mkdir "$work/tree"
  tar -xzf "$work/wordpress.tar.gz" -C "$work/tree" --strip-components=1 --no-same-owner
  [ -e "$work/tree/wp-settings.php" ] || { log "archive has no wp-settings.php"; exit 1; }
  install -d -m 0755 "$(dirname "$WEBROOT")"
  rm -rf "$WEBROOT"
  mv "$work/tree" "$WEBROOT"
  install -d "$WEBROOT/wp-content/uploads"
  chown -R www-data:www-data "$WEBROOT/wp-content"
  chmod 0755 "$WEBROOT"
fi

log "wp-config.php (root:www-data 0640: the DB password and salts stay out of reach of other users)"
__FILES__
log "Apache: rewrite on, Debian's catch-all site off, WordPress on $LISTEN only"
a2enmod -q rewrite >/dev/null
a2dismod -q -f autoindex >/dev/null 2>&1 || true  # no directory listings
a2dissite -q 000-default >/dev/null 2>&1 || true
a2ensite -q wordpress >/dev/null
apache2ctl -t
restart_apache

log "WordPress install (skipped when the database already has a site)"
printf '%s\n' "$ADMIN_PASSWORD" | runuser -u www-data -- "php$PHPV" "$INSTALLER" "$WEBROOT" "$PUBLIC_HOST" \
  "$SITE_TITLE" "$ADMIN_USER" "$ADMIN_EMAIL"
log "done"
"""


def web_script(site: WordPressSite, db_password: str, admin_password: str, salts: Mapping[str, str]) -> str:
    """wp-web's provisioning: Apache + PHP, the verified release, wp-config.php, the vhost, WordPress's install."""
    _check_secret("admin_password", admin_password)
    v = site.php_version
    files = (
        put_file(f"{site.webroot}/wp-config.php", wp_config_php(site, db_password, salts), "0640", "root:www-data")
        + put_file(f"/etc/php/{v}/apache2/conf.d/90-proxcloud-wordpress.ini", php_ini(site))
        + put_file(f"/etc/php/{v}/cli/conf.d/90-proxcloud-wordpress.ini", php_ini(site))
        + put_file("/etc/apache2/ports.conf", apache_ports_conf(site))
        + put_file("/etc/apache2/sites-available/wordpress.conf", apache_vhost(site))
        + put_file(INSTALLER_PATH, INSTALLER_PHP)
    )
    values = {
        "PACKAGES": " ".join(web_packages(site)),
        "WEBROOT": site.webroot,
        "VERSION": site.wordpress_version,
        "URL": site.download_url,
        "SHA256": site.download_sha256,
        "PHPV": v,
        "LISTEN": _listen(site.web_address, site.listen_port),
        "INSTALLER": INSTALLER_PATH,
        "PUBLIC_HOST": site.public_host,
        "SITE_TITLE": site.site_title,
        "ADMIN_USER": site.admin_username,
        "ADMIN_EMAIL": site.admin_email,
        "ADMIN_PASSWORD": admin_password,
    }
    return script("wp-web", values, _WEB_BODY.replace("__FILES__\n", files))
