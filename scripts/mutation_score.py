#!/usr/bin/env python3
"""Mutation score of the safety-critical modules, re-checked against each module's full test files.

mutmut 3.8.1 (``requirements-mutation.txt``, not needed by CI) writes every mutant of a module into one
copy of it: each function becomes a trampoline that runs the original, or the mutant named by the
environment variable ``MUTANT_UNDER_TEST`` (``<dotted module>.<mangled function>__mutmut_<n>``;
mutmut/mutation/trampoline.py). This script uses only that part of mutmut:

1. copy the project (the files git knows, committed or not) into ``mutants/`` and replace each module
   under test with mutmut's trampolined version of it;
2. sample N mutants per module (``--sample``, default 60; fixed ``--seed``, so the sample is the same on
   every run of the same source);
3. run the module's FULL test files (``TEST_FILES`` below) once per sampled mutant, one pytest process
   at a time (``-x -q -p no:xdist``). A failing run kills the mutant; so does a run over the timeout
   (15 x the clean run + 1 s, mutmut's default). mutmut's own runner only runs the tests it linked to
   each function while collecting stats, and code built by session-scoped fixtures or caches is
   linked to one test only, so its survivor counts are wrong for this project.

Before the mutants, two sanity runs: the clean tree must pass, and ``MUTANT_UNDER_TEST=fail`` (every
trampoline raises) must fail, which proves the tests import the copy in ``mutants/``.

Mutants with no observable change are listed in ``KNOWN_EQUIVALENT`` with a reason; they are left out
of the score and shown with that reason. They are matched by module and the changed lines (not by
mutant number, which shifts with every edit of the module).

Run from the project root, e.g.::

    python scripts/mutation_score.py                        # all four modules, table only
    python scripts/mutation_score.py documents --show-survivors
    python scripts/mutation_score.py --path documents=iam_documents/validation.py documents

Not run by CI: a module takes a few minutes on one core.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKSPACE = ROOT / "mutants"
RESULTS = WORKSPACE / "mutation_score.json"  # the last run's outcomes, for --rerun-survivors

# Module under test -> its source file(s), relative to the project root. ``--path NAME=FILE`` overrides.
MODULE_PATHS: dict[str, list[str]] = {
    "documents": ["iam_documents/documents.py"],
    "config": ["components/config.py", "components/stack_files.py"],
    "landing_zone": ["components/landing_zone.py"],
    "orchestrator": ["deploy/orchestrator.py"],
}

# Module -> every test file that exercises it (the full files, not one linked test).
TEST_FILES: dict[str, list[str]] = {
    "documents": [
        "tests/test_policy_document_rules.py",
        "tests/test_config.py",
        "tests/test_guardrails.py",
        "tests/test_iam_analysis.py",
        "tests/test_identity_center.py",
        "tests/test_policy_condition_keys.py",
    ],
    "config": [
        "tests/test_config_messages.py",
        "tests/test_config.py",
        "tests/test_config_invariants.py",
        "tests/test_environments.py",
        "tests/test_stack_file_parsing.py",
        "tests/test_config_keys.py",
        "tests/test_resolved_once.py",
    ],
    "landing_zone": [
        "tests/test_landing_zone_properties.py",
        "tests/test_landing_zone.py",
        "tests/test_identity_center.py",
        "tests/test_resource_names.py",
    ],
    "orchestrator": [
        "tests/test_orchestrator_edges.py",
        "tests/test_deploy_orchestrator.py",
        "tests/test_org_references.py",
        "tests/test_deploy_cli.py",
    ],
}

# (module, changed lines of the diff) -> why the mutant cannot change what the module does.
KNOWN_EQUIVALENT: dict[tuple[str, str], str] = {
    (
        "documents",
        '-    base = operator.removeprefix("ForAllValues:").removeprefix("ForAnyValue:")\n'
        '+    base = operator.removeprefix("forallvalues:").removeprefix("ForAnyValue:")',
    ): "a ForAllValues: operator already returns True by its own startswith test; base is not read for it",
    (
        "documents",
        '-    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)\n'
        '+    return json.dumps(document, separators=(",", ":"), ensure_ascii=None)',
    ): "json.dumps only tests ensure_ascii for truth: None and False are the same",
    (
        "documents",
        '-            service, _, pattern = action.lower().partition(":")\n'
        '+            service, _, pattern = action.lower().rpartition(":")',
    ): "they differ only for a second colon, and then neither the service nor the name is in the catalogue",
    (
        "config",
        "-    return super().construct_mapping(node, deep=deep)\n"
        "+    return super().construct_mapping(node, deep=None)",
    ): "deep only decides when nested values are built; PyYAML's construct_document builds them all anyway",
}

TIMEOUT_MULTIPLIER = 15.0  # mutmut's defaults (mutmut/configuration.py)
TIMEOUT_CONSTANT = 1.0


@dataclass
class Mutant:
    name: str  # what MUTANT_UNDER_TEST takes
    path: str  # source file, relative to the project root
    diff: str = ""
    outcome: str = ""  # killed, survived, timeout, equivalent
    reason: str = ""

    @property
    def key(self) -> str:
        """Name and change: a mutant's number shifts when its module changes, its diff does not."""
        return f"{self.name}\n{self.diff}"


