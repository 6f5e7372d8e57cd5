"""Frontend: Amplify app (build settings, optional repository) and the environment's branch."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from components.config import ConfigError
from components.frontend import FrontendApp, FrontendAppArgs, FrontendBranch, FrontendBranchArgs
from components.settings import pwa_contract
from deploy.simulate import Recording
from tests.tasks_support import PROVIDER, REGION, assert_all_on_provider, opts, plan, run_with_provider

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
                client_id=CLIENT_ID, redirect_uri=app.url, region=REGION,
            ),
            opts(provider),
        )
        return {"url": app.url, "origin": app.origin}

    return run_with_provider(program, stack=environment)


def _phases(recording: Recording) -> dict[str, Any]:
    (application,) = yaml.safe_load(recording.one(APP).inputs["buildSpec"])["applications"]
    return application["frontend"]["phases"]


def test_app_uses_the_seed_build_settings() -> None:
    app = _run().one(APP).inputs
    assert app["name"] == "HiperiumCityTasksPWA"
    assert app["platform"] == "WEB"
    (application,) = yaml.safe_load(app["buildSpec"])["applications"]
    assert application["appRoot"] == "src/hiperium-city-tasks-pwa"
    assert application["frontend"]["artifacts"]["baseDirectory"] == "www"
    # Deep links of the single-page app are served index.html.
    assert app["customRules"][0]["target"] == "/index.html"


@pytest.mark.parametrize("app_root", [None, "apps/pwa"])
def test_app_sets_amplifys_monorepo_app_root_to_the_specs_app_root(app_root: str | None) -> None:
    """A monorepo spec's appRoot must equal AMPLIFY_MONOREPO_APP_ROOT (Amplify monorepo-configuration)."""
    app = _run({"frontend": {"appRoot": app_root}} if app_root else None).one(APP).inputs
    (application,) = yaml.safe_load(app["buildSpec"])["applications"]
    assert application["appRoot"] == (app_root or "src/hiperium-city-tasks-pwa")
    assert app["environmentVariables"] == {"AMPLIFY_MONOREPO_APP_ROOT": application["appRoot"]}


@pytest.mark.parametrize(
    ("configured", "production", "built"),
    [(None, False, "dev"), (None, True, "prod"), ("test", False, "test"), ("prod", False, "prod")],
)
def test_prebuild_renders_the_configurations_environment_file_then_installs_and_builds_it(
    configured: str | None, production: bool, built: str
) -> None:
    raw = {"frontend": {"buildConfiguration": configured}} if configured else None
    # angular.json: configuration <built> replaces environment.ts with environment.<built>.ts.
    script, environment_file = f"build-{built}", f"src/environments/environment.{built}.ts"
    phases = _phases(_run(raw, production=production))
    render, install = phases["preBuild"]["commands"]
    assert render.startswith("node -e '") and f'"{environment_file}"' in render
    assert install == "npm ci"
    # One of the PWA's package.json scripts (the seed has no build-pre).
    assert phases["build"]["commands"] == [f"npm run {script}"]
    assert script in pwa_contract.PACKAGE_SCRIPTS


def test_the_spec_keeps_the_render_command_on_one_line() -> None:
    spec = _run().one(APP).inputs["buildSpec"]
    (line,) = [line for line in spec.splitlines() if "node -e" in line]
    assert yaml.safe_load(line.strip().removeprefix("- ")).startswith("node -e '")


@pytest.mark.parametrize(
    ("raw", "production", "message"),
    [
        ({"frontend": {"buildConfiguration": "pre"}}, False, "'pre' is not one of the PWA's build"),
        ({"frontend": {"buildConfiguration": "dev"}}, True, "a production environment builds the PWA's prod"),
        ({"frontend": {"timeZone": "America/Guayaquil'"}}, False, "String should match pattern"),
    ],
)
def test_bad_frontend_build_settings_are_config_errors_naming_the_key(
    raw: dict[str, Any], production: bool, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        plan(raw, environment="prod" if production else "pre", production=production)
    key = next(iter(raw["frontend"]))
    assert caught.value.key == f"landing-zone:frontend.{key}"
    assert message in caught.value.message


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
        "PWA_API_URL": API_URL,
        "PWA_OIDC_ISSUER": ISSUER,
        "PWA_OIDC_CLIENT_ID": CLIENT_ID,
        "PWA_OIDC_REDIRECT_URI": recording.outputs["url"],
        "PWA_OIDC_SCOPE": "phone email openid profile",
        "PWA_TIME_ZONE": "America/Guayaquil",
        "PWA_PRODUCTION": "false",
        "PWA_REGION": REGION,
    }
    # Exactly the variables the render step reads: none that reach nothing.
    assert set(branch["environmentVariables"]) == set(pwa_contract.render_variables())
    prod = _run(production=True).one(BRANCH).inputs
    assert (prod["branchName"], prod["stage"]) == ("prod", "PRODUCTION")
    assert prod["environmentVariables"]["PWA_PRODUCTION"] == "true"
