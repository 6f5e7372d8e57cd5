"""The PWA's build contract: the recorded build spec's render step, run on the branch's recorded values,
writes the environment file the seed's template describes; plan's check catches specs that would not.

The render command runs as Amplify runs it: through bash, in the app root (a tmp dir here), with the
branch's variables as the environment. The rendered TypeScript is evaluated with Node (the same Node the
render step needs) after stripping its type import, so a value that broke the file would fail here.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import pwa_contract
from deploy.frontend_contract_check import frontend_contract_check
from deploy.simulate import Recording
from deploy.stack_checks import StackContext, all_checks
from tests.conftest import run_env_stack

SEED_TEMPLATE = Path(__file__).parent / "fixtures" / "seed_pwa" / "ionic-environment-dev"
APP = "aws:amplify/app:App"
BRANCH = "aws:amplify/branch:Branch"
# The seed template's placeholders (FACTS: the menu replaced them with sed), and ALB_ENDPOINT of the
# Dec-27 version: a key whose value holds one is filled with this environment's value.
PLACEHOLDERS = ("ALB_ENDPOINT", "API_GATEWAY_ID", "AWS_REGION", "COGNITO_USER_POOL_ID",
                "COGNITO_APP_CLIENT_ID_WEB", "TASK_SERVICE_ENV", "AMPLIFY_APP_ID")
NASTY = "it's \"quoted\" \\ `uname` $(touch pwned) ${HOME} '; alert(1); //\n*/ </script>\u2028end"


@pytest.fixture(scope="module", params=["pre", "prod"])
def recorded(request: pytest.FixtureRequest) -> Recording:
    return run_env_stack(request.param)


def _phases(recording: Recording) -> dict[str, Any]:
    (application,) = yaml.safe_load(recording.one(APP).inputs["buildSpec"])["applications"]
    return application["frontend"]["phases"]


def _render_command(recording: Recording) -> str:
    commands = _phases(recording)["preBuild"]["commands"]
    (render,) = [command for command in commands if command.startswith("node ")]
    return render


def _variables(recording: Recording) -> dict[str, str]:
    return dict(recording.one(BRANCH).inputs["environmentVariables"])


def _run_render(command: str, variables: dict[str, str], app_root: Path) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ["PATH"], "HOME": str(app_root), **variables}
    return subprocess.run(["bash", "-c", command], cwd=app_root, env=environment, capture_output=True,
                          text=True, timeout=60, check=False)


def _render(recording: Recording, app_root: Path, **overrides: str) -> tuple[Path, str]:
    app_root.mkdir(parents=True, exist_ok=True)
    result = _run_render(_render_command(recording), {**_variables(recording), **overrides}, app_root)
    assert result.returncode == 0, result.stderr
    (written,) = [p for p in (app_root / "src" / "environments").iterdir()]
    return written, written.read_text()


def exports_of(typescript: str) -> dict[str, tuple[str, list[str]]]:
    """``export const name[: Type] = { key: ..., ... }`` -> name -> (type annotation, keys in order)."""
    found: dict[str, tuple[str, list[str]]] = {}
    for match in re.finditer(r"export const (\w+)(?:\s*:\s*(\w+))?\s*=\s*\{(.*?)\n\};", typescript, re.S):
        name, annotation, body = match.groups()
        keys = re.findall(r"^\s*(\w+)\s*:", body, re.M)
        found[name] = (annotation or "", keys)
    return found


def literal_values(typescript: str) -> dict[str, dict[str, str]]:
    """Each export's ``key: value`` as written (value text without a trailing comma or comment)."""
    values: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"export const (\w+)[^=]*=\s*\{(.*?)\n\};", typescript, re.S):
        name, body = match.groups()
        values[name] = {
            key: value.strip()
            for key, value in re.findall(r"^\s*(\w+)\s*:\s*(.*?),?(?:\s+//.*)?$", body, re.M)
        }
    return values


