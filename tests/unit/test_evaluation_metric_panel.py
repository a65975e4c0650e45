"""compute_panel against scikit-learn, and its behaviour on degenerate data."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest
from sklearn import metrics as skm

from workers.evaluation.metric_panel import (
    BINARY_METRICS,
    METRIC_DIRECTIONS,
    MULTICLASS_METRICS,
    compute_panel,
)


def assert_json_safe(obj: Any, path: str = "$") -> None:
    """Every number in the structure is a finite Python int/float; no numpy types."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            assert isinstance(key, str), f"{path}: non-string key {key!r}"
            assert_json_safe(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            assert_json_safe(value, f"{path}[{i}]")
    elif isinstance(obj, float):
        assert type(obj) is float, f"{path}: {type(obj)} is not a plain float"
        assert math.isfinite(obj), f"{path}: {obj}"
    else:
        assert obj is None or type(obj) in (int, bool, str), f"{path}: {type(obj)} {obj!r}"


def _binary_data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    score = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    return y, np.c_[1 - score, score]


def _multiclass_data(n: int = 500, k: int = 5, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


@pytest.mark.parametrize("positive_index", [0, 1])
@pytest.mark.parametrize("threshold", [0.5, 0.4])
def test_binary_matches_sklearn(positive_index: int, threshold: float) -> None:
    y, proba = _binary_data()
    panel = compute_panel(
        y,
        proba,
        task="binary",
        labels=["neg", "pos"],
        positive_index=positive_index,
        threshold=threshold,
    )
    pi = positive_index
    score = proba[:, pi]
    pred = np.where(score >= threshold, pi, 1 - pi)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, pos_label=pi),
        "recall": skm.recall_score(y, pred, pos_label=pi),
        "f1": skm.f1_score(y, pred, pos_label=pi),
        "specificity": skm.recall_score(y, pred, pos_label=1 - pi),
        "roc_auc": skm.roc_auc_score(y == pi, score),
        "average_precision": skm.average_precision_score(y == pi, score),
        "log_loss": skm.log_loss(y, proba, labels=[0, 1]),
        "brier_score": skm.brier_score_loss(y == pi, score),
        "matthews_corrcoef": skm.matthews_corrcoef(y, pred),
        "cohen_kappa": skm.cohen_kappa_score(y, pred),
    }
    assert list(panel.metrics) == list(BINARY_METRICS)
    for name, value in expected.items():
        assert panel.metrics[name] == pytest.approx(value, abs=1e-12), name
    assert panel.undefined == {}
    cm = skm.confusion_matrix(y, pred, labels=[0, 1])
    assert panel.confusion_matrix["matrix"] == cm.tolist()
    assert panel.per_class["pos"]["support"] == int((y == 1).sum())
    assert panel.per_class["neg"]["precision"] == pytest.approx(
        skm.precision_score(y, pred, pos_label=0)
    )
    assert_json_safe(panel.to_dict())


def test_multiclass_matches_sklearn() -> None:
    y, proba = _multiclass_data()
    labels = list("abcde")
    panel = compute_panel(y, proba, task="multiclass", labels=labels)
    pred = proba.argmax(axis=1)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred, average="macro", zero_division=0),
        "recall": skm.recall_score(y, pred, average="macro", zero_division=0),
        "f1": skm.f1_score(y, pred, average="macro", zero_division=0),
        "precision_weighted": skm.precision_score(y, pred, average="weighted", zero_division=0),
        "recall_weighted": skm.recall_score(y, pred, average="weighted", zero_division=0),
        "f1_weighted": skm.f1_score(y, pred, average="weighted", zero_division=0),
        "roc_auc": skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"),
        "roc_auc_ovr_weighted": skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted"),
        "log_loss": skm.log_loss(y, proba, labels=list(range(5))),
        "matthews_corrcoef": skm.matthews_corrcoef(y, pred),
        "cohen_kappa": skm.cohen_kappa_score(y, pred),
        "top_2_accuracy": skm.top_k_accuracy_score(y, proba, k=2),
        "top_3_accuracy": skm.top_k_accuracy_score(y, proba, k=3),
    }
    assert list(panel.metrics) == list(MULTICLASS_METRICS)
    for name, value in expected.items():
        assert panel.metrics[name] == pytest.approx(value, abs=1e-12), name
    per = skm.precision_recall_fscore_support(y, pred, labels=range(5), zero_division=0)
    for i, label in enumerate(labels):
        assert panel.per_class[label]["precision"] == pytest.approx(per[0][i])
        assert panel.per_class[label]["recall"] == pytest.approx(per[1][i])
        assert panel.per_class[label]["f1"] == pytest.approx(per[2][i])
        assert panel.per_class[label]["support"] == per[3][i]
    assert_json_safe(panel.to_dict())


