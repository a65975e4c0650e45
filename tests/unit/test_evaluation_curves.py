"""ROC / PR / calibration curves: shapes, downsampling, degenerate input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn import metrics as skm

from tests.unit.test_evaluation_metric_panel import assert_json_safe
from workers.evaluation.curves import calibration, downsample_indices, pr_points, roc_points


def _data(n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, n)
    return y, np.clip(0.3 * y + 0.7 * rng.random(n), 0, 1)


def test_roc_points_downsampled_keep_endpoints() -> None:
    y, score = _data()
    fpr, tpr, _ = skm.roc_curve(y, score)
    assert fpr.size > 200
    roc = roc_points(y, score)
    assert roc["undefined"] is None
    assert len(roc["fpr"]) == len(roc["tpr"]) == len(roc["thresholds"]) <= 200
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert roc["thresholds"][0] == 1.0  # sklearn's +inf
    assert np.all(np.diff(roc["fpr"]) >= 0)
    # area under the downsampled curve is close to the exact AUC
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(
        skm.roc_auc_score(y, score), abs=0.01
    )
    json.dumps(roc, allow_nan=False)
    assert_json_safe(roc)


def test_pr_points_equal_lengths() -> None:
    y, score = _data()
    pr = pr_points(y, score)
    assert pr["undefined"] is None
    assert len(pr["precision"]) == len(pr["recall"]) == len(pr["thresholds"]) <= 200
    assert pr["recall"][0] == 1.0 and pr["recall"][-1] == 0.0 and pr["precision"][-1] == 1.0
    assert_json_safe(pr)


def test_small_curves_not_downsampled() -> None:
    roc = roc_points([0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8])
    fpr, _, _ = skm.roc_curve([0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8])
    assert roc["fpr"] == fpr.tolist()


def test_downsample_indices() -> None:
    idx = downsample_indices(1000, 200)
    assert idx[0] == 0 and idx[-1] == 999 and len(idx) <= 200
    assert list(downsample_indices(5, 200)) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("y,score", [([], []), ([0, 0, 0], [0.2, 0.5, 0.9])])
def test_degenerate_curves(y: list[int], score: list[float]) -> None:
    roc = roc_points(y, score)
    pr = pr_points(y, score)
    assert roc["fpr"] == [] and isinstance(roc["undefined"], str)
    assert pr["precision"] == [] and isinstance(pr["undefined"], str)
    cal = calibration(y, score)
    assert len(cal["bins"]) == 10
    assert_json_safe({"roc": roc, "pr": pr, "cal": cal})


def test_only_positives_roc_undefined_pr_defined() -> None:
    roc = roc_points([1, 1, 1], [0.2, 0.5, 0.9])
    pr = pr_points([1, 1, 1], [0.2, 0.5, 0.9])
    assert roc["undefined"] and pr["undefined"] is None
    assert_json_safe(pr)


def test_calibration_bins() -> None:
    y = np.array([0, 0, 1, 1, 1, 0])
    score = np.array([0.05, 0.15, 0.95, 1.0, 0.55, 0.51])
    cal = calibration(y, score, n_bins=10)
    bins = cal["bins"]
    assert [b["count"] for b in bins] == [1, 1, 0, 0, 0, 2, 0, 0, 0, 2]
    assert bins[9]["mean_predicted"] == pytest.approx(0.975)
    assert bins[9]["fraction_positive"] == 1.0
    assert bins[5]["fraction_positive"] == 0.5
    assert bins[2]["mean_predicted"] is None
    assert bins[0]["lower"] == 0.0 and bins[9]["upper"] == 1.0
    expected_ece = (0.05 + 0.15 + 2 * abs(0.975 - 1) + 2 * abs(0.53 - 0.5)) / 6
    assert cal["ece"] == pytest.approx(expected_ece)
    assert_json_safe(cal)
    assert calibration([], [])["ece"] is None
