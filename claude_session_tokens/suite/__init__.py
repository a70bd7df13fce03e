"""The pytest suite: the only layer (with the front door) that imports pytest.

The options (``options``, registered early by ``pytest_options``), the plugin (``plugin``:
verdicts, the table, summary.md), the render gate (``gate``), the per-check time limits
(``timeouts``), the session under test shared by every check (``session``), the reports'
paths (``report_paths``) and the spent-session notice (``spent_session``).
"""