def test_top_k_only_reported_with_more_than_three_classes() -> None:
    y, proba = _multiclass_data(k=3)
    panel = compute_panel(y, proba, task="multiclass", labels=["a", "b", "c"])
    assert "top_2_accuracy" not in panel.metrics
    asked = compute_panel(
        y, proba, task="multiclass", labels=["a", "b", "c"], selected=["top_2_accuracy"]
    )
    assert asked.metrics == {"top_2_accuracy": None}
    assert "more than 3 classes" in asked.undefined["top_2_accuracy"]


def test_directions() -> None:
    assert METRIC_DIRECTIONS["log_loss"] == "lower"
    assert METRIC_DIRECTIONS["brier_score"] == "lower"
    assert METRIC_DIRECTIONS["roc_auc"] == "higher"
    assert set(METRIC_DIRECTIONS) == set(BINARY_METRICS) | set(MULTICLASS_METRICS)


def test_selected_filters_and_validates() -> None:
    y, proba = _binary_data()
    panel = compute_panel(
        y, proba, task="binary", labels=["n", "p"], selected=["roc_auc", "accuracy"]
    )
    assert list(panel.metrics) == ["accuracy", "roc_auc"]
    with pytest.raises(ValueError, match="valid names.*accuracy"):
        compute_panel(y, proba, task="binary", labels=["n", "p"], selected=["acuracy"])
    other = compute_panel(y, proba, task="binary", labels=["n", "p"], selected=["f1_weighted"])
    assert other.metrics == {"f1_weighted": None}
    assert "multiclass" in other.undefined["f1_weighted"]


def _assert_every_none_has_reason(panel: Any) -> None:
    for name, value in panel.metrics.items():
        if value is None:
            assert panel.undefined.get(name), name
        else:
            assert name not in panel.undefined
    assert_json_safe(panel.to_dict())


@pytest.mark.filterwarnings("error")
def test_one_class_present_binary() -> None:
    y = np.zeros(20, dtype=int)
    score = np.linspace(0, 1, 20)
    panel = compute_panel(y, np.c_[1 - score, score], task="binary", labels=["n", "p"])
    m, why = panel.metrics, panel.undefined
    assert m["roc_auc"] is None and "one class" in why["roc_auc"]
    assert m["recall"] is None and m["average_precision"] is None
    assert m["matthews_corrcoef"] is None and "one class" in why["matthews_corrcoef"]
    assert m["precision"] == 0.0  # positives were predicted, all wrongly
    assert m["f1"] == 0.0
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, score >= 0.5))
    assert m["log_loss"] is not None and m["brier_score"] is not None
    _assert_every_none_has_reason(panel)


@pytest.mark.filterwarnings("error")
def test_no_positive_predictions() -> None:
    y = np.array([0, 1, 0, 1, 0, 0])
    score = np.full(6, 0.1)
    panel = compute_panel(y, np.c_[1 - score, score], task="binary", labels=["n", "p"])
    assert panel.metrics["precision"] is None
    assert panel.undefined["precision"] == "no positive predictions"
    assert panel.metrics["recall"] == 0.0
    assert panel.metrics["f1"] == 0.0
    assert panel.metrics["matthews_corrcoef"] is None
    assert panel.undefined["matthews_corrcoef"] == "only one class predicted"
    assert panel.metrics["cohen_kappa"] == pytest.approx(skm.cohen_kappa_score(y, score >= 0.5))
    assert panel.metrics["roc_auc"] == 0.5  # all scores tied
    assert panel.per_class["p"]["precision"] is None
    _assert_every_none_has_reason(panel)


@pytest.mark.filterwarnings("error")
def test_class_absent_from_split_multiclass() -> None:
    y, proba = _multiclass_data(n=300, k=4)
    keep = y != 2
    y, proba = y[keep], proba[keep]
    labels = ["a", "b", "c", "d"]
    panel = compute_panel(y, proba, task="multiclass", labels=labels)
    pred = proba.argmax(axis=1)
    with warnings.catch_warnings():
        # sklearn's own reference call warns about the predicted-but-absent class
        warnings.simplefilter("ignore")
        balanced = skm.balanced_accuracy_score(y, pred)
    assert panel.confusion_matrix["labels"] == labels
    assert panel.confusion_matrix["matrix"][2] == [0, 0, 0, 0]
    assert panel.confusion_matrix["normalized"][2] == [None] * 4
    assert panel.per_class["c"]["support"] == 0
    assert panel.per_class["c"]["recall"] is None
    assert panel.metrics["f1"] == pytest.approx(
        skm.f1_score(y, pred, average="macro", zero_division=0)
    )
    assert panel.metrics["balanced_accuracy"] == pytest.approx(balanced)
    present = [0, 1, 3]
    aucs = [skm.roc_auc_score(y == c, proba[:, c]) for c in present]
    assert panel.metrics["roc_auc"] == pytest.approx(np.mean(aucs))
    assert panel.metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=range(4)))
    assert any("3 of 4 classes" in note for note in panel.notes)
    _assert_every_none_has_reason(panel)


