"""Is the configured Aurora engine version offered in the environment's region? Asked before each
environment's ``preview`` and ``up``.

AWS offers a non-LTS Aurora minor version for new clusters for about 12 months (Aurora User Guide,
"Amazon Aurora version support"); after that CreateDBCluster fails ("Cannot find version X for
aurora-postgresql") halfway through a first deploy. So, right before an environment stack's preview
(and its ``up``'s preview), RDS DescribeDBEngineVersions is asked, in the environment's workload account
and region, reached as its provider reaches it (deploy/aws_sessions.py), for ``aurora-postgresql`` and
``database.engineVersion``:

- listed with Status ``available`` (botocore's rds model: "either available or deprecated"): go on;
- not offered: stop that stack before any Pulumi command, one line naming the stack file and the key, with
  the versions of the same major offered there (DBParameterGroupFamily ``aurora-postgresql<major>``) and
  AWS's default of that major (EngineVersion ``<major>`` with DefaultOnly, as the guide's "Default Amazon
  Aurora versions" lists them). Unless the environment's cluster already runs exactly that version (its
  stack output ``db_cluster_identifier``, DescribeDBClusters): no cluster is created then, so it goes on
  with a warning;
- the question cannot be asked (no credentials, a role that cannot be assumed, AccessDenied, no network):
  one line saying so, and ``preview`` and ``up`` go on. The check is advice before CreateDBCluster, which
  remains the authority; a read-only API that cannot be reached must not block a deploy whose own
  credentials may still work, and RDS's own error names the version if it is refused. (When the
  alternatives or the cluster cannot be read, the refusal stands, without them.)

``plan`` (offline) never gets here. The tests stub RDS with botocore's Stubber (checked against the model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import config as stack_config
from components.settings.base import PROJECT
from deploy.runner import DeployError

ENGINE = "aurora-postgresql"
KEY = f"{PROJECT}:database.engineVersion"
AVAILABLE = "available"
CLUSTER_OUTPUT = "db_cluster_identifier"  # components/tasks_stack.py's output, read by `status` too
_PLAIN = re.compile(r"^\d+\.\d+$")  # a version the config accepts (not 16.8-limitless)

Emit = Callable[[str], None]
OrgOutputs = Callable[[], Mapping[str, Any]]
RdsFactory = Callable[[str, stack_config.EnvConfig, Mapping[str, Any]], Any]  # -> workload account's rds
StackOutputs = Callable[[str], Mapping[str, Any]]


class EngineVersionError(DeployError):
    """The configured engine version is not offered in the environment's region; one line."""


@dataclass(frozen=True)
class Offer:
    """What RDS offers for a version: is it available, the same major's available versions, the default."""

    version: str
    available: bool
    same_major: tuple[str, ...] = ()
    default: str | None = None


def _major(version: str) -> str:
    return version.split(".")[0]


def _sorted(versions: set[str]) -> tuple[str, ...]:
    return tuple(sorted(versions, key=lambda v: tuple(int(part) for part in v.split("."))))


def read_offer(rds: Any, version: str) -> Offer:
    """Ask RDS about the version; when it is not available, about the alternatives of its major (best
    effort: an error there leaves the verdict as it is, without alternatives)."""
    found = rds.describe_db_engine_versions(Engine=ENGINE, EngineVersion=version)["DBEngineVersions"]
    if any(item.get("EngineVersion") == version and item.get("Status") == AVAILABLE for item in found):
        return Offer(version, True)
    from components.tasks_database import parameter_group_family

    same_major: set[str] = set()
    default = None
    try:
        pages = rds.get_paginator("describe_db_engine_versions").paginate(
            Engine=ENGINE, DBParameterGroupFamily=parameter_group_family(version))
        for page in pages:
            same_major |= {str(item["EngineVersion"]) for item in page["DBEngineVersions"]
                           if item.get("Status") == AVAILABLE and _PLAIN.match(str(item["EngineVersion"]))}
        defaults = rds.describe_db_engine_versions(
            Engine=ENGINE, EngineVersion=_major(version), DefaultOnly=True)["DBEngineVersions"]
        default = str(defaults[0]["EngineVersion"]) if defaults else None
    except Exception:  # e.g. a major RDS has no parameter group family for
        pass
    return Offer(version, False, _sorted(same_major), default)


