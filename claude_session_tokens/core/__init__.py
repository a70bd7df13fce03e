"""The shared core: what every layer uses and that knows nothing of the others.

- ``masked``: :class:`~claude_session_tokens.core.masked.Masked`, the masked value every token
  and every credential byte string travels in;
- ``findings``: a problem explained (cause, why it matters, the fix);
- ``remedy``: fixes as data, spelled for the run's front door, platform, CLI and profile;
- ``requirements``: the spec's FR and SC IDs and titles;
- ``platforms``, ``redaction``, ``atomic`` (writes that are whole or absent), ``signals``,
  ``background``, ``shown_values``.
"""
