"""The seed PWA's build contract, as data: what the unchanged app needs from an Amplify build.

Read from the seed repository (hiperium-city-tasks, indexed fork hiepln-acbs-com-vn/hiperium-city-tasks,
app root ``src/hiperium-city-tasks-pwa``):

- ``package.json`` scripts: ``build-dev``, ``build-test``, ``build-prod`` run ``ng run app:build:
  development|testing|production``; there is no ``build-pre`` and no script reads an environment
  variable.
- ``angular.json``: each of those configurations replaces ``src/environments/environment.ts`` with
  ``environment.dev.ts`` / ``environment.test.ts`` / ``environment.prod.ts``; output ``www``.
  ``environment.test.ts`` is not in the repository at all.
- ``utils/scripts/templates/ionic/ionic-environment-dev``: the file exports ``environment``
  (production, timeZone, apiUrl) and an angular-oauth2-oidc ``authConfig`` (issuer, oidc,
  strictDiscoveryDocumentValidation, clientId, redirectUri, responseType, scope,
  showDebugInformation). The seed's menu filled its placeholders and committed the result.
- ``src/main.ts`` imports ``./aws-exports``, which ``amplify init`` generates and lists in .gitignore.

So the Amplify build writes the environment file whole, from the branch's build variables, before it
builds (:func:`render_command`), and ``src/aws-exports.js`` when the checkout has none. Values reach the
file only through ``JSON.stringify`` in Node (which the build image has for ``npm``): no shell
expansion, and a quote in a value cannot end its string literal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

APP_ROOT = "src/hiperium-city-tasks-pwa"
OUTPUT_DIR = "www"
# package.json "scripts" of the seed's PWA (version 1.5.0).
PACKAGE_SCRIPTS: dict[str, str] = {
    "ng": "ng",
    "start": "ng serve",
    "build": "ng build",
    "build-dev": "ng run app:build:development",
    "build-test": "ng run app:build:testing",
    "build-prod": "ng run app:build:production",
    "test": "ng test",
    "lint": "ng lint",
    "e2e": "ng e2e",
}
AWS_EXPORTS_FILE = "src/aws-exports.js"


@dataclass(frozen=True)
class BuildConfiguration:
    """One of the PWA's build configurations and the environment file it compiles in."""

    key: str  # dev | test | prod, the suffix of the npm script
    angular: str  # the angular.json configuration the script runs
    environment_file: str  # angular.json fileReplacements "with", relative to the app root
    production: bool  # `environment.production` in the seed's file of this configuration

    @property
    def script(self) -> str:
        return f"build-{self.key}"

    @property
    def command(self) -> str:
        return f"npm run {self.script}"


BUILD_CONFIGURATIONS: dict[str, BuildConfiguration] = {
    c.key: c
    for c in (
        BuildConfiguration("dev", "development", "src/environments/environment.dev.ts", production=False),
        BuildConfiguration("test", "testing", "src/environments/environment.test.ts", production=False),
        BuildConfiguration("prod", "production", "src/environments/environment.prod.ts", production=True),
    )
}


def configuration_of_script(script: str) -> BuildConfiguration | None:
    return next((c for c in BUILD_CONFIGURATIONS.values() if c.script == script), None)


# The branch's build variables the render step reads. Amplify refuses names that start with "AWS" and
# values over 5500 characters (https://docs.aws.amazon.com/amplify/latest/userguide/environment-variables.html).
API_URL = "PWA_API_URL"
OIDC_ISSUER = "PWA_OIDC_ISSUER"
OIDC_CLIENT_ID = "PWA_OIDC_CLIENT_ID"
OIDC_REDIRECT_URI = "PWA_OIDC_REDIRECT_URI"
OIDC_SCOPE = "PWA_OIDC_SCOPE"
TIME_ZONE = "PWA_TIME_ZONE"
PRODUCTION = "PWA_PRODUCTION"  # "true" or "false"
REGION = "PWA_REGION"  # aws_project_region of a generated aws-exports.js
RESERVED_VARIABLE_PREFIX = "AWS"
# Amplify reads this one itself: a monorepo spec's appRoot "must exist, and have the same value as the
# AMPLIFY_MONOREPO_APP_ROOT environment variable"; the console sets it, an app made through the API
# must set it (Amplify Hosting User Guide, "Configuring monorepo build settings", docs.aws.amazon.com/
# amplify/latest/userguide/monorepo-configuration.html).
MONOREPO_APP_ROOT = "AMPLIFY_MONOREPO_APP_ROOT"
MAX_VARIABLE_LENGTH = 5500

Kind = Literal["string", "boolean", "fixed"]


