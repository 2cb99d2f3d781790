"""The spec layer: tenant files and stack config turned into one validated, fully allocated Platform.

Pure Python (pydantic + ipaddress); nothing here imports pulumi.
"""
