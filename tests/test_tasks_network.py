"""Network: the awsx VPC of an environment (two AZs, three subnet tiers, NAT by config)."""

from __future__ import annotations

import pulumi_awsx as awsx
import pytest

from components.network import Network, NetworkArgs, subnet_masks
from components.settings.tasks_service import NatMode
from tests.tasks_support import (
    LOGS_KEY,
    REGION,
    WORKLOAD_ACCOUNT,
    assert_all_on_provider,
    opts,
    plan,
    run_with_provider,
)

VPC = "awsx:ec2:Vpc"


def _run(nat: NatMode, cidr: str = "10.0.0.0/16"):
    holder: dict[str, Network] = {}

    def program(provider):
        args = NetworkArgs(
            cidr_block=cidr, nat_gateways=nat, awsx_provider=awsx.Provider("workload"),
            flow_logs=plan().logging.flow_logs, logs_key_arn=LOGS_KEY, region=REGION,
            account_id=WORKLOAD_ACCOUNT,
        )
        network = Network("pre-net", args, opts(provider))
        holder["network"] = network
        return {
            "vpc_id": network.vpc_id,
            "task_subnets": network.task_subnet_ids,
            "private": network.private_subnet_ids,
            "public": network.public_subnet_ids,
            "isolated": network.isolated_subnet_ids,
        }

    return run_with_provider(program), holder["network"]


@pytest.mark.parametrize(
    ("nat", "strategy"), [("none", "None"), ("single", "Single"), ("per-az", "OnePerAz")]
)
def test_vpc_spans_two_zones_with_three_tiers_and_the_nat_strategy(nat: NatMode, strategy: str) -> None:
    recording, _ = _run(nat)
    vpc = recording.one(VPC)
    assert vpc.remote and not vpc.custom
    assert vpc.inputs["numberOfAvailabilityZones"] == 2
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["natGateways"] == {"strategy": strategy}
    assert vpc.inputs["subnetStrategy"] == "Auto"
    assert [spec["type"] for spec in vpc.inputs["subnetSpecs"]] == ["Public", "Private", "Isolated"]
    assert vpc.inputs["enableDnsHostnames"] is True


def test_the_vpc_gets_the_workload_provider() -> None:
    recording, _ = _run("single")
    assert_all_on_provider(recording)


def test_without_nat_tasks_run_in_public_subnets_with_a_public_ip() -> None:
    recording, network = _run("none")
    assert network.tasks_need_public_ip is True
    assert recording.outputs["task_subnets"] == recording.outputs["public"]
    assert set(recording.outputs["public"]).isdisjoint(recording.outputs["private"])


@pytest.mark.parametrize("nat", ["single", "per-az"])
def test_with_nat_tasks_run_in_private_subnets_without_public_ip(nat: NatMode) -> None:
    recording, network = _run(nat)
    assert network.tasks_need_public_ip is False
    assert recording.outputs["task_subnets"] == recording.outputs["private"]
    assert len(recording.outputs["isolated"]) == 2


def test_subnet_sizes_follow_the_vpc_size_and_fit_in_it() -> None:
    assert subnet_masks("10.0.0.0/16") == {"private": 18, "public": 20, "isolated": 20}
    masks = subnet_masks("10.8.0.0/22")
    # Two AZs: 2 x (1/4 + 1/16 + 1/16) of the range; /26 public subnets still hold an ALB (/27 minimum).
    used = 2 * sum(2 ** (32 - mask) for mask in masks.values())
    assert used <= 2 ** (32 - 22)
    assert masks["public"] <= 27
