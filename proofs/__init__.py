"""Proofs over a planned resource graph: isolation and firewall reasoning, no engine and no PVE needed."""
