"""The full metric panel of issue 4 over real HTTP: per split, binary and multiclass,
thresholds chosen on validation, curves, calibration, bootstrap intervals, baselines, metric
selection and undefined metrics."""

from typing import Any

import numpy as np
import pytest

from tests.support.live_service import LiveService
from tests.support.specs import assert_json_finite, quick

SPLITS = ("train", "validation", "test")
BINARY = {
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier_score",
    "matthews_corrcoef",
    "cohen_kappa",
}
MULTICLASS = {
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "precision_weighted",
    "recall_weighted",
    "f1_weighted",
    "roc_auc",
    "roc_auc_ovr_weighted",
    "log_loss",
    "matthews_corrcoef",
    "cohen_kappa",
    "top_2_accuracy",
    "top_3_accuracy",
}


def _succeeded(live: LiveService, spec: dict[str, Any]) -> dict[str, Any]:
    status = live.run(spec)
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    assert_json_finite(res)
    return res


@pytest.fixture(scope="module")
def binary(live: LiveService) -> dict[str, Any]:
    """Imbalanced binary data, SMOTE on train, the panel at the best-F1 threshold."""
    spec = quick(
        {"synthetic": {"n_samples": 2000, "weights": [0.8, 0.2]}},
        balancing={"method": "smote"},
        decision_threshold="best_f1",
        training={"epochs": 10, "batch_size": 64},
    )
    return _succeeded(live, spec)


@pytest.fixture(scope="module")
def multiclass(live: LiveService) -> dict[str, Any]:
    """Five classes, one of them with only two rows and an unstratified split, so at least
    one split lacks it."""
    rng = np.random.default_rng(3)
    n = 500
    y = rng.integers(0, 4, n)
    y[:2] = 4
    X = rng.normal(size=(n, 6)) + np.eye(5, 6)[y] * 3
    names = np.array(list("abcde"))
    lines = ["f0,f1,f2,f3,f4,f5,label"] + [
        ",".join(f"{v:.5g}" for v in row) + f",{names[t]}" for row, t in zip(X, y, strict=True)
    ]
    live.put_data("panel_five.csv", "\n".join(lines) + "\n")
    spec = quick(
        {"location": "panel_five.csv", "target": "label"},
        split={"stratify": False},
        training={"epochs": 10, "batch_size": 32},
    )
    return _succeeded(live, spec)


# --------------------------------------------------------------------------- binary


def test_binary_panel_per_split(binary: dict[str, Any]) -> None:
    assert binary["task"] == "binary" and binary["positive_label"] == "1"
    for split in SPLITS:
        assert set(binary["metrics"][split]) == BINARY, split
    assert isinstance(binary["undefined_metrics"], dict)
    assert set(binary["per_class"]) == {"0", "1"}
    assert (
        binary["per_class"]["1"]["support"] == binary["data_summary"]["class_counts"]["test"]["1"]
    )


def test_binary_confusion_matrices_counts_and_normalized(binary: dict[str, Any]) -> None:
    counts = binary["data_summary"]["class_counts"]
    cm = binary["confusion_matrix"]
    assert cm["labels"] == ["0", "1"]
    assert [sum(r) for r in cm["matrix"]] == [counts["test"]["0"], counts["test"]["1"]]
    for row in cm["normalized"]:
        assert sum(row) == pytest.approx(1.0)
    per_split = binary["confusion_matrices"]
    assert cm == per_split["test"]
    # metrics.train is computed on the training rows before SMOTE
    assert counts["train_after"]["1"] > counts["train_before"]["1"]
    train_rows = [sum(r) for r in per_split["train"]["matrix"]]
    assert train_rows == [counts["train_before"]["0"], counts["train_before"]["1"]]
    assert [sum(r) for r in per_split["validation"]["matrix"]] == [
        counts["validation"]["0"],
        counts["validation"]["1"],
    ]


def test_binary_thresholds_chosen_on_validation_move_the_panel(binary: dict[str, Any]) -> None:
    t = binary["thresholds"]
    assert t["source"] == "best_f1"
    best = t["best_f1"]["threshold"]
    assert 0.0 <= best <= 1.0 and 0.0 <= t["youden"]["threshold"] <= 1.0
    assert t["decision_threshold"] == pytest.approx(best)
    assert binary["decision_threshold"] == pytest.approx(best)
    for rule in ("best_f1", "youden"):
        assert {"accuracy", "f1", "specificity"} <= set(t[rule]["test"])
        assert {"accuracy", "f1"} <= set(t[rule]["validation"])
    # the main panel is the panel at the best-F1 threshold
    for name in ("accuracy", "precision", "recall", "f1", "specificity"):
        assert binary["metrics"]["test"][name] == pytest.approx(t["best_f1"]["test"][name])
    table = t["table"]
    assert [row["threshold"] for row in table] == pytest.approx([i / 20 for i in range(21)])
    assert {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "specificity"} <= set(
        table[0]
    )