def test_one_class_multiclass() -> None:
    y = np.full(10, 1)
    proba = np.tile([0.2, 0.5, 0.3], (10, 1))
    panel = compute_panel(y, proba, task="multiclass", labels=["a", "b", "c"])
    assert panel.metrics["roc_auc"] is None
    assert panel.metrics["matthews_corrcoef"] is None
    assert panel.metrics["cohen_kappa"] is None
    assert panel.metrics["accuracy"] == 1.0
    _assert_every_none_has_reason(panel)


@pytest.mark.filterwarnings("error")
def test_unnormalized_rows_are_renormalized_for_log_loss() -> None:
    y, proba = _multiclass_data(n=200, k=4)
    # rows kept within [0, 1]: values above 1 are clipped before renormalizing
    scaled = proba * np.linspace(0.3, 1.0, 200)[:, None]
    panel = compute_panel(y, scaled, task="multiclass", labels=list("abcd"))
    assert panel.metrics["log_loss"] == pytest.approx(skm.log_loss(y, proba, labels=range(4)))
    assert panel.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba, multi_class="ovr"))
    assert any("renormalized" in note for note in panel.notes)
    _assert_every_none_has_reason(panel)


def test_zero_rows_make_log_loss_undefined() -> None:
    y, proba = _binary_data(n=50)
    proba[3] = 0.0
    panel = compute_panel(y, proba, task="binary", labels=["n", "p"])
    assert panel.metrics["log_loss"] is None
    assert "sum to zero" in panel.undefined["log_loss"]
    assert panel.metrics["roc_auc"] is not None
    _assert_every_none_has_reason(panel)


def test_non_finite_probabilities() -> None:
    y, proba = _binary_data(n=50)
    proba[0, 1] = np.nan
    proba[1, 1] = np.inf
    panel = compute_panel(y, proba, task="binary", labels=["n", "p"])
    for name in ("roc_auc", "average_precision", "log_loss", "brier_score"):
        assert panel.metrics[name] is None
        assert "NaN" in panel.undefined[name]
    assert panel.metrics["accuracy"] is not None
    assert panel.notes
    _assert_every_none_has_reason(panel)


def test_out_of_range_probabilities_are_clipped() -> None:
    y, proba = _binary_data(n=50)
    proba[0] = [-0.2, 1.3]
    panel = compute_panel(y, proba, task="binary", labels=["n", "p"])
    assert any("clipped" in note for note in panel.notes)
    _assert_every_none_has_reason(panel)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("task,k", [("binary", 2), ("multiclass", 4)])
def test_empty_input(task: Any, k: int) -> None:
    labels = [f"c{i}" for i in range(k)]
    panel = compute_panel(np.array([], dtype=int), np.zeros((0, k)), task=task, labels=labels)
    assert all(v is None for v in panel.metrics.values())
    assert set(panel.undefined) == set(panel.metrics)
    assert panel.confusion_matrix["matrix"] == [[0] * k for _ in range(k)]
    assert panel.per_class[labels[0]]["support"] == 0
    _assert_every_none_has_reason(panel)


def test_single_row() -> None:
    panel = compute_panel([1], [[0.3, 0.7]], task="binary", labels=["n", "p"])
    assert panel.metrics["accuracy"] == 1.0
    _assert_every_none_has_reason(panel)


def test_shape_errors_raise() -> None:
    with pytest.raises(ValueError, match="shape"):
        compute_panel([0, 1], [[0.5, 0.5]], task="binary", labels=["n", "p"])
    with pytest.raises(ValueError, match="class codes"):
        compute_panel([0, 2], [[0.5, 0.5]] * 2, task="binary", labels=["n", "p"])
    with pytest.raises(ValueError, match="exactly 2"):
        compute_panel([0], [[0.2, 0.3, 0.5]], task="binary", labels=["a", "b", "c"])
