"""Policy documents (SCPs, permission-set inline policies), their offline validation, and the
CrossGuard policy pack (`guardrails.py`, run by Pulumi through `PulumiPolicy.yaml` + `__main__.py`)."""
