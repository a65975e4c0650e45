"""evaluate_splits: the Result's evaluation sections, JSON-safe on any data."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.unit.test_evaluation_metric_panel import assert_json_safe
from workers.evaluation.baselines import baseline_probas
from workers.evaluation.metric_panel import compute_panel
from workers.evaluation.panel_report import evaluate_splits, select_metrics

KEYS = {
    "metrics",
    "confidence_intervals",
    "undefined_metrics",
    "confusion_matrix",
    "confusion_matrices",
    "per_class",
    "thresholds",
    "curves",
    "baselines",
    "baselines_by_split",
    "model_vs_baselines",
    "evaluation_notes",
}


def _binary_splits(seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, n in (("train", 600), ("validation", 200), ("test", 300)):
        y = (rng.random(n) < 0.2).astype(int)
        score = np.clip(0.25 * y + 0.6 * rng.random(n), 0, 1)
        out[name] = (y, np.c_[1 - score, score])
    return out


def _baselines(splits: dict, n_classes: int) -> dict[str, dict[str, np.ndarray]]:
    y_train = splits["train"][0]
    return {
        kind: {
            s: baseline_probas(y_train, len(splits[s][0]), n_classes, kind=kind, seed=0)
            for s in ("validation", "test")
            if s in splits
        }
        for kind in ("majority_class", "stratified")
    }


def test_binary_report_shape_and_json() -> None:
    splits = _binary_splits()
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=splits,
        decision_threshold="best_f1",
        selected=None,
        baseline_probas=_baselines(splits, 2),
        n_resamples=200,
    )
    assert set(report) == KEYS
    json.dumps(report, allow_nan=False)
    assert_json_safe(report)
    assert list(report["metrics"]) == ["train", "validation", "test"]
    t = report["thresholds"]
    assert t["source"] == "best_f1"
    assert t["decision_threshold"] == t["best_f1"]["threshold"]
    y, proba = splits["test"]
    expected = compute_panel(
        y, proba, task="binary", labels=["No", "Yes"], threshold=t["decision_threshold"]
    )
    assert report["metrics"]["test"] == expected.metrics
    assert report["confusion_matrix"] == expected.confusion_matrix
    assert set(report["per_class"]) == {"No", "Yes"}
    assert set(t["best_f1"]) == {"threshold", "validation", "test"}
    assert len(t["table"]) == 21
    assert set(report["curves"]) == {"validation", "test"}
    assert set(report["curves"]["test"]) == {"roc", "pr", "calibration"}
    assert set(report["confidence_intervals"]) == {"validation", "test"}
    assert set(report["confidence_intervals"]["test"]) == {
        "accuracy",
        "balanced_accuracy",
        "f1",
        "roc_auc",
        "matthews_corrcoef",
    }
    assert set(report["baselines"]) == {"majority_class", "stratified"}
    assert set(report["baselines_by_split"]["majority_class"]) == {"validation", "test"}
    # the contract's flat baselines are the test split's
    assert (
        report["baselines"]["majority_class"]
        == report["baselines_by_split"]["majority_class"]["test"]
    )
    # the majority class ("No") never predicts the positive class
    assert report["baselines"]["majority_class"]["precision"] is None
    assert report["undefined_metrics"]["baselines.majority_class.precision"]
    assert report["undefined_metrics"]["baselines_by_split.majority_class.validation.precision"]
    comparison = report["model_vs_baselines"]["roc_auc"]
    assert comparison["model"] == report["metrics"]["test"]["roc_auc"]
    assert comparison["majority_class"] == report["baselines"]["majority_class"]["roc_auc"]


def test_fixed_threshold_and_selected_metrics() -> None:
    """The whole panel is computed (the diagnosis reads it); select_metrics trims the output."""
    splits = _binary_splits(1)
    full = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=splits,
        decision_threshold=0.35,
        selected=["roc_auc", "f1", "log_loss"],
        baseline_probas={},
        n_resamples=100,
    )
    assert full["thresholds"]["decision_threshold"] == 0.35
    assert {"balanced_accuracy", "roc_auc", "f1", "log_loss"} <= set(full["metrics"]["test"])
    report = select_metrics(full, ["roc_auc", "f1", "log_loss"])
    assert set(report["metrics"]["test"]) == {"roc_auc", "f1", "log_loss"}
    assert set(report["confidence_intervals"]["test"]) == {"roc_auc", "f1"}
    assert set(report["thresholds"]["youden"]["test"]) == {"f1"}
    assert report["metrics"]["test"]["roc_auc"] == full["metrics"]["test"]["roc_auc"]
    assert select_metrics(full, None) is full


def test_primary_metric_gets_an_interval() -> None:
    """no_signal and weaker_than_linear compare against the primary metric's interval."""
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=_binary_splits(1),
        decision_threshold=0.5,
        selected=None,
        baseline_probas={},
        n_resamples=100,
        primary_metric="log_loss",
    )
    low, high = report["confidence_intervals"]["validation"]["log_loss"]
    assert low <= report["metrics"]["validation"]["log_loss"] <= high


