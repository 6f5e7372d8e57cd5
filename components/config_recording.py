"""AWS Config recording in every member account: the template the account baseline's second StackSet
deploys (components/templates/config_recorder.yaml), its parameters and capabilities.

Per member account and Region of ``baseline.regions`` the template declares a configuration recorder of
all supported resource types (the global IAM types in the home Region only, so they are not recorded
twice), a delivery channel to the log archive's bucket, encrypted with the log archive's key, and the
recorder's role ``landing-zone-config-recorder-<region>``: the AWS managed ``AWS_ConfigRole`` plus put
access to its own account's ``AWSLogs/<account>/Config/`` prefix and use of the key. The log archive's
bucket and key policies admit that role name in accounts of the organization (``aws:PrincipalOrgID``):
iam_documents/log_archive.py, which also says why a role of our own and not the service-linked role.

CloudFormation starts the recorder once the delivery channel exists (CloudFormation Template Reference,
AWS::Config::ConfigurationRecorder: "AWS CloudFormation starts the recorder as soon as the delivery
channel is available"); the resource's ``StartedOnCreate`` defaults to true (cfn-lint's bundled schema).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pulumi

from iam_documents.log_archive import CONFIG_RECORDER_ROLE_PREFIX

CONFIG_TEMPLATE_FILE = Path(__file__).resolve().parent / "templates" / "config_recorder.yaml"
CONFIG_STACK_SET_NAME = "landing-zone-config-recording"
# The role has a fixed name (the log archive's policies match it): CreateStackSet Capabilities.
CONFIG_CAPABILITIES = ("CAPABILITY_NAMED_IAM",)
TEMPLATE_BODY_MAX_BYTES = 51_200


@functools.cache
def config_recorder_template() -> str:
    """The StackSet's template body, as shipped (cfn-lint in tests/test_config_recording.py)."""
    body = CONFIG_TEMPLATE_FILE.read_text(encoding="utf-8")
    name = CONFIG_TEMPLATE_FILE.name
    if len(body.encode("utf-8")) > TEMPLATE_BODY_MAX_BYTES:
        raise ValueError(f"{name} exceeds CloudFormation's {TEMPLATE_BODY_MAX_BYTES} bytes")
    if f"{CONFIG_RECORDER_ROLE_PREFIX}${{AWS::Region}}" not in body:
        raise ValueError(f"{name} must name its role {CONFIG_RECORDER_ROLE_PREFIX}<region>")
    return body


def config_stack_set_parameters(
    bucket_name: pulumi.Input[str], key_arn: pulumi.Input[str], home_region: str
) -> dict[str, pulumi.Input[str]]:
    """The template's parameters (its ``Parameters`` section, checked in the tests)."""
    return {"LogArchiveBucketName": bucket_name, "LogArchiveKeyArn": key_arn, "HomeRegion": home_region}
