"""WordPressStack: the wp-web and wp-db containers, provisioned with `pct exec` (services/wordpress/render.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.services import GuestSetup, ServiceContext, ServiceParts, password
from model.platform import TenantSpec
from services.wordpress.render import SALT_NAMES, WordPressSite, db_script, web_script


@dataclass
class WordPressStackArgs:
    """Inputs of WordPressStack."""

    tenant: TenantSpec
    """The tenant: its `wordpress` settings and the two resolved containers."""
    setup: GuestSetup
    """Where containers go and what they wait for."""
    proxy_address: str
    """The tenant proxy's address: the one reverse proxy WordPress trusts."""


class WordPressStack(pulumi.ComponentResource):
    """wp-web and wp-db; the database user is allowed from wp-web's address only."""

    def __init__(self, name: str, args: WordPressStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        tenant, setup = args.tenant, args.setup
        w = tenant.wordpress
        assert w is not None
        super().__init__("proxcloud:index:WordPressStack", name, {"host": w.public_host}, opts)
        web, db = tenant.guest_at("wordpress.web"), tenant.guest_at("wordpress.db")
        site = WordPressSite(
            public_host=w.public_host,
            web_address=str(web.address),
            db_address=str(db.address),
            site_title=w.site_title,
            admin_username=w.admin_username,
            admin_email=w.admin_email,
            wordpress_version=w.version,
            download_url=f"https://wordpress.org/wordpress-{w.version}.tar.gz",
            download_sha256=w.sha256,
            reverse_proxies=(args.proxy_address,),
        )
        if set(w.sha256) == {"0"}:
            pulumi.log.warn(
                f"WordPress {w.version}: the release checksum is not pinned (all zeros); provisioning will stop at "
                "the checksum check until wordpress.sha256 is set",
                self,
            )
        db_pw, admin_pw = password(f"{name}-db-password", self), password(f"{name}-admin-password", self, 24)
        salts = {k: password(f"{name}-{k.lower().replace('_', '-')}", self, 64) for k in SALT_NAMES}
        db_text = pulumi.Output.secret(db_pw.apply(lambda p: db_script(site, p)))
        web_text = pulumi.Output.secret(
            pulumi.Output.all(db_pw, admin_pw, pulumi.Output.all(**salts)).apply(
                lambda v: web_script(site, v[0], v[1], v[2])
            )
        )
        self.db = setup.container(f"{name}-db", db, {"mariadb": db_text}, self)
        self.web = setup.container(f"{name}-web", web, {"wordpress": web_text}, self)
        self.containers = {db.name: self.db, web.name: self.web}
        self.admin_password = admin_pw
        self.url = f"https://{w.public_host}/"
        self.register_outputs({"url": self.url, "admin_password": self.admin_password})


def build(ctx: ServiceContext) -> ServiceParts:
    stack = WordPressStack(
        f"{ctx.name}-wordpress", WordPressStackArgs(ctx.tenant, ctx.needs_setup(), ctx.router_address), opts=ctx.opts
    )
    return ServiceParts(stack, containers=stack.containers)
