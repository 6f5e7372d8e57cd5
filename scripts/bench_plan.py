#!/usr/bin/env python3
"""Benchmark of ``python -m deploy plan``: time per stack and for all of them (not a test).

Two measurements, each repeated (``--repeat``, default 3; first, min and median shown):

* in-process: ``deploy.plan.run_plan`` for each stack alone and for all of them, after the imports
  (the per-stack times are the plan's own, config validation + mock run + policies; the first stack
  also pays for loading the pulumi_aws modules its program uses);
* end to end: ``python -m deploy plan --no-tree`` in a fresh interpreter, imports included, which is
  what a user or CI waits for. ``--budget SECONDS`` (default 5) makes the script exit 1 when the median
  end-to-end time is over it;
* the floor, in the same run: a fresh interpreter that imports exactly the modules the plan loaded
  and runs an empty program under the same mocks once per stack. What the plan costs above it is the
  project's own work (config validation, the programs, the checks, the policies). ``--max-ratio``
  (default 2) makes the script exit 1 when the plan's median is more than that multiple of the floor's.

Run from the project root: ``python scripts/bench_plan.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(repeat: int, action: object) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return times


def row(label: str, times: list[float]) -> str:
    return (f"  {label:<34} first {times[0]:6.2f}s   min {min(times):6.2f}s   "
            f"median {statistics.median(times):6.2f}s")


def floor(modules_file: Path) -> None:
    """The floor's child process: the plan's imports, then an empty program per stack under mocks."""
    gc.disable()
    for name in modules_file.read_text(encoding="utf-8").split():
        # A module that fails alone is one that only imports as a side effect of another.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    from deploy import stacks
    from deploy.simulate import simulate

    for name in stacks.discover(ROOT).names:
        simulate(name, dict)
    gc.freeze()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--budget", type=float, default=5.0, help="end-to-end budget in seconds (default 5)")
    parser.add_argument("--max-ratio", type=float, default=2.0,
                        help="largest plan/floor ratio of the end-to-end medians (default 2)")
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's child process
    args = parser.parse_args()
    if args.floor:
        floor(args.floor)
        return 0

    gc.disable()  # as `python -m deploy plan` does (deploy/__main__.py)
    started = time.perf_counter()
    from deploy import plan, stacks

    imports = time.perf_counter() - started
    print(f"plan benchmark ({args.repeat} runs each)")
    print(f"  {'imports (once per process)':<34} {imports:6.2f}s")

    report = None
    for name in stacks.discover(ROOT).names:
        per_stack: list[float] = []
        for _ in range(args.repeat):
            report = plan.run_plan([name])
            per_stack.append(next(p.duration for p in report.plans if p.stack == name))
        print(row(f"stack {name} (its own plan time)", per_stack))
    all_three = measure(args.repeat, lambda: plan.run_plan())
    print(row("all stacks, in-process", all_three))

    command = [sys.executable, "-m", "deploy", "plan", "--no-tree"]
    codes: list[int] = []

    def cli() -> None:
        codes.append(subprocess.run(command, cwd=ROOT, capture_output=True, check=False).returncode)

    end_to_end = measure(args.repeat, cli)
    print(row("all stacks, python -m deploy plan", end_to_end))

    # The floor imports what this process loaded for the plans above (sys.modules keeps load order).
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as modules:
        modules.write("\n".join(name for name in sys.modules if not name.startswith("__")))
    floor_command = [sys.executable, str(Path(__file__).resolve()), "--floor", modules.name]
    floor_times = measure(
        args.repeat, lambda: subprocess.run(floor_command, cwd=ROOT, capture_output=True, check=True)
    )
    Path(modules.name).unlink()
    print(row("floor: same imports, empty programs", floor_times))

    median = statistics.median(end_to_end)
    ratio = median / statistics.median(floor_times)
    within = median <= args.budget and ratio <= args.max_ratio
    budget_verdict = "within" if median <= args.budget else "OVER"
    ratio_verdict = "within" if ratio <= args.max_ratio else "OVER"
    failed = "" if set(codes) == {0} else f" (plan exit codes {sorted(set(codes))})"
    print(f"end to end: median {median:.2f}s ({budget_verdict} the {args.budget:.1f}s budget), "
          f"{ratio:.2f}x the floor ({ratio_verdict} {args.max_ratio:.1f}x){failed}")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
