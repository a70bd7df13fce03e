"""The ``claude`` CLI: finding it, running it, and what it says.

Child processes with hard limits (``processes``), the environment the CLI runs in
(``child_env``, ``auth_env``), the CLI's version and commands (``cli``), the user's terminal
(``console``), the fresh login (``login``), the test prompt (``prompt``) and
``claude setup-token`` (``setup_token``).
"""