@dataclass
class ModuleResult:
    name: str
    generated: int
    mutants: list[Mutant] = field(default_factory=list)

    def count(self, *outcomes: str) -> int:
        return sum(m.outcome in outcomes for m in self.mutants)

    @property
    def score(self) -> float:
        scored = self.count("killed", "timeout", "survived")
        return 100.0 * self.count("killed", "timeout") / scored if scored else 100.0


def dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".").removesuffix(".__init__")


def copy_project(paths: Sequence[str]) -> None:
    """The project as git sees it (tracked and untracked-but-not-ignored files) into ``mutants/``."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    shutil.rmtree(WORKSPACE, ignore_errors=True)
    for relative in filter(None, listed):
        source = ROOT / relative
        if relative.startswith("mutants/") or not source.is_file():
            continue
        target = WORKSPACE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    missing = [p for p in paths if not (WORKSPACE / p).is_file()]
    if missing:
        raise SystemExit(f"mutation_score: not in the project: {', '.join(missing)}")


def write_mutants(path: str) -> list[Mutant]:
    """mutmut's trampolined version of ``path`` into the workspace; its mutants, with their diffs."""
    import libcst as cst
    from mutmut.mutation.diff_apply import read_mutant_function, read_original_function
    from mutmut.mutation.file_mutation import mutate_file_contents

    source = (ROOT / path).read_text(encoding="utf-8")
    mutated = mutate_file_contents(path, source)
    (WORKSPACE / path).write_text(mutated.code, encoding="utf-8")
    module = cst.parse_module(mutated.code)
    mutants = []
    for short in sorted(mutated.mutant_names):
        original = module.code_for_node(read_original_function(module, short))
        changed = module.code_for_node(read_mutant_function(module, short))
        lines = difflib.unified_diff(original.splitlines(), changed.splitlines(), lineterm="", n=0)
        diff = "\n".join(line for line in lines if line[:1] in "+-" and line[:3] not in ("+++", "---"))
        mutants.append(Mutant(name=f"{dotted(path)}.{short}", path=path, diff=diff))
    return mutants


def enter_workspace() -> None:
    """Import the project from ``mutants/`` from now on, as the tests' own conftest does."""
    os.chdir(WORKSPACE)
    sys.path.insert(0, str(WORKSPACE))
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True


# Packages whose submodules are loaded on attribute access; importing one directly breaks the package.
LAZY_PACKAGES = ("pulumi_aws", "pulumi_awsx", "pulumi_random", "pulumi_tls", "pulumi_docker", "pulumi_policy")


def loaded_modules() -> list[str]:
    """Modules this process has loaded from files, in the order they were loaded (mutmut's excepted)."""
    return [
        name
        for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None) and not name.startswith("mutmut") and name != "__main__"
    ]