def test_binary_curves_and_calibration(binary: dict[str, Any]) -> None:
    for split in ("validation", "test"):
        curves = binary["curves"][split]
        roc, pr = curves["roc"], curves["pr"]
        assert 2 <= len(roc["fpr"]) == len(roc["tpr"]) == len(roc["thresholds"]) <= 200
        assert 2 <= len(pr["precision"]) == len(pr["recall"]) <= 200
        assert roc["fpr"][0] == 0.0 and roc["tpr"][-1] == 1.0
        bins = curves["calibration"]["bins"]
        assert len(bins) == 10 and bins[0]["lower"] == 0.0 and bins[-1]["upper"] == 1.0
        total = sum(binary["data_summary"]["class_counts"][split].values())
        assert sum(b["count"] for b in bins) == total


def test_binary_bootstrap_intervals(binary: dict[str, Any]) -> None:
    for split in ("validation", "test"):
        ci = binary["confidence_intervals"][split]
        assert {"accuracy", "balanced_accuracy", "f1", "roc_auc"} <= set(ci)
        for name, (lo, hi) in ci.items():
            point = binary["metrics"][split][name]
            assert lo <= hi, name
            assert lo - 0.05 <= point <= hi + 0.05, (split, name, lo, point, hi)
    assert "train" not in binary["confidence_intervals"]


def test_binary_baselines_next_to_the_model(binary: dict[str, Any]) -> None:
    base, by_split = binary["baselines"], binary["baselines_by_split"]
    assert set(base) == set(by_split) == {"majority_class", "stratified", "logistic_regression"}
    for name in base:
        assert base[name] == by_split[name]["test"]
        for split in SPLITS:
            assert set(by_split[name][split]) == BINARY
    # the contract's shape: baselines.majority_class.accuracy, on the test split
    assert base["majority_class"]["balanced_accuracy"] == pytest.approx(0.5)
    assert base["majority_class"]["roc_auc"] == pytest.approx(0.5)
    assert base["logistic_regression"]["roc_auc"] > 0.7
    side_by_side = binary["model_vs_baselines"]
    assert set(side_by_side) == BINARY
    for name, row in side_by_side.items():
        assert row["model"] == binary["metrics"]["test"][name]
        assert row["logistic_regression"] == base["logistic_regression"][name]


def test_metric_selection_and_undefined_metrics(live: LiveService) -> None:
    """A weak model on 3% positives predicts no positives at 0.5: precision is undefined."""
    spec = quick(
        {"synthetic": {"n_samples": 3000, "weights": [0.97, 0.03], "class_sep": 0.3, "flip_y": 0}},
        metrics=["accuracy", "precision", "f1", "roc_auc"],
    )
    res = _succeeded(live, spec)
    for split in SPLITS:
        assert set(res["metrics"][split]) == {"accuracy", "precision", "f1", "roc_auc"}
    assert res["metrics"]["test"]["precision"] is None
    assert res["undefined_metrics"]["test.precision"] == "no positive predictions"
    assert all(v is None or isinstance(v, float) for v in res["metrics"]["test"].values())
    assert set(res["confidence_intervals"]["test"]) <= {"accuracy", "f1", "roc_auc"}


# --------------------------------------------------------------------------- multiclass


def test_multiclass_panel_per_split(multiclass: dict[str, Any]) -> None:
    assert multiclass["task"] == "multiclass" and multiclass["labels"] == list("abcde")
    for split in SPLITS:
        assert set(multiclass["metrics"][split]) == MULTICLASS, split
        m = multiclass["metrics"][split]
        assert m["top_3_accuracy"] >= m["top_2_accuracy"] >= m["accuracy"]
    assert multiclass["thresholds"] is None
    assert set(multiclass["per_class"]) == set("abcde")
    for row in multiclass["per_class"].values():
        assert {"precision", "recall", "f1", "support"} <= set(row)
    assert set(multiclass["baselines"]) == {"majority_class", "stratified", "logistic_regression"}
    for split in ("validation", "test"):
        assert {"accuracy", "balanced_accuracy", "f1"} <= set(
            multiclass["confidence_intervals"][split]
        )


def test_multiclass_confusion_matrix_keeps_absent_labels(multiclass: dict[str, Any]) -> None:
    counts = multiclass["data_summary"]["class_counts"]
    absent_somewhere = False
    for split, cm in multiclass["confusion_matrices"].items():
        assert cm["labels"] == list("abcde")
        assert len(cm["matrix"]) == 5 and all(len(r) == 5 for r in cm["matrix"])
        key = "train_before" if split == "train" else split
        assert [sum(r) for r in cm["matrix"]] == [counts[key][c] for c in "abcde"]
        if counts[key]["e"] == 0:
            absent_somewhere = True
            assert cm["matrix"][4] == [0] * 5 and cm["normalized"][4] == [None] * 5
    assert absent_somewhere
    assert multiclass["confusion_matrix"] == multiclass["confusion_matrices"]["test"]


def test_three_classes_get_no_top_k(live: LiveService) -> None:
    res = _succeeded(live, quick({"location": "builtin:iris"}, training={"epochs": 3}))
    assert res["task"] == "multiclass" and len(res["labels"]) == 3
    assert not any(name.startswith("top_") for name in res["metrics"]["test"])
