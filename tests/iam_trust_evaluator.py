"""The smallest IAM evaluator for the tests: the trust policies of the cicd stack, and the log archive's
bucket and key policies (tests/test_log_archive.py).

Why not moto: moto evaluates trust conditions only for ``StringEquals`` and ignores every other operator
("If the evaluation operation is not supported, ignore condition evaluation", moto/iam/policy_conditions.py
``TrustCondition.verify_condition``), so a ``StringLike`` subject would always pass. No maintained Python
IAM policy simulator installs from PyPI. This one implements exactly what the trust policies use, following
the IAM User Guide ("Policy evaluation logic", reference_policies_evaluation-logic.html; "Condition
operators", reference_policies_elements_condition_operators.html):

- an explicit Deny wins, then an Allow is needed (implicit deny otherwise);
- Principal ``AWS`` / ``Federated`` / ``Service`` matched exactly; ``"*"`` matches every principal;
- Resource (when the caller names one) matched with ``*``/``?`` wildcards;
- Action matched case-insensitively with ``*``/``?`` wildcards;
- Condition: every operator block and every key must match (AND); a key's values are alternatives (OR);
  a key missing from the request fails the condition; ``StringEquals`` is exact and case-sensitive,
  ``StringLike`` is case-sensitive with ``*`` (any run) and ``?`` (one character); ``ArnLike`` compares
  the six ARN segments each that way; ``Bool`` compares ``true``/``false``; ``Null`` tests presence.
An operator it does not know raises, so a test can never pass on an unevaluated condition.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from typing import Any


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: the six ARN segments compared one by one, each like ``StringLike``."""
    expected, actual = pattern.split(":", 5), value.split(":", 5)
    return len(expected) == len(actual) == 6 and all(
        _like(e, a) for e, a in zip(expected, actual, strict=True)
    )


OPERATORS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringLike": _like,
    "ArnLike": _arn_like,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, block in conditions.items():
        if operator == "Null":  # "true": the key must be absent; "false": present
            if any((key not in context) != (str(absent).lower() == "true") for key, absent in block.items()):
                return False
            continue
        if operator not in OPERATORS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated here")
        compare = OPERATORS[operator]
        for key, expected in block.items():
            if key not in context:
                return False
            if not any(compare(str(value), context[key]) for value in _as_list(expected)):
                return False
    return True


def _statement_applies(statement: Mapping[str, Any], principal: tuple[str, str], action: str,
                       context: Mapping[str, str], resource: str | None) -> bool:
    kind, value = principal
    principals = statement.get("Principal", {})
    if principals != "*" and value not in _as_list(principals.get(kind, [])):
        return False
    if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _as_list(statement["Action"])):
        return False
    if resource is not None and not any(_like(str(r), resource) for r in _as_list(statement["Resource"])):
        return False
    return _conditions_hold(statement.get("Condition", {}), context)


def allows(policy: Mapping[str, Any], *, principal: tuple[str, str], action: str,
           context: Mapping[str, str] | None = None, resource: str | None = None) -> bool:
    """Whether ``policy`` lets ``principal`` (("AWS", arn), ("Federated", arn) or ("Service", name)) call
    ``action`` (on ``resource``, when given) with the request's condition ``context``."""
    applying = [s for s in _as_list(policy["Statement"])
                if _statement_applies(s, principal, action, context or {}, resource)]
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)
