"""Evaluation rules: the accuracy paradox, a decision threshold that does not fit."""

from __future__ import annotations

from schemas.finding import Area, Finding, Severity
from workers.diagnosis._common import baseline, fmt, is_binary, metric, minority, num
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.settings import DiagnosisSettings


def accuracy_paradox(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    acc = metric(inp.metrics, "test", "accuracy")
    majority = baseline(inp, "majority_class", "test", "accuracy")
    if acc is None or majority is None or abs(acc - majority) > s.paradox_accuracy_margin:
        return None
    # On balanced data the majority baseline is near chance: a model that matches it has no
    # signal (no_signal), but its accuracy does not flatter it.
    if majority < s.paradox_min_majority_share:
        return None
    bal = metric(inp.metrics, "test", "balanced_accuracy")
    f1 = metric(inp.metrics, "test", "f1") if is_binary(inp) else None
    low_bal = bal is not None and bal < s.paradox_balanced_accuracy_max
    low_f1 = f1 is not None and f1 < s.paradox_f1_max
    if not (low_bal or low_f1):
        return None
    detail = []
    if low_bal:
        detail.append(f"balanced accuracy is only {fmt(bal)}")
    if low_f1:
        detail.append(f"F1 is only {fmt(f1)}")
    method = (inp.balancing_method or "none").lower()
    balance_tip = (
        'set "balancing": {"method": "smote"} (or "class_weight"), '
        if method == "none"
        else f'keep balancing ("{method}") but '
    )
    return Finding(
        code="accuracy_paradox",
        severity=Severity.critical,
        area=Area.evaluation,
        message=(
            f"Test accuracy {fmt(acc)} is within {fmt(s.paradox_accuracy_margin)} of always "
            f"predicting the majority class ({fmt(majority)}) while "
            + " and ".join(detail)
            + ", so accuracy is misleading here."
        ),
        evidence={
            "accuracy": acc,
            "majority_class_accuracy": majority,
            "balanced_accuracy": bal,
            "f1": f1,
            "margin": s.paradox_accuracy_margin,
        },
        suggestion=(
            balance_tip[:1].upper()
            + balance_tip[1:]
            + "judge the model by balanced_accuracy, f1 or roc_auc (primary_metric), and use "
            '"decision_threshold": "best_f1".'
        ),
    )


def threshold_mismatch(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    threshold = num(inp.best_f1_threshold)
    found = minority(inp)
    if threshold is None or found is None or not is_binary(inp):
        return None
    label, _count, share, _eq = found
    distance = abs(threshold - 0.5)
    if share >= s.threshold_imbalance_share or distance <= s.threshold_distance:
        return None
    return Finding(
        code="threshold_mismatch",
        severity=Severity.warning,
        area=Area.evaluation,
        message=(
            f"With '{label}' at {fmt(share * 100, 3)}% of training rows, the F1-optimal decision "
            f"threshold is {fmt(threshold)}, far from the default 0.5."
        ),
        evidence={
            "best_f1_threshold": threshold,
            "distance_from_0_5": distance,
            "minority_share": share,
            "max_distance": s.threshold_distance,
        },
        suggestion=(
            f'Set "decision_threshold": "best_f1" (chosen on validation, here {fmt(threshold)}).'
        ),
    )


RULES = [accuracy_paradox, threshold_mismatch]
