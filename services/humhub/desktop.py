"""The admin desktop VM of setup A (`debian-desktop`): Xfce on the internal network, used through the Proxmox console.

The Proxmox console (noVNC/SPICE) is the only way in for a person: whoever PVE lets open that console
(VM.Console) gets the desktop, so the console user logs in automatically, has no password and no sudo, and
nothing can lock the screen (a locked screen without a password would lock the operator out). Administration
as root stays with the CloudConfig admin user (SSH keys only, like every VM); nothing else listens.
"""

from __future__ import annotations

import re

from render.cloudinit import CloudConfig, WriteFile

DESKTOP_PACKAGES = (
    "xfce4",
    "xfce4-terminal",
    "lightdm",
    "firefox-esr",  # the admin UIs (HumHub, Nginx Proxy Manager, PBS) are web pages on the internal network
    "openssh-client",
    "spice-vdagent",  # clipboard and display resize in the Proxmox SPICE console
)
# Screen lockers Debian's Xfce may pull in as recommendations; removed for the reason in the module docstring.
SCREEN_LOCKERS = ("light-locker", "xfce4-screensaver")

_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_LAYOUT_RE = re.compile(r"^[a-z]{2,3}(\([a-z0-9_-]+\))?$")


def lightdm_autologin(user: str) -> str:
    """lightdm drop-in: log `user` in on the console seat without a greeter."""
    return f"""# Managed by proxcloud: the Proxmox console is the gate; this seat logs in {user} directly.
[Seat:*]
autologin-user={user}
autologin-user-timeout=0
"""


def keyboard_defaults(layout: str) -> str:
    """/etc/default/keyboard for the console and X."""
    return f"""# Managed by proxcloud.
XKBMODEL="pc105"
XKBLAYOUT="{layout}"
XKBVARIANT=""
XKBOPTIONS=""
BACKSPACE="guess"
"""


def desktop_cloud_config(
    hostname: str, ssh_keys: tuple[str, ...], console_user: str = "desk", keyboard_layout: str = "us"
) -> CloudConfig:
    """Cloud-config for the admin desktop: Xfce + lightdm autologin of an unprivileged console user."""
    if not _LABEL_RE.match(hostname):
        raise ValueError(f"desktop hostname {hostname!r}: use one lowercase DNS label")
    if not _USER_RE.match(console_user) or console_user in ("root", "ops"):
        raise ValueError(f"desktop console_user {console_user!r}: use a lowercase login name other than root/ops")
    if not _LAYOUT_RE.match(keyboard_layout):
        raise ValueError(f"desktop keyboard_layout {keyboard_layout!r}: use an XKB layout such as us or de")
    console = {
        "name": console_user,
        "gecos": "Console desktop user",
        "shell": "/bin/bash",
        "groups": ["audio", "video"],
        "lock_passwd": True,  # no password at all: autologin only, and no SSH keys either
    }
    return CloudConfig(
        hostname=hostname,
        ssh_keys=ssh_keys,
        packages=DESKTOP_PACKAGES,
        extra_users=(console,),
        write_files=(
            WriteFile("/etc/lightdm/lightdm.conf.d/50-proxcloud-autologin.conf", lightdm_autologin(console_user)),
            WriteFile("/etc/default/keyboard", keyboard_defaults(keyboard_layout)),
        ),
        runcmd=(
            ("apt-get", "-y", "purge", *SCREEN_LOCKERS),
            ("systemctl", "set-default", "graphical.target"),
            ("systemctl", "restart", "lightdm"),
        ),
        guest_agent=True,
    )
