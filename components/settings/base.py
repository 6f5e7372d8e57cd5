"""What the settings areas share: the project namespace, ConfigError, the Model base and common field types.

Nothing here imports another settings module or ``components.config``, so every area can import it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PROJECT = "landing-zone"
ORG_STACK = "org"

ACCOUNT_ID = r"^\d{12}$"
ACCOUNT_KEY = r"^[a-z][a-z0-9-]{0,39}$"
ROLE_NAME = r"^[\w+=,.@-]{1,64}$"
REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
# Pragmatic e-mail check: one @, no spaces, a dotted domain. AWS rejects the rest anyway.
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _email(value: str) -> str:
    if not EMAIL.match(value):
        raise ValueError(f"'{value}' is not a valid e-mail address")
    return value


Email = Annotated[str, AfterValidator(_email)]

# A policy file name inside its folder (iam_documents/scp/, iam_documents/permission_sets/): no path
# separator, so a configured file can never resolve outside the folder.
POLICY_FILE = r"^[\w.-]+\.json$"


def _tags(value: dict[str, str]) -> dict[str, str]:
    # Tag rules of the AWS tagging APIs: the `aws:` prefix is reserved for AWS (any case), keys are
    # 1-128 characters, values 0-256 (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
    for key, text in value.items():
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key '{key}': the 'aws:' prefix is reserved for AWS")
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key '{key[:20]}...' is longer than 128 characters")
        if len(text) > 256:
            raise ValueError(f"tag '{key}': the value is longer than 256 characters")
    return value


Tags = Annotated[dict[str, str], AfterValidator(_tags)]

# Retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"{value} is not a CloudWatch Logs retention period ({LOG_RETENTION_DAYS})")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]


class ConfigError(Exception):
    """A stack config value is invalid. ``str()`` is the one-line message shown to the user."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}")


class Model(BaseModel):
    """Base of every config object: camelCase keys in YAML, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class OrgReaderStackConfig(Model):
    """The keys every stack that reads the org stack's outputs and runs with management credentials
    shares (cicd, security): which org stack, the driver's placement and protection, region and tags."""

    org_stack: str = Field(pattern=r"^[\w.-]+(/[\w.-]+){0,2}$")
    # Placement and protection are the driver's (deploy/stacks.py); accepted here, not used.
    deploy_order: int | None = Field(default=None, ge=0)
    description: str | None = None
    protected_stack: bool = False
    region: str = Field(default="us-east-1", pattern=REGION)
    tags: Tags = Field(default_factory=dict)


def stack_file(stack: str) -> str:
    return f"Pulumi.{stack}.yaml"


def duplicates(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]
