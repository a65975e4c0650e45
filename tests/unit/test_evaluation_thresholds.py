"""Threshold table and validation-chosen thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from tests.unit.test_evaluation_metric_panel import assert_json_safe
from workers.evaluation.thresholds import (
    choose_thresholds,
    default_grid,
    threshold_fallbacks,
    threshold_table,
)


def test_table_matches_sklearn_per_row() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 300)
    score = np.clip(0.3 * y + 0.7 * rng.random(300), 0, 1)
    table = threshold_table(y, score)
    assert [row["threshold"] for row in table] == default_grid()
    assert len(table) == 21 and table[0]["threshold"] == 0.0 and table[-1]["threshold"] == 1.0
    for row in table[1:-1]:
        pred = score >= float(row["threshold"] or 0.0)
        assert row["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
        assert row["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, pred))
        assert row["recall"] == pytest.approx(skm.recall_score(y, pred))
        assert row["specificity"] == pytest.approx(skm.recall_score(y, pred, pos_label=0))
        if pred.any():
            assert row["precision"] == pytest.approx(skm.precision_score(y, pred))
            assert row["f1"] == pytest.approx(skm.f1_score(y, pred))
    # at 1.0 nothing scores high enough: precision undefined, not NaN
    assert table[-1]["precision"] is None
    assert table[0]["recall"] == 1.0
    assert_json_safe(table)


def test_table_degenerate() -> None:
    assert_json_safe(threshold_table([], []))
    rows = threshold_table([0, 0, 0], [0.1, 0.5, 0.9], grid=[0.5])
    assert rows == [
        {
            "threshold": 0.5,
            "accuracy": pytest.approx(1 / 3),
            "balanced_accuracy": pytest.approx(1 / 3),
            "precision": 0.0,
            "recall": None,
            "f1": 0.0,
            "specificity": pytest.approx(1 / 3),
        }
    ]


def test_planted_best_f1_threshold() -> None:
    # positives all score >= 0.3, negatives all below: only a 0.3 cut-off gives F1 = 1
    rng = np.random.default_rng(0)
    pos = np.concatenate([[0.3], rng.uniform(0.3, 0.9, 49)])
    neg = rng.uniform(0.0, 0.29, 150)
    score = np.concatenate([pos, neg])
    y = np.concatenate([np.ones(50), np.zeros(150)])
    chosen = choose_thresholds(y, score)
    assert chosen["best_f1"] == pytest.approx(0.3)
    assert chosen["youden"] == pytest.approx(0.3)
    assert threshold_fallbacks(y, score) == {}


def test_best_f1_prefers_recall_tradeoff() -> None:
    # few negatives above the positives: F1 favours catching all positives at 0.3
    score = np.array([0.9, 0.8, 0.3, 0.3, 0.3, 0.5, 0.1, 0.1, 0.1, 0.1])
    y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    chosen = choose_thresholds(y, score)
    assert chosen["best_f1"] == pytest.approx(0.3)
    assert 0.0 <= chosen["youden"] <= 1.0


@pytest.mark.parametrize(
    "y,score",
    [([], []), ([0, 0, 0], [0.1, 0.2, 0.3]), ([1, 1], [0.2, 0.9])],
)
def test_choose_thresholds_degenerate(y: list[int], score: list[float]) -> None:
    chosen = choose_thresholds(y, score)
    assert set(chosen) == {"best_f1", "youden"}
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in chosen.values())
    assert threshold_fallbacks(y, score)


def test_thresholds_are_clipped_to_unit_interval() -> None:
    chosen = choose_thresholds([0, 1, 0, 1], [0.2, 1.0, 0.4, 1.0])
    assert 0.0 <= chosen["best_f1"] <= 1.0 and 0.0 <= chosen["youden"] <= 1.0
