"""``plan --terraform-plan``: the recorded stacks as Terraform plan JSON, in the shape Checkov's plan parser
reads (checkov/terraform/plan_parser.py): types and addresses from the bridge's mapping, Terraform attribute
names, blocks as lists, JSON text kept, secrets left out, references between resources."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from deploy import terraform_names as names
from deploy import terraform_plan
from deploy.cli import Services, main
from deploy.simulate import RecordedResource, Recording, simulate
from tests.conftest import run_env_stack, run_stack


@pytest.fixture(scope="module")
def pre() -> Recording:
    return run_env_stack("pre")


@pytest.fixture(scope="module")
def exported(pre: Recording) -> dict[str, Any]:
    return terraform_plan.export(pre).document


def planned(document: dict[str, Any], address: str) -> dict[str, Any]:
    matches = [r for r in document["planned_values"]["root_module"]["resources"] if r["address"] == address]
    assert len(matches) == 1, f"{address}: {len(matches)} in the plan"
    return matches[0]


def configured(document: dict[str, Any], address: str) -> dict[str, Any]:
    return next(r for r in document["configuration"]["root_module"]["resources"] if r["address"] == address)


def test_every_aws_resource_becomes_one_terraform_resource_with_its_bridge_type(
    pre: Recording, exported: dict[str, Any]
) -> None:
    aws_resources = [r for r in pre.custom_resources if r.type.startswith("aws:")]
    resources = exported["planned_values"]["root_module"]["resources"]
    assert len(resources) == len(aws_resources)
    urns = exported["x_pulumi"]["urns"]
    for row in resources:
        resource = next(r for r in aws_resources if r.urn == urns[row["address"]])
        assert row["type"] == names.TERRAFORM_TYPES[resource.type]
        assert row["address"] == f"{row['type']}.{resource.name}" and row["name"] == resource.name
        assert (row["mode"], row["provider_name"]) == ("managed", "registry.terraform.io/hashicorp/aws")
    # Not derivable from the tokens: the bridge's own names. One Pulumi name, three types, three addresses.
    assert {"aws_lb.pre-tasks-alb", "aws_db_subnet_group.pre-tasks-db", "aws_rds_cluster.pre-tasks-db",
            "aws_security_group.pre-tasks-db"} <= {r["address"] for r in resources}
    # Checkov reads these alongside planned_values: the same resources, each a create.
    changes = exported["resource_changes"]
    assert [c["address"] for c in changes] == [r["address"] for r in resources]
    assert {tuple(c["change"]["actions"]) for c in changes} == {("create",)}
    assert [c["address"] for c in exported["configuration"]["root_module"]["resources"]] == [
        r["address"] for r in resources
    ]
    assert exported["terraform_version"] and exported["format_version"]


def test_inputs_become_terraform_attributes_with_terraform_values(exported: dict[str, Any]) -> None:
    alb = planned(exported, "aws_lb.pre-tasks-alb")["values"]
    assert alb["internal"] is True
    assert alb["load_balancer_type"] == "application"
    assert alb["drop_invalid_header_fields"] is True
    assert alb["idle_timeout"] == 60 and isinstance(alb["idle_timeout"], int)  # the engine sent 60.0
    cluster = planned(exported, "aws_rds_cluster.pre-tasks-db")["values"]
    assert (cluster["engine"], cluster["storage_encrypted"]) == ("aurora-postgresql", True)
    assert "storageEncrypted" not in cluster


def test_blocks_are_lists_under_their_terraform_names(exported: dict[str, Any]) -> None:
    task = planned(exported, "aws_ecs_task_definition.pre-tasks-task")["values"]
    assert task["runtime_platform"] == [{"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}]
    listener = planned(exported, "aws_lb_listener.pre-tasks-http")["values"]
    assert [action["type"] for action in listener["default_action"]] == ["forward"]  # defaultActions
    service = planned(exported, "aws_ecs_service.pre-tasks-service")["values"]
    assert len(service["network_configuration"]) == 1
    assert service["load_balancer"][0]["container_port"] == 8080  # loadBalancers
    pool = planned(exported, "aws_cognito_user_pool.pre-idp-user-pool")["values"]
    assert [attribute["name"] for attribute in pool["schema"]] == ["email", "name"]  # schemas
    assert pool["password_policy"][0]["minimum_length"] == 8
    cluster = planned(exported, "aws_ecs_cluster.pre-tasks-cluster")["values"]
    assert cluster["setting"][0]["name"] == "containerInsights"  # settings


def test_json_text_stays_text(exported: dict[str, Any]) -> None:
    task = planned(exported, "aws_ecs_task_definition.pre-tasks-task")["values"]
    assert isinstance(task["container_definitions"], str)
    assert json.loads(task["container_definitions"])[0]["image"].startswith("hiperium/")
    role = planned(exported, "aws_iam_role.pre-tasks-execution")["values"]
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"]["Service"] == (
        "ecs-tasks.amazonaws.com"
    )


def test_secrets_are_left_out_and_marked_sensitive(pre: Recording, exported: dict[str, Any]) -> None:
    password = pre.one("random:index/randomPassword:RandomPassword").outputs["result"]
    assert password not in json.dumps(exported)
    cluster = planned(exported, "aws_rds_cluster.pre-tasks-db")
    assert "master_password" not in cluster["values"]
    assert cluster["sensitive_values"] == {"master_password": True}
    version = planned(exported, "aws_secretsmanager_secret_version.pre-tasks-db-connection")
    assert "secret_string" not in version["values"]
    assert version["sensitive_values"]["secret_string"] is True


def test_ids_of_other_resources_are_references_as_in_a_plan_of_a_new_stack(exported: dict[str, Any]) -> None:
    alb = planned(exported, "aws_lb.pre-tasks-alb")
    assert alb["values"]["security_groups"] == [None]  # unknown until the group exists
    expressions = configured(exported, "aws_lb.pre-tasks-alb")["expressions"]
    assert expressions["security_groups"]["references"][:2] == [
        "aws_security_group.pre-tasks-alb.id", "aws_security_group.pre-tasks-alb"
    ]
    change = next(c for c in exported["resource_changes"] if c["address"] == "aws_lb.pre-tasks-alb")
    assert change["change"]["after_unknown"]["security_groups"] == [True]
    # The cluster's id is also its subnet group's name: the attribute's name picks the right one.
    writer = configured(exported, "aws_rds_cluster_instance.pre-tasks-db-writer")["expressions"]
    assert writer["cluster_identifier"]["references"][0] == "aws_rds_cluster.pre-tasks-db.id"
    assert writer["db_subnet_group_name"]["references"][0] == "aws_db_subnet_group.pre-tasks-db.name"
    # References inside a block sit in the block, as Terraform's configuration has them.
    service = configured(exported, "aws_ecs_service.pre-tasks-service")["expressions"]
    assert service["network_configuration"][0]["security_groups"]["references"][0] == (
        "aws_security_group.pre-tasks-service.id"
    )
    assert configured(exported, "aws_ecs_service.pre-tasks-service")["provider_config_key"] == "aws.workload"
    assert exported["configuration"]["provider_config"]["aws.workload"]["expressions"]["region"] == {
        "constant_value": "us-east-1"
    }


def test_what_is_not_exported_is_named(pre: Recording) -> None:
    result = terraform_plan.export(pre)
    vpc = next(line for line in result.not_exported if "awsx:ec2:Vpc" in line)
    assert "awsx component" in vpc and "not scanned" in vpc
    assert any("randomPassword" in line for line in result.not_exported)
    assert result.document["x_pulumi"]["not_exported"] == result.not_exported
    assert not result.derived_types


def test_schema_defaults_that_scanners_read_are_filled_in(exported: dict[str, Any]) -> None:
    writer = planned(exported, "aws_rds_cluster_instance.pre-tasks-db-writer")["values"]
    assert writer["auto_minor_version_upgrade"] is True  # Terraform's default; the program leaves it out


@pytest.mark.parametrize("terraform_type", sorted(names.DEFAULTS))
def test_each_filled_in_default_is_the_one_the_sdk_documents(terraform_type: str) -> None:
    token = next(t for t, tf in names.TERRAFORM_TYPES.items() if tf == terraform_type)
    args = names.args_class(token)
    assert args is not None
    doc = inspect.getdoc(vars(args)["__init__"]) or ""
    for attribute, default in names.DEFAULTS[terraform_type].items():
        line = next(line for line in doc.splitlines() if f" {attribute}:" in line)
        assert f"Default `{str(default).lower()}`" in line, line


def test_every_type_the_stacks_declare_is_mapped_by_the_bridges_table() -> None:
    recordings = [run_stack("org"), run_env_stack("pre"), run_env_stack("prod")]
    used = {r.type for rec in recordings for r in rec.custom_resources if r.type.startswith("aws:")}
    assert used - set(names.TERRAFORM_TYPES) == set(), "add them from bridge-metadata.json renames.resources"
    for recording in recordings:
        for resource in recording.custom_resources:
            if resource.type.startswith("aws:"):
                _assert_repeatable_blocks_decided(resource.type, names.args_class(resource.type),
                                                  resource.inputs)


def _assert_repeatable_blocks_decided(token: str, owner: type | None, inputs: dict[str, Any]) -> None:
    """Every list of blocks the program uses has a decided Terraform name (plural or singular)."""
    assert owner is not None, token
    for key, value in inputs.items():
        attribute = names.attributes(token, owner).get(key)
        if attribute is None or attribute.block_type is None:
            continue
        if attribute.kind == names.BLOCKS and key.endswith("s"):
            decided = {*names.PLURALIZED.get(token, {}), *names.PLURAL_IN_TERRAFORM.get(token, set())}
            assert key in decided, f"{token}.{key}: find its Terraform name in bridge-metadata.json"
        nested = names.nested_token(attribute.block_type)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                _assert_repeatable_blocks_decided(nested, attribute.block_type, item)


def test_the_default_rule_covers_a_type_outside_the_table() -> None:
    derived = names.derive_resource_type("aws:ecs/capacityProvider:CapacityProvider")
    assert derived == "aws_ecs_capacity_provider"
    assert names.camel_to_snake("enableHttp2") == "enable_http2"
    assert names.camel_to_snake("serverlessv2ScalingConfiguration") == "serverlessv2_scaling_configuration"

    def program() -> dict[str, Any]:
        provider = aws.Provider("p", region="us-east-1", allowed_account_ids=["123456789012"])
        aws.ecr.Repository("images", image_tag_mutability="IMMUTABLE",
                           opts=pulumi.ResourceOptions(provider=provider))
        return {}

    result = terraform_plan.export(simulate("t", program))
    assert result.derived_types == ["aws:ecr/repository:Repository"]
    resource = result.document["planned_values"]["root_module"]["resources"][0]
    assert resource["address"] == "aws_ecr_repository.images"
    assert resource["values"]["image_tag_mutability"] == "IMMUTABLE"


def test_plan_writes_one_file_per_stack_and_says_what_it_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from deploy import plan

    monkeypatch.setattr(plan, "load_policies", lambda root: (None, "skipped in this test"))
    code = main(["plan", "--no-tree", "--stack", "pre", "--terraform-plan", str(tmp_path / "tf")], Services())
    out = capsys.readouterr().out
    assert code == 0
    written = json.loads((tmp_path / "tf" / "pre.tfplan.json").read_text())
    assert written["planned_values"]["root_module"]["resources"]
    assert re.search(r"pre: \d+ resource\(s\), 2 not exported \(pre-network-vpc \(awsx:ec2:Vpc\)", out), out
    assert not (tmp_path / "tf" / "prod.tfplan.json").exists()


def test_an_unknown_value_is_left_out_and_marked_unknown() -> None:
    resource = RecordedResource(
        urn="urn:pulumi:t::p::aws:cloudwatch/logGroup:LogGroup::logs",
        type="aws:cloudwatch/logGroup:LogGroup",
        name="logs", inputs={"name": "/x", "kmsKeyId": terraform_plan.UNKNOWN}, outputs={}, id="logs-id",
        custom=True, remote=False, parent=None, provider=None, providers={}, protect=False, ignore_changes=[],
        import_id=None, dependencies=[], delete_before_replace=False, retain_on_delete=False,
    )
    document = terraform_plan.export(Recording("t", resources=[resource])).document
    assert document["planned_values"]["root_module"]["resources"][0]["values"] == {"name": "/x"}
    assert document["resource_changes"][0]["change"]["after_unknown"] == {"kms_key_id": True}


def test_a_resource_whose_args_name_a_nested_type_too_and_literals_equal_to_a_name_stay_values() -> None:
    def program() -> dict[str, Any]:
        provider = aws.Provider("p", region="us-east-1", allowed_account_ids=["123456789012"])
        opts = pulumi.ResourceOptions(provider=provider)
        bucket = aws.s3.Bucket("logs", opts=opts)
        # The SDK calls this resource's inputs ...InitArgs: its ...Args is a block of the old Bucket.
        aws.s3.BucketServerSideEncryptionConfiguration(
            "logs", bucket=bucket.id, opts=opts,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=(
                    aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256")))])
        subnets = aws.rds.SubnetGroup("db", name="tasks-db", subnet_ids=["subnet-1", "subnet-2"], opts=opts)
        aws.rds.Cluster("db", cluster_identifier="tasks-db", engine="aurora-postgresql", master_username="u",
                        manage_master_user_password=True, db_subnet_group_name=subnets.name, opts=opts)
        return {}

    document = terraform_plan.export(simulate("t", program)).document
    address = "aws_s3_bucket_server_side_encryption_configuration.logs"
    rule = {"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}
    assert planned(document, address)["values"] == {"rule": [rule]}  # rules -> rule, as the bridge maps it
    expressions = configured(document, address)["expressions"]
    assert expressions["bucket"]["references"][0] == "aws_s3_bucket.logs.id"
    # The cluster's own identifier equals its subnet group's name: a literal, not a reference.
    assert planned(document, "aws_rds_cluster.db")["values"]["cluster_identifier"] == "tasks-db"
    cluster = configured(document, "aws_rds_cluster.db")["expressions"]
    assert set(cluster) == {"db_subnet_group_name"}
    assert cluster["db_subnet_group_name"]["references"][0] == "aws_db_subnet_group.db.name"
