"""The planted-fault suite (issue 4): for each finding code, a small generated job that has
exactly that fault, run over real HTTP by the real worker; the finding must appear with the
right area at warning severity or above. Plus a clean job that must stay quiet, and Caravan
with and without SMOTE."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tests.support.live_service import LiveService
from tests.support.specs import assert_json_finite, example, quick

SEVERITY = {"info": 0, "warning": 1, "critical": 2}


def _csv(live: LiveService, name: str, cols: dict[str, Any]) -> str:
    keys = list(cols)
    n = len(cols[keys[0]])

    def cell(v: Any) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else f"{v:.6g}"
        return str(v)

    lines = [",".join(keys)] + [",".join(cell(cols[k][i]) for k in keys) for i in range(n)]
    return live.put_data(name, "\n".join(lines) + "\n")


def _leak_csv(live: LiveService) -> str:
    """Five noise features and one that is the target plus a whisper of noise."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    cols = {f"x{i}": rng.normal(size=400) for i in range(5)}
    cols["copy"] = y.astype(float) + rng.normal(0, 0.01, 400)
    return _csv(live, "planted_leak.csv", {**cols, "label": y})


def _unscaled_csv(live: LiveService) -> str:
    """Feature standard deviations of 1, 10 and 10,000."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    cols = {
        "small": rng.normal(0, 1, 400) + 0.5 * y,
        "big": rng.normal(0, 1e4, 400) + 5e3 * y,
        "mid": rng.normal(0, 10, 400),
    }
    return _csv(live, "planted_unscaled.csv", {**cols, "label": y})


def _quality_csv(live: LiveService) -> str:
    """Missing values (imputed), 60 duplicated rows and a constant column."""
    rng = np.random.default_rng(2)
    cols: dict[str, Any] = {f"x{i}": rng.normal(size=400) for i in range(4)}
    y = (cols["x0"] + rng.normal(0, 0.5, 400) > 0).astype(int)
    cols = {**cols, "const": np.ones(400), "label": y}
    dup = rng.choice(400, 60, replace=False)
    cols = {k: np.concatenate([v, v[dup]]) for k, v in cols.items()}
    x3 = cols["x3"].astype(float)
    x3[rng.choice(x3.size, 20, replace=False)] = np.nan
    cols["x3"] = x3
    return _csv(live, "planted_quality.csv", cols)


def _syn(**params: Any) -> dict[str, Any]:
    return {"synthetic": params}


WIDE = {"layers": [{"units": 512}, {"units": 512}]}

# code -> (area, spec factory); each spec trains in a few seconds on a CPU
PLANTED: dict[str, tuple[str, Callable[[LiveService], dict[str, Any]]]] = {
    "class_imbalance": (
        "data",
        lambda live: quick(
            _syn(n_samples=1000, weights=[0.88, 0.12], class_sep=2.0),
            balancing={"method": "class_weight"},
            training={"epochs": 10, "batch_size": 64},
        ),
    ),
    "accuracy_paradox": (
        "evaluation",
        lambda live: quick(_syn(n_samples=3000, weights=[0.97, 0.03], class_sep=0.3, flip_y=0)),
    ),
    "overfitting": (
        "architecture",
        lambda live: quick(
            _syn(n_samples=100, n_features=20, flip_y=0.1),
            model=WIDE,
            training={"epochs": 60, "batch_size": 16, "learning_rate": 0.003},
        ),
    ),
    "underfitting": (
        "architecture",
        lambda live: quick(
            _syn(n_samples=1000),
            primary_metric="balanced_accuracy",
            training={"epochs": 1, "optimizer": "sgd", "learning_rate": 1e-6},
        ),
    ),
    "not_converged": (
        "optimization",
        lambda live: quick(
            _syn(n_samples=1000), training={"epochs": 8, "learning_rate": 1e-4, "batch_size": 64}
        ),
    ),
    "stopped_too_early": (
        "hyperparameters",
        # the overfitting net with early stopping: val_loss is best at epoch 2
        lambda live: quick(
            _syn(n_samples=100, n_features=20, flip_y=0.1),
            model=WIDE,
            training={"epochs": 60, "batch_size": 16, "learning_rate": 0.003},
            callbacks={"early_stopping": {"monitor": "val_loss", "patience": 3}},
        ),
    ),
    "learning_rate_too_high": (
        "hyperparameters",
        # full-batch Adam at 0.5: the loss jumps up and recovers, without diverging
        lambda live: quick(
            _syn(n_samples=1000), training={"epochs": 20, "learning_rate": 0.5, "batch_size": 1024}
        ),
    ),
    "no_signal": ("data", lambda live: quick(_syn(n_samples=1000, flip_y=1.0))),
    "weaker_than_linear": (
        "architecture",
        lambda live: quick(
            _syn(n_samples=1000, n_clusters_per_class=1, class_sep=1.5),
            training={"epochs": 5, "learning_rate": 3e-4, "batch_size": 64},
        ),
    ),
    "few_samples": ("data", lambda live: quick(_syn(n_samples=60, n_features=20))),
    "leakage_suspected": (
        "data",
        lambda live: quick({"location": _leak_csv(live), "target": "label"}),
    ),
    "unscaled_features": (
        "data",
        lambda live: quick(
            {"location": _unscaled_csv(live), "target": "label"}, preprocessing={"scale": "none"}
        ),
    ),
    "threshold_mismatch": (
        "evaluation",
        # class weights of ~32:1 push every probability up: the best-F1 threshold is near 1
        lambda live: quick(
            _syn(n_samples=3000, weights=[0.97, 0.03], flip_y=0, class_sep=2.0),
            balancing={"method": "class_weight"},
            training={"epochs": 15, "batch_size": 64, "learning_rate": 0.003},
        ),
    ),
    "data_quality": (
        "data",
        lambda live: quick(
            {"location": _quality_csv(live), "target": "label"}, preprocessing={"impute": "mean"}
        ),
    ),
}


def _finding(findings: list[dict[str, Any]], code: str) -> dict[str, Any]:
    by_code = {f["code"]: f for f in findings}
    assert code in by_code, (
        f"{code} not found; got {[(f['code'], f['severity']) for f in findings]}"
    )
    return by_code[code]


def _check_shape(f: dict[str, Any]) -> None:
    assert f["severity"] in SEVERITY and f["message"] and f["suggestion"]
    assert isinstance(f["evidence"], dict) and f["evidence"]


@pytest.mark.parametrize("code", sorted(PLANTED))
def test_planted_fault_is_found(live: LiveService, code: str) -> None:
    area, make = PLANTED[code]
    status = live.run(make(live))
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    assert_json_finite(res)
    f = _finding(res["diagnosis"], code)
    _check_shape(f)
    assert f["area"] == area
    assert SEVERITY[f["severity"]] >= SEVERITY["warning"], f
    # ordered by severity, most severe first
    ranks = [SEVERITY[x["severity"]] for x in res["diagnosis"]]
    assert ranks == sorted(ranks, reverse=True)
    # the status carries the same findings as the result
    assert [x["code"] for x in status["diagnosis"]] == [x["code"] for x in res["diagnosis"]]


def test_data_quality_counts_duplicates_over_all_rows(live: LiveService) -> None:
    status = live.run(PLANTED["data_quality"][1](live))
    f = _finding(live.result(status["id"])["diagnosis"], "data_quality")
    ev = f["evidence"]
    assert ev["n_rows"] == 460 and ev["duplicate_share_of"] == "rows"
    assert ev["duplicate_share"] == pytest.approx(ev["duplicate_rows"] / 460, abs=1e-4)
    assert ev["missing_imputed"] == {"x3": 20} and ev["constant_columns"] == ["const"]


def test_diverged_job_fails_with_finding_and_history(live: LiveService) -> None:
    spec = quick(
        _syn(n_samples=500), training={"epochs": 10, "optimizer": "sgd", "learning_rate": 10}
    )
    status = live.run(spec)
    assert_json_finite(status)
    assert status["state"] == "failed"
    assert status["error"]["code"] == "diverged"
    f = _finding(status["diagnosis"], "diverged")
    _check_shape(f)
    assert f["area"] == "optimization" and f["severity"] == "critical"
    assert "learning_rate" in f["suggestion"]
    assert status["history"] and status["history"][0]["epoch"] == 1
    with live.client() as c:
        assert c.get(f"/v1/jobs/{status['id']}/result").status_code == 409


def test_clean_job_gets_nothing_above_info(live: LiveService) -> None:
    spec = {
        "data": {"location": "builtin:breast_cancer"},
        "preprocessing": {"scale": "standard"},
        "model": {"layers": [{"units": 32}]},
        "training": {"epochs": 60, "batch_size": 32},
        "callbacks": {
            "early_stopping": {"monitor": "val_loss", "patience": 5, "restore_best_weights": True}
        },
    }
    status = live.run(spec)
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    loud = [(f["code"], f["message"]) for f in res["diagnosis"] if f["severity"] != "info"]
    assert loud == []
    assert res["metrics"]["test"]["roc_auc"] > 0.97


# --------------------------------------------------------------------------- Caravan


@pytest.fixture(scope="module")
def caravan(live: LiveService) -> dict[str, dict[str, Any]]:
    out = {}
    for name in ("caravan-unbalanced", "caravan-smote"):
        status = live.run(example(name), timeout=400)
        assert status["state"] == "succeeded", status["error"]
        out[name] = live.result(status["id"])
    return out


def test_caravan_unbalanced_gets_accuracy_paradox(caravan: dict[str, dict[str, Any]]) -> None:
    res = caravan["caravan-unbalanced"]
    assert_json_finite(res)
    test = res["metrics"]["test"]
    assert test["accuracy"] == pytest.approx(0.94, abs=0.015)
    assert (test["f1"] or 0.0) < 0.2
    f = _finding(res["diagnosis"], "accuracy_paradox")
    assert f["area"] == "evaluation" and SEVERITY[f["severity"]] >= SEVERITY["warning"]
    assert '"smote"' in f["suggestion"]
    _finding(res["diagnosis"], "class_imbalance")


def test_caravan_smote_reports_logistic_baseline(caravan: dict[str, dict[str, Any]]) -> None:
    res = caravan["caravan-smote"]
    assert_json_finite(res)
    assert "accuracy_paradox" not in {f["code"] for f in res["diagnosis"]}
    base = res["baselines_by_split"]
    assert {"majority_class", "stratified", "logistic_regression"} <= set(res["baselines"])
    for split in ("validation", "test"):
        for name in ("roc_auc", "balanced_accuracy", "f1", "accuracy"):
            model = res["metrics"][split][name]
            linear = base["logistic_regression"][split][name]
            assert isinstance(model, float) and isinstance(linear, float), (split, name)
            assert 0.0 <= linear <= 1.0
            if split == "test":
                assert res["model_vs_baselines"][name] == {
                    "model": model,
                    **{b: res["baselines"][b][name] for b in res["baselines"]},
                }
    # trained on the same SMOTE-balanced rows, the linear model predicts the minority class
    assert res["baselines"]["logistic_regression"]["recall"] > 0.3
