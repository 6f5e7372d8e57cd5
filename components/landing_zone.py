"""LandingZone: the AWS Organization, its OU tree, member accounts, SCPs and sandbox spend caps.

Runs in the management account (stack ``org``). It takes its own part of the validated org config
(organization, OUs, accounts, SCPs, the access role's name); the SCP documents arrive already loaded,
validated and minified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.settings import resource_names as names
from components.settings.derived import Adoption
from components.settings.landing_zone import AccountSettings, OrganizationSettings, ScpSettings
from iam_documents.documents import PolicyDocument

SCP_TYPE = "SERVICE_CONTROL_POLICY"
# AWS cannot read these back from an existing account: without ignore_changes, a refresh or an
# import would make Pulumi plan to replace (that is, close and recreate) the account.
ACCOUNT_WRITE_ONLY_PROPERTIES = ["roleName", "iamUserAccessToBilling"]
# An OU or account made by hand and adopted (imported) this run cannot match what we declare: it lacks our
# tags and the provider's default tags (tagsAll), and an account may sit in another OU. Pulumi refuses an
# import whose inputs differ, except in properties listed in ignore_changes (pulumi/pulumi
# pkg/resource/deploy/step.go, ImportStep.Apply; pulumi/pulumi-aws #4030). Only for that run: the next
# up manages them, setting the tags and moving the account into its configured OU.
ADOPTED_OU_IGNORED = ["tags", "tagsAll"]
ADOPTED_ACCOUNT_IGNORED = [*ADOPTED_OU_IGNORED, "parentId"]


@dataclass(frozen=True)
class LandingZoneArgs:
    organization: OrganizationSettings
    organizational_units: Sequence[str]  # paths, each parent before its children (validated)
    accounts: Sequence[AccountSettings]
    service_control_policies: Sequence[ScpSettings]
    scp_documents: Mapping[str, PolicyDocument]  # policy name -> validated document
    access_role_name: str  # the role Organizations creates in each new account
    adoption: Adoption = field(default_factory=Adoption)  # existing OUs and accounts imported this run


class LandingZone(pulumi.ComponentResource):
    """The organization structure of the management account."""

    organization: aws.organizations.Organization
    root_id: pulumi.Output[str]
    organizational_units: dict[str, aws.organizations.OrganizationalUnit]
    accounts: dict[str, aws.organizations.Account]
    policies: dict[str, aws.organizations.Policy]
    attachments: list[aws.organizations.PolicyAttachment]
    budgets: dict[str, aws.budgets.Budget]

    def __init__(self, name: str, args: LandingZoneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:organization:LandingZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.organization = aws.organizations.Organization(
            f"{name}-organization",
            feature_set="ALL",
            enabled_policy_types=list(args.organization.enabled_policy_types),
            aws_service_access_principals=list(args.organization.aws_service_access_principals),
            opts=pulumi.ResourceOptions(
                parent=self, protect=True, import_=args.organization.import_id
            ),
        )
        self.root_id = self.organization.roots.apply(lambda roots: str(roots[0].id))

        # Parents are declared before children (validated order), so each parent id is at hand.
        self.organizational_units = {}
        for path in args.organizational_units:
            parent, _, ou_name = path.rpartition("/")
            adopted = args.adoption.organizational_units.get(path)
            self.organizational_units[path] = aws.organizations.OrganizationalUnit(
                names.organizational_unit(name, path),
                name=ou_name,
                parent_id=self.organizational_units[parent].id if parent else self.root_id,
                opts=child if adopted is None else pulumi.ResourceOptions(
                    parent=self, import_=adopted, ignore_changes=ADOPTED_OU_IGNORED
                ),
            )

        self.accounts = {
            account.key: self._account(
                name, account, args.access_role_name, args.adoption.accounts.get(account.key)
            )
            for account in args.accounts
        }

        self.policies = {}
        self.attachments = []
        for scp in args.service_control_policies:
            document = args.scp_documents[scp.name]
            policy = aws.organizations.Policy(
                names.service_control_policy(name, scp.name),
                name=scp.name,
                description=scp.description or None,
                type=SCP_TYPE,
                content=document.minified,
                # The policy type must be enabled on the root before an SCP can be created.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.organization]),
            )
            self.policies[scp.name] = policy
            for target in scp.targets:
                self.attachments.append(
                    aws.organizations.PolicyAttachment(
                        names.policy_attachment(name, scp.name, target),
                        policy_id=policy.id,
                        target_id=self.organizational_units[target].id,
                        opts=child,
                    )
                )

        self.budgets = {
            account.key: self._budget(name, account)
            for account in args.accounts
            if account.budget is not None
        }

        self.register_outputs(
            {
                "accounts": {key: account.id for key, account in self.accounts.items()},
                "organizational_units": {path: ou.id for path, ou in self.organizational_units.items()},
            }
        )

    def _account(
        self, name: str, account: AccountSettings, role_name: str, adopted: str | None
    ) -> aws.organizations.Account:
        tags = dict(account.tags)
        if account.suspension is not None:
            tags.update(
                {
                    "SuspendedBy": account.suspension.by,
                    "SuspendedOn": account.suspension.date,
                    "SuspendedReason": account.suspension.reason,
                }
            )
        return aws.organizations.Account(
            names.account(name, account.key),
            name=account.name,
            email=account.email,
            parent_id=self.organizational_units[account.ou].id,
            role_name=role_name,
            close_on_deletion=account.close_on_deletion,
            tags=tags or None,
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                ignore_changes=ACCOUNT_WRITE_ONLY_PROPERTIES
                + (ADOPTED_ACCOUNT_IGNORED if adopted is not None else []),
                import_=adopted or account.import_id,
            ),
        )

    def _budget(self, name: str, account: AccountSettings) -> aws.budgets.Budget:
        """A monthly cost budget in the management account, filtered to one linked account."""
        assert account.budget is not None
        recipients = list(account.budget.notify)

        def notification(kind: str, threshold: float) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN",
                notification_type=kind,
                threshold=threshold,
                threshold_type="PERCENTAGE",
                subscriber_email_addresses=recipients,
            )

        return aws.budgets.Budget(
            names.budget(name, account.key),
            name=f"{account.key}-monthly-spend-cap",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=str(account.budget.monthly_limit_usd),
            limit_unit="USD",
            cost_filters=[
                aws.budgets.BudgetCostFilterArgs(name="LinkedAccount", values=[self.accounts[account.key].id])
            ],
            notifications=[notification("ACTUAL", 80), notification("FORECASTED", 100)],
            opts=pulumi.ResourceOptions(parent=self),
        )
