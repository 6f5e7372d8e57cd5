"""The guardrails' rules, by concern (``organization``, ``network``, ``workloads``), what they share
(``base``) and their table (``table``); ``policies/guardrails.py`` builds the pack's policies from it."""
