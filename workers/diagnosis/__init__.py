"""Diagnosis: why a model's accuracy is what it is, as a pure function from evidence to findings.

from workers.diagnosis import DiagnosisInput, diagnose
findings = diagnose(DiagnosisInput(task="binary", metrics={...}, history=[...]))
"""

from workers.diagnosis.diagnose import diagnose
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.rules import RULES
from workers.diagnosis.settings import DiagnosisSettings

__all__ = ["RULES", "DiagnosisInput", "DiagnosisSettings", "diagnose"]
