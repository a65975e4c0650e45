"""The full metric panel for one split: metrics, reasons for undefined ones, the confusion
matrix and per-class rates.

Degenerate data never raises and never produces NaN: an undefined metric is ``None`` and
``Panel.undefined`` says why. Decisions worth knowing:
- Probabilities with NaN/inf are repaired for thresholding (see ``inputs.clean_inputs``);
  every score-based metric (roc_auc, average_precision, log_loss, brier_score, top-k) is
  then undefined, because a ranking over repaired values would be fiction.
- Rows that do not sum to 1 are renormalized for log_loss and multiclass roc_auc (a note
  is added to ``Panel.notes``). Rows summing to 0 cannot be renormalized: log_loss is then
  undefined with that reason. Binary thresholds, roc_auc and brier_score use the positive
  column as given (clipped to [0, 1]).
- Multiclass roc_auc averages one-vs-rest AUC over the classes present in ``y_true``
  (sklearn raises when a class is absent); a note says when classes were left out.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    average_precision_score,
    log_loss,
    roc_auc_score,
    top_k_accuracy_score,
)

from schemas.metric_names import BINARY_METRICS, METRIC_DIRECTIONS, MULTICLASS_METRICS
from workers.evaluation.confusion import binary_metrics, multiclass_metrics, per_class_rates
from workers.evaluation.inputs import CleanInputs, clean_inputs, renormalize
from workers.evaluation.jsonsafe import finite_or_none
from workers.evaluation.metric_names import (
    TOP_K_MIN_CLASSES,
    Task,
    metrics_for_task,
    resolve_selected,
)

__all__ = [
    "BINARY_METRICS",
    "METRIC_DIRECTIONS",
    "MULTICLASS_METRICS",
    "Panel",
    "compute_panel",
    "predict",
]

NO_ROWS = "no rows in this split"
ONE_CLASS = "only one class present in y_true"
NON_FINITE = "probabilities contain NaN or infinity"


@dataclass
class Panel:
    metrics: dict[str, float | None]
    undefined: dict[str, str]
    confusion_matrix: dict[str, Any]
    per_class: dict[str, dict[str, float | int | None]]
    # data repairs that changed what was computed (clipping, renormalization, ...)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": dict(self.metrics),
            "undefined": dict(self.undefined),
            "confusion_matrix": self.confusion_matrix,
            "per_class": self.per_class,
            "notes": list(self.notes),
        }


def predict(
    proba: NDArray[np.float64], task: Task, positive_index: int, threshold: float
) -> NDArray[np.int64]:
    """Predicted class codes: binary by threshold on the positive column, else argmax."""
    if task == "binary":
        positive = proba[:, positive_index] >= threshold
        return np.where(positive, positive_index, 1 - positive_index).astype(np.int64)
    return np.argmax(proba, axis=1).astype(np.int64) if proba.shape[0] else np.zeros(0, np.int64)


def _confusion(y: NDArray[np.int64], pred: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    return np.bincount(y * k + pred, minlength=k * k).reshape(k, k).astype(np.int64)


def _binary_count_reasons(tp: int, fp: int, fn: int, tn: int) -> dict[str, str]:
    pos, neg, pred_pos, pred_neg = tp + fn, tn + fp, tp + fp, tn + fn
    reasons: dict[str, str] = {}
    if pred_pos == 0:
        reasons["precision"] = "no positive predictions"
    if pos == 0:
        reasons["recall"] = "no positive samples in y_true (only one class present)"
        if pred_pos == 0:
            reasons["f1"] = "no positive samples in y_true and no positive predictions"
    if neg == 0:
        reasons["specificity"] = "no negative samples in y_true (only one class present)"
    if pos == 0 or neg == 0:
        reasons["matthews_corrcoef"] = ONE_CLASS
    elif pred_pos == 0 or pred_neg == 0:
        reasons["matthews_corrcoef"] = "only one class predicted"
    reasons["cohen_kappa"] = "y_true and the predictions hold the same single class"
    return reasons


def _multiclass_count_reasons(support: NDArray[Any], predicted: NDArray[Any]) -> dict[str, str]:
    reasons: dict[str, str] = {}
    if np.count_nonzero(support) < 2:
        reasons["matthews_corrcoef"] = ONE_CLASS
    elif np.count_nonzero(predicted) < 2:
        reasons["matthews_corrcoef"] = "only one class predicted"
    reasons["cohen_kappa"] = "y_true and the predictions hold the same single class"
    return reasons


def _quiet(fn: Callable[[], float]) -> float:
    # degenerate cases are screened before sklearn is called; this only keeps stray
    # warnings out of worker logs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        return float(fn())


def _ovr_auc(y: NDArray[np.int64], p: NDArray[np.float64], c: int) -> float:
    return _quiet(lambda: roc_auc_score(y == c, p[:, c]))


class _ScoreMetrics:
    """Score-based metrics computed lazily, each returning (value, reason)."""

    def __init__(self, data: CleanInputs, task: Task, positive_index: int) -> None:
        self.data = data
        self.task = task
        self.positive_index = positive_index
        self.notes: list[str] = []
        self._normalized: tuple[NDArray[np.float64], bool, bool] | None = None

    def normalized(self) -> tuple[NDArray[np.float64], bool]:
        if self._normalized is None:
            self._normalized = renormalize(self.data.proba)
            _, changed, possible = self._normalized
            if changed and possible:
                self.notes.append(
                    "probability rows did not sum to 1; renormalized for log_loss"
                    + (" and roc_auc" if self.task == "multiclass" else "")
                )
        p, _, possible = self._normalized
        return p, possible

    def compute(self, name: str) -> tuple[float | None, str | None]:
        if not self.data.finite:
            return None, NON_FINITE
        y, k = self.data.y, self.data.k
        if name == "log_loss":
            p, possible = self.normalized()
            if not possible:
                return None, "some probability rows sum to zero and cannot be renormalized"
            return _quiet(lambda: log_loss(y, p, labels=list(range(k)))), None
        if self.task == "binary":
            return self._binary(name)
        return self._multiclass(name)

    def _binary(self, name: str) -> tuple[float | None, str | None]:
        y_pos = self.data.y == self.positive_index
        score = self.data.proba[:, self.positive_index]
        n_pos = int(y_pos.sum())
        if name == "roc_auc":
            if n_pos == 0 or n_pos == y_pos.size:
                return None, ONE_CLASS
            return _quiet(lambda: roc_auc_score(y_pos, score)), None
        if name == "average_precision":
            if n_pos == 0:
                return None, "no positive samples in y_true"
            return _quiet(lambda: average_precision_score(y_pos, score)), None
        if name == "brier_score":
            return float(np.mean((score - y_pos) ** 2)), None
        raise KeyError(name)

    def _multiclass(self, name: str) -> tuple[float | None, str | None]:
        y, k = self.data.y, self.data.k
        if name in ("roc_auc", "roc_auc_ovr_weighted"):
            p, _ = self.normalized()
            support = np.bincount(y, minlength=k)
            present = np.flatnonzero(support)
            if present.size < 2:
                return None, ONE_CLASS
            aucs = np.array([_ovr_auc(y, p, int(c)) for c in present])
            if present.size < k and name == "roc_auc":
                self.notes.append(
                    f"roc_auc averaged over the {present.size} of {k} classes present in y_true"
                )
            if name == "roc_auc":
                return float(aucs.mean()), None
            return float(np.average(aucs, weights=support[present])), None
        if name in ("top_2_accuracy", "top_3_accuracy"):
            top = int(name[4])
            if k < TOP_K_MIN_CLASSES:
                return None, f"{name} is reported only for tasks with more than 3 classes"
            p = self.data.proba
            return _quiet(lambda: top_k_accuracy_score(y, p, k=top, labels=list(range(k)))), None
        raise KeyError(name)


def _empty_panel(names: list[str], labels: Sequence[str], notes: list[str]) -> Panel:
    k = len(labels)
    return Panel(
        metrics={m: None for m in names},
        undefined={m: NO_ROWS for m in names},
        confusion_matrix={
            "labels": list(labels),
            "matrix": [[0] * k for _ in range(k)],
            "normalized": [[None] * k for _ in range(k)],
        },
        per_class={
            label: {"precision": None, "recall": None, "f1": None, "support": 0} for label in labels
        },
        notes=notes,
    )


def compute_panel(
    y_true: ArrayLike,
    proba: ArrayLike,
    *,
    task: Task,
    labels: Sequence[str],
    positive_index: int = 1,
    threshold: float = 0.5,
    selected: Collection[str] | None = None,
) -> Panel:
    """Every requested metric for one split, at ``threshold`` (binary) or argmax."""
    metrics_for_task(task)
    labels = [str(label) for label in labels]
    if task == "binary":
        if len(labels) != 2:
            raise ValueError(f"a binary task needs exactly 2 labels, got {len(labels)}")
        if positive_index not in (0, 1):
            raise ValueError("positive_index must be 0 or 1")
        if not np.isfinite(threshold):
            raise ValueError("threshold must be finite")
    data = clean_inputs(y_true, proba, labels)
    k = data.k
    names = resolve_selected(task, selected, k)
    if data.n == 0:
        return _empty_panel(names, labels, data.notes)

    pred = predict(data.proba, task, positive_index, threshold)
    cm = _confusion(data.y, pred, k)
    if task == "binary":
        pi, ni = positive_index, 1 - positive_index
        tp, fn, fp, tn = (int(cm[pi, pi]), int(cm[pi, ni]), int(cm[ni, pi]), int(cm[ni, ni]))
        counted = binary_metrics(tp, fp, fn, tn)
        count_reasons = _binary_count_reasons(tp, fp, fn, tn)
    else:
        counted = multiclass_metrics(cm)
        rates = per_class_rates(cm)
        count_reasons = _multiclass_count_reasons(rates["support"], rates["predicted"])

    other = "multiclass" if task == "binary" else "binary"
    own = set(metrics_for_task(task))
    scores = _ScoreMetrics(data, task, positive_index)
    metrics: dict[str, float | None] = {}
    undefined: dict[str, str] = {}
    for name in names:
        value: float | None
        reason: str | None = None
        if name not in own:
            value, reason = None, f"{name} is defined only for {other} tasks"
        elif name in counted:
            value = finite_or_none(counted[name])
            if value is None:
                reason = count_reasons.get(name, "undefined for this data")
        else:
            value, reason = scores.compute(name)
            value = finite_or_none(value)
            if value is None and reason is None:
                reason = "undefined for this data"
        metrics[name] = value
        if reason is not None:
            undefined[name] = reason

    return Panel(
        metrics=metrics,
        undefined=undefined,
        confusion_matrix=confusion_dict(cm, labels),
        per_class=per_class_dict(cm, labels),
        notes=data.notes + scores.notes,
    )


def confusion_dict(cm: NDArray[np.int64], labels: Sequence[str]) -> dict[str, Any]:
    """Counts with rows = true labels, plus the row-normalized matrix (None for empty rows)."""
    rows = cm.sum(axis=1)
    normalized = [
        [float(v) / float(rows[i]) if rows[i] else None for v in cm[i]] for i in range(len(cm))
    ]
    return {
        "labels": list(labels),
        "matrix": [[int(v) for v in row] for row in cm],
        "normalized": normalized,
    }


def per_class_dict(
    cm: NDArray[np.int64], labels: Sequence[str]
) -> dict[str, dict[str, float | int | None]]:
    rates = per_class_rates(cm)
    return {
        label: {
            "precision": finite_or_none(rates["precision"][i]),
            "recall": finite_or_none(rates["recall"][i]),
            "f1": finite_or_none(rates["f1"][i]),
            "support": int(rates["support"][i]),
        }
        for i, label in enumerate(labels)
    }
