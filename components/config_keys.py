"""Which configuration keys a stack may hold: this project's, the aws provider's and Pulumi's own.

The Pulumi CLI passes every key of a stack file to the program, whatever its namespace, and nothing
complains about a key nobody reads: ``landingzone:accounts`` (a typo) would leave the org stack with no
accounts. So every key must be ``landing-zone:<name>``, ``aws:<a key of the aws provider>`` or
``pulumi:<a key the Pulumi CLI knows>``; anything else is an error, with a suggestion when a valid key
is close.

Keys of this project's namespace are checked by the settings models themselves (unknown ones are
rejected there), so only the namespace is checked for them here.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

from components.settings.base import PROJECT, ConfigError

AWS = "aws"
PULUMI = "pulumi"
NAMESPACES = (PROJECT, AWS, PULUMI)

# The keys the Pulumi CLI itself reads from stack config: https://www.pulumi.com/docs/iac/concepts/config/
# ("Pulumi Configuration Options": disable-default-providers, tags) and
# https://www.pulumi.com/docs/iac/concepts/resources/names/ (autonaming).
PULUMI_KEYS = ("disable-default-providers", "tags", "autonaming")

# The aws provider's own config keys, read from the installed SDK (pulumi_aws/config/vars.py holds one
# ``__config__.get...('<key>')`` per key); a fallback list when the file cannot be read.
_AWS_CONFIG_CALL = re.compile(r"__config__\.get(?:_bool|_int|_float|_object)?\('([A-Za-z0-9]+)'\)")
_AWS_FALLBACK_KEYS = (
    "accessKey", "allowedAccountIds", "assumeRole", "assumeRoleWithWebIdentity", "assumeRoles",
    "customCaBundle", "defaultTags", "endpoints", "forbiddenAccountIds", "ignoreTags", "insecure",
    "maxRetries", "profile", "region", "secretKey", "sharedConfigFiles", "sharedCredentialsFiles",
    "skipCredentialsValidation", "skipMetadataApiCheck", "skipRegionValidation",
    "skipRequestingAccountId", "stsRegion", "token",
)


@functools.cache
def aws_config_keys() -> tuple[str, ...]:
    """The config keys of the aws provider (``aws:<key>``) of the installed pulumi_aws."""
    spec = importlib.util.find_spec("pulumi_aws")  # locates the package without importing it
    if spec is not None and spec.origin:
        try:
            text = (Path(spec.origin).parent / "config" / "vars.py").read_text(encoding="utf-8")
        except OSError:
            text = ""
        found = sorted(set(_AWS_CONFIG_CALL.findall(text)))
        if found:
            return tuple(found)
    return _AWS_FALLBACK_KEYS


def _project_keys() -> tuple[str, ...]:
    from components.config import EnvConfig, OrgConfig  # late: components.config imports this module

    fields = [item for model in (OrgConfig, EnvConfig) for item in model.model_fields.items()]
    return tuple(sorted({field.alias or name for name, field in fields}))


def _known_keys() -> list[str]:
    return (
        [f"{PROJECT}:{name}" for name in _project_keys()]
        + [f"{AWS}:{name}" for name in aws_config_keys()]
        + [f"{PULUMI}:{name}" for name in PULUMI_KEYS]
    )


def _suggestion(key: str) -> str:
    close = difflib.get_close_matches(key, _known_keys(), n=1, cutoff=0.75)
    if not close:
        # A key that differs only in case or separators, e.g. LandingZone:Accounts.
        folded = {re.sub(r"[-_]", "", known.lower()): known for known in _known_keys()}
        match = folded.get(re.sub(r"[-_]", "", key.lower()))
        close = [match] if match else []
    return f"; did you mean {close[0]}?" if close else ""


def key_problem(key: str) -> str | None:
    """Why a stack config key is not allowed, or None when it is."""
    if ":" not in key:
        return (
            "is not of the form <namespace>:<name> (the Pulumi CLI cannot read it); this project's keys are "
            f"{PROJECT}:<name>" + _suggestion(f"{PROJECT}:{key}")
        )
    namespace, name = key.split(":", 1)
    if namespace == PROJECT:
        return None  # the names are checked by the settings models
    if namespace == AWS:
        if name in aws_config_keys():
            return None
        return "is not a config key of the aws provider" + _suggestion(key)
    if namespace == PULUMI:
        if name in PULUMI_KEYS:
            return None
        return f"is not a Pulumi config key ({', '.join(PULUMI_KEYS)})" + _suggestion(key)
    allowed = ", ".join(f"{ns}:" for ns in NAMESPACES)
    return (
        f"namespace '{namespace}' is not read by this project (keys belong to {allowed}), so the value "
        "would be ignored" + _suggestion(key)
    )


def problems(keys: Iterable[object]) -> list[tuple[str, str]]:
    """(key, why) for every key that is not allowed, in the order given."""
    result = []
    for key in keys:
        problem = key_problem(str(key))
        if problem:
            result.append((str(key), problem))
    return result


def check(source: str, keys: Iterable[object]) -> None:
    """Raise ConfigError naming ``source`` and the first key that is not allowed."""
    for key, problem in problems(keys):
        raise ConfigError(source, key, problem)
