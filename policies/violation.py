"""One policy violation: what the offline runner returns and what ``plan`` reports (deploy/plan_report.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement_level: str  # "mandatory" or "advisory"
    message: str
    urn: str | None = None  # None: the stack as a whole

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"

    def __str__(self) -> str:
        where = f" [{self.urn}]" if self.urn else ""
        return f"{self.enforcement_level}: {self.policy}: {self.message}{where}"

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "enforcement": self.enforcement_level, "message": self.message,
            "urn": self.urn,
        }
