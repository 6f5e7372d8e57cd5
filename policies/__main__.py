"""Entry point of the CrossGuard policy pack: ``pulumi preview --policy-pack policies``.

Pulumi runs the pack with this directory as the working directory; the project root goes on
``sys.path`` so that ``policies.guardrails`` (and ``iam_documents.documents``) import as they do in the
tests. The rules live in ``guardrails.py``; this module only builds the pack, which starts the
analyzer server, so nothing else ever imports it.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policies.guardrails import PACK_NAME, POLICIES  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    description="Guardrails of the landing zone and the Tasks Service: accounts, SCPs, Identity Center, "
    "network exposure, databases, identity provider, and an idle cost estimate.",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
