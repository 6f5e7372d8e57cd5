"""STAND-IN: replaced by the real module at merge."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecurityServicesArgs:
    tooling_account_id: pulumi.Input[str]
    region: str
    root_id: pulumi.Input[str]
    guard_duty: bool
    security_hub: bool
    access_analyzer: bool
    aws_config: bool
    management: aws.Provider  # registrations of the delegated administrator
    tooling: aws.Provider  # what runs in the delegated administrator account


class SecurityServices(pulumi.ComponentResource):
    """Stand-in: declares nothing; ``detector`` only carries an id when GuardDuty is on."""

    detector: aws.guardduty.Detector | None
    analyzer: aws.accessanalyzer.Analyzer | None

    def __init__(self, name: str, args: SecurityServicesArgs, opts: pulumi.ResourceOptions | None = None
                 ) -> None:
        super().__init__("landingzone:security:SecurityServices", name, None, opts)
        detector = SimpleNamespace(id=pulumi.Output.from_input("stand-in-detector"))
        self.detector = cast(aws.guardduty.Detector, detector) if args.guard_duty else None
        self.analyzer = None
        self.register_outputs({})
