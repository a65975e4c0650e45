"""Validation and sanitizing of (y_true, proba) pairs shared by every evaluator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

# rows whose sum strays further than this from 1 are reported as renormalized
SUM_TOLERANCE = 1e-6


@dataclass
class CleanInputs:
    y: NDArray[np.int64]
    proba: NDArray[np.float64]  # finite, clipped to [0, 1], NOT renormalized
    finite: bool  # False when the caller's probabilities held NaN or infinity
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def k(self) -> int:
        return int(self.proba.shape[1])


def check_labels(y: NDArray[np.int64], n_classes: int) -> None:
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y_true must hold class codes 0..{n_classes - 1}")


def as_codes(y_true: ArrayLike) -> NDArray[np.int64]:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be one-dimensional, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        as_float = y.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or not np.all(as_float == np.round(as_float)):
            raise ValueError("y_true must hold integer class codes")
    return y.astype(np.int64)


def clean_inputs(y_true: ArrayLike, proba: ArrayLike, labels: Sequence[str]) -> CleanInputs:
    """Validate shapes and make probabilities safe to threshold and rank.

    Shape errors are programming errors and raise; odd values (NaN, out of [0, 1]) are
    data problems and are repaired with a note, because an evaluation must not crash.
    """
    k = len(labels)
    if k < 2:
        raise ValueError("labels must name at least two classes")
    if len(set(labels)) != k:
        raise ValueError("labels must be unique")
    y = as_codes(y_true)
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim == 1 and p.size == 0:
        p = p.reshape(0, k)
    if p.ndim != 2 or p.shape != (y.shape[0], k):
        raise ValueError(f"proba must have shape ({y.shape[0]}, {k}), got {p.shape}")
    check_labels(y, k)
    notes: list[str] = []
    finite = bool(np.all(np.isfinite(p)))
    if not finite:
        # NaN ranks unpredictably and breaks argmax; treating it as "no evidence" keeps the
        # threshold metrics computable while the score metrics are reported undefined
        p = np.nan_to_num(p, nan=0.0, posinf=1.0, neginf=0.0)
        notes.append("probabilities contained NaN or infinity; treated as 0 (or 1 for +inf)")
    if p.size and (p.min() < 0.0 or p.max() > 1.0):
        p = np.clip(p, 0.0, 1.0)
        notes.append("probabilities outside [0, 1] were clipped")
    return CleanInputs(y=y, proba=p, finite=finite, notes=notes)


def renormalize(p: NDArray[np.float64]) -> tuple[NDArray[np.float64], bool, bool]:
    """Rows scaled to sum to 1.

    Returns (normalized, changed, possible). Rows summing to zero cannot be renormalized;
    they are left as zeros and ``possible`` is False.
    """
    sums = p.sum(axis=1, keepdims=True)
    possible = bool(np.all(sums > 0))
    changed = bool(np.any(np.abs(sums - 1.0) > SUM_TOLERANCE))
    out = np.divide(p, sums, out=np.zeros_like(p), where=sums > 0)
    return out, changed, possible