@dataclass(frozen=True)
class Entry:
    """One property of an exported object: from a build variable, or a fixed TypeScript expression."""

    key: str
    kind: Kind
    source: str  # the build variable (string, boolean) or the expression (fixed)


@dataclass(frozen=True)
class Export:
    name: str
    type_annotation: str  # "" or ": AuthConfig"
    entries: tuple[Entry, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(entry.key for entry in self.entries)


IMPORT_LINE = 'import {AuthConfig} from "angular-oauth2-oidc";'
EXPORTS: tuple[Export, ...] = (
    Export("environment", "", (
        Entry("production", "boolean", PRODUCTION),
        Entry("timeZone", "string", TIME_ZONE),
        Entry("apiUrl", "string", API_URL),  # no trailing slash: the app appends "/<path>"
    )),
    Export("authConfig", ": AuthConfig", (
        Entry("issuer", "string", OIDC_ISSUER),  # the hosted UI is found by OIDC discovery from it
        Entry("oidc", "fixed", "true"),
        Entry("strictDiscoveryDocumentValidation", "fixed", "false"),
        Entry("clientId", "string", OIDC_CLIENT_ID),
        Entry("redirectUri", "string", OIDC_REDIRECT_URI),  # the branch's root URL, trailing slash
        Entry("responseType", "fixed", '"code"'),
        Entry("scope", "string", OIDC_SCOPE),
        Entry("showDebugInformation", "fixed", "!environment.production"),
    )),
)


def render_variables() -> list[str]:
    """Every build variable the render step reads, in order."""
    names = [entry.source for export in EXPORTS for entry in export.entries if entry.kind != "fixed"]
    return [*names, REGION]


def _js_value(entry: Entry) -> str:
    if entry.kind == "string":
        return f"q(v({json.dumps(entry.source)}))"
    if entry.kind == "boolean":
        return f"b({json.dumps(entry.source)})"
    return json.dumps(entry.source)


def render_script(configuration: BuildConfiguration) -> str:
    """Node code (one line) that writes the configuration's environment file from build variables."""
    exports = ",".join(
        f"[{json.dumps(export.name)},{json.dumps(export.type_annotation)},["
        + ",".join(f"[{json.dumps(entry.key)},{_js_value(entry)}]" for entry in export.entries)
        + "]]"
        for export in EXPORTS
    )
    target = json.dumps(configuration.environment_file)
    aws_exports = json.dumps(AWS_EXPORTS_FILE)
    statements = [
        'const fs=require("fs"),path=require("path"),q=JSON.stringify',
        'const die=m=>{console.error("render-environment: "+m);process.exit(1)}',
        'const v=n=>{const x=process.env[n];if(x===undefined||x==="")die("build variable "+n+" is not set");'
        "return x}",
        'const b=n=>{const x=v(n);if(x!=="true"&&x!=="false")die(n+" must be true or false");return x}',
        f"const exp=[{exports}]",
        f"const text={json.dumps(IMPORT_LINE + chr(10) + chr(10))}+exp.map(([n,t,kv])=>"
        '"export const "+n+t+" = {\\n"+kv.map(([k,x])=>"  "+k+": "+x).join(",\\n")+"\\n};\\n").join("\\n")',
        f"fs.mkdirSync(path.dirname({target}),{{recursive:true}})",
        f"fs.writeFileSync({target},text)",
        f'if(!fs.existsSync({aws_exports}))fs.writeFileSync({aws_exports},"const awsmobile = "'
        f'+q({{aws_project_region:v({json.dumps(REGION)})}})+";\\nexport default awsmobile;\\n")',
        f'console.log("render-environment: wrote "+{target})',
    ]
    return ";".join(statements)


def render_command(configuration: BuildConfiguration) -> str:
    """The preBuild shell command: the script in single quotes, so the shell expands nothing in it."""
    script = render_script(configuration)
    if "'" in script:  # would end the shell quoting; the script is ours, so this is a bug here
        raise ValueError("the render script must not contain a single quote")
    return f"node -e '{script}'"


_SHELL_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_QUOTED_NAME = re.compile(r'"([A-Z][A-Z0-9_]{2,})"')


def variables_read(commands: Iterable[str]) -> set[str]:
    """Build variables that commands read: shell references ``$NAME`` / ``${NAME}``, and names in
    double quotes (how the render script passes them to ``process.env``)."""
    names: set[str] = set()
    for command in commands:
        names.update(_SHELL_REFERENCE.findall(command))
        names.update(_QUOTED_NAME.findall(command))
    return names


def npm_scripts_run(command: str) -> list[str]:
    """The npm scripts a shell command runs (``npm run X`` / ``npm run-script X``)."""
    return re.findall(r"\bnpm\s+(?:run|run-script)\s+([\w:.-]+)", command)
