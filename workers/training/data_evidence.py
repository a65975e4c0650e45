"""What the raw training data shows before any model: duplicates, lone features that separate
the target, and feature scales. The diagnosis reads these; nothing here changes the data."""

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from workers.training.columns import FeatureColumns
from workers.training.splitting import SplitIndices
from workers.training.target import Target

SAMPLE_ROWS = 50_000
LEAKAGE_TOP_FEATURES = 10


def class_counts(y: np.ndarray, labels: list[str]) -> dict[str, int]:
    c = np.bincount(y, minlength=len(labels))
    return {label: int(c[i]) for i, label in enumerate(labels)}


def _row_hashes(cols: FeatureColumns) -> np.ndarray:
    """One 64-bit hash per row, combined column by column (no copy of the whole table)."""
    n = cols.n_rows
    out = np.zeros(n, dtype=np.uint64)
    columns = [cols.numeric[:, i] for i in range(cols.numeric.shape[1])] + [
        cols.categorical[:, i] for i in range(cols.categorical.shape[1])
    ]
    with np.errstate(over="ignore"):
        for col in columns:
            h = pd.util.hash_array(np.ascontiguousarray(col))
            out = out * np.uint64(1_000_003) ^ h
    return out


def _rank_auc(x: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC AUC of each column of `x` as a score for `positive`, from average ranks
    (the Mann-Whitney U statistic): one vectorised pass instead of a roc_curve per column."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    ranks = rankdata(x, axis=0)
    rank_sum = ranks[positive].sum(axis=0)
    return np.asarray((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg), dtype=np.float64)


def _sample_rows(n: int, seed: int) -> np.ndarray:
    """At most SAMPLE_ROWS row positions: enough for an AUC or a scale to a few decimals."""
    if n <= SAMPLE_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, SAMPLE_ROWS, replace=False))


def _single_feature_auc(x: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, float]:
    """AUC of each raw numeric feature (a column of `x`) alone for the positive class (code 1):
    near 1 means a leak."""
    positive = y == 1
    if positive.all() or not positive.any():
        return {}
    with np.errstate(invalid="ignore"):
        lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    varies = np.isfinite(lo) & (lo != hi)
    has_nan = np.isnan(x).any(axis=0)
    out: dict[str, float] = {}
    dense = np.flatnonzero(varies & ~has_nan)
    if len(dense):
        for j, auc in zip(dense, _rank_auc(x[:, dense], positive), strict=True):
            out[names[j]] = float(auc)
    for j in np.flatnonzero(varies & has_nan):  # each on its own non-missing rows
        ok = ~np.isnan(x[:, j])
        if ok.sum() < 10 or positive[ok].all() or not positive[ok].any():
            continue
        out[names[j]] = float(_rank_auc(x[ok, j : j + 1], positive[ok])[0])
    folded = {name: max(auc, 1 - auc) for name, auc in out.items()}
    return dict(sorted(folded.items(), key=lambda kv: -kv[1])[:LEAKAGE_TOP_FEATURES])


def _scale_ratio(x: np.ndarray) -> float | None:
    """Largest over smallest standard deviation of the numeric columns of `x`."""
    if not x.shape[1]:
        return None
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        std = np.nanstd(x, axis=0)
    std = std[np.isfinite(std) & (std > 0)]
    if len(std) < 2:
        return None
    return float(std.max() / std.min())


def data_evidence(
    cols: FeatureColumns, train: FeatureColumns, split: SplitIndices, target: Target, seed: int
) -> dict[str, Any]:
    """Evidence over all rows used (`cols`) and their training split (`train`, already taken)."""
    # pandas' hash tables: one pass each, where np.unique / np.isin would sort.
    hashes = pd.Series(_row_hashes(cols))
    train_hashes = hashes.iloc[split.train]
    held_out = np.concatenate([split.validation, split.test])
    y_train = target.y[split.train]
    sample = _sample_rows(len(y_train), seed)
    x_sample = train.numeric[sample]
    return {
        "class_counts_train": class_counts(y_train, target.labels),
        "n_train_rows": len(y_train),
        "n_rows": len(target.y),  # duplicate_rows is counted over all rows
        "feature_scale_ratio": _scale_ratio(x_sample),
        "single_feature_auc": _single_feature_auc(x_sample, y_train[sample], train.numeric_names)
        if target.task == "binary"
        else {},
        "duplicate_rows": int(hashes.duplicated().sum()),
        "cross_split_duplicates": int(hashes.iloc[held_out].isin(train_hashes).sum()),
    }
