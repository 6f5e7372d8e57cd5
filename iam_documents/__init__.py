"""The IAM documents of the landing zone and their offline checks: the bottom layer.

* ``scp/*.json`` and ``permission_sets/*.json``: the service control policies and the permission sets'
  inline policies, as sent to AWS;
* ``documents.py``: loading and validation (grammar, size of the string sent, action catalogue,
  condition keys);
* ``iam_analysis.py``: admin-equivalence and privilege-escalation paths of a set of documents (with the
  AWS managed policies it knows, ``aws_managed_policies.json``);
* ``access_role.py``: the organization access role, its ARN and whether an SCP exemption lets it through.

These are facts about IAM documents, not rules of a stack: the config layer (components/) validates
the stack files' documents with them, and the CrossGuard pack (policies/) checks the resources that
carry them. This package imports neither: nothing from the project, only the standard library,
policy_sentry and cloudsplaining (tests/test_layers.py).
"""
