"""A provider edge router spec with two hosted VMs, a forward and a secondary address."""

from __future__ import annotations

from model.platform import eui64_link_local
from render.router import HostedNet, Port, PortForward, RouterSpec, SecondaryAddress

# The hosted VMs' fixed MACs (the spec derives them from the VM ID); their /64s are routed to these link-locals.
V1_MAC, V2_MAC = "02:00:00:00:01:01", "02:00:00:00:01:02"
V1_LL, V2_LL = str(eui64_link_local(V1_MAC)), str(eui64_link_local(V2_MAC))

SPEC = RouterSpec(
    public_nic="ens18",
    public_ipv4="203.0.113.10/24",
    gateway4="203.0.113.1",
    public_ipv6="2001:db8::10/64",
    gateway6="2001:db8::1",
    internal_nic="ens19",
    hosted=(
        HostedNet("t1-web", 101, "10.100.0.0/30", "2001:db8:1:1::/64", V1_LL, open_v6=(Port("tcp", 443),)),
        HostedNet("t2-edge", 102, "10.100.0.4/30", "2001:db8:1:2::/64", V2_LL),
    ),
    forwards=(PortForward("tcp", 2222, "10.100.0.2", 22),),
    secondaries=(SecondaryAddress("203.0.113.20", "10.100.0.6"),),
    admin_from=("198.51.100.0/24", "2001:db8:ffff::/48"),
)
