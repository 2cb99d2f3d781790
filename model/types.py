"""Shared validated value types: one rule per kind of string that lands in a name, path, host name, script or PVE id.

Every field of the input models uses these, so bad input is refused when a file is loaded, with the field and
a fix, and renderers and components can trust what reaches them (services/humhub/render.py and
services/wordpress/render.py check host names and e-mails with these very patterns). Rules are ASCII-only where
a name or id is meant: no look-alike letters, no invisible characters.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field


class Invalid(ValueError):
    """A value a rule refuses, with how to fix it. `at` extends the field path (for rules of a whole mapping that
    belong to one of its fields); model.load reads `fix` and `at` from the validation error."""

    def __init__(self, message: str, fix: str, at: Sequence[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.at = tuple(at)


# --- text ------------------------------------------------------------------------------------------------------


def unsafe_character(value: str) -> str | None:
    """The first character that must not reach a name, file, script or UI, named; None when there is none.

    str.isprintable() is false for control characters (NUL, tab, line breaks), format characters (zero-width
    space/joiners U+200B-U+200D, the bidi marks and overrides U+200E/U+200F, U+202A-U+202E, U+2066-U+2069, the BOM),
    line and paragraph separators (U+2028, U+2029), spaces other than the ASCII space, surrogates, private-use
    and unassigned code points: everything a reader cannot see or that changes how the text around it reads.
    """
    for ch in value:
        if not ch.isprintable():
            return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed').lower()})"
    return None


def check_text(value: str, what: str = "text", min_len: int = 1, max_len: int = 200) -> str:
    """One line of printable text of bounded length, without surrounding spaces."""
    bad = unsafe_character(value)
    if bad is not None:
        raise Invalid(
            f"{what} {_show(value)} holds the invisible or control character {bad}",
            "retype it as plain text on one line (no tabs, line breaks, zero-width or direction marks)",
        )
    if value != value.strip():
        raise Invalid(f"{what} {_show(value)} starts or ends with a space", "remove the spaces around it")
    if not min_len <= len(value) <= max_len:
        raise Invalid(
            f"{what} has {len(value)} characters",
            f"use {min_len}-{max_len} characters" if min_len else f"use at most {max_len} characters",
        )
    return value


def _show(value: str, limit: int = 60) -> str:
    """A value for a message: repr (escapes make invisible characters visible), cut when long."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...' ({len(value)} characters)"


def Text(max_len: int = 200, min_len: int = 1, what: str = "text") -> Any:
    """A string type: one line of printable text, `min_len`-`max_len` characters."""
    return Annotated[
        str,
        AfterValidator(lambda v: check_text(v, what, min_len, max_len)),
        Field(json_schema_extra={"minLength": min_len, "maxLength": max_len}),
    ]


def _rule(
    pattern: re.Pattern[str],
    what: str,
    fix: str,
    max_len: int,
    min_len: int = 1,
    extra: Callable[[str], None] | None = None,
) -> Callable[[str], str]:
    def check(value: str) -> str:
        head = f"{_show(value)} is not a valid {what}"
        if not min_len <= len(value) <= max_len:
            raise Invalid(f"{head}: it has {len(value)} characters", f"use {min_len}-{max_len}; {fix}")
        bad = unsafe_character(value)
        if bad is not None:
            raise Invalid(f"{head}: it holds the invisible or control character {bad}", fix)
        if not pattern.fullmatch(value):
            raise Invalid(head, fix)
        if extra is not None:
            extra(value)
        return value

    return check


def Pattern(
    pattern: re.Pattern[str],
    what: str,
    fix: str,
    max_len: int,
    min_len: int = 1,
    extra: Callable[[str], None] | None = None,
) -> Any:
    """A string type: `pattern` (matched as a whole), at most `max_len` characters; the JSON Schema carries both."""
    return Annotated[
        str,
        AfterValidator(_rule(pattern, what, fix, max_len, min_len, extra)),
        Field(json_schema_extra={"pattern": f"^(?:{pattern.pattern})$", "minLength": min_len, "maxLength": max_len}),
    ]


# --- names and ids (ASCII only) -----------------------------------------------------------------------------------

