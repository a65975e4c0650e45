"""Percentile bootstrap confidence intervals, vectorized over resamples.

One (n_resamples, n) index matrix is drawn (in chunks, to bound memory on large splits).
Each resample is reduced to counts with a single ``np.bincount``:
- multiclass: a k x k confusion matrix per resample;
- binary: positives and negatives per distinct score value per resample. Confusion counts
  at the threshold are sums over those counts, and ROC AUC is the Mann-Whitney statistic
  from the same counts: for each distinct score, positives x (negatives below + half the
  negatives tied). That is the exact AUC, ties included, with no per-resample sort.
Metrics come from ``confusion.py``, so they mean exactly what the panel reports. Metrics
that are not reducible to these counts or to per-row losses (average_precision, top-k,
multiclass roc_auc) are omitted from the result.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from workers.evaluation.confusion import (
    BINARY_COUNT_METRICS,
    MULTICLASS_COUNT_METRICS,
    binary_metrics,
    multiclass_metrics,
)
from workers.evaluation.inputs import as_codes, check_labels, renormalize
from workers.evaluation.metric_names import ALL_METRICS, Task

BINARY_BOOTSTRAP_METRICS: tuple[str, ...] = BINARY_COUNT_METRICS + (
    "roc_auc",
    "brier_score",
    "log_loss",
)
MULTICLASS_BOOTSTRAP_METRICS: tuple[str, ...] = MULTICLASS_COUNT_METRICS + ("log_loss",)

# index-matrix cells per chunk: 4M int64 = 32 MB, whatever the split size
_CHUNK_CELLS = 4_000_000
_EPS = float(np.finfo(np.float64).eps)


def _binary_resample_values(
    y: NDArray[np.int64],
    proba: NDArray[np.float64],
    idx: NDArray[np.int64],
    positive_index: int,
    threshold: float,
    wanted: list[str],
) -> dict[str, NDArray[np.float64]]:
    r = idx.shape[0]
    y_pos = (y == positive_index).astype(np.int64)
    score = proba[:, positive_index]
    uniq, uid = np.unique(score, return_inverse=True)
    m = uniq.size
    key = uid.ravel() * 2 + y_pos
    flat = (np.arange(r, dtype=np.int64)[:, None] * (2 * m) + key[idx]).ravel()
    counts = np.bincount(flat, minlength=r * 2 * m).reshape(r, m, 2).astype(np.float64)
    neg, pos = counts[:, :, 0], counts[:, :, 1]
    predicted = uniq >= threshold
    tp = pos[:, predicted].sum(axis=1)
    fp = neg[:, predicted].sum(axis=1)
    n_pos = pos.sum(axis=1)
    n_neg = neg.sum(axis=1)
    out = binary_metrics(tp, fp, n_pos - tp, n_neg - fp)
    if "roc_auc" in wanted:
        neg_below = np.cumsum(neg, axis=1) - neg
        u_stat = (pos * (neg_below + 0.5 * neg)).sum(axis=1)
        den = n_pos * n_neg
        out["roc_auc"] = np.divide(u_stat, den, out=np.full(r, np.nan), where=den > 0)
    if "brier_score" in wanted:
        out["brier_score"] = ((score - y_pos) ** 2)[idx].mean(axis=1)
    return out


def _row_log_loss(y: NDArray[np.int64], proba: NDArray[np.float64]) -> NDArray[np.float64] | None:
    p, _, possible = renormalize(proba)
    if not possible:
        return None
    picked = np.clip(p[np.arange(y.size), y], _EPS, 1.0 - _EPS)
    return -np.log(picked)


def _interval(values: NDArray[np.float64], confidence: float) -> list[float] | None:
    finite = values[np.isfinite(values)]
    # too many degenerate resamples means the interval would describe a different
    # population than the point estimate
    if finite.size == 0 or finite.size < values.size / 2:
        return None
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.percentile(finite, [100 * alpha, 100 * (1 - alpha)])
    return [float(lo), float(hi)]


def bootstrap_intervals(
    y_true: ArrayLike,
    proba: ArrayLike,
    *,
    task: Task,
    positive_index: int = 1,
    threshold: float = 0.5,
    metrics: Sequence[str],
    n_resamples: int = 1000,
    seed: int = 42,
    confidence: float = 0.95,
) -> dict[str, list[float] | None]:
    """``{metric: [low, high]}`` percentile intervals; None when too few resamples
    (under half) define the metric. Unknown names raise; names this module cannot
    vectorize are left out of the result."""
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = sorted(set(metrics) - set(ALL_METRICS))
    if unknown:
        raise ValueError(f"unknown metric name(s) {unknown}; valid names: {list(ALL_METRICS)}")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    supported = BINARY_BOOTSTRAP_METRICS if task == "binary" else MULTICLASS_BOOTSTRAP_METRICS
    wanted = [m for m in dict.fromkeys(metrics) if m in supported]

    y = as_codes(y_true)
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != y.shape[0]:
        raise ValueError(f"proba must have shape ({y.shape[0]}, k), got {p.shape}")
    k = p.shape[1]
    check_labels(y, k)
    n = y.size
    if n == 0 or n_resamples < 1 or not wanted:
        return {m: None for m in wanted}
    finite = bool(np.all(np.isfinite(p)))
    p = np.clip(np.nan_to_num(p, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    row_loss = _row_log_loss(y, p) if finite and "log_loss" in wanted else None
    # binary thresholds are applied per distinct score inside the resample loop
    pred = None if task == "binary" else np.argmax(p, axis=1).astype(np.int64)

    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // n)
    collected: dict[str, list[NDArray[np.float64]]] = {m: [] for m in wanted}
    done = 0
    while done < n_resamples:
        r = min(chunk, n_resamples - done)
        idx = rng.integers(0, n, size=(r, n))
        if pred is None:
            values = _binary_resample_values(y, p, idx, positive_index, threshold, wanted)
        else:
            key = y * k + pred
            flat = (np.arange(r, dtype=np.int64)[:, None] * (k * k) + key[idx]).ravel()
            cm = np.bincount(flat, minlength=r * k * k).reshape(r, k, k)
            values = multiclass_metrics(cm)
        if row_loss is not None:
            values["log_loss"] = row_loss[idx].mean(axis=1)
        for m in wanted:
            if m in values and (finite or m not in ("roc_auc", "brier_score")):
                collected[m].append(values[m])
        done += r

    return {
        m: _interval(np.concatenate(collected[m]), confidence) if collected[m] else None
        for m in wanted
    }
