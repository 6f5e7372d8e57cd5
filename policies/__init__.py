"""The CrossGuard policy pack (``PulumiPolicy.yaml`` + ``__main__.py``; ``guardrails.py`` builds its
policies): rules, split by concern, and the data files the rules read (prices, AWS API constraints,
Checkov's accepted findings).

The IAM documents and their validation live below it, in ``iam_documents/``. A few modules here are
rules the config layer reuses, so a stack file is refused for the same reason the pack would refuse its
resources; they stay with the pack, which the config layer may import (it sits above):

* ``production.py``: which stacks are production, their protections and invariants;
* ``aws_service_rules.py`` / ``aws_resource_rules.py``: AWS's documented limits (ISO durations of
  permission-set sessions, Fargate task sizes);
* ``violation.py``: a policy violation, the pack's result that the driver reports.

The pack imports ``iam_documents`` and nothing else of the project (tests/test_layers.py).
"""
