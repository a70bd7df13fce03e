"""Credential kinds: what the Secret carries. The seam for a new kind is here.

Two kinds exist (``credential_kind``): the **session files** (the default; the session/ layer
reads them) and one long-lived **setup-token** token (``oauth_token`` reads and judges it,
``token_stdin`` takes it from standard input, ``token_mode`` is the checks' side of the mode).
A kind says which requirements and checks apply to it; the checks, the gate and the reports are
shared.
"""
