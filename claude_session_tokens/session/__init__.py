"""The session on disk: where the CLI keeps the sign-in, and what it holds.

Discovery of the config dir (``discovery``), the credential sources (``sources``: the file,
``keychain``: the macOS login Keychain), file probing without trusting the file (``files``),
the credentials' form and lifetime (``credentials``, ``lifetime``), the listing of the
directory (``listing``), the test prompt's temporary copies (``temp_copies``) and the hand-off
that removes this machine's copy once the Secret exists (``handoff``).
"""