def refusal(source: str, region: str, offer: Offer, running: str | None = None) -> str:
    """The one line for a version that is not offered."""
    major = _major(offer.version)
    if offer.same_major:
        choice = f"available {major}.x versions there: {', '.join(offer.same_major)}"
        if offer.default:
            choice += f" (AWS's default: {offer.default})"
    else:
        choice = f"no {ENGINE} {major} version is offered there"
    runs = f"; the cluster runs {running}" if running else ""
    return (f"{source}: {KEY}: {ENGINE} {offer.version} is not offered in {region}, so CreateDBCluster "
            f"would fail{runs}; {choice}")


def _reason(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, Mapping) and "Error" in response:
        detail = response["Error"]
        text = f"{detail.get('Code', 'error')}: {detail.get('Message', '')}"
    else:
        text = str(error) or type(error).__name__
    return text.strip().splitlines()[0].rstrip(":")


class EngineVersionGate:
    """The driver's hook, before an environment's preview and up (deploy/orchestrator.py)."""

    def __init__(self, root: Path, rds_for: RdsFactory, stack_outputs: StackOutputs) -> None:
        self.root = root
        self.rds_for = rds_for
        self.stack_outputs = stack_outputs  # the environment's own outputs (its cluster, once deployed)

    def __call__(self, stack: str, org_outputs: OrgOutputs, emit: Emit) -> None:
        settings = stack_config.load_stack_file(stack, self.root)
        if not isinstance(settings, stack_config.EnvConfig):
            return
        version, region = settings.database.engine_version, settings.region
        source = stack_config.stack_file(stack)
        try:
            rds = self.rds_for(stack, settings, org_outputs())
            offer = read_offer(rds, version)
            running = None if offer.available else self._running(stack, rds)
        except Exception as error:  # botocore's errors and aws_sessions' one-line ones alike
            emit(f"warning: cannot check that {ENGINE} {version} ({source} {KEY}) is offered in {region} "
                 f"({_reason(error)}); going on without the check")
            return
        if offer.available:
            emit(f"{ENGINE} {version} is offered in {region}")
            return
        if running == version:  # nothing is created: the update goes on, the warning stays
            emit(f"warning: {refusal(source, region, offer)}; the cluster already runs it, so this update "
                 "goes on, but a new or replaced cluster would fail")
            return
        raise EngineVersionError(refusal(source, region, offer, running))

    def _running(self, stack: str, rds: Any) -> str | None:
        """The engine version the environment's cluster runs; None when it has none yet (or it cannot be
        read: then the refusal stands)."""
        try:
            identifier = self.stack_outputs(stack).get(CLUSTER_OUTPUT)
            if not identifier:
                return None
            clusters = rds.describe_db_clusters(DBClusterIdentifier=str(identifier))["DBClusters"]
            return str(clusters[0]["EngineVersion"]) if clusters else None
        except Exception:  # StackNotFoundError (never deployed), DBClusterNotFoundFault, AccessDenied
            return None


def workload_rds(session_factory: Any) -> RdsFactory:
    """RDS clients in the environment's workload account and region, reached as ``status`` reaches it."""
    from deploy import aws_sessions

    def rds_for(stack: str, settings: stack_config.EnvConfig, org_outputs: Mapping[str, Any]) -> Any:
        factory = aws_sessions.session_factory(session_factory)
        return aws_sessions.open_environment(stack, settings, org_outputs, factory).workload.client("rds")

    return rds_for
