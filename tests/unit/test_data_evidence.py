"""The evidence drawn from raw training data: single-feature AUC, duplicates, feature scales."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from workers.training.columns import FeatureColumns
from workers.training.data_evidence import data_evidence
from workers.training.splitting import SplitIndices
from workers.training.target import encode_target


def _columns(x: np.ndarray, categorical: np.ndarray | None = None) -> FeatureColumns:
    cat = categorical if categorical is not None else np.empty((len(x), 0), dtype=object)
    return FeatureColumns(
        [f"f{i}" for i in range(x.shape[1])],
        x,
        [f"c{i}" for i in range(cat.shape[1])],
        cat,
    )


def _everything_train(n: int) -> SplitIndices:
    empty = np.array([], dtype=np.int64)
    return SplitIndices(np.arange(n), empty, empty)


def test_single_feature_auc_matches_scikit_learn_with_ties_and_gaps() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    labels = np.where(rng.random(n) < 0.2, "yes", "no")
    target = encode_target(labels)
    y = target.y
    x = rng.normal(size=(n, 5))
    x[:, 1] = np.round(x[:, 1])  # heavy ties
    x[:, 2] = y + rng.normal(scale=0.01, size=n)  # a leak
    x[:5, 3] = np.nan  # gaps: scored on the rows that have a value
    x[:, 4] = 1.0  # constant: no AUC at all
    cols = _columns(x)
    got = data_evidence(cols, cols, _everything_train(n), target, seed=0)["single_feature_auc"]
    assert "f4" not in got
    for j in range(4):
        ok = ~np.isnan(x[:, j])
        auc = roc_auc_score(y[ok] == 1, x[ok, j])
        assert got[f"f{j}"] == pytest.approx(max(auc, 1 - auc), abs=1e-12), j
    assert got["f2"] > 0.99 and next(iter(got)) == "f2"  # most separating first


def test_duplicates_are_counted_over_all_rows_and_across_splits() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(size=(40, 3))
    x = np.vstack([base, base[:4], base[10:12]])  # 6 repeats of earlier rows
    cat = np.array([["a"]] * len(x), dtype=object)
    target = encode_target(np.array(["p", "n"] * (len(x) // 2)))
    # rows 40..43 repeat 0..3 (train); rows 44, 45 repeat 10, 11 (train too)
    split = SplitIndices(np.arange(40), np.array([40, 41, 42]), np.array([43, 44, 45]))
    cols = _columns(x, cat)
    ev = data_evidence(cols, cols.take(split.train), split, target, seed=0)
    assert ev["duplicate_rows"] == 6 and ev["cross_split_duplicates"] == 6
    # a different category makes a different row
    cat2 = cat.copy()
    cat2[40, 0] = "b"
    ev = data_evidence(_columns(x, cat2), cols.take(split.train), split, target, seed=0)
    assert ev["duplicate_rows"] == 5 and ev["cross_split_duplicates"] == 5


def test_scale_ratio_is_largest_over_smallest_spread() -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.normal(0, 1, 500), rng.normal(0, 1000, 500)])
    target = encode_target(np.array(["p", "n"] * 250))
    cols = _columns(x)
    ratio = data_evidence(cols, cols, _everything_train(500), target, seed=0)["feature_scale_ratio"]
    assert ratio == pytest.approx(1000, rel=0.15)
