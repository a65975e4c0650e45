"""ROC, precision-recall and calibration curves for binary tasks, JSON-ready.

Every function returns the same structure whether or not the curve is defined: when it is
not (empty input, a single class) the point lists are empty and ``undefined`` holds the
reason; otherwise ``undefined`` is None. All numbers are finite Python floats.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import precision_recall_curve, roc_curve

MAX_POINTS = 200


def _inputs(y_bin: ArrayLike, score: ArrayLike) -> tuple[NDArray[np.bool_], NDArray]:
    y = np.asarray(y_bin).astype(np.int64).ravel()
    s = np.asarray(score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_bin and score differ in length: {y.shape[0]} vs {s.shape[0]}")
    if y.size and not np.all((y == 0) | (y == 1)):
        raise ValueError("y_bin must be 0/1 (1 = positive class)")
    # curves are drawn over probabilities; NaN becomes "no evidence"
    return y == 1, np.clip(np.nan_to_num(s, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


def downsample_indices(length: int, max_points: int) -> NDArray[np.int64]:
    """At most ``max_points`` evenly spread indices, always keeping both endpoints."""
    if length <= max_points:
        return np.arange(length, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, length - 1, max(max_points, 2))).astype(np.int64))


def _floats(values: NDArray, idx: NDArray[np.int64]) -> list[float]:
    # thresholds beyond [0, 1] (sklearn's +inf start) are clipped to stay JSON-safe
    return [float(v) for v in np.clip(np.nan_to_num(values[idx], nan=0.0), 0.0, 1.0)]


def _why_undefined(y: NDArray[np.bool_], need_negatives: bool) -> str | None:
    if y.size == 0:
        return "no rows"
    if not y.any():
        return "no positive samples in y_true"
    if need_negatives and y.all():
        return "no negative samples in y_true"
    return None


def roc_points(y_bin: ArrayLike, score: ArrayLike, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"fpr", "tpr", "thresholds", "undefined"}``; the first point's threshold (sklearn's
    +inf, nothing predicted positive) is reported as 1.0."""
    y, s = _inputs(y_bin, score)
    reason = _why_undefined(y, need_negatives=True)
    if reason is not None:
        return {"fpr": [], "tpr": [], "thresholds": [], "undefined": reason}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=True)
    idx = downsample_indices(fpr.size, max_points)
    return {
        "fpr": _floats(fpr, idx),
        "tpr": _floats(tpr, idx),
        "thresholds": _floats(thresholds, idx),
        "undefined": None,
    }


def pr_points(y_bin: ArrayLike, score: ArrayLike, max_points: int = MAX_POINTS) -> dict[str, Any]:
    """``{"precision", "recall", "thresholds", "undefined"}`` with equal-length lists, in
    sklearn's order (recall decreasing). The last point (recall 0, precision 1) has no
    threshold in sklearn; it is reported as 1.0."""
    y, s = _inputs(y_bin, score)
    reason = _why_undefined(y, need_negatives=False)
    if reason is not None:
        return {"precision": [], "recall": [], "thresholds": [], "undefined": reason}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, thresholds = precision_recall_curve(y, s)
    thresholds = np.append(thresholds, 1.0)
    idx = downsample_indices(precision.size, max_points)
    return {
        "precision": _floats(precision, idx),
        "recall": _floats(recall, idx),
        "thresholds": _floats(thresholds, idx),
        "undefined": None,
    }


def calibration(y_bin: ArrayLike, score: ArrayLike, n_bins: int = 10) -> dict[str, Any]:
    """Reliability bins of equal width over [0, 1].

    Every bin is listed so plots line up across splits; an empty bin has ``count`` 0 and
    None for its means. ``ece`` is the expected calibration error (count-weighted mean
    |mean_predicted - fraction_positive|), None without rows.
    """
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    y, s = _inputs(y_bin, score)
    # the last bin is closed on the right so a score of exactly 1.0 is counted
    which = np.minimum((s * n_bins).astype(np.int64), n_bins - 1)
    counts = np.bincount(which, minlength=n_bins)
    sum_pred = np.bincount(which, weights=s, minlength=n_bins)
    sum_pos = np.bincount(which, weights=y.astype(np.float64), minlength=n_bins)
    bins: list[dict[str, Any]] = []
    for b in range(n_bins):
        c = int(counts[b])
        bins.append(
            {
                "lower": b / n_bins,
                "upper": (b + 1) / n_bins,
                "mean_predicted": float(sum_pred[b] / c) if c else None,
                "fraction_positive": float(sum_pos[b] / c) if c else None,
                "count": c,
            }
        )
    ece = float(np.abs(sum_pred - sum_pos).sum() / y.size) if y.size else None
    return {"bins": bins, "ece": ece}