_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
# A public DNS name: lower case, two labels or more, at most 253 characters, not an IP address (last label not
# all digits). As strict as every renderer's host check (services/proxy/render.py's route hosts among them).
HOST_NAME = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}", re.ASCII)
HOST_NAME_RE = re.compile(rf"\A(?:{HOST_NAME.pattern})\Z", re.ASCII)  # for `.match` in renderers
_MAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
# Local part: what PVE (its `email` format), Let's Encrypt (services/proxy/render.py) and the renderers all accept - no
# quotes, no spaces, no consecutive dots; the domain a DNS name with a letters-only top-level label.
EMAIL = re.compile(
    rf"(?=.{{3,254}}$)(?=[^@]{{1,64}}@)[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*@(?:{_MAIL_LABEL}\.)+[A-Za-z]{{2,63}}",
    re.ASCII,
)
EMAIL_RE = re.compile(rf"\A(?:{EMAIL.pattern})\Z", re.ASCII)
# pve-manager / pve-access-control formats (cross-checked against fakepve in tests/model/test_pve_ids.py).
SDN_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]")  # zones and VNets: 2-8 chars
NODE_NAME = re.compile(r"[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?")
STORAGE_ID = re.compile(r"[a-z][a-z0-9\-_.]*[a-z0-9]")
TENANT_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
PERSON_NAME = re.compile(r"[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*")
HOST_LABEL = re.compile(r"[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?")  # a guest's host name and PVE name
ROLE_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")
BRIDGE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,14}")  # a Linux bridge (IFNAMSIZ 15): vmbr0
SHA256 = re.compile(r"[0-9a-f]{64}")
SHA512 = re.compile(r"[0-9a-f]{128}")
SHA256_RE = re.compile(rf"\A{SHA256.pattern}\Z")
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-]*")
TEMPLATE_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-]*\.tar\.(?:gz|xz|zst)")
HHMM = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")
CALENDAR = re.compile(r"[A-Za-z0-9*/:,.~ \-]+")  # systemd/PBS calendar events: sat 04:00, */15, mon..fri 02:00
UNIX_USER = re.compile(r"[a-z_][a-z0-9_\-]{0,31}")
PBS_USER = re.compile(r"[A-Za-z0-9._\-]{1,64}@[A-Za-z][A-Za-z0-9._\-]{1,31}(?:![A-Za-z][A-Za-z0-9._\-]{0,31})?")
PBS_DATASTORE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._\-]*")
RELEASE = re.compile(r"[0-9]{1,4}\.[0-9]{1,4}(?:\.[0-9]{1,4})?")  # 6.8.3
RELEASE_SUFFIXED = re.compile(
    r"[0-9]{1,4}\.[0-9]{1,4}(?:\.[0-9]{1,4})?(?:[\-.][A-Za-z0-9.]+)?"
)  # 1.17.3, 1.18.0-beta.1
LOGIN = re.compile(r"[A-Za-z0-9_.@\-]+")  # application admin accounts (HumHub, WordPress)
PATH = re.compile(r"[A-Za-z0-9._+/\-]+")

HostName = Pattern(HOST_NAME, "host name", "use a lower-case DNS name such as app.example.org", 253)
Domain = Pattern(HOST_NAME, "DNS domain", "use a lower-case DNS domain such as example.net", 200)
Email = Pattern(
    EMAIL, "e-mail address", "use an address like admin@example.org (letters, digits, . _ + - before the @)", 254
)
TenantName = Pattern(
    TENANT_NAME,
    "tenant name",
    "use 2-24 lower-case letters and digits, words joined by single '-' (e.g. acme-corp)",
    24,
    min_len=2,
)
HostLabel = Pattern(
    HOST_LABEL, "host name", "use lower-case letters, digits and '-', a letter first, at most 40 characters", 40
)
RoleName = Pattern(ROLE_NAME, "role name", "use lower-case letters, digits and '-', a letter first (e.g. web)", 20)
NodeName = Pattern(NODE_NAME, "PVE node name", "use the node's name as `pvecm nodes` shows it (e.g. pve1)", 63)
Bridge = Pattern(
    BRIDGE, "bridge name", "use the Linux bridge's name on the nodes, e.g. vmbr0 (letters, digits, _ and -)", 15
)
FileName = Pattern(
    FILE_NAME, "file name", "use a plain file name: letters, digits, '.', '_', '+', '-' (no folders)", 255
)
CalendarEvent = Pattern(CALENDAR, "calendar event", "use a PVE calendar event such as `sat 04:00` or `*/15`", 64)
Hhmm = Pattern(HHMM, "time HH:MM", 'write a 24-hour time in quotes, e.g. "01:30"', 5)
UnixUser = Pattern(UNIX_USER, "user name", "use a Unix login such as root", 32)
PbsUser = Pattern(PBS_USER, "PBS user id", "use user@realm, e.g. pve-backup@pbs (or user@realm!token)", 130)
PbsDatastore = Pattern(PBS_DATASTORE, "PBS datastore name", "use the datastore's name on the PBS host", 64)
Sha256 = Pattern(SHA256, "sha256 checksum", "use the 64 lower-case hex digits of `sha256sum` (all zeros: unpinned)", 64)
TenantsDir = Pattern(
    PATH, "folder", "use the folder of the tenant files, e.g. tenants (letters, digits, . _ + - and /)", 255
)


