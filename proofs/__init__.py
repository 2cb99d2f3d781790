"""Proofs over a planned graph (a tools.mockengine.Recording): isolation of tenants, firewall reachability."""
