"""Frontend: the Tasks PWA on Amplify Hosting, in two components so the environment has no cycle.

1. ``FrontendApp``: the Amplify app and its build specification. Its default domain gives the
   frontend URL ``https://<branch>.<default domain>/`` before any branch exists.
2. The Cognito client registers that URL as callback and sign-out URL (components/cognito_idp.py).
3. ``FrontendBranch``: the branch named after the environment, with the build variables below.

The repository connection is optional: without it the app serves manual deployments (a zip of
``www`` through ``aws amplify create-deployment`` / ``start-deployment``, or the console). With it,
the GitHub access token is read at deploy time from a Secrets Manager secret in the workload account;
Pulumi keeps it as a secret (encrypted) in state, never in config or code.

The seed's PWA reads no environment variables: it compiles in ``src/environments/environment.<x>.ts``
of its build configuration (components/settings/pwa_contract.py). So the build spec's preBuild first
writes that file whole from the branch's variables (nothing is committed to the app's repository),
then runs ``npm ci`` and ``npm run build-<configuration>`` (``frontend.buildConfiguration``: ``dev``
outside production, ``prod`` in it). ``plan`` checks the recorded spec and branch against the
contract (deploy/frontend_contract_check.py).

==========================  ===========================================================
``PWA_API_URL``             ``environment.apiUrl``: the HTTP API's URL
``PWA_OIDC_ISSUER``         ``authConfig.issuer``: the user pool's issuer URL
``PWA_OIDC_CLIENT_ID``      ``authConfig.clientId``: the web client id
``PWA_OIDC_REDIRECT_URI``   ``authConfig.redirectUri``: the frontend URL (a Cognito callback)
``PWA_OIDC_SCOPE``          ``authConfig.scope``: ``phone email openid profile``
``PWA_TIME_ZONE``           ``environment.timeZone`` (``frontend.timeZone``)
``PWA_PRODUCTION``          ``environment.production``: true for the prod configuration
``PWA_REGION``              the region of ``src/aws-exports.js``, written only if the checkout lacks it
==========================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components.settings import pwa_contract
from components.settings.tasks_service import FrontendPlan

# Single-page app: every path without a file extension is served index.html (Angular's router).
SPA_REWRITE = aws.amplify.AppCustomRuleArgs(
    source="</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)([^.]+$)/>",
    target="/index.html",
    status="200",
)


def build_spec(settings: FrontendPlan) -> str:
    """The Amplify build specification (monorepo form: the app lives under ``app_root``).

    preBuild renders the environment file of the build configuration, then installs; build runs the
    configuration's npm script.
    """
    configuration = pwa_contract.BUILD_CONFIGURATIONS[settings.build_configuration]
    spec = {
        "version": 1,
        "applications": [
            {
                "appRoot": settings.app_root,
                "frontend": {
                    "phases": {
                        "preBuild": {
                            "commands": [pwa_contract.render_command(configuration), "npm ci"]
                        },
                        "build": {"commands": [configuration.command]},
                    },
                    "artifacts": {"baseDirectory": settings.artifacts_dir, "files": ["**/*"]},
                    "cache": {"paths": ["node_modules/**/*"]},
                },
            }
        ],
    }
    # No line folding: each command stays one line of YAML, as written.
    return yaml.safe_dump(spec, sort_keys=False, width=float("inf"))


def frontend_url(branch: str, default_domain: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("https://", branch, ".", default_domain, "/")


def origin_of(url: pulumi.Input[str]) -> pulumi.Output[str]:
    """``https://host/`` -> ``https://host`` (a CORS origin has no path)."""
    return pulumi.Output.from_input(url).apply(lambda value: value.rstrip("/"))


@dataclass(frozen=True)
class FrontendAppArgs:
    settings: FrontendPlan


class FrontendApp(pulumi.ComponentResource):
    """The Amplify Hosting app; ``url`` is where the environment's branch will be served."""

    app: aws.amplify.App
    app_id: pulumi.Output[str]
    default_domain: pulumi.Output[str]
    url: pulumi.Output[str]
    origin: pulumi.Output[str]

    def __init__(self, name: str, args: FrontendAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("landingzone:frontend:FrontendApp", name, None, opts)
        settings = args.settings
        access_token: pulumi.Output[str] | None = None
        if settings.access_token_secret is not None:
            token = aws.secretsmanager.get_secret_version_output(
                secret_id=settings.access_token_secret, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            access_token = pulumi.Output.secret(token.secret_string)

        self.app = aws.amplify.App(
            name,
            name=settings.app_name,
            description=f"Tasks PWA ({settings.branch})",
            platform="WEB",
            build_spec=build_spec(settings),
            custom_rules=[SPA_REWRITE],
            # The monorepo spec's appRoot, which Amplify's build requires as this variable too.
            environment_variables={pwa_contract.MONOREPO_APP_ROOT: settings.app_root},
            repository=settings.repository,
            access_token=access_token,
            enable_branch_auto_build=settings.repository is not None,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["accessToken"]),
        )
        self.app_id = self.app.id
        self.default_domain = self.app.default_domain
        self.url = frontend_url(settings.branch, self.app.default_domain)
        self.origin = origin_of(self.url)
        self.register_outputs({"app_id": self.app_id, "url": self.url})

    def public_url(self, override: pulumi.Input[str] | None) -> pulumi.Output[str]:
        """Where users open the frontend: ``override`` (``cognito.frontendUrl``, a custom domain in front
        of the branch) when given, else the branch URL."""
        return pulumi.Output.from_input(override) if override is not None else self.url


@dataclass(frozen=True)
class FrontendBranchArgs:
    settings: FrontendPlan
    app_id: pulumi.Input[str]
    api_url: pulumi.Input[str]
    issuer_url: pulumi.Input[str]
    client_id: pulumi.Input[str]
    redirect_uri: pulumi.Input[str]  # the frontend URL, as registered with the Cognito client
    region: str  # the workload region, for a generated aws-exports.js


class FrontendBranch(pulumi.ComponentResource):
    """The environment's branch of the Amplify app and its build variables."""

    branch: aws.amplify.Branch

    def __init__(
        self, name: str, args: FrontendBranchArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("landingzone:frontend:FrontendBranch", name, None, opts)
        settings = args.settings
        self.branch = aws.amplify.Branch(
            f"{name}-{settings.branch}",
            app_id=args.app_id,
            branch_name=settings.branch,
            stage="PRODUCTION" if settings.production else "DEVELOPMENT",
            enable_auto_build=settings.repository is not None,
            environment_variables=build_variables(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"branch_name": self.branch.branch_name})


def build_variables(args: FrontendBranchArgs) -> dict[str, pulumi.Input[str]]:
    """The values the build spec's render step writes into the PWA's environment file."""
    configuration = pwa_contract.BUILD_CONFIGURATIONS[args.settings.build_configuration]
    return {
        pwa_contract.API_URL: args.api_url,
        pwa_contract.OIDC_ISSUER: args.issuer_url,
        pwa_contract.OIDC_CLIENT_ID: args.client_id,
        pwa_contract.OIDC_REDIRECT_URI: args.redirect_uri,
        pwa_contract.OIDC_SCOPE: " ".join(args.settings.scopes),
        pwa_contract.TIME_ZONE: args.settings.time_zone,
        pwa_contract.PRODUCTION: "true" if configuration.production else "false",
        pwa_contract.REGION: args.region,
    }
