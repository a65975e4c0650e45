"""Metrics computed from confusion counts, vectorized over any leading batch shape.

The panel (batch shape ``()``), the threshold table (one row per threshold) and the
bootstrap (one row per resample) all share these formulas, so a metric means the same
thing everywhere. Undefined values come back as NaN here; callers turn NaN into ``None``
with a reason before anything leaves the package.

Conventions, chosen to match scikit-learn's defaults:
- ``balanced_accuracy`` is the mean recall over the classes present in ``y_true``
  (``sklearn.metrics.balanced_accuracy_score``).
- multiclass macro averages run over the classes present in ``y_true`` or the predictions
  (sklearn's label set when ``labels=None``); a per-class 0/0 counts as 0 in the average
  (``zero_division=0``), so a class that is never predicted drags macro precision down.
- ``matthews_corrcoef`` and ``cohen_kappa`` are NaN where their denominator is zero
  (sklearn silently reports 0.0 / NaN there; we prefer an explicit "undefined").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

BINARY_COUNT_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "matthews_corrcoef",
    "cohen_kappa",
)

MULTICLASS_COUNT_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "matthews_corrcoef",
    "cohen_kappa",
)


def _div(num: ArrayLike, den: ArrayLike) -> FloatArray:
    """num / den with NaN where den == 0, without numpy's divide warnings."""
    num_f = np.asarray(num, dtype=np.float64)
    den_f = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num_f, den_f).shape, np.nan)
    np.divide(num_f, den_f, out=out, where=den_f != 0)
    return out


def binary_metrics(
    tp_: ArrayLike, fp_: ArrayLike, fn_: ArrayLike, tn_: ArrayLike
) -> dict[str, FloatArray]:
    """Threshold metrics for the positive class; NaN where undefined."""
    # float64 so products of large counts (MCC) cannot overflow integer types
    tp, fp, fn, tn = (np.asarray(a, dtype=np.float64) for a in (tp_, fp_, fn_, tn_))
    n = tp + fp + fn + tn
    pos = tp + fn
    neg = tn + fp
    pred_pos = tp + fp
    pred_neg = tn + fn
    recall = _div(tp, pos)
    specificity = _div(tn, neg)
    n_present = (pos > 0).astype(np.float64) + (neg > 0)
    balanced = _div(np.nan_to_num(recall) + np.nan_to_num(specificity), n_present)
    mcc_den = np.sqrt(pred_pos * pos * neg * pred_neg)
    # kappa = (c*s - t.p) / (s^2 - t.p) with c = tp+tn, t = (neg, pos), p = (pred_neg, pred_pos)
    tp_dot = neg * pred_neg + pos * pred_pos
    return {
        "accuracy": _div(tp + tn, n),
        "balanced_accuracy": balanced,
        "precision": _div(tp, pred_pos),
        "recall": recall,
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "specificity": specificity,
        "matthews_corrcoef": _div(tp * tn - fp * fn, mcc_den),
        "cohen_kappa": _div((tp + tn) * n - tp_dot, n * n - tp_dot),
    }


def per_class_rates(cm: NDArray[np.integer] | FloatArray) -> dict[str, FloatArray]:
    """Per-class precision, recall, f1 and support for confusion matrices (..., k, k).

    Rows are true classes, columns predictions. 0/0 is NaN.
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support = cm.sum(axis=-1)
    predicted = cm.sum(axis=-2)
    return {
        "precision": _div(tp, predicted),
        "recall": _div(tp, support),
        "f1": _div(2 * tp, support + predicted),
        "support": support,
        "predicted": predicted,
    }


def multiclass_metrics(cm: NDArray[np.integer] | FloatArray) -> dict[str, FloatArray]:
    """Argmax metrics from confusion matrices of shape (..., k, k); NaN where undefined."""
    cm = np.asarray(cm, dtype=np.float64)
    rates = per_class_rates(cm)
    support = rates["support"]
    predicted = rates["predicted"]
    n = support.sum(axis=-1)
    correct = np.trace(cm, axis1=-2, axis2=-1)
    in_truth = support > 0
    in_union = in_truth | (predicted > 0)
    n_union = in_union.sum(axis=-1)

    def macro(values: FloatArray) -> FloatArray:
        return _div(np.where(in_union, np.nan_to_num(values), 0.0).sum(axis=-1), n_union)

    def weighted(values: FloatArray) -> FloatArray:
        return _div((np.nan_to_num(values) * support).sum(axis=-1), n)

    t_dot_p = (support * predicted).sum(axis=-1)
    mcc_den = np.sqrt(n * n - (support * support).sum(axis=-1))
    mcc_den = mcc_den * np.sqrt(n * n - (predicted * predicted).sum(axis=-1))
    balanced = _div(
        np.where(in_truth, np.nan_to_num(rates["recall"]), 0.0).sum(axis=-1),
        in_truth.sum(axis=-1),
    )
    return {
        "accuracy": _div(correct, n),
        "balanced_accuracy": balanced,
        "precision": macro(rates["precision"]),
        "recall": macro(rates["recall"]),
        "f1": macro(rates["f1"]),
        "precision_weighted": weighted(rates["precision"]),
        "recall_weighted": weighted(rates["recall"]),
        "f1_weighted": weighted(rates["f1"]),
        "matthews_corrcoef": _div(correct * n - t_dot_p, mcc_den),
        "cohen_kappa": _div(correct * n - t_dot_p, n * n - t_dot_p),
    }
