"""Which of the configured Identity Center objects already exist, made by hand, for the org stack to adopt.

The seed tutorial creates its group, user, membership and permission set by hand, under the names our
config declares. Creating them again fails mid-``up``: identitystore CreateUser, CreateGroup and
CreateGroupMembership, and sso-admin CreatePermissionSet, raise ConflictException (botocore models
identitystore/2020-06-15 and sso-admin/2020-07-20: the operations' ``errors``; user names, group display
names and permission set names are unique). So before the org stack's preview or up, this finds each of
them and passes its import id to the program for the run (components/settings/identity_imports.py), in
the format of the provider's "## Import" sections (pulumi_aws identitystore/{user,group,group_membership}.py,
ssoadmin/{permission_set,managed_policy_attachment,account_assignment}.py).

Also adopted, for a permission set or principal adopted: its AWS and customer managed policy attachments
that the config declares (AttachManagedPolicyToPermissionSet and
AttachCustomerManagedPolicyReferenceToPermissionSet raise ConflictException for one attached already), the
account assignments that exist (the provider's Create refuses one that exists: terraform-provider-aws
internal/service/ssoadmin/account_assignment.go, "already exists", since CreateAccountAssignment itself
does not prevent duplicates). Not adopted: the inline policy and permissions boundary, whose Create is
a Put (PutInlinePolicyToPermissionSet, PutPermissionsBoundaryToPermissionSet) that replaces the hand-made
one with ours (permission_set_inline_policy.go, resourcePermissionSetInlinePolicyPut).

What the org stack manages already is left alone: its outputs name its groups and permission sets; users
and memberships are not in them, so those are adopted on the first deploy only (no outputs yet). AWS is
reached through the injected boto3 session (tested against moto); reads only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components import config as stack_config
from components.settings.derived import IDENTITY_CENTER_IMPORTS_ENV
from components.settings.identity_center import ResolvedAssignment
from components.settings.identity_imports import IdentityCenterImports

Emit = Callable[[str], None]
NOT_FOUND = "ResourceNotFoundException"


def prepare_identity_adoption(
    settings: stack_config.OrgConfig,
    session: Any,
    *,
    org_outputs: Callable[[], Mapping[str, Any]],
    emit: Emit,
) -> dict[str, str]:
    """The environment variables for the org stack's run: the import ids of the existing objects (or none).

    ``org_outputs`` gives the org stack's outputs ({} when it has none or does not exist). Without an
    Identity Center instance nothing is adopted: the program stops on it with its own line.
    """
    region = settings.identity_center.region or settings.region
    sso = session.client("sso-admin", region_name=region)
    instance = _call("ListInstances", sso.list_instances).get("Instances", [])
    if not instance:
        return {}
    finder = _Finder(settings, session, region, instance[0], org_outputs)
    imports = finder.find()
    for line in finder.lines:
        emit(line)
    return {IDENTITY_CENTER_IMPORTS_ENV: imports.to_json()} if imports else {}


class _Finder:
    """Looks the configured objects up by name, caching ids, and notes one line per adopted object."""

    def __init__(
        self,
        settings: stack_config.OrgConfig,
        session: Any,
        region: str,
        instance: Mapping[str, Any],
        outputs: Callable[[], Mapping[str, Any]],
    ) -> None:
        self.settings = settings
        self.identity = settings.identity_center
        self.session = session
        self.sso = session.client("sso-admin", region_name=region)
        self.store = session.client("identitystore", region_name=region)
        self.instance_arn = str(instance["InstanceArn"])
        self.store_id = str(instance["IdentityStoreId"])
        self._outputs = outputs  # read only once something configured exists (a `pulumi stack output`)
        self.lines: list[str] = []
        self._user_ids: dict[str, str | None] = {}
        self._group_ids: dict[str, str | None] = {}
        self._set_arns: dict[str, str] | None = None
        self._account_ids: dict[str, str] | None = None

    def _managed(self, kind: str) -> set[str] | None:
        """The names of ``kind`` the org stack manages by its outputs; None: all (users, once deployed)."""
        outputs = self._outputs()
        return None if outputs and kind == "users" else set(outputs.get(kind) or {})

    def find(self) -> IdentityCenterImports:
        users = {
            user.user_name: self._adopt(f"user {user.user_name}", f"{self.store_id}/{user_id}")
            for user in self.identity.users
            if (user_id := self._user_id(user.user_name)) and self._unmanaged("users", user.user_name)
        }
        groups = {
            group.name: self._adopt(f"group {group.name}", f"{self.store_id}/{group_id}")
            for group in self.identity.groups
            if (group_id := self._group_id(group.name)) and self._unmanaged("groups", group.name)
        }
        memberships = self._memberships(users, groups)
        sets = {
            ps.name: self._adopt(f"permission set {ps.name}", f"{arn},{self.instance_arn}")
            for ps in self.identity.permission_sets
            if (arn := self._set_arns_by_name().get(ps.name)) and self._unmanaged("permission_sets", ps.name)
        }
        return IdentityCenterImports(
            users=users,
            groups=groups,
            memberships=memberships,
            permission_sets=sets,
            managed_policy_attachments=self._attachments(sets),
            customer_managed_policy_attachments=self._customer_attachments(sets),
            account_assignments=self._assignments(users, groups, sets),
        )

    def _adopt(self, what: str, import_id: str) -> str:
        self.lines.append(f"identity center: {what} exists, made outside the org stack: adopting {import_id}")
        return import_id

    def _unmanaged(self, kind: str, name: str) -> bool:
        managed = self._managed(kind)
        return managed is not None and name not in managed

    def _memberships(self, users: Mapping[str, str], groups: Mapping[str, str]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for group in self.identity.groups:
            for member in group.members:
                if group.name not in groups and member not in users:
                    continue  # neither is adopted: their membership is the stack's or this run's to create
                group_id, user_id = self._group_id(group.name), self._user_id(member)
                if group_id is None or user_id is None:
                    continue
                membership = self._identity_id(
                    "GetGroupMembershipId", "MembershipId", self.store.get_group_membership_id,
                    IdentityStoreId=self.store_id, GroupId=group_id, MemberId={"UserId": user_id},
                )
                if membership is not None:
                    found[(group.name, member)] = self._adopt(
                        f"membership of {member} in {group.name}", f"{self.store_id}/{membership}"
                    )
        return found

    def _attachments(self, sets: Mapping[str, str]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for ps in self.identity.permission_sets:
            if ps.name not in sets or not ps.managed_policies:
                continue
            arn = self._set_arns_by_name()[ps.name]
            attached = {
                entry["Arn"]
                for entry in self._pages(
                    "list_managed_policies_in_permission_set", "AttachedManagedPolicies",
                    InstanceArn=self.instance_arn, PermissionSetArn=arn,
                )
            }
            for policy in ps.managed_policies:
                if policy in attached:
                    found[(ps.name, policy)] = self._adopt(
                        f"policy {policy} on {ps.name}", f"{policy},{arn},{self.instance_arn}"
                    )
        return found

    def _customer_attachments(self, sets: Mapping[str, str]) -> dict[tuple[str, str], str]:
        found: dict[tuple[str, str], str] = {}
        for ps in self.identity.permission_sets:
            if ps.name not in sets or not ps.customer_managed_policies:
                continue
            arn = self._set_arns_by_name()[ps.name]
            attached = {
                (entry["Name"], entry.get("Path", "/"))
                for entry in self._pages(
                    "list_customer_managed_policy_references_in_permission_set",
                    "CustomerManagedPolicyReferences", InstanceArn=self.instance_arn, PermissionSetArn=arn,
                )
            }
            for ref in ps.customer_managed_policies:
                if (ref.name, ref.path) in attached:
                    found[(ps.name, f"{ref.path}{ref.name}")] = self._adopt(
                        f"customer managed policy {ref.path}{ref.name} on {ps.name}",
                        f"{ref.name},{ref.path},{arn},{self.instance_arn}",
                    )
        return found

    def _assignments(
        self, users: Mapping[str, str], groups: Mapping[str, str], sets: Mapping[str, str]
    ) -> dict[ResolvedAssignment, str]:
        found: dict[ResolvedAssignment, str] = {}
        for assignment in self.settings.resolved.assignments:
            adopted = users if assignment.principal_type == "USER" else groups
            if assignment.permission_set not in sets and assignment.principal not in adopted:
                continue
            principal_id = (
                self._user_id(assignment.principal)
                if assignment.principal_type == "USER"
                else self._group_id(assignment.principal)
            )
            set_arn = self._set_arns_by_name().get(assignment.permission_set)
            account_id = self._account_ids_by_key().get(assignment.account_key)
            if principal_id is None or set_arn is None or account_id is None:
                continue  # one of them is created by this run: so is the assignment
            existing = self._pages(
                "list_account_assignments", "AccountAssignments",
                InstanceArn=self.instance_arn, AccountId=account_id, PermissionSetArn=set_arn,
            )
            principal = (principal_id, assignment.principal_type)
            if any((entry.get("PrincipalId"), entry.get("PrincipalType")) == principal for entry in existing):
                import_id = ",".join((*principal, account_id, "AWS_ACCOUNT", set_arn, self.instance_arn))
                found[assignment] = self._adopt(
                    f"assignment of {assignment.permission_set} to {assignment.principal_type.lower()} "
                    f"{assignment.principal} on {assignment.account_key}",
                    import_id,
                )
        return found

    # --- lookups -------------------------------------------------------------------------------

    def _user_id(self, user_name: str) -> str | None:
        if user_name not in self._user_ids:
            self._user_ids[user_name] = self._identity_id(
                "GetUserId", "UserId", self.store.get_user_id, IdentityStoreId=self.store_id,
                AlternateIdentifier=_unique("userName", user_name),
            )
        return self._user_ids[user_name]

    def _group_id(self, name: str) -> str | None:
        if name not in self._group_ids:
            self._group_ids[name] = self._identity_id(
                "GetGroupId", "GroupId", self.store.get_group_id, IdentityStoreId=self.store_id,
                AlternateIdentifier=_unique("displayName", name),
            )
        return self._group_ids[name]

    def _identity_id(self, operation: str, key: str, call: Callable[..., Any], **params: Any) -> str | None:
        """The id an identitystore Get...Id returns, or None when there is no such object."""
        try:
            return str(call(**params)[key])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == NOT_FOUND:
                return None
            raise _failed(f"identitystore {operation}", error) from None
        except BotoCoreError as error:
            raise _failed(f"identitystore {operation}", error) from None

    def _set_arns_by_name(self) -> dict[str, str]:
        """Every permission set of the instance, by name (ListPermissionSets gives only ARNs)."""
        if self._set_arns is None:
            self._set_arns = {}
            for arn in self._pages("list_permission_sets", "PermissionSets", InstanceArn=self.instance_arn):
                described = _call(
                    "DescribePermissionSet", self.sso.describe_permission_set,
                    InstanceArn=self.instance_arn, PermissionSetArn=arn,
                )["PermissionSet"]
                self._set_arns[str(described["Name"])] = str(arn)
        return self._set_arns

    def _account_ids_by_key(self) -> dict[str, str]:
        """The configured accounts that exist: an ``importId`` as given, else the organization's account
        with the configured e-mail (unique in an organization: CreateAccount refuses a used one)."""
        if self._account_ids is None:
            organizations = self.session.client("organizations", region_name=self.settings.region)
            by_email: dict[str, str] = {}
            try:
                for page in organizations.get_paginator("list_accounts").paginate():
                    by_email.update({str(a["Email"]).lower(): str(a["Id"]) for a in page.get("Accounts", [])})
            except (ClientError, BotoCoreError) as error:
                raise _failed("Organizations ListAccounts", error) from None
            self._account_ids = {}
            for account in self.settings.accounts:
                account_id = account.import_id or by_email.get(str(account.email).lower())
                if account_id:
                    self._account_ids[account.key] = account_id
        return self._account_ids

    def _pages(self, operation: str, key: str, **params: Any) -> list[Any]:
        return list(_items(self.sso, operation, key, params))


def _unique(path: str, value: str) -> dict[str, Any]:
    """An identitystore AlternateIdentifier by unique attribute (a user's userName, a group's displayName)."""
    return {"UniqueAttribute": {"AttributePath": path, "AttributeValue": value}}


def _items(client: Any, operation: str, key: str, params: Mapping[str, Any]) -> Iterator[Any]:
    try:
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
    except (ClientError, BotoCoreError) as error:
        raise _failed(f"sso-admin {operation}", error) from None


def _call(operation: str, call: Callable[..., Any], **params: Any) -> Any:
    try:
        return call(**params)
    except (ClientError, BotoCoreError) as error:
        raise _failed(f"sso-admin {operation}", error) from None


def _failed(operation: str, error: Exception) -> Exception:
    from deploy.runner import SetupError

    if isinstance(error, ClientError):
        detail = error.response.get("Error", {})
        reason = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}".strip().rstrip(":")
    else:
        reason = str(error)
    return SetupError(f"reading Identity Center ({operation}) failed: {reason}.")
