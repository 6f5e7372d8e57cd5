"""Frontend: the Tasks PWA on Amplify Hosting, in two components so the environment has no cycle.

1. ``FrontendApp``: the Amplify app with the seed's build settings. Its default domain gives the
   frontend URL ``https://<branch>.<default domain>/`` before any branch exists.
2. The Cognito client registers that URL as callback and sign-out URL (components/cognito_idp.py).
3. ``FrontendBranch``: the branch named after the environment, with the variables the build needs:
   the API URL, the issuer, the client id and the redirect URI (the frontend URL itself).

The repository connection is optional: without it the app serves manual deployments (a zip of
``www`` through ``aws amplify create-deployment`` / ``start-deployment``, or the console). With it,
the GitHub access token is read at deploy time from a Secrets Manager secret in the workload account;
Pulumi keeps it as a secret (encrypted) in state, never in config or code.

Build variables (read by the PWA's build script, ``npm run build-<branch>``):

==========================  ===========================================================
``TASKS_API_URL``           the HTTP API's URL
``OIDC_ISSUER``             the user pool's issuer URL
``OIDC_CLIENT_ID``          the web client id
``OIDC_REDIRECT_URI``       the frontend URL (registered in Cognito as callback/sign-out)
``OIDC_SCOPE``              ``phone email openid profile``
``OIDC_RESPONSE_TYPE``      ``code`` (authorization code flow with PKCE)
==========================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components.settings.tasks_service import FrontendPlan

# Single-page app: every path without a file extension is served index.html (Angular's router).
SPA_REWRITE = aws.amplify.AppCustomRuleArgs(
    source="</^[^.]+$|\\.(?!(css|gif|ico|jpg|js|png|txt|svg|woff|woff2|ttf|map|json|webp)$)([^.]+$)/>",
    target="/index.html",
    status="200",
)


def build_spec(settings: FrontendPlan) -> str:
    """The Amplify build specification (monorepo form: the app lives under ``app_root``)."""
    spec = {
        "version": 1,
        "applications": [
            {
                "appRoot": settings.app_root,
                "frontend": {
                    "phases": {
                        "preBuild": {"commands": ["npm ci"]},
                        "build": {"commands": [settings.build_command]},
                    },
                    "artifacts": {"baseDirectory": settings.artifacts_dir, "files": ["**/*"]},
                    "cache": {"paths": ["node_modules/**/*"]},
                },
            }
        ],
    }
    return yaml.safe_dump(spec, sort_keys=False)


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


@dataclass(frozen=True)
class FrontendBranchArgs:
    settings: FrontendPlan
    app_id: pulumi.Input[str]
    api_url: pulumi.Input[str]
    issuer_url: pulumi.Input[str]
    client_id: pulumi.Input[str]
    redirect_uri: pulumi.Input[str]  # the frontend URL, as registered with the Cognito client


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
    return {
        "TASKS_API_URL": args.api_url,
        "OIDC_ISSUER": args.issuer_url,
        "OIDC_CLIENT_ID": args.client_id,
        "OIDC_REDIRECT_URI": args.redirect_uri,
        "OIDC_SCOPE": " ".join(args.settings.scopes),
        "OIDC_RESPONSE_TYPE": "code",
    }
