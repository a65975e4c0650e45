"""Vectorized bootstrap: exactness per resample, determinism, interval sanity."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from tests.unit.test_evaluation_metric_panel import assert_json_safe
from workers.evaluation.bootstrap import (
    BINARY_BOOTSTRAP_METRICS,
    MULTICLASS_BOOTSTRAP_METRICS,
    _binary_resample_values,
    bootstrap_intervals,
)
from workers.evaluation.metric_panel import compute_panel


def _binary(n: int = 2000, seed: int = 0, decimals: int | None = None) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)
    if decimals is not None:
        score = np.round(score, decimals)  # many ties
    return y, np.c_[1 - score, score]


def _multiclass(n: int = 2000, k: int = 4, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    return y, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


@pytest.mark.parametrize("positive_index", [0, 1])
def test_per_resample_values_match_sklearn_with_ties(positive_index: int) -> None:
    y, proba = _binary(n=300, decimals=1)
    rng = np.random.default_rng(7)
    idx = rng.integers(0, 300, size=(5, 300))
    values = _binary_resample_values(
        y, proba, idx, positive_index, 0.4, list(BINARY_BOOTSTRAP_METRICS)
    )
    pi = positive_index
    for r in range(5):
        yr, sr = y[idx[r]], proba[idx[r], pi]
        pred = np.where(sr >= 0.4, pi, 1 - pi)
        assert values["roc_auc"][r] == pytest.approx(skm.roc_auc_score(yr == pi, sr))
        assert values["accuracy"][r] == pytest.approx(skm.accuracy_score(yr, pred))
        assert values["f1"][r] == pytest.approx(skm.f1_score(yr, pred, pos_label=pi))
        assert values["matthews_corrcoef"][r] == pytest.approx(skm.matthews_corrcoef(yr, pred))
        assert values["balanced_accuracy"][r] == pytest.approx(
            skm.balanced_accuracy_score(yr, pred)
        )
        assert values["brier_score"][r] == pytest.approx(skm.brier_score_loss(yr == pi, sr))


def test_deterministic_with_seed() -> None:
    y, proba = _binary()
    kwargs = {"task": "binary", "metrics": ["accuracy", "roc_auc"], "n_resamples": 200}
    a = bootstrap_intervals(y, proba, seed=5, **kwargs)  # type: ignore[arg-type]
    b = bootstrap_intervals(y, proba, seed=5, **kwargs)  # type: ignore[arg-type]
    c = bootstrap_intervals(y, proba, seed=6, **kwargs)  # type: ignore[arg-type]
    assert a == b
    assert a != c


def test_binary_intervals_bracket_point_estimates() -> None:
    y, proba = _binary()
    wanted = list(BINARY_BOOTSTRAP_METRICS) + ["average_precision"]
    intervals = bootstrap_intervals(y, proba, task="binary", metrics=wanted, n_resamples=1000)
    # average_precision is not vectorized, so it is left out rather than guessed
    assert "average_precision" not in intervals
    point = compute_panel(y, proba, task="binary", labels=["n", "p"]).metrics
    for name in BINARY_BOOTSTRAP_METRICS:
        low, high = intervals[name]  # type: ignore[misc]
        assert low < point[name] < high, name  # type: ignore[operator]
        assert high - low < 0.2, name
    assert_json_safe(intervals)


def test_multiclass_intervals_bracket_point_estimates() -> None:
    y, proba = _multiclass()
    intervals = bootstrap_intervals(
        y, proba, task="multiclass", metrics=list(MULTICLASS_BOOTSTRAP_METRICS) + ["roc_auc"]
    )
    assert "roc_auc" not in intervals
    point = compute_panel(y, proba, task="multiclass", labels=list("abcd")).metrics
    for name in MULTICLASS_BOOTSTRAP_METRICS:
        low, high = intervals[name]  # type: ignore[misc]
        assert low < point[name] < high, name  # type: ignore[operator]
    assert_json_safe(intervals)


def test_chunking_does_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import workers.evaluation.bootstrap as bootstrap

    y, proba = _multiclass(n=500)
    whole = bootstrap_intervals(y, proba, task="multiclass", metrics=["f1"], n_resamples=100)
    monkeypatch.setattr(bootstrap, "_CHUNK_CELLS", 500 * 7)
    chunked = bootstrap_intervals(y, proba, task="multiclass", metrics=["f1"], n_resamples=100)
    assert chunked == whole


def test_degenerate_inputs() -> None:
    y = np.zeros(50, dtype=int)
    score = np.linspace(0, 1, 50)
    one_class = bootstrap_intervals(
        y, np.c_[1 - score, score], task="binary", metrics=["roc_auc", "accuracy", "recall"]
    )
    assert one_class["roc_auc"] is None and one_class["recall"] is None
    assert one_class["accuracy"] is not None
    empty = bootstrap_intervals(
        np.array([], dtype=int), np.zeros((0, 2)), task="binary", metrics=["accuracy"]
    )
    assert empty == {"accuracy": None}
    assert_json_safe(one_class)


def test_mostly_undefined_gives_none() -> None:
    # one positive and one (different) positive prediction in 40 rows: most resamples miss
    # one of them, which leaves MCC undefined
    y = np.zeros(40, dtype=int)
    y[0] = 1
    score = np.zeros(40)
    score[1] = 0.9
    out = bootstrap_intervals(
        y, np.c_[1 - score, score], task="binary", metrics=["matthews_corrcoef", "accuracy"]
    )
    assert out["matthews_corrcoef"] is None
    assert out["accuracy"] is not None


def test_unknown_metric_raises() -> None:
    y, proba = _binary(n=20)
    with pytest.raises(ValueError, match="unknown metric"):
        bootstrap_intervals(y, proba, task="binary", metrics=["acc"])
