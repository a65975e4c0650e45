"""A diagnosis finding: one likely cause of low accuracy, with its evidence and the fix to try."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


class Area(StrEnum):
    """The five causes of low accuracy named by the background document."""

    data = "data"
    architecture = "architecture"
    optimization = "optimization"
    hyperparameters = "hyperparameters"
    evaluation = "evaluation"


SEVERITY_RANK = {Severity.info: 0, Severity.warning: 1, Severity.critical: 2}


class Finding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable machine-readable name, e.g. accuracy_paradox.")
    severity: Severity
    area: Area
    message: str = Field(description="One plain sentence.")
    evidence: dict[str, Any] = Field(
        default_factory=dict, description="The numbers that triggered it."
    )
    suggestion: str = Field(description="The concrete spec change to try.")
