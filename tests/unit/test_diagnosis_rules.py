"""Each diagnosis rule fires on a synthetic input with exactly its fault; a clean run is quiet."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from schemas.finding import Area, Finding, Severity
from workers.diagnosis import DiagnosisInput, DiagnosisSettings, diagnose

WARNING_OR_ABOVE = {Severity.warning, Severity.critical}


def _panel(roc: float, acc: float) -> dict[str, float | None]:
    return {"roc_auc": roc, "accuracy": acc, "balanced_accuracy": acc, "f1": acc}


def clean_history(epochs: int = 17, best: int = 12, rise: float = 0.004) -> list[dict[str, Any]]:
    """Smoothly falling training loss; val_loss best at `best`, then a gentle patience tail."""
    rows = []
    for e in range(1, epochs + 1):
        loss = 0.69 * 0.9 ** (e - 1)
        val = 0.70 * 0.92 ** (min(e, best) - 1) + rise * max(0, e - best)
        rows.append(
            {
                "epoch": e,
                "loss": loss,
                "val_loss": val,
                "learning_rate": 0.001,
                "accuracy": 0.6 + 0.02 * e,
                "val_accuracy": 0.6 + 0.015 * min(e, best),
            }
        )
    return rows


def clean() -> DiagnosisInput:
    chance = {
        s: {"roc_auc": 0.5, "accuracy": 0.5, "balanced_accuracy": 0.5, "f1": 0.5}
        for s in ("train", "validation", "test")
    }
    return DiagnosisInput(
        task="binary",
        primary_metric="roc_auc",
        class_counts_train={"no": 500, "yes": 480},
        balancing_method="none",
        n_train_rows=980,
        n_features=20,
        metrics={
            "train": _panel(0.95, 0.90),
            "validation": _panel(0.92, 0.87),
            "test": _panel(0.92, 0.86),
        },
        confidence_intervals={
            "validation": {"roc_auc": [0.89, 0.95]},
            "test": {"roc_auc": [0.89, 0.95]},
        },
        baselines={
            "majority_class": chance,
            "stratified": chance,
            "logistic_regression": {
                "validation": _panel(0.90, 0.84),
                "test": _panel(0.91, 0.85),
            },
        },
        history=clean_history(),
        early_stopping_enabled=True,
        early_stopping_monitor="val_loss",
        patience=5,
        stopped_early=True,
        best_epoch=12,
        epochs_requested=50,
        diverged=False,
        learning_rate=0.001,
        optimizer="adam",
        scaling="standard",
        feature_scale_ratio=3.0,
        single_feature_auc={"a": 0.71, "b": 0.64, "c": 0.55},
        missing_imputed={},
        duplicate_rows=0,
        cross_split_duplicates=0,
        constant_columns=[],
        best_f1_threshold=0.47,
        dropout_in_model=True,
        l2_in_model=False,
    )


def with_metric(inp: DiagnosisInput, split: str, **values: float | None) -> DiagnosisInput:
    metrics = {k: dict(v) for k, v in inp.metrics.items()}
    metrics.setdefault(split, {}).update(values)
    return replace(inp, metrics=metrics)


def find(findings: list[Finding], code: str) -> Finding:
    matches = [f for f in findings if f.code == code]
    assert matches, f"{code} not in {[f.code for f in findings]}"
    return matches[0]


def assert_fires(inp: DiagnosisInput, code: str, area: Area) -> Finding:
    findings = diagnose(inp)
    f = find(findings, code)
    assert f.area == area
    assert f.severity in WARNING_OR_ABOVE
    assert f.message and f.suggestion and f.evidence
    json.dumps([x.model_dump(mode="json") for x in findings], allow_nan=False)
    return f


# --------------------------------------------------------------------------- clean


def test_clean_run_has_no_finding_above_info() -> None:
    findings = diagnose(clean())
    assert [f for f in findings if f.severity != Severity.info] == []


def test_clean_multiclass_with_many_balanced_classes_is_not_imbalanced() -> None:
    inp = replace(
        clean(),
        task="multiclass",
        primary_metric="balanced_accuracy",
        class_counts_train={str(i): 100 for i in range(10)},
        n_train_rows=1000,
        best_f1_threshold=None,
    )
    assert "class_imbalance" not in {f.code for f in diagnose(inp)}


# --------------------------------------------------------------------------- data


def test_class_imbalance_warning_suggests_balancing() -> None:
    inp = replace(clean(), class_counts_train={"no": 880, "yes": 100}, best_f1_threshold=0.45)
    f = assert_fires(inp, "class_imbalance", Area.data)
    assert f.severity == Severity.warning
    assert '"balancing": {"method": "smote"}' in f.suggestion
    assert f.evidence["minority_class"] == "yes"
    assert f.evidence["minority_share"] == round(100 / 980, 4)


def test_class_imbalance_critical_and_already_balanced() -> None:
    inp = replace(clean(), class_counts_train={"no": 950, "yes": 30}, balancing_method="smote")
    f = assert_fires(inp, "class_imbalance", Area.data)
    assert f.severity == Severity.critical
    assert "balanced_accuracy" in f.suggestion
    assert '"method": "smote"}' not in f.suggestion


def test_no_signal_with_ci() -> None:
    inp = with_metric(clean(), "validation", roc_auc=0.53)
    ci = {"validation": {"roc_auc": [0.46, 0.60]}, "test": {"roc_auc": [0.46, 0.60]}}
    inp = replace(inp, confidence_intervals=ci)
    f = assert_fires(inp, "no_signal", Area.data)
    assert f.severity == Severity.critical
    assert f.evidence["baseline_value"] == 0.5


def test_no_signal_without_ci() -> None:
    inp = replace(with_metric(clean(), "validation", roc_auc=0.51), confidence_intervals={})
    assert_fires(inp, "no_signal", Area.data)


def test_few_samples_rows_per_feature() -> None:
    inp = replace(clean(), n_train_rows=60, n_features=40, class_counts_train={"a": 30, "b": 30})
    f = assert_fires(inp, "few_samples", Area.data)
    assert f.evidence["rows_per_feature"] == 1.5


def test_few_samples_small_class() -> None:
    inp = replace(clean(), class_counts_train={"a": 500, "b": 300, "c": 12}, task="multiclass")
    f = assert_fires(inp, "few_samples", Area.data)
    assert f.evidence["small_classes"] == {"c": 12}


def test_leakage_names_the_feature() -> None:
    inp = replace(clean(), single_feature_auc={"a": 0.7, "customer_id_hash": 0.9995})
    f = assert_fires(inp, "leakage_suspected", Area.data)
    assert f.severity == Severity.critical
    assert '"drop": ["customer_id_hash"]' in f.suggestion
    assert list(f.evidence["features"]) == ["customer_id_hash"]


def test_unscaled_features() -> None:
    inp = replace(clean(), scaling="none", feature_scale_ratio=5000.0)
    f = assert_fires(inp, "unscaled_features", Area.data)
    assert '"scale": "standard"' in f.suggestion


def test_unscaled_ratio_ignored_when_scaled() -> None:
    inp = replace(clean(), scaling="standard", feature_scale_ratio=5000.0)
    assert "unscaled_features" not in {f.code for f in diagnose(inp)}


def test_data_quality_info_and_warning() -> None:
    info = replace(clean(), missing_imputed={"age": 12}, constant_columns=["flag"])
    f = find(diagnose(info), "data_quality")
    assert f.area == Area.data and f.severity == Severity.info
    assert '"drop": ["flag"]' in f.suggestion

    warn = replace(clean(), cross_split_duplicates=3)
    assert find(diagnose(warn), "data_quality").severity == Severity.warning

    many_dups = replace(clean(), duplicate_rows=100)  # > 5% of 980
    assert find(diagnose(many_dups), "data_quality").severity == Severity.warning


# --------------------------------------------------------------------------- evaluation


def test_accuracy_paradox() -> None:
    inp = with_metric(clean(), "test", accuracy=0.935, balanced_accuracy=0.55, f1=0.1)
    baselines = dict(clean().baselines)
    baselines["majority_class"] = {"test": {"accuracy": 0.94, "roc_auc": 0.5}}
    inp = replace(inp, baselines=baselines)
    f = assert_fires(inp, "accuracy_paradox", Area.evaluation)
    assert f.severity == Severity.critical
    assert "best_f1" in f.suggestion and "balanced_accuracy" in f.suggestion


def test_accuracy_paradox_needs_a_dominant_majority_class() -> None:
    """On balanced data a chance-level model matches the majority baseline, but accuracy does
    not flatter it: that is no_signal, not the accuracy paradox."""
    inp = with_metric(clean(), "test", accuracy=0.5, balanced_accuracy=0.5, f1=0.4)
    baselines = dict(clean().baselines)
    baselines["majority_class"] = {"test": {"accuracy": 0.5, "roc_auc": 0.5}}
    inp = replace(inp, baselines=baselines)
    assert "accuracy_paradox" not in {f.code for f in diagnose(inp)}


def test_threshold_mismatch() -> None:
    inp = replace(clean(), class_counts_train={"no": 850, "yes": 130}, best_f1_threshold=0.18)
    f = assert_fires(inp, "threshold_mismatch", Area.evaluation)
    assert '"decision_threshold": "best_f1"' in f.suggestion
    assert f.evidence["best_f1_threshold"] == 0.18


def test_threshold_mismatch_needs_imbalance() -> None:
    inp = replace(clean(), best_f1_threshold=0.1)
    assert "threshold_mismatch" not in {f.code for f in diagnose(inp)}


# --------------------------------------------------------------------------- architecture


def test_overfitting_from_metric_gap() -> None:
    inp = with_metric(clean(), "train", roc_auc=0.999)
    inp = with_metric(inp, "validation", roc_auc=0.85)
    f = assert_fires(inp, "overfitting", Area.architecture)
    assert f.evidence["gap"] == pytest.approx(0.149, abs=1e-4)
    assert "dropout" in f.suggestion


def overfit_history(epochs: int = 30, best: int = 10) -> list[dict[str, Any]]:
    rows = []
    for e in range(1, epochs + 1):
        val = 0.6 - 0.02 * min(e, best) + 0.015 * max(0, e - best)
        rows.append({"epoch": e, "loss": 0.7 * 0.93 ** (e - 1), "val_loss": val})
    return rows


def test_overfitting_from_rising_val_loss_without_early_stopping() -> None:
    inp = replace(
        clean(),
        history=overfit_history(),
        early_stopping_enabled=False,
        stopped_early=False,
        best_epoch=None,
        epochs_requested=30,
    )
    f = assert_fires(inp, "overfitting", Area.architecture)
    assert f.evidence["best_val_loss_epoch"] == 10
    assert "epoch 10" in f.suggestion
    assert "early_stopping" in f.suggestion


def test_patience_tail_is_not_overfitting() -> None:
    # early stopping on val_loss with a long patience: the tail after best is expected
    inp = replace(clean(), history=overfit_history(epochs=22, best=10), patience=12, best_epoch=10)
    assert "overfitting" not in {f.code for f in diagnose(inp)}
    # the default clean run: best at 12, stopped at 17 with patience 5
    assert "overfitting" not in {f.code for f in diagnose(clean())}


def test_flat_val_loss_after_its_minimum_is_not_overfitting() -> None:
    """A plateau sits above its own minimum by noise only; a rise must be real."""
    history = [
        {"epoch": e, "loss": 0.7 * 0.93 ** (e - 1), "val_loss": 0.325 + 0.0003 * (-1) ** e}
        for e in range(1, 21)
    ]
    inp = replace(
        clean(), history=history, early_stopping_enabled=False, stopped_early=False, best_epoch=None
    )
    assert "overfitting" not in {f.code for f in diagnose(inp)}


def test_rising_val_loss_needs_more_than_n_epochs() -> None:
    """More than overfit_rising_epochs (5) epochs after the minimum: 5 is not enough."""
    base = replace(clean(), early_stopping_enabled=False, stopped_early=False, best_epoch=None)
    five = replace(base, history=overfit_history(epochs=15, best=10))
    six = replace(base, history=overfit_history(epochs=16, best=10))
    assert "overfitting" not in {f.code for f in diagnose(five)}
    assert_fires(six, "overfitting", Area.architecture)


def test_overfitting_gap_is_judged_at_the_best_epoch() -> None:
    """Final weights far past the best epoch overfit; at the best epoch the gap is small."""
    late = with_metric(clean(), "train", roc_auc=0.999)
    late = with_metric(late, "validation", roc_auc=0.85)
    at_best = {"epoch": 12, "train": {"roc_auc": 0.95}, "validation": {"roc_auc": 0.92}}
    assert "overfitting" not in {
        f.code for f in diagnose(replace(late, metrics_at_best_epoch=at_best))
    }
    wide = {"epoch": 12, "train": {"roc_auc": 0.99}, "validation": {"roc_auc": 0.80}}
    f = assert_fires(replace(clean(), metrics_at_best_epoch=wide), "overfitting", Area.architecture)
    assert f.evidence["gap_epoch"] == 12
    assert "best epoch (12)" in f.message


def test_underfitting() -> None:
    inp = with_metric(clean(), "train", roc_auc=0.53)
    inp = with_metric(inp, "validation", roc_auc=0.52)
    f = assert_fires(inp, "underfitting", Area.architecture)
    assert f.evidence["baseline_split"] == "train"
    assert "epochs" in f.suggestion and "learning_rate" in f.suggestion


def test_underfitting_falls_back_to_validation_baselines() -> None:
    chance = {"validation": {"roc_auc": 0.5}, "test": {"roc_auc": 0.5}}
    inp = replace(
        with_metric(clean(), "train", roc_auc=0.52),
        baselines={"majority_class": chance, "stratified": chance},
    )
    f = assert_fires(inp, "underfitting", Area.architecture)
    assert f.evidence["baseline_split"] == "validation"


def test_weaker_than_linear() -> None:
    baselines = dict(clean().baselines)
    baselines["logistic_regression"] = {"test": {"roc_auc": 0.97}}
    inp = replace(clean(), baselines=baselines)
    f = assert_fires(inp, "weaker_than_linear", Area.architecture)
    assert f.evidence["logistic_regression"] == 0.97 and f.evidence["model"] == 0.92
    assert "0.970" in f.message and "0.920" in f.message


def test_weaker_than_linear_respects_ci_half_width() -> None:
    baselines = dict(clean().baselines)
    baselines["logistic_regression"] = {"test": {"roc_auc": 0.945}}
    inp = replace(clean(), baselines=baselines)  # lead 0.025 < CI half width 0.03
    assert "weaker_than_linear" not in {f.code for f in diagnose(inp)}


# --------------------------------------------------------------------------- optimization


@pytest.mark.parametrize(
    "history, flag",
    [
        ([{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": float("nan")}], False),
        ([{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": float("inf")}], False),
        ([{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": 3.0}, {"epoch": 3, "loss": 9.0}], False),
        ([{"epoch": 1, "loss": 0.7}], True),
    ],
)
def test_diverged(history: list[dict[str, Any]], flag: bool) -> None:
    inp = replace(clean(), history=history, diverged=flag, stopped_early=False, learning_rate=0.1)
    f = assert_fires(inp, "diverged", Area.optimization)
    assert f.severity == Severity.critical
    assert '"learning_rate": 0.01' in f.suggestion


def test_diverged_suggests_adam_for_sgd() -> None:
    inp = replace(clean(), diverged=True, optimizer="sgd")
    assert '"optimizer": "adam"' in find(diagnose(inp), "diverged").suggestion


def test_not_converged() -> None:
    history = [
        {"epoch": e, "loss": 0.7 * 0.97**e, "val_loss": 0.72 * 0.97**e} for e in range(1, 21)
    ]
    inp = replace(
        clean(),
        history=history,
        early_stopping_enabled=False,
        stopped_early=False,
        best_epoch=None,
        epochs_requested=20,
    )
    f = assert_fires(inp, "not_converged", Area.optimization)
    assert '"epochs": 40' in f.suggestion


def test_plateau_is_converged() -> None:
    history = [
        {"epoch": e, "loss": 0.3 + 0.4 * 0.5**e, "val_loss": 0.32 + 0.4 * 0.5**e}
        for e in range(1, 31)
    ]
    inp = replace(clean(), history=history, early_stopping_enabled=False, stopped_early=False)
    assert "not_converged" not in {f.code for f in diagnose(inp)}


# --------------------------------------------------------------------------- hyperparameters


def test_stopped_too_early() -> None:
    inp = replace(clean(), history=clean_history(epochs=6, best=1), best_epoch=1)
    f = assert_fires(inp, "stopped_too_early", Area.hyperparameters)
    assert '"patience": 10' in f.suggestion
    assert "learning_rate" in f.suggestion


def test_stopped_too_early_only_for_best_epoch_one_or_two() -> None:
    two = replace(clean(), history=clean_history(epochs=7, best=2), best_epoch=2)
    three = replace(clean(), history=clean_history(epochs=8, best=3), best_epoch=3)
    assert_fires(two, "stopped_too_early", Area.hyperparameters)
    assert "stopped_too_early" not in {f.code for f in diagnose(three)}


def test_few_samples_boundaries() -> None:
    """Fewer than 5 rows per feature, fewer than 20 rows in a class: the limits are quiet."""
    at_limits = replace(
        clean(), n_train_rows=100, n_features=20, class_counts_train={"a": 80, "b": 20}
    )
    assert "few_samples" not in {f.code for f in diagnose(at_limits)}
    below = replace(at_limits, class_counts_train={"a": 81, "b": 19})
    assert_fires(below, "few_samples", Area.data)
    assert_fires(replace(at_limits, n_features=21), "few_samples", Area.data)


def test_class_imbalance_boundary() -> None:
    """Under 20% minority share is imbalanced; exactly 20% is not."""
    at = replace(clean(), class_counts_train={"no": 800, "yes": 200})
    assert "class_imbalance" not in {f.code for f in diagnose(at)}
    assert_fires(
        replace(clean(), class_counts_train={"no": 801, "yes": 199}), "class_imbalance", Area.data
    )


def test_learning_rate_too_high() -> None:
    losses = [0.70, 0.50, 0.66, 0.45, 0.62, 0.44, 0.63, 0.42, 0.60, 0.43]
    history = [{"epoch": i + 1, "loss": v, "val_loss": v + 0.05} for i, v in enumerate(losses)]
    inp = replace(clean(), history=history, best_epoch=8)
    f = assert_fires(inp, "learning_rate_too_high", Area.hyperparameters)
    assert f.evidence["flip_share"] > 0.5
    assert "lr_schedule" in f.suggestion


def test_small_wiggles_are_not_oscillation() -> None:
    losses = [0.500, 0.498, 0.499, 0.497, 0.498, 0.496, 0.497, 0.495]
    history = [{"epoch": i + 1, "loss": v} for i, v in enumerate(losses)]
    inp = replace(clean(), history=history)
    assert "learning_rate_too_high" not in {f.code for f in diagnose(inp)}


# --------------------------------------------------------------------------- settings


def test_settings_override_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    inp = with_metric(clean(), "train", roc_auc=0.999)
    inp = with_metric(inp, "validation", roc_auc=0.85)
    monkeypatch.setenv("DIAGNOSIS_OVERFIT_GAP", "0.2")
    assert "overfitting" not in {f.code for f in diagnose(inp)}
    assert "overfitting" in {f.code for f in diagnose(inp, DiagnosisSettings(overfit_gap=0.1))}


def test_settings_have_bounds_and_descriptions() -> None:
    for name, field in DiagnosisSettings.model_fields.items():
        assert field.description, name
        assert field.metadata, f"{name} has no bounds"
    with pytest.raises(ValueError):
        DiagnosisSettings(imbalance_share=1.5)