SdnId = Pattern(SDN_ID, "PVE SDN id", "use 2-8 characters, a letter first, then letters and digits only", 8, 2)
StorageId = Pattern(
    STORAGE_ID,
    "PVE storage id",
    "use the storage's id in PVE: lower-case letters, digits, '-', '_', '.' (e.g. local-zfs)",
    64,
    min_len=2,
)


def _person(value: str) -> None:
    if len(value) + len("@pve") > 64:
        raise Invalid(f"'{value}@pve' is longer than PVE's 64 characters for a user id", "use a shorter name")


PersonName = Pattern(
    PERSON_NAME, "account name", "use firstname.lastname in lower-case letters (e.g. ada.lovelace)", 60, 3, _person
)
# The VNet alias as the provider accepts it (bpg v0.111.1 fwprovider/cluster/sdn/vnet/resource.go, `alias`:
# ^[()._a-zA-Z0-9\s-]+$), stricter than PVE's own [\(\)-_.\w\d\s]; plain spaces only (a single line)
VNET_ALIAS = re.compile(r"[()._a-zA-Z0-9 -]+")


DIGEST_LENGTH = {"sha256": 64, "sha512": 128}


def check_checksum(value: str, algorithm: str) -> str:
    """A sha256 or sha512 hex digest, as PVE's download and the provisioning scripts compare it."""
    pattern = {"sha256": SHA256, "sha512": SHA512}.get(algorithm)
    if pattern is None:
        raise Invalid(
            f"checksum algorithm {algorithm!r} is not supported", "use sha256 or sha512", ("checksumAlgorithm",)
        )
    if not pattern.fullmatch(value):
        raise Invalid(
            f"checksum {_show(value)} is not {DIGEST_LENGTH[algorithm]} lower-case hex digits ({algorithm})",
            f"copy the {algorithm} of the file from its published checksums (all zeros: not pinned yet)",
            ("checksum",),
        )
    return value


# --- URLs ----------------------------------------------------------------------------------------------------------

# PVE's own appliance index (LXC templates) is served over http; the pinned checksum guards the download.
TEMPLATE_HTTP_HOSTS = ("download.proxmox.com",)
# RFC 3986 characters less the ones a shell or a quoted string could take for syntax (' " ` $ \ and spaces).
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!&()*+,;=%]+")


def check_url(value: str, http_hosts: tuple[str, ...] = ()) -> str:
    """An https URL with a valid host (http only for the hosts given), no credentials, no odd characters."""
    fix = "use the https:// download URL, e.g. https://example.org/file.tar.gz"
    if len(value) > 2048:
        raise Invalid(f"URL has {len(value)} characters", fix)
    if not _URL_CHARS.fullmatch(value):
        raise Invalid(f"{_show(value)} is not a URL: it is empty or holds spaces, quotes or non-ASCII characters", fix)
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme != "https" and not (parts.scheme == "http" and host in http_hosts):
        raise Invalid(f"{_show(value)} is not an https URL", fix)
    if parts.username is not None or parts.password is not None:
        raise Invalid(f"{_show(value)} carries credentials", "remove user:password@ from the URL")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise Invalid(f"{_show(value)} has an invalid port", fix) from None
    if not HOST_NAME.fullmatch(host):
        raise Invalid(f"{_show(value)} has no valid host name", fix)
    if not parts.path or parts.path == "/":
        raise Invalid(f"{_show(value)} names no file", fix)
    return value