def test_threshold_is_chosen_on_validation_not_test() -> None:
    """best_f1 comes from the validation scores; test only applies it."""
    y_va = np.array([0, 0, 0, 1, 1, 1])
    p_va = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])  # any cut in (0.3, 0.6] is perfect
    y_te = np.array([0, 0, 0, 1, 1, 1])
    p_te = np.array([0.1, 0.75, 0.76, 0.77, 0.78, 0.9])  # on test the best cut is above 0.76
    splits = {
        "validation": (y_va, np.column_stack([1 - p_va, p_va])),
        "test": (y_te, np.column_stack([1 - p_te, p_te])),
    }
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=splits,
        decision_threshold="best_f1",
        selected=None,
        baseline_probas={},
        n_resamples=0,
    )
    t = report["thresholds"]["decision_threshold"]
    assert 0.3 < t <= 0.6
    assert report["metrics"]["validation"]["f1"] == 1.0
    assert report["metrics"]["test"]["recall"] == 1.0  # 0.75+ all predicted positive at t


def test_baselines_are_judged_at_their_own_thresholds() -> None:
    """The majority baseline stays the majority prediction even at a tuned network threshold,
    and logistic regression gets its own best-F1 threshold from its validation scores."""
    splits = _binary_splits(1)
    y_va = splits["validation"][0]
    prior = np.full((len(y_va), 2), [0.9, 0.1])
    logistic = np.column_stack([1 - splits["validation"][1][:, 1], splits["validation"][1][:, 1]])
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits={"validation": splits["validation"]},
        decision_threshold=0.05,
        selected=None,
        baseline_probas={
            "majority_class": {"validation": prior},
            "logistic_regression": {"validation": logistic},
        },
        n_resamples=0,
    )
    assert report["thresholds"]["baselines"] == {"majority_class": 0.5, "logistic_regression": 0.05}
    majority = report["baselines_by_split"]["majority_class"]["validation"]
    assert majority["recall"] == 0.0 and majority["specificity"] == 1.0
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate_splits(
            task="binary",
            labels=["No", "Yes"],
            positive_index=1,
            splits=splits,
            decision_threshold=0.5,
            selected=["auc"],
            baseline_probas={},
        )


def test_multiclass_report() -> None:
    rng = np.random.default_rng(2)
    splits = {}
    for name, n in (("train", 300), ("validation", 100), ("test", 120)):
        y = rng.integers(0, 3, n)
        proba = rng.dirichlet(np.ones(3), n)
        splits[name] = (y, proba)
    report = evaluate_splits(
        task="multiclass",
        labels=["a", "b", "c"],
        positive_index=1,
        splits=splits,
        decision_threshold=0.5,
        selected=None,
        baseline_probas=_baselines(splits, 3),
        n_resamples=100,
    )
    assert report["thresholds"] is None and report["curves"] is None
    assert set(report["confidence_intervals"]["test"]) == {"accuracy", "balanced_accuracy", "f1"}
    assert "top_2_accuracy" not in report["metrics"]["test"]
    json.dumps(report, allow_nan=False)
    assert_json_safe(report)


def test_degenerate_splits_stay_json_safe() -> None:
    # test holds one class, validation is missing, train is empty of positives
    y_test = np.zeros(30, dtype=int)
    score = np.linspace(0, 1, 30)
    splits = {
        "train": (np.zeros(10, dtype=int), np.tile([0.9, 0.1], (10, 1))),
        "test": (y_test, np.c_[1 - score, score]),
    }
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=splits,
        decision_threshold="youden",
        selected=None,
        baseline_probas={"majority_class": {"test": np.tile([1.0, 0.0], (30, 1))}},
        n_resamples=100,
    )
    json.dumps(report, allow_nan=False)
    assert_json_safe(report)
    t = report["thresholds"]
    assert t["decision_threshold"] == 0.5 and t["fallbacks"]["youden"] == "no validation split"
    assert report["metrics"]["test"]["roc_auc"] is None
    assert "one class" in report["undefined_metrics"]["test.roc_auc"]
    assert report["metrics"]["train"]["precision"] is None
    assert report["undefined_metrics"]["train.precision"] == "no positive predictions"
    assert report["confidence_intervals"]["test"]["roc_auc"] is None
    assert report["curves"]["test"]["roc"]["undefined"]
    assert "validation" not in report["confidence_intervals"]


def test_empty_test_split() -> None:
    splits = {
        "validation": (np.array([0, 1, 1]), np.array([[0.8, 0.2], [0.4, 0.6], [0.3, 0.7]])),
        "test": (np.array([], dtype=int), np.zeros((0, 2))),
    }
    report = evaluate_splits(
        task="binary",
        labels=["No", "Yes"],
        positive_index=1,
        splits=splits,
        decision_threshold="best_f1",
        selected=None,
        baseline_probas={},
        n_resamples=50,
    )
    json.dumps(report, allow_nan=False)
    assert_json_safe(report)
    assert all(v is None for v in report["metrics"]["test"].values())
    assert report["undefined_metrics"]["test.accuracy"] == "no rows in this split"