def preload_like(record: Path) -> None:
    """Import in this process the modules a clean run imported (listed in ``record``), so that each
    mutant's run only runs the tests.

    Imported with every trampoline set to fail (``MUTANT_UNDER_TEST=fail``): a module whose import calls
    a mutated function fails to import here and is left for each run to import with its mutant active.
    What a module computes at import time therefore never hides a mutant."""
    import importlib

    os.environ["MUTANT_UNDER_TEST"] = "fail"
    try:
        for name in record.read_text(encoding="utf-8").split():
            package, _, rest = name.partition(".")
            try:
                if package in LAZY_PACKAGES and rest:
                    # Lazily loaded submodules (pulumi's lazy_import): load them the way the package does,
                    # by attribute access, and leave their own submodules to it.
                    if "." not in rest:
                        getattr(getattr(importlib.import_module(package), rest), "__name__", None)
                elif name not in sys.modules:
                    importlib.import_module(name)
            except BaseException:  # imported by each run instead
                continue
    finally:
        os.environ["MUTANT_UNDER_TEST"] = ""


def run_tests(
    tests: Sequence[str], mutant: str, timeout: float | None, record: Path | None = None
) -> tuple[int | None, float]:
    """Exit code of pytest over ``tests`` with ``mutant`` active (None on timeout), and the time taken.

    Each run is a fork of this process (after ``preload``), so one mutant cannot leak into the next and
    the interpreter start-up and third-party imports are paid once. One run at a time."""
    started = time.monotonic()
    child = os.fork()
    if child == 0:  # the child: run pytest with the mutant active, exit with its code
        code = 3
        try:
            if not os.environ.get("MUTATION_SCORE_DEBUG"):  # set it to see each run's pytest output
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
            os.environ["MUTANT_UNDER_TEST"] = mutant
            import pytest

            code = int(pytest.main(["-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider", *tests]))
            if record is not None:  # the modules the run imported, for preload_like
                record.write_text("\n".join(loaded_modules()), encoding="utf-8")
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        took = time.monotonic() - started
        if done:
            return os.waitstatus_to_exitcode(status), took
        if timeout is not None and took > timeout:
            os.kill(child, 9)
            os.waitpid(child, 0)
            return None, took
        time.sleep(0.05)


def score_module(
    name: str, paths: Sequence[str], sample: int, seed: int, verbose: bool, previous: dict[str, str]
) -> ModuleResult:
    tests = TEST_FILES[name]
    missing = [t for t in tests if not (WORKSPACE / t).is_file()]
    tests = [t for t in tests if t not in missing]
    if missing:
        print(f"[{name}] test files not found, skipped: {', '.join(missing)}", file=sys.stderr)
    mutants = [m for path in paths for m in write_mutants(path)]
    chosen = sorted(random.Random(seed).sample(mutants, min(sample, len(mutants))), key=lambda m: m.name)
    for mutant in chosen:
        reason = KNOWN_EQUIVALENT.get((name, mutant.diff))
        if reason:
            mutant.outcome, mutant.reason = "equivalent", reason
        elif previous.get(mutant.key) in ("killed", "timeout"):
            mutant.outcome = previous[mutant.key]
    timeout = 0.0
    if any(not m.outcome for m in chosen):  # the sanity runs, only when a mutant is to be run
        record = WORKSPACE / f".modules-{name}.txt"
        code, _ = run_tests(tests, "", None, record)
        if code != 0:
            raise SystemExit(f"[{name}] the tests fail without any mutant (exit {code}); fix that first")
        code, _ = run_tests(tests, "fail", None)
        if code == 0:
            raise SystemExit(f"[{name}] the tests pass with every function failing: not importing mutants/?")
        preload_like(record)
        code, clean = run_tests(tests, "", None)  # the time a mutant's run takes, now that imports are paid
        if code != 0:
            raise SystemExit(f"[{name}] the tests fail once their modules are preloaded (exit {code})")
        timeout = clean * TIMEOUT_MULTIPLIER + TIMEOUT_CONSTANT
    result = ModuleResult(name=name, generated=len(mutants))
    for index, mutant in enumerate(chosen, 1):
        if not mutant.outcome:
            code, took = run_tests(tests, mutant.name, timeout)
            mutant.outcome = "timeout" if code is None else "survived" if code == 0 else "killed"
            if verbose:
                print(f"[{name}] {index}/{len(chosen)} {mutant.name}: {mutant.outcome} ({took:.1f} s)",
                      file=sys.stderr)
                if mutant.outcome == "survived":
                    print(mutant.diff, file=sys.stderr)
        result.mutants.append(mutant)
    return result


