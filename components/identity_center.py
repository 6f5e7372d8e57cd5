"""IdentityCenter: identity-store users and groups, permission sets and account assignments.

Runs in the management account (stack ``org``), after the LandingZone, whose account ids it assigns
permission sets on. The Identity Center instance itself cannot be created through the API: it is
enabled once by hand, and :func:`lookup_instance` finds it (or stops the program saying how to enable
it). Everything else comes from the validated ``identityCenter`` config; inline policies and assignments
arrive already loaded, validated and resolved.

Objects the seed made by hand under the same names are adopted on the run ``python -m deploy`` found
them (components/settings/identity_imports.py): each gets its import id and ``ignore_changes`` for what
a hand-made one may not match, so the import succeeds; the next run, without imports, applies our values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.settings import resource_names as names
from components.settings.identity_center import (
    IdentityCenterSettings,
    IdentityUserSettings,
    PermissionSetSettings,
    ResolvedAssignment,
)
from components.settings.identity_imports import IdentityCenterImports
from iam_documents.documents import PolicyDocument

GET_INSTANCES = "aws:ssoadmin/getInstances:getInstances"

# What a hand-made object may hold differently from our config: ignored on the import only, since
# Pulumi refuses an import whose inputs differ ("inputs to import do not match the existing resource",
# pulumi/pulumi pkg/resource/deploy/step.go ImportStep.Apply, which applies ignoreChanges first). The
# provider merges its default tags into ``tags`` before the import's diff (pulumi/pulumi-aws#4030,
# #5284), and a hand-made permission set has none. Membership, attachment and assignment inputs are
# their identity: nothing to ignore. A user's optional profile fields (phone, address, title, ...) may
# have been filled in by hand although the config declares none.
ADOPTED_USER_IGNORES = (
    "displayName", "name", "emails", "locale", "timezone",
    "addresses", "phoneNumbers", "nickname", "title", "userType", "preferredLanguage", "profileUrl",
)
ADOPTED_GROUP_IGNORES = ("description",)
ADOPTED_PERMISSION_SET_IGNORES = ("description", "sessionDuration", "relayState", "tags")


class IdentityCenterNotEnabled(pulumi.RunError):
    """The management account has no Identity Center instance in the region; the message says what to do."""


@dataclass(frozen=True)
class IdentityCenterInstance:
    """The (hand-enabled) Identity Center instance of the organization."""

    arn: str
    identity_store_id: str
    region: str

    def default_start_url(self) -> str:
        return f"https://{self.identity_store_id}.awsapps.com/start"


def lookup_instance(provider: aws.Provider, region: str) -> IdentityCenterInstance:
    """Find the Identity Center instance through ``provider`` (the management account's).

    Raises IdentityCenterNotEnabled, a one-line RunError, when there is none in ``region``.
    """
    found = aws.ssoadmin.get_instances(region=region, opts=pulumi.InvokeOptions(provider=provider))
    arns = list(found.arns or [])
    stores = list(found.identity_store_ids or [])
    if not arns or not stores:
        raise IdentityCenterNotEnabled(
            f"IAM Identity Center is not enabled in {region} of the management account: enable it once "
            f"by hand (AWS console, signed in to the management account, region {region} -> "
            "IAM Identity Center -> Enable), or set landing-zone:identityCenter.region in Pulumi.org.yaml "
            "to the region where it is enabled; then run again"
        )
    return IdentityCenterInstance(arn=arns[0], identity_store_id=stores[0], region=found.region or region)


@dataclass(frozen=True)
class IdentityCenterArgs:
    settings: IdentityCenterSettings
    provider_region: str  # the region of the management account's provider (the org stack's region)
    instance: IdentityCenterInstance
    account_ids: Mapping[str, pulumi.Input[str]]  # account key -> account id (from the LandingZone)
    inline_policies: Mapping[str, PolicyDocument]  # permission set name -> validated document
    assignments: Sequence[ResolvedAssignment]  # resolved and checked by components.config.load
    imports: IdentityCenterImports = field(default_factory=IdentityCenterImports)  # hand-made, to adopt


class IdentityCenter(pulumi.ComponentResource):
    """Users, groups, memberships, permission sets and assignments of the organization's Identity Center."""

    instance: IdentityCenterInstance
    start_url: str
    region: str
    users: dict[str, aws.identitystore.User]
    groups: dict[str, aws.identitystore.Group]
    memberships: list[aws.identitystore.GroupMembership]
    permission_sets: dict[str, aws.ssoadmin.PermissionSet]
    inline_policies: dict[str, aws.ssoadmin.PermissionSetInlinePolicy]
    managed_policy_attachments: list[aws.ssoadmin.ManagedPolicyAttachment]
    customer_managed_policy_attachments: list[aws.ssoadmin.CustomerManagedPolicyAttachment]
    permissions_boundaries: dict[str, aws.ssoadmin.PermissionsBoundaryAttachment]
    resolved_assignments: list[ResolvedAssignment]
    assignments: list[aws.ssoadmin.AccountAssignment]
    _imports: IdentityCenterImports

    def __init__(
        self, name: str, args: IdentityCenterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:identity:IdentityCenter", name, None, opts)
        settings = args.settings
        self.instance = args.instance
        self.start_url = settings.start_url or args.instance.default_start_url()
        self.region = args.instance.region
        # Only pin a region on each resource when Identity Center lives outside the provider's region.
        self._region = self.region if self.region != args.provider_region else None
        store = args.instance.identity_store_id
        child = pulumi.ResourceOptions(parent=self)
        imports = self._imports = args.imports

        self.users = {user.user_name: self._user(name, user, store, child) for user in settings.users}

        self.groups = {}
        self.memberships = []
        for group in settings.groups:
            resource = aws.identitystore.Group(
                names.group(name, group.name),
                identity_store_id=store,
                display_name=group.name,
                description=group.description,
                region=self._region,
                opts=adopted(child, imports.groups.get(group.name), ADOPTED_GROUP_IGNORES),
            )
            self.groups[group.name] = resource
            for member in group.members:
                self.memberships.append(
                    aws.identitystore.GroupMembership(
                        names.group_membership(name, group.name, member),
                        identity_store_id=store,
                        # The identity store's ids, not the Pulumi resource ids ("<store>/<id>").
                        group_id=resource.group_id,
                        member_id=self.users[member].user_id,
                        region=self._region,
                        opts=adopted(child, imports.memberships.get((group.name, member))),
                    )
                )

        self.permission_sets = {}
        self.inline_policies = {}
        self.managed_policy_attachments = []
        self.customer_managed_policy_attachments = []
        self.permissions_boundaries = {}
        # What an assignment must wait for, so the first provisioning already carries the policies.
        policies_of: dict[str, list[pulumi.Resource]] = {}
        for permission_set in settings.permission_sets:
            policies_of[permission_set.name] = self._permission_set(
                name, permission_set, args.inline_policies.get(permission_set.name), child
            )

        self.resolved_assignments = list(args.assignments)
        self.assignments = []
        for assignment in self.resolved_assignments:
            principal = (
                self.groups[assignment.principal].group_id
                if assignment.principal_type == "GROUP"
                else self.users[assignment.principal].user_id
            )
            self.assignments.append(
                aws.ssoadmin.AccountAssignment(
                    names.account_assignment(
                        name, assignment.permission_set, assignment.principal_type, assignment.principal,
                        assignment.account_key,
                    ),
                    instance_arn=args.instance.arn,
                    permission_set_arn=self.permission_sets[assignment.permission_set].arn,
                    principal_type=assignment.principal_type,
                    principal_id=principal,
                    target_type="AWS_ACCOUNT",
                    target_id=args.account_ids[assignment.account_key],
                    region=self._region,
                    opts=adopted(
                        pulumi.ResourceOptions(
                            parent=self, depends_on=policies_of[assignment.permission_set]
                        ),
                        imports.account_assignments.get(assignment),
                    ),
                )
            )

        self.register_outputs(
            {
                "instance_arn": args.instance.arn,
                "identity_store_id": store,
                "start_url": self.start_url,
                "region": self.region,
                "permission_sets": {key: value.arn for key, value in self.permission_sets.items()},
                "groups": {key: value.group_id for key, value in self.groups.items()},
            }
        )

    def _user(
        self, name: str, user: IdentityUserSettings, store: str, opts: pulumi.ResourceOptions
    ) -> aws.identitystore.User:
        return aws.identitystore.User(
            names.user(name, user.user_name),
            identity_store_id=store,
            user_name=user.user_name,
            display_name=user.display_name or f"{user.given_name} {user.family_name}",
            name=aws.identitystore.UserNameArgs(given_name=user.given_name, family_name=user.family_name),
            emails=aws.identitystore.UserEmailsArgs(value=user.email, type="work", primary=True),
            locale=user.locale,
            timezone=user.timezone,
            region=self._region,
            opts=adopted(opts, self._imports.users.get(user.user_name), ADOPTED_USER_IGNORES),
        )

    def _permission_set(
        self,
        name: str,
        settings: PermissionSetSettings,
        inline_policy: PolicyDocument | None,
        opts: pulumi.ResourceOptions,
    ) -> list[pulumi.Resource]:
        """Declare one permission set and its policies; return the policy resources."""
        instance_arn = self.instance.arn
        permission_set = aws.ssoadmin.PermissionSet(
            names.permission_set(name, settings.name),
            name=settings.name,
            description=settings.description,
            instance_arn=instance_arn,
            session_duration=settings.session_duration,
            relay_state=settings.relay_state,
            tags=dict(settings.tags) or None,
            region=self._region,
            opts=adopted(
                opts, self._imports.permission_sets.get(settings.name), ADOPTED_PERMISSION_SET_IGNORES
            ),
        )
        self.permission_sets[settings.name] = permission_set
        policies: list[pulumi.Resource] = []
        if inline_policy is not None:
            self.inline_policies[settings.name] = aws.ssoadmin.PermissionSetInlinePolicy(
                names.inline_policy(name, settings.name),
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                inline_policy=inline_policy.minified,
                region=self._region,
                opts=opts,
            )
            policies.append(self.inline_policies[settings.name])
        for arn in settings.managed_policies:
            attachment = aws.ssoadmin.ManagedPolicyAttachment(
                names.managed_policy_attachment(name, settings.name, arn),
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                managed_policy_arn=arn,
                region=self._region,
                opts=adopted(opts, self._imports.managed_policy_attachments.get((settings.name, arn))),
            )
            self.managed_policy_attachments.append(attachment)
            policies.append(attachment)
        for reference in settings.customer_managed_policies:
            adopted_id = self._imports.customer_managed_policy_attachments.get(
                (settings.name, f"{reference.path}{reference.name}")
            )
            customer = aws.ssoadmin.CustomerManagedPolicyAttachment(
                names.customer_policy_attachment(name, settings.name, reference.path, reference.name),
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                customer_managed_policy_reference=(
                    aws.ssoadmin.CustomerManagedPolicyAttachmentCustomerManagedPolicyReferenceArgs(
                        name=reference.name, path=reference.path
                    )
                ),
                region=self._region,
                opts=adopted(opts, adopted_id),
            )
            self.customer_managed_policy_attachments.append(customer)
            policies.append(customer)
        boundary = settings.permissions_boundary
        if boundary is not None:
            customer_boundary = (
                aws.ssoadmin.PermissionsBoundaryAttachmentPermissionsBoundaryCustomerManagedPolicyReferenceArgs(
                    name=boundary.customer_managed_policy.name, path=boundary.customer_managed_policy.path
                )
                if boundary.customer_managed_policy is not None
                else None
            )
            self.permissions_boundaries[settings.name] = aws.ssoadmin.PermissionsBoundaryAttachment(
                names.permissions_boundary(name, settings.name),
                instance_arn=instance_arn,
                permission_set_arn=permission_set.arn,
                permissions_boundary=aws.ssoadmin.PermissionsBoundaryAttachmentPermissionsBoundaryArgs(
                    managed_policy_arn=boundary.managed_policy_arn,
                    customer_managed_policy_reference=customer_boundary,
                ),
                region=self._region,
                opts=opts,
            )
            policies.append(self.permissions_boundaries[settings.name])
        return policies


def adopted(
    opts: pulumi.ResourceOptions, import_id: str | None, ignore: Sequence[str] = ()
) -> pulumi.ResourceOptions:
    """``opts`` as they are, or with the import of an existing object and what its import ignores."""
    if import_id is None:
        return opts
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(import_=import_id, ignore_changes=list(ignore) or None)
    )
