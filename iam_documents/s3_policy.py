"""The AWS Organizations S3 policy (policy type ``S3_POLICY``) of the account baseline, validated offline.

Syntax: AWS Organizations User Guide, "Amazon S3 policy syntax and examples"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_s3_syntax.html): the
top-level key ``s3_attributes`` holds ``public_access_block_configuration``, whose assignment operator
``@@assign`` takes ``"all"`` (all four Block Public Access settings on, organization level) or ``"none"``.
Organizations checks this only when the policy is created, mid-``up``; here a wrong key, operator or value
is refused before anything is declared, with one line naming the file.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iam_documents.documents import DOCUMENTS_DIR, PolicyDocumentError, minify

S3_POLICY_TYPE = "S3_POLICY"
S3_BLOCK_PUBLIC_ACCESS_FILE = DOCUMENTS_DIR / "organization_policies" / "s3_block_public_access.json"

TOP_LEVEL_KEY = "s3_attributes"
ATTRIBUTES = frozenset({"public_access_block_configuration"})
ASSIGN = "@@assign"
ALLOWED_VALUES = frozenset({"all", "none"})


def s3_policy_errors(document: Any) -> list[str]:
    """What is wrong with ``document`` as an S3 policy; empty when it follows the documented syntax."""
    if not isinstance(document, Mapping):
        return ["the document must be a JSON object"]
    if set(document) != {TOP_LEVEL_KEY}:
        return [f"the only top-level key must be {TOP_LEVEL_KEY!r}, found {sorted(document)}"]
    attributes = document[TOP_LEVEL_KEY]
    if not isinstance(attributes, Mapping) or not attributes:
        return [f"{TOP_LEVEL_KEY} must be an object with {sorted(ATTRIBUTES)}"]
    errors: list[str] = []
    for attribute, setting in attributes.items():
        where = f"{TOP_LEVEL_KEY}.{attribute}"
        if attribute not in ATTRIBUTES:
            errors.append(f"{where} is not an S3 policy attribute (known: {', '.join(sorted(ATTRIBUTES))})")
        elif not isinstance(setting, Mapping) or set(setting) != {ASSIGN}:
            found = sorted(setting) if isinstance(setting, Mapping) else type(setting).__name__
            errors.append(f"{where} must hold exactly the operator {ASSIGN!r}, found {found}")
        elif setting[ASSIGN] not in ALLOWED_VALUES:
            errors.append(
                f"{where}.{ASSIGN} is {setting[ASSIGN]!r}; allowed: {', '.join(sorted(ALLOWED_VALUES))}"
            )
    return errors


def load_s3_policy(path: Path) -> str:
    """The minified document of ``path`` (what is sent), or PolicyDocumentError naming the file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PolicyDocumentError(f"{path.name}: cannot read the S3 policy: {error}") from None
    errors = s3_policy_errors(document)
    if errors:
        raise PolicyDocumentError(f"{path.name}: not a valid S3 policy: {'; '.join(errors)}")
    return minify(document)


@functools.cache
def block_public_access_content() -> str:
    """The shipped policy: every S3 Block Public Access setting on, for every account it reaches."""
    return load_s3_policy(S3_BLOCK_PUBLIC_ACCESS_FILE)