def score_in_fork(
    name: str, paths: Sequence[str], sample: int, seed: int, verbose: bool, previous: dict[str, str]
) -> ModuleResult:
    """``score_module`` in a process of its own: what it preloads stays out of the next module's runs."""
    out = WORKSPACE / f".result-{name}.json"
    child = os.fork()
    if child == 0:
        code = 1
        try:
            enter_workspace()
            result = score_module(name, paths, sample, seed, verbose, previous)
            out.write_text(json.dumps({"generated": result.generated,
                                       "mutants": [vars(m) for m in result.mutants]}), encoding="utf-8")
            code = 0
        except SystemExit as stop:
            print(stop, file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    for path in paths:  # the next module's runs see this one unmutated
        shutil.copy2(ROOT / path, WORKSPACE / path)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"mutation_score: scoring {name} failed")
    data = json.loads(out.read_text(encoding="utf-8"))
    return ModuleResult(name, data["generated"], [Mutant(**m) for m in data["mutants"]])


def render(results: Sequence[ModuleResult], show_survivors: bool) -> str:
    header = (
        f"{'module':<14}{'mutants':>8}{'sampled':>8}{'killed':>8}{'survived':>9}{'equiv.':>7}{'score':>8}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.name:<14}{r.generated:>8}{len(r.mutants):>8}{r.count('killed', 'timeout'):>8}"
            f"{r.count('survived'):>9}{r.count('equivalent'):>7}{r.score:>7.1f}%"
        )
    for r in results:
        for m in r.mutants:
            if m.outcome == "equivalent":
                lines += ["", f"equivalent, not scored: {m.name}: {m.reason}", m.diff]
    if show_survivors:
        for r in results:
            for m in r.mutants:
                if m.outcome == "survived":
                    lines += ["", f"survived: {m.name} ({m.path})", m.diff]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "modules", nargs="*", help=f"modules to score: {', '.join(MODULE_PATHS)} (default: all)"
    )
    parser.add_argument("--sample", type=int, default=60, help="mutants sampled per module (default 60)")
    parser.add_argument("--seed", type=int, default=12, help="seed of the sample (default 12)")
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="NAME=FILE[,FILE]",
        help="source file(s) of a module, when it moved (e.g. documents=iam/validation.py)",
    )
    parser.add_argument("--show-survivors", action="store_true", help="list each survivor with its diff")
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="keep the last run's kills (same source, sample and seed) and re-test only its "
        "survivors: valid after adding tests, not after changing or removing any",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per mutant on stderr")
    parser.add_argument(
        "--min-score", type=float, default=None, help="exit 1 when a module scores below this percentage"
    )
    args = parser.parse_args(argv)
    paths = dict(MODULE_PATHS)
    for item in args.path:
        name, sep, files = item.partition("=")
        if not sep or name not in MODULE_PATHS:
            parser.error(f"--path {item}: expected NAME=FILE with NAME one of {', '.join(MODULE_PATHS)}")
        paths[name] = files.split(",")
    unknown = sorted(set(args.modules) - set(MODULE_PATHS))
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; expected {', '.join(MODULE_PATHS)}")
    names = list(args.modules or MODULE_PATHS)
    previous: dict[str, str] = {}
    if args.rerun_survivors and RESULTS.is_file():
        last = json.loads(RESULTS.read_text(encoding="utf-8"))
        if (last["sample"], last["seed"]) == (args.sample, args.seed):
            previous = last["outcomes"]
    copy_project([p for n in names for p in paths[n]])
    results: list[ModuleResult] = []
    outcomes = dict(previous)
    for name in names:
        results.append(score_in_fork(name, paths[name], args.sample, args.seed, args.verbose, previous))
        outcomes.update({m.key: m.outcome for m in results[-1].mutants})
        # After each module, so that an interrupted run keeps what it measured for --rerun-survivors.
        RESULTS.write_text(json.dumps({"sample": args.sample, "seed": args.seed, "outcomes": outcomes}))
    print(render(results, args.show_survivors))
    if args.min_score is not None and any(r.score < args.min_score for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
