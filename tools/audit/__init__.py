"""`make audit`: a running cluster proved against its spec, read-only - drift, objects nobody declared, squatted
VM ids, pending SDN changes, live isolation and usability, usage against allowances, right-sizing.

client.py (the GET-only proxmoxer client), live.py (what is read), model.py (plan and cluster in one vocabulary),
findings.py (drift, unmanaged, squats), access.py (the isolation proofs on the live permissions), usage.py
(allowances, right-sizing and its chart), report.py (text, Markdown, JSON), cli.py (the command).
"""