def evaluate(typescript: str, tmp_path: Path) -> dict[str, Any]:
    """The exported objects as Node sees them (the type import and annotation stripped)."""
    javascript = re.sub(r"^import .*$", "", typescript, flags=re.M)
    javascript = re.sub(r"export const (\w+)\s*:\s*\w+\s*=", r"export const \1 =", javascript)
    javascript = javascript.replace("export const ", "const ")
    script = tmp_path / "evaluate.cjs"
    script.write_text(javascript + "\nconsole.log(JSON.stringify({environment, authConfig}));\n")
    result = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _seed_text() -> str:
    return SEED_TEMPLATE.read_text()


# --- the render step on the recorded stacks ---------------------------------------------------------


def test_the_seed_template_fixture_has_the_contracts_exports() -> None:
    """The contract's data was read from the same template the fixture holds."""
    seed = exports_of(_seed_text())
    assert seed == {
        export.name: (export.type_annotation.removeprefix(": "), list(export.keys))
        for export in pwa_contract.EXPORTS
    }
    assert "import {AuthConfig} from 'angular-oauth2-oidc';" in _seed_text()


def test_render_writes_the_seed_templates_exports_with_this_environments_values(
    recorded: Recording, tmp_path: Path
) -> None:
    written, text = _render(recorded, tmp_path / "app")
    production = recorded.stack == "prod"
    configuration = pwa_contract.BUILD_CONFIGURATIONS["prod" if production else "dev"]
    assert written == tmp_path / "app" / configuration.environment_file
    # Same export names, type annotations and keys (in order) as the seed's template.
    assert exports_of(text) == exports_of(_seed_text())
    assert "import {AuthConfig} from" in text

    values = evaluate(text, tmp_path)
    outputs = recorded.outputs
    assert values["environment"] == {
        "production": production, "timeZone": "America/Guayaquil", "apiUrl": outputs["api_url"],
    }
    assert values["authConfig"] == {
        "issuer": outputs["issuer_url"],
        "oidc": True,
        "strictDiscoveryDocumentValidation": False,
        "clientId": outputs["user_pool_client_id"],
        "redirectUri": outputs["frontend_url"],
        "responseType": "code",
        "scope": "phone email openid profile",
        "showDebugInformation": not production,
    }
    # Every value of the seed template without a placeholder is carried over as it was (quote style
    # aside; `production` is the configuration's, above); the others now hold this environment's
    # values (above), and no placeholder is left.
    seed, ours = literal_values(_seed_text()), literal_values(text)
    for name, entries in seed.items():
        for key, seed_value in entries.items():
            if key != "production" and not any(placeholder in seed_value for placeholder in PLACEHOLDERS):
                assert ours[name][key].replace('"', "'") == seed_value, (name, key)
    assert not any(placeholder in text for placeholder in PLACEHOLDERS)


def test_render_writes_aws_exports_only_when_the_checkout_has_none(
    recorded: Recording, tmp_path: Path
) -> None:
    app_root = tmp_path / "app"
    _render(recorded, app_root)
    generated = (app_root / pwa_contract.AWS_EXPORTS_FILE).read_text()
    assert '{"aws_project_region":"us-east-1"}' in generated and "export default awsmobile;" in generated

    other_root = tmp_path / "committed"
    (other_root / "src").mkdir(parents=True)
    (other_root / pwa_contract.AWS_EXPORTS_FILE).write_text("// the app's own\n")
    _render(recorded, other_root)
    assert (other_root / pwa_contract.AWS_EXPORTS_FILE).read_text() == "// the app's own\n"


def test_the_build_command_is_one_of_the_pwas_scripts(recorded: Recording) -> None:
    (build,) = _phases(recorded)["build"]["commands"]
    (script,) = pwa_contract.npm_scripts_run(build)
    assert script in pwa_contract.PACKAGE_SCRIPTS
    configuration = pwa_contract.configuration_of_script(script)
    assert configuration is not None
    # ... and the render step writes the file that configuration compiles in.
    assert f'"{configuration.environment_file}"' in _render_command(recorded)


@pytest.mark.parametrize("variable", [pwa_contract.OIDC_ISSUER, pwa_contract.API_URL, pwa_contract.TIME_ZONE])
def test_a_value_with_quotes_cannot_break_the_file_or_run_anything(
    recorded: Recording, tmp_path: Path, variable: str
) -> None:
    app_root = tmp_path / "app"
    _, text = _render(recorded, app_root, **{variable: NASTY})
    assert exports_of(text) == exports_of(_seed_text())
    values = evaluate(text, tmp_path)
    entry = next(e for export in pwa_contract.EXPORTS for e in export.entries if e.source == variable)
    export = next(x.name for x in pwa_contract.EXPORTS if entry in x.entries)
    assert values[export][entry.key] == NASTY  # the exact value, as one string
    assert not list(tmp_path.rglob("pwned"))  # nothing in the value was run


