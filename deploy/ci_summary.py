"""The preview's summary for a pull request: markdown from ``python -m deploy preview --json FILE``.

    python -m deploy.ci_summary preview.json [--not-previewed "prod: why; org: why"]

Appends the table to ``$GITHUB_STEP_SUMMARY`` and sets the job output ``summary`` (``$GITHUB_OUTPUT``),
when those are set (GitHub Actions: "Workflow commands", job summaries and output parameters), and
prints it. A missing or unreadable file is a summary that says so: the preview step's own exit code
fails the job, not this one.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deploy.ci_changes import write_github_output


def render(report: Mapping[str, Any] | None, not_previewed: str = "") -> str:
    lines = ["### Pulumi preview", ""]
    if report is None:
        lines.append("No preview report was written (the preview did not run to its end; see the log).")
    else:
        lines += ["| stack | result | changes | details |", "| --- | --- | --- | --- |"]
        for stack in report.get("stacks", []):
            counts = stack.get("previewed") or stack.get("changes") or {}
            changes = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()) if n) or "no changes"
            message = str(stack.get("message", "")).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {stack.get('stack')} | {stack.get('result')} | {changes} | {message} |")
        lines += ["", "all stacks previewed" if report.get("ok") else f"exit code {report.get('exit_code')}"]
    for part in filter(None, (p.strip() for p in not_previewed.split(";"))):
        lines.append(f"- not previewed here: {part}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.ci_summary", description=__doc__)
    parser.add_argument("report", type=Path, help="the JSON that `python -m deploy preview --json` wrote")
    parser.add_argument("--not-previewed", default="", help="'stack: why; ...' from deploy.ci_changes")
    args = parser.parse_args(argv)
    try:
        report = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    text = render(report, args.not_previewed)
    print(text, end="")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(text)
    write_github_output({"summary": text.rstrip("\n")}, os.environ.get("GITHUB_OUTPUT"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
