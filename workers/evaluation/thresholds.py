"""Decision thresholds for binary tasks: a metric table over a grid, and the thresholds
that maximize F1 or Youden's J on validation data.

``y_true`` here is 0/1 with 1 = positive and ``score`` the positive-class probability.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import precision_recall_curve, roc_curve

from workers.evaluation.confusion import binary_metrics
from workers.evaluation.jsonsafe import finite_or_none

TABLE_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
)

# used when validation cannot pick a threshold (empty, or a single class)
FALLBACK_THRESHOLD = 0.5


def default_grid() -> list[float]:
    # rounded so the JSON shows 0.35, not 0.35000000000000003
    return [round(0.05 * i, 2) for i in range(21)]


def _binary_inputs(y_true: ArrayLike, score: ArrayLike) -> tuple[NDArray[np.bool_], NDArray]:
    y = np.asarray(y_true).astype(np.int64).ravel()
    s = np.asarray(score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true and score differ in length: {y.shape[0]} vs {s.shape[0]}")
    if y.size and not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must be 0/1 (1 = positive class)")
    # NaN scores never pass a threshold, matching how the panel treats them
    return y == 1, np.nan_to_num(s, nan=-np.inf)


def threshold_table(
    y_true: ArrayLike, score: ArrayLike, *, grid: Sequence[float] | None = None
) -> list[dict[str, float | None]]:
    """One row per threshold (positive when score >= threshold); None where undefined."""
    y, s = _binary_inputs(y_true, score)
    thresholds = np.asarray(default_grid() if grid is None else list(grid), dtype=np.float64)
    # (n_thresholds, n) boolean matrix; the grid is small so this stays cheap
    pred = s[None, :] >= thresholds[:, None]
    tp = (pred & y).sum(axis=1)
    fp = (pred & ~y).sum(axis=1)
    fn = y.sum() - tp
    tn = (~y).sum() - fp
    values = binary_metrics(tp, fp, fn, tn)
    return [
        {"threshold": float(t), **{m: finite_or_none(values[m][i]) for m in TABLE_METRICS}}
        for i, t in enumerate(thresholds)
    ]


def _clip_threshold(t: float) -> float:
    # roc_curve's first threshold is +inf ("predict nothing positive"); as a usable
    # probability cut-off that is 1.0
    return float(min(max(t, 0.0), 1.0)) if np.isfinite(t) else (1.0 if t > 0 else 0.0)


def best_f1_threshold(y_true: ArrayLike, score: ArrayLike) -> float | None:
    """The candidate threshold with the highest F1; ties go to the higher threshold
    (fewer positive predictions for the same F1). None when undefined."""
    y, s = _binary_inputs(y_true, score)
    if y.size == 0 or not y.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, thresholds = precision_recall_curve(y, s)
    # the final (precision=1, recall=0) point has no threshold
    p, r = precision[:-1], recall[:-1]
    denom = p + r
    f1 = np.divide(2 * p * r, denom, out=np.zeros_like(p), where=denom > 0)
    best = np.flatnonzero(f1 == f1.max())[-1]
    return _clip_threshold(float(thresholds[best]))


def youden_threshold(y_true: ArrayLike, score: ArrayLike) -> float | None:
    """The candidate threshold maximizing TPR - FPR; ties go to the higher threshold.
    None when only one class is present."""
    y, s = _binary_inputs(y_true, score)
    if y.size == 0 or y.all() or not y.any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fpr, tpr, thresholds = roc_curve(y, s)
    j = tpr - fpr
    # roc_curve orders thresholds decreasing, so the first maximum is the highest
    best = int(np.argmax(j))
    return _clip_threshold(float(thresholds[best]))


def choose_thresholds(y_val_binary: ArrayLike, score_val: ArrayLike) -> dict[str, float]:
    """Thresholds chosen on validation: ``{"best_f1": t, "youden": t}``.

    Falls back to 0.5 when validation cannot decide (empty, or no positives; Youden also
    needs negatives); ``threshold_fallbacks`` says which fell back and why.
    """
    f1 = best_f1_threshold(y_val_binary, score_val)
    youden = youden_threshold(y_val_binary, score_val)
    return {
        "best_f1": FALLBACK_THRESHOLD if f1 is None else f1,
        "youden": FALLBACK_THRESHOLD if youden is None else youden,
    }


def threshold_fallbacks(y_val_binary: ArrayLike, score_val: ArrayLike) -> dict[str, str]:
    """Reasons, per rule, why ``choose_thresholds`` fell back to 0.5 (empty when it did not)."""
    y = np.asarray(y_val_binary).astype(np.int64).ravel()
    reasons: dict[str, str] = {}
    if y.size == 0:
        why = "no validation rows"
        return {"best_f1": why, "youden": why}
    if not (y == 1).any():
        reasons["best_f1"] = "no positive samples in validation"
        reasons["youden"] = "only one class present in validation"
    elif (y == 1).all():
        reasons["youden"] = "only one class present in validation"
    return reasons