@pytest.mark.parametrize(("variable", "value", "message"), [
    (pwa_contract.API_URL, None, "build variable PWA_API_URL is not set"),
    (pwa_contract.OIDC_CLIENT_ID, "", "build variable PWA_OIDC_CLIENT_ID is not set"),
    (pwa_contract.PRODUCTION, "yes", "PWA_PRODUCTION must be true or false"),
])
def test_a_missing_or_bad_variable_stops_the_build_and_writes_nothing(
    recorded: Recording, tmp_path: Path, variable: str, value: str | None, message: str
) -> None:
    variables = _variables(recorded)
    if value is None:
        del variables[variable]
    else:
        variables[variable] = value
    result = _run_render(_render_command(recorded), variables, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
    assert not (tmp_path / "src" / "environments").exists()


# --- plan's check ---------------------------------------------------------------------------------


def _context(recording: Recording) -> StackContext:
    return StackContext(stack=recording.stack, source=f"Pulumi.{recording.stack}.yaml", file_config={},
                        settings=None, recording=recording)


def _findings(recording: Recording) -> list[tuple[str, str]]:
    return [(f.severity, f.message) for f in frontend_contract_check(_context(recording))]


def _with(recording: Recording, *, spec: dict[str, Any] | None = None,
          variables: dict[str, str] | None = None) -> Recording:
    changed = copy.deepcopy(recording)
    if spec is not None:
        changed.one(APP).inputs["buildSpec"] = yaml.safe_dump(spec)
    if variables is not None:
        changed.one(BRANCH).inputs["environmentVariables"] = variables
    return changed


def _spec(pre_build: list[str], build: list[str]) -> dict[str, Any]:
    return {"version": 1, "applications": [{
        "appRoot": pwa_contract.APP_ROOT,
        "frontend": {"phases": {"preBuild": {"commands": pre_build}, "build": {"commands": build}},
                     "artifacts": {"baseDirectory": "www", "files": ["**/*"]}},
    }]}


def test_the_check_is_registered_and_passes_on_the_stack_files(recorded: Recording) -> None:
    assert frontend_contract_check in all_checks()
    assert _findings(recorded) == []


def test_the_old_spec_would_have_been_caught(recorded: Recording) -> None:
    """Before: `npm ci` + `npm run build-pre`, and variables that nothing read."""
    old_variables = {
        "TASKS_API_URL": recorded.outputs["api_url"], "OIDC_ISSUER": recorded.outputs["issuer_url"],
        "OIDC_CLIENT_ID": recorded.outputs["user_pool_client_id"],
        "OIDC_REDIRECT_URI": recorded.outputs["frontend_url"], "OIDC_SCOPE": "phone email openid profile",
        "OIDC_RESPONSE_TYPE": "code",
    }
    old_spec = _spec(["npm ci"], ["npm run build-pre"])
    findings = _findings(_with(recorded, spec=old_spec, variables=old_variables))
    errors = [message for severity, message in findings if severity == "error"]
    warnings = [message for severity, message in findings if severity == "warning"]
    assert any("'npm run build-pre', which the PWA's package.json does not have" in m for m in errors)
    assert any("runs none of the PWA's build configurations" in m for m in errors)
    assert sorted(m.split()[0] for m in warnings) == sorted(old_variables)
    assert all("no build command reads it" in m for m in warnings)


def test_a_build_of_a_real_script_without_the_render_step_is_caught(recorded: Recording) -> None:
    (build,) = _phases(recorded)["build"]["commands"]
    findings = _findings(_with(recorded, spec=_spec(["npm ci"], [build])))
    assert ("error", next(m for s, m in findings if "which no preBuild command writes" in m)) in findings
    # Without a render step the branch's variables reach nothing either.
    assert {m.split()[0] for s, m in findings if s == "warning"} == set(_variables(recorded))


def test_rendering_another_configurations_file_is_caught(recorded: Recording) -> None:
    pre_build = _phases(recorded)["preBuild"]["commands"]
    findings = _findings(_with(recorded, spec=_spec(pre_build, ["npm run build-test"])))
    assert any("environment.test.ts, which no preBuild command writes" in m for _, m in findings)


def test_a_variable_the_render_reads_but_the_branch_lacks_is_an_error(recorded: Recording) -> None:
    variables = _variables(recorded)
    del variables[pwa_contract.OIDC_CLIENT_ID]
    assert _findings(_with(recorded, variables=variables)) == [
        ("error", "PWA_OIDC_CLIENT_ID is read by the build spec but not set on the branch or the app:"
                  " the render step stops the build"),
    ]


@pytest.mark.parametrize(("variable", "value", "expected"), [
    (pwa_contract.API_URL, "https://other.execute-api.us-east-1.amazonaws.com", "is not the endpoint of"),
    ("api-slash", None, "is not the endpoint of"),
    (pwa_contract.OIDC_ISSUER, "https://cognito-idp.us-east-1.amazonaws.com/x", "is not the issuer"),
    (pwa_contract.OIDC_CLIENT_ID, "someotherclientid", "is not a user pool client of this stack"),
    (pwa_contract.OIDC_REDIRECT_URI, "https://example.org/", "redirect_mismatch"),
    ("redirect-no-slash", None, "redirect_mismatch"),
    (pwa_contract.OIDC_SCOPE, "openid profile aws.cognito.signin.user.admin.typo", "invalid_scope"),
])
def test_values_that_do_not_point_at_this_stack_are_caught(
    recorded: Recording, variable: str, value: str | None, expected: str
) -> None:
    variables = _variables(recorded)
    if variable == "api-slash":  # the app appends "/<path>": a trailing slash doubles it
        variable, value = pwa_contract.API_URL, variables[pwa_contract.API_URL] + "/"
    if variable == "redirect-no-slash":  # Cognito compares callback URLs exactly
        variable = pwa_contract.OIDC_REDIRECT_URI
        value = variables[variable].rstrip("/")
    assert value is not None
    variables[variable] = value
    (finding,) = _findings(_with(recorded, variables=variables))
    assert finding[0] == "error" and expected in finding[1] and variable in finding[1]


def test_names_and_values_amplify_refuses_are_caught(recorded: Recording) -> None:
    variables = {**_variables(recorded), "AWS_REGION_NAME": "us-east-1"}
    variables[pwa_contract.TIME_ZONE] = "x" * (pwa_contract.MAX_VARIABLE_LENGTH + 1)
    errors = [m for s, m in _findings(_with(recorded, variables=variables)) if s == "error"]
    assert any(m.startswith("AWS_REGION_NAME: Amplify refuses variable names") for m in errors)
    assert any(m.startswith("PWA_TIME_ZONE: 5501 characters, over Amplify's 5500") for m in errors)


@pytest.mark.parametrize("app_root_variable", [None, "src/other-app"])
def test_a_monorepo_spec_without_its_app_root_variable_is_caught(
    recorded: Recording, app_root_variable: str | None
) -> None:
    """Amplify needs AMPLIFY_MONOREPO_APP_ROOT equal to the spec's appRoot (monorepo-configuration)."""
    changed = copy.deepcopy(recorded)
    app = changed.one(APP)
    app.inputs["environmentVariables"] = (
        {} if app_root_variable is None else {pwa_contract.MONOREPO_APP_ROOT: app_root_variable}
    )
    (finding,) = _findings(changed)
    assert finding[0] == "error"
    assert f"appRoot '{pwa_contract.APP_ROOT}' needs {pwa_contract.MONOREPO_APP_ROOT}" in finding[1]


def test_the_app_root_variable_on_the_branch_also_satisfies_the_check(recorded: Recording) -> None:
    changed = copy.deepcopy(recorded)
    changed.one(APP).inputs["environmentVariables"] = {}
    changed.one(BRANCH).inputs["environmentVariables"] = {
        **_variables(recorded), pwa_contract.MONOREPO_APP_ROOT: pwa_contract.APP_ROOT,
    }
    assert _findings(changed) == []
