"""diagnose(): a pure function from evidence to findings, most severe first."""

from __future__ import annotations

import logging

from schemas.finding import SEVERITY_RANK, Area, Finding
from workers.diagnosis._common import json_safe
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.rules import RULES, Rule
from workers.diagnosis.settings import DiagnosisSettings

log = logging.getLogger(__name__)

_AREA_ORDER = {area: i for i, area in enumerate(Area)}


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return (-SEVERITY_RANK[f.severity], _AREA_ORDER[f.area], f.code)


def diagnose(
    inp: DiagnosisInput,
    settings: DiagnosisSettings | None = None,
    rules: list[Rule] | None = None,
) -> list[Finding]:
    """Run every rule; return findings ordered by severity (critical first), then area, code.

    Never raises on partial input: a rule whose evidence is missing returns None, and a rule
    that fails anyway is logged and skipped. Evidence is made JSON-safe (floats rounded to 4
    decimals, NaN to None, infinities to "inf"/"-inf").
    """
    settings = settings or DiagnosisSettings()
    findings: list[Finding] = []
    for rule in rules if rules is not None else RULES:
        try:
            found = rule(inp, settings)
        except Exception:  # a diagnosis must never fail the job
            log.exception("diagnosis rule %s failed", getattr(rule, "__name__", rule))
            continue
        if found is not None:
            findings.append(found.model_copy(update={"evidence": json_safe(found.evidence)}))
    return sorted(findings, key=_sort_key)
