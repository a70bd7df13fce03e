"""Verify the Claude session with every check, then render it as a Kubernetes Secret.

    python render_secret.py [--claude-config-dir DIR] [--namespace NS] [--dry-run] [-o yaml|json] ...

Runs the whole ``checks/`` suite in-process with the same options as ``pytest checks`` and,
only when every check passed, writes ``secrets/<name>.yaml`` (mode 0600). ``--help`` lists
every option. Exit code 0 only when the Secret was rendered.
"""

import sys

from claude_session_tokens.render_cli import main

if __name__ == "__main__":
    sys.exit(main())