HttpsUrl = Annotated[str, AfterValidator(check_url), Field(json_schema_extra={"format": "uri", "maxLength": 2048})]


# --- SSH public keys -------------------------------------------------------------------------------------------

SSH_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_KEY_COMMENT = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?")


def check_ssh_key(value: str) -> str:
    """One OpenSSH public key line: `<type> <base64 blob> [comment]`, the blob naming the same type."""
    fix = "paste the single line of the .pub file, e.g. `ssh-ed25519 AAAAC3Nza... ada@laptop`"
    if len(value) > 16384:
        raise Invalid(f"SSH key has {len(value)} characters", fix)
    bad = unsafe_character(value)
    if bad is not None:
        raise Invalid(f"SSH key {_show(value)} holds the invisible or control character {bad}", fix)
    parts = value.split(" ", 2)
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise Invalid(f"{_show(value)} is not an SSH public key (type one of {', '.join(SSH_KEY_TYPES)})", fix)
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        named = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise Invalid(f"SSH key {_show(value)}: the key data is not valid base64 of a public key", fix) from None
    if named != parts[0] or len(blob) <= 4 + length:
        raise Invalid(f"SSH key {_show(value)}: the key data is not a {parts[0]} key", fix)
    if len(parts) == 3 and not _KEY_COMMENT.fullmatch(parts[2]):
        raise Invalid(f"SSH key {_show(value)}: the comment is not plain ASCII text", "shorten or retype the comment")
    return value


SshPublicKey = Annotated[str, AfterValidator(check_ssh_key), Field(json_schema_extra={"maxLength": 16384})]


# --- addresses: written as text, never a number or true/false ------------------------------------------------------


def _address_type(base: type, parse: Callable[[str], Any], what: str, example: str) -> Any:
    def check(value: object) -> object:
        if isinstance(value, base):
            return value  # built by the program itself (a service's guest from its placement)
        if not isinstance(value, str):
            raise Invalid(f"{value!r} is not an {what}", f"write it as text, e.g. {example}")
        if not value.isascii() or "%" in value or value != value.strip():
            raise Invalid(f"{_show(value)} is not an {what}", f"write it like {example}")
        try:
            return parse(value)
        except ValueError as exc:
            raise Invalid(f"{_show(value)} is not an {what} ({exc})", f"write it like {example}") from None

    return BeforeValidator(check)


IPv4 = Annotated[
    ipaddress.IPv4Address,
    _address_type(ipaddress.IPv4Address, ipaddress.IPv4Address, "IPv4 address", "192.0.2.10"),
]
IPv6 = Annotated[
    ipaddress.IPv6Address,
    _address_type(ipaddress.IPv6Address, ipaddress.IPv6Address, "IPv6 address", "2001:db8::10"),
]
IPv4Cidr = Annotated[
    ipaddress.IPv4Network,
    _address_type(
        ipaddress.IPv4Network,
        lambda v: ipaddress.IPv4Network(v, strict=True),
        "IPv4 network with host bits zero",
        "192.168.10.0/24",
    ),
]
IPv6Cidr = Annotated[
    ipaddress.IPv6Network,
    _address_type(
        ipaddress.IPv6Network,
        lambda v: ipaddress.IPv6Network(v, strict=True),
        "IPv6 network with host bits zero",
        "2001:db8:200::/48",
    ),
]
IPv4Iface = Annotated[
    ipaddress.IPv4Interface,
    _address_type(ipaddress.IPv4Interface, ipaddress.IPv4Interface, "IPv4 address with prefix", "203.0.113.5/24"),
]
IPv6Iface = Annotated[
    ipaddress.IPv6Interface,
    _address_type(ipaddress.IPv6Interface, ipaddress.IPv6Interface, "IPv6 address with prefix", "2001:db8:1::10/64"),
]


def check_host_or_address(value: str) -> str:
    """A server: a DNS name or an IP address literal."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not HOST_NAME.fullmatch(value):
        raise Invalid(f"{_show(value)} is neither a host name nor an IP address", "use e.g. pbs.example.net")
    return value


HostOrAddress = Annotated[str, AfterValidator(check_host_or_address), Field(json_schema_extra={"maxLength": 253})]
