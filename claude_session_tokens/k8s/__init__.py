"""The Kubernetes Secret: what goes in, how it is written, and where it may not go.

The exact files that ship (``payload``), the manifest and its YAML/JSON text (``manifest``),
offline validation (``validation``), git safety (``git_safety``), the destination's rules
(``destination``, ``earlier_secret``) and the render step itself (``render``).
"""
