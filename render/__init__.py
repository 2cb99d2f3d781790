"""Pure renderers: spec values in, the text of a file that lands on a machine out (cloud-init, configs).

Nothing here imports pulumi, so every artifact can be fed to its real validator in tests.
"""
