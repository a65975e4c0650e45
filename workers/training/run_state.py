"""What a run has learned so far, kept outside the steps so that a failure can still be diagnosed."""

from dataclasses import dataclass, field
from typing import Any

from workers.training.target import Target


@dataclass
class RunState:
    target: Target | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
