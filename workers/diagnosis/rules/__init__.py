"""The rule registry: every rule is ``(DiagnosisInput, DiagnosisSettings) -> Finding | None``."""

from collections.abc import Callable

from schemas.finding import Finding
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.rules import architecture, data, evaluation, hyperparameters, optimization
from workers.diagnosis.settings import DiagnosisSettings

Rule = Callable[[DiagnosisInput, DiagnosisSettings], Finding | None]

RULES: list[Rule] = [
    *data.RULES,
    *architecture.RULES,
    *optimization.RULES,
    *hyperparameters.RULES,
    *evaluation.RULES,
]

__all__ = ["RULES", "Rule"]
