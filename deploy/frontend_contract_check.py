"""Plan check: each Amplify app's build can build the seed's PWA and points it at this environment.

The seed's PWA reads no environment variables; it compiles in the environment file of the build
configuration its npm script selects (components/settings/pwa_contract.py). The mock runtime accepts
any build spec and any branch variables, and the failure shows only in Amplify's build log, or worse,
as an app that builds and then talks to the repository's placeholder API. So, on the recording:

- every ``npm run`` of the spec names a script of the PWA's package.json, and the build runs one of its
  build configurations;
- a preBuild command writes the environment file that configuration compiles in;
- every variable the commands read is set on the branch (or the app), and a variable that no command
  reads is reported (it reaches nothing); names and values are ones Amplify accepts;
- a monorepo spec's ``appRoot`` is also the value of ``AMPLIFY_MONOREPO_APP_ROOT``, which Amplify's build
  requires (components/settings/pwa_contract.py);
- the values point at this stack's HTTP API, user pool and web client, and the redirect URI and scopes
  are ones that client allows (else Cognito answers redirect_mismatch / invalid_scope at sign-in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from components.settings import pwa_contract
from deploy.simulate import RecordedResource, Recording
from deploy.stack_checks import ERROR, WARNING, Finding, StackContext

CHECK = "frontend contract"
APP = "aws:amplify/app:App"
BRANCH = "aws:amplify/branch:Branch"
HTTP_API = "aws:apigatewayv2/api:Api"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"


def frontend_contract_check(context: StackContext) -> list[Finding]:
    recording = context.recording
    if recording is None:
        return []
    findings: list[Finding] = []
    for app in recording.of_type(APP):
        branches = [b for b in recording.of_type(BRANCH) if b.inputs.get("appId") == app.id]
        findings.extend(app_findings(recording, app, branches))
    return findings


def _where(resource: RecordedResource) -> str:
    return f"{resource.name} ({resource.type})"


def _phases(spec: Any) -> Mapping[str, Any] | None:
    """The frontend phases of a build spec, single-app or monorepo (``applications``) form."""
    if not isinstance(spec, Mapping):
        return None
    applications = spec.get("applications")
    frontend = applications[0].get("frontend") if isinstance(applications, list) and applications else None
    frontend = frontend if frontend is not None else spec.get("frontend")
    phases = frontend.get("phases") if isinstance(frontend, Mapping) else None
    return phases if isinstance(phases, Mapping) else None


def _app_root(spec: Any) -> str | None:
    """The appRoot of a monorepo (``applications``) spec; None for a single-app spec."""
    applications = spec.get("applications") if isinstance(spec, Mapping) else None
    first = applications[0] if isinstance(applications, list) and applications else None
    root = first.get("appRoot") if isinstance(first, Mapping) else None
    return str(root) if root is not None else None


def _commands(phases: Mapping[str, Any], phase: str) -> list[str]:
    commands = (phases.get(phase) or {}).get("commands") or []
    return [str(command) for command in commands]


def app_findings(
    recording: Recording, app: RecordedResource, branches: list[RecordedResource]
) -> list[Finding]:
    """What is wrong with one app's build spec and its branches' variables."""
    where = _where(app)

    def error(message: str, at: str = where) -> Finding:
        return Finding(CHECK, ERROR, at, message)

    try:
        spec = yaml.safe_load(app.inputs.get("buildSpec") or "")
    except yaml.YAMLError as problem:
        return [error(f"the build spec is not YAML: {str(problem).splitlines()[0]}")]
    phases = _phases(spec)
    if phases is None:
        return [error("the build spec has no frontend phases: Amplify would not build the PWA")]
    pre_build = _commands(phases, "preBuild")
    build = _commands(phases, "build")
    findings: list[Finding] = []

    for script in _scripts(pre_build + build):
        if script not in pwa_contract.PACKAGE_SCRIPTS:
            findings.append(error(
                f"the build spec runs 'npm run {script}', which the PWA's package.json does not have"
                f" (build scripts: {', '.join(c.script for c in pwa_contract.BUILD_CONFIGURATIONS.values())})"
            ))
    built = [c for c in map(pwa_contract.configuration_of_script, _scripts(build)) if c is not None]
    if not built:
        findings.append(error(
            "the build phase runs none of the PWA's build configurations"
            f" ({', '.join(c.command for c in pwa_contract.BUILD_CONFIGURATIONS.values())})"
        ))
    for configuration in built:
        if not any(configuration.environment_file in command for command in pre_build):
            findings.append(error(
                f"'{configuration.command}' compiles in {configuration.environment_file}, which no preBuild"
                " command writes: the app would ship the repository's placeholder API and client id"
            ))

    read = pwa_contract.variables_read(pre_build + build)
    app_variables = _variables(app)
    app_root = _app_root(spec)
    for branch in branches:
        variables = {**app_variables, **_variables(branch)}
        if app_root is not None and variables.get(pwa_contract.MONOREPO_APP_ROOT) != app_root:
            findings.append(error(
                f"the monorepo build spec's appRoot '{app_root}' needs {pwa_contract.MONOREPO_APP_ROOT}"
                f" set to it on the app or branch (it is {variables.get(pwa_contract.MONOREPO_APP_ROOT)!r}):"
                " Amplify's build fails without it", _where(branch),
            ))
        findings.extend(_variable_findings(branch, variables, read))
        findings.extend(_target_findings(recording, branch, variables))
    return findings


def _scripts(commands: list[str]) -> list[str]:
    return [script for command in commands for script in pwa_contract.npm_scripts_run(command)]


def _variables(resource: RecordedResource) -> dict[str, Any]:
    values = resource.inputs.get("environmentVariables")
    return dict(values) if isinstance(values, Mapping) else {}


def _variable_findings(
    branch: RecordedResource, variables: Mapping[str, Any], read: set[str]
) -> list[Finding]:
    where = _where(branch)
    findings: list[Finding] = []
    # Amplify sets AWS_APP_ID, AWS_BRANCH, ... itself and refuses user variables with that prefix.
    provided_by_amplify = {name for name in read if name.startswith(pwa_contract.RESERVED_VARIABLE_PREFIX)}
    for name in sorted(read - set(variables) - provided_by_amplify):
        findings.append(Finding(CHECK, ERROR, where, f"{name} is read by the build spec but not set on the"
                                " branch or the app: the render step stops the build"))
    for name in sorted(set(variables) - read - {pwa_contract.MONOREPO_APP_ROOT}):  # Amplify reads that one
        findings.append(Finding(CHECK, WARNING, where, f"{name} is set but no build command reads it:"
                                " the PWA never sees it"))
    for name, value in sorted(variables.items()):
        if name.startswith(pwa_contract.RESERVED_VARIABLE_PREFIX):
            findings.append(Finding(CHECK, ERROR, where, f"{name}: Amplify refuses variable names that start"
                                    f" with '{pwa_contract.RESERVED_VARIABLE_PREFIX}'"))
        if isinstance(value, str) and len(value) > pwa_contract.MAX_VARIABLE_LENGTH:
            findings.append(Finding(CHECK, ERROR, where, f"{name}: {len(value)} characters, over Amplify's"
                                    f" {pwa_contract.MAX_VARIABLE_LENGTH}"))
        if isinstance(value, str) and name in read and not value:
            findings.append(Finding(CHECK, ERROR, where, f"{name} is empty: the render step stops the build"))
    return findings


def _target_findings(
    recording: Recording, branch: RecordedResource, variables: Mapping[str, Any]
) -> list[Finding]:
    """The values point at this stack's API, user pool and client, within what the client allows."""
    where = _where(branch)
    findings: list[Finding] = []

    def wrong(message: str) -> None:
        findings.append(Finding(CHECK, ERROR, where, message))

    api_url = variables.get(pwa_contract.API_URL)
    endpoints = {str(api.outputs.get("apiEndpoint")) for api in recording.of_type(HTTP_API)}
    if isinstance(api_url, str) and endpoints and api_url not in endpoints:
        wrong(f"{pwa_contract.API_URL} '{api_url}' is not the endpoint of this stack's HTTP API"
              f" ({', '.join(sorted(endpoints))}; no trailing slash: the app appends '/<path>')")

    issuer = variables.get(pwa_contract.OIDC_ISSUER)
    issuers = {f"https://{pool.outputs.get('endpoint')}" for pool in recording.of_type(USER_POOL)}
    if isinstance(issuer, str) and issuers and issuer not in issuers:
        wrong(f"{pwa_contract.OIDC_ISSUER} '{issuer}' is not the issuer of this stack's user pool"
              f" ({', '.join(sorted(issuers))})")

    client_id = variables.get(pwa_contract.OIDC_CLIENT_ID)
    clients = recording.of_type(USER_POOL_CLIENT)
    client = next((c for c in clients if c.id == client_id), None)
    if isinstance(client_id, str) and clients and client is None:
        wrong(f"{pwa_contract.OIDC_CLIENT_ID} '{client_id}' is not a user pool client of this stack")
    if client is None:
        return findings
    redirect_uri = variables.get(pwa_contract.OIDC_REDIRECT_URI)
    if isinstance(redirect_uri, str) and redirect_uri not in (client.inputs.get("callbackUrls") or []):
        wrong(f"{pwa_contract.OIDC_REDIRECT_URI} '{redirect_uri}' is not a callback URL of client"
              f" {client.name}: Cognito answers redirect_mismatch at sign-in")
    scope = variables.get(pwa_contract.OIDC_SCOPE)
    allowed = set(client.inputs.get("allowedOauthScopes") or [])
    refused = [s for s in scope.split() if s not in allowed] if isinstance(scope, str) else []
    if refused:
        wrong(f"{pwa_contract.OIDC_SCOPE}: {', '.join(refused)} not allowed by client {client.name}:"
              " Cognito answers invalid_scope at sign-in")
    return findings
