"""Frontend: Amplify app (build settings, optional repository) and the environment's branch."""

from __future__ import annotations

from typing import Any

import yaml
from pulumi.runtime import rpc

from components.frontend import FrontendApp, FrontendAppArgs, FrontendBranch, FrontendBranchArgs
from deploy.simulate import Recording
from tests.tasks_support import PROVIDER, assert_all_on_provider, opts, plan, run_with_provider

APP = "aws:amplify/app:App"
BRANCH = "aws:amplify/branch:Branch"
SECRET_VERSION = "aws:secretsmanager/getSecretVersion:getSecretVersion"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example1"
CLIENT_ID = "4example0client0id00000000"


def _run(raw: dict[str, Any] | None = None, *, production: bool = False) -> Recording:
    environment = "prod" if production else "pre"
    settings = plan(raw, environment=environment, production=production).frontend

    def program(provider):
        app = FrontendApp(f"{environment}-frontend", FrontendAppArgs(settings=settings), opts(provider))
        FrontendBranch(
            f"{environment}-frontend",
            FrontendBranchArgs(
                settings=settings, app_id=app.app_id, api_url=API_URL, issuer_url=ISSUER,
                client_id=CLIENT_ID, redirect_uri=app.url,
            ),
            opts(provider),
        )
        return {"url": app.url, "origin": app.origin}

    return run_with_provider(program, stack=environment)


def test_app_uses_the_seed_build_settings() -> None:
    app = _run().one(APP).inputs
    assert app["name"] == "HiperiumCityTasksPWA"
    assert app["platform"] == "WEB"
    (application,) = yaml.safe_load(app["buildSpec"])["applications"]
    assert application["appRoot"] == "src/hiperium-city-tasks-pwa"
    phases = application["frontend"]["phases"]
    assert phases["preBuild"]["commands"] == ["npm ci"]
    assert phases["build"]["commands"] == ["npm run build-pre"]
    assert application["frontend"]["artifacts"]["baseDirectory"] == "www"
    # Deep links of the single-page app are served index.html.
    assert app["customRules"][0]["target"] == "/index.html"


def test_without_repository_the_app_takes_manual_deployments_and_no_token() -> None:
    recording = _run()
    app = recording.one(APP).inputs
    assert "repository" not in app and "accessToken" not in app
    assert app["enableBranchAutoBuild"] is False
    assert recording.invokes == []
    assert recording.one(BRANCH).inputs["enableAutoBuild"] is False
    assert_all_on_provider(recording)


def test_repository_token_is_read_from_secrets_manager_in_the_workload_account() -> None:
    raw = {"frontend": {"repository": "https://github.com/example/hiperium-city-tasks",
                        "accessTokenSecret": "amplify/github-token"}}
    recording = _run(raw)
    app = recording.one(APP)
    assert app.inputs["repository"] == "https://github.com/example/hiperium-city-tasks"
    # Sent to the engine as a secret (encrypted in state), never as plain text.
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "mock-access-token"}
    assert app.inputs["accessToken"] == secret
    assert app.inputs["enableBranchAutoBuild"] is True
    assert recording.invokes == [(SECRET_VERSION, {"secretId": "amplify/github-token"})]
    (provider_urn,) = recording.invoke_providers
    assert provider_urn and recording.by_urn(provider_urn).type == PROVIDER


def test_frontend_url_is_the_branch_on_the_default_domain() -> None:
    recording = _run()
    domain = recording.one(APP).outputs["defaultDomain"]
    assert recording.outputs["url"] == f"https://pre.{domain}/"
    assert recording.outputs["origin"] == f"https://pre.{domain}"


def test_branch_is_named_after_the_environment_with_the_build_variables() -> None:
    recording = _run()
    branch = recording.one(BRANCH).inputs
    assert branch["branchName"] == "pre"
    assert branch["appId"] == recording.one(APP).id
    assert branch["stage"] == "DEVELOPMENT"
    assert branch["environmentVariables"] == {
        "TASKS_API_URL": API_URL,
        "OIDC_ISSUER": ISSUER,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_REDIRECT_URI": recording.outputs["url"],
        "OIDC_SCOPE": "phone email openid profile",
        "OIDC_RESPONSE_TYPE": "code",
    }
    prod = _run(production=True).one(BRANCH).inputs
    assert (prod["branchName"], prod["stage"]) == ("prod", "PRODUCTION")
