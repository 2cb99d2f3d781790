"""Code the Pulumi engine loads from state: the dynamic providers' shared PVE HTTP client.

Pulumi stores a dynamic provider pickled by reference to its class's module path, and runs its read and delete
from that reference in later runs (pulumi/dynamic/__main__.py `get_provider`): a path stored in a stack must keep
importing. This package is that stable home; tests/components/test_vnet_firewall.py holds the paths stored today.
"""
