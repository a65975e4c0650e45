"""The training pipeline: load → split → fit preprocessing and balancing on the training part →
build → fit with callbacks → evaluate → diagnose. Imported only inside worker children."""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import joblib
import keras
import numpy as np
import sklearn
import tensorflow as tf

from schemas.job_spec import MAX_MODEL_PARAMETERS, JobSpec, model_parameters
from schemas.metric_names import monitor_mode
from workers.diagnosis import DiagnosisInput, diagnose
from workers.diagnosis.settings import get_diagnosis_settings
from workers.evaluation.baselines import baseline_probas, logistic_regression_probas
from workers.evaluation.metric_panel import compute_panel
from workers.evaluation.panel_report import evaluate_splits, select_metrics
from workers.settings import WorkerSettings
from workers.training.balancing import Balanced, balance
from workers.training.callbacks import (
    BestEpochWeights,
    JobGuard,
    early_stopping,
    schedule_callback,
)
from workers.training.data_evidence import class_counts
from workers.training.data_sources import DatasetLookup
from workers.training.errors import JobFailure
from workers.training.model_builder import build_model, compile_model
from workers.training.prepared_data import prepare_data
from workers.training.run_state import RunState
from workers.training.target import Target

UNTRAINED_LOSS_ROWS = 4096
BUNDLE_README = """\
model.keras           the trained Keras model
preprocessing.joblib  the preprocessing fitted on the training split, the labels, the threshold
spec.json             the job spec

Unpickling preprocessing.joblib needs this service's Python package (its workers.* modules),
installed from the service's repository with `pip install .`. Then:

    import joblib, keras
    from workers.prediction import model_input

    bundle = joblib.load("preprocessing.joblib")
    model = keras.saving.load_model("model.keras", compile=False)
    rows = [{"column": "value", ...}]     # or a DataFrame's .to_dict("records")
    p = model.predict(model_input(bundle, rows))

Binary jobs: p is P(bundle["labels"][1]), the positive label; predict it where
p >= bundle["threshold"]. Multiclass jobs: p has one column per label in bundle["labels"].
"""
PREDICT_BATCH = 8192


@dataclass
class Hooks:
    """How the pipeline talks to the job and its store: epochs out, cancel flag and the
    caller's uploads in."""

    on_epoch: Callable[[dict[str, Any]], None]
    cancel_requested: Callable[[], bool]
    deadline: float  # time.monotonic() value
    find_dataset: DatasetLookup


class TrainingStopped(Exception):
    """Training was stopped by cancel or timeout; the history so far is kept."""

    def __init__(self, reason: str, detail: str, findings: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.findings = findings


def _predict_proba(model: keras.Model, X: np.ndarray, n_classes: int) -> np.ndarray:
    if len(X) == 0:
        return np.empty((0, n_classes))
    p = np.asarray(model.predict(X, batch_size=PREDICT_BATCH, verbose=0), dtype=np.float64)
    if n_classes == 2:
        p1 = p.reshape(-1)
        return np.column_stack([1 - p1, p1])
    return p


def _untrained_loss(model: keras.Model, X: np.ndarray, y: np.ndarray, seed: int) -> float | None:
    """The loss before any update, on a sample of the training rows: the yardstick for divergence."""
    idx = np.arange(len(y))
    if len(idx) > UNTRAINED_LOSS_ROWS:
        idx = np.random.default_rng(seed).choice(idx, UNTRAINED_LOSS_ROWS, replace=False)
    result = model.evaluate(X[idx], y[idx], batch_size=PREDICT_BATCH, verbose=0, return_dict=True)
    loss = float(result["loss"])
    return loss if np.isfinite(loss) and loss > 0 else None


def _versions() -> dict[str, str]:
    import imblearn

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikit-learn": sklearn.__version__,
        "imbalanced-learn": imblearn.__version__,
        "numpy": np.__version__,
    }


def _best_epoch_tracker(spec: JobSpec) -> BestEpochWeights | None:
    """None when early stopping restores the best weights itself: the final model is the
    best epoch's then."""
    es = spec.callbacks.early_stopping
    if es is None:
        return BestEpochWeights(monitor="val_loss", mode="min")
    if es.restore_best_weights:
        return None
    mode = monitor_mode(es.monitor) if es.mode == "auto" else es.mode
    return BestEpochWeights(monitor=es.monitor, mode=mode, min_delta=es.min_delta)


def _diagnosis_input(
    spec: JobSpec, target: Target | None, extra: dict[str, Any], history: list[dict[str, Any]]
) -> DiagnosisInput:
    es = spec.callbacks.early_stopping
    base: dict[str, Any] = {
        "task": target.task if target else None,
        "primary_metric": spec.primary_metric,
        "balancing_method": spec.balancing.method,
        "scaling": spec.preprocessing.scale,
        "history": history,
        "early_stopping_enabled": es is not None,
        "early_stopping_monitor": es.monitor if es else None,
        "patience": es.patience if es else None,
        "epochs_requested": spec.training.epochs,
        "learning_rate": spec.training.learning_rate,
        "optimizer": spec.training.optimizer,
        "dropout_in_model": any(layer.dropout > 0 for layer in spec.model.layers),
        "l2_in_model": any(layer.l2 > 0 for layer in spec.model.layers),
    }
    base.update(extra)
    return DiagnosisInput.from_mapping(base)


def _findings(inp: DiagnosisInput) -> list[dict[str, Any]]:
    return [f.model_dump(mode="json") for f in diagnose(inp, get_diagnosis_settings())]


def _undefined_training_metrics(
    spec: JobSpec, target: Target, y_fit: np.ndarray, y_va: np.ndarray, notes: list[str]
) -> frozenset[str]:
    """Keras logs an AUC of 0 for a split with one class; it is undefined. Without a
    stratified split validation can lack a class: such a metric is null in the history, and
    no callback may steer by it."""
    if target.task != "binary":
        return frozenset()
    undefined = {
        name for name, y in (("roc_auc", y_fit), ("val_roc_auc", y_va)) if len(np.unique(y)) < 2
    }
    if not undefined:
        return frozenset()
    es, sched = spec.callbacks.early_stopping, spec.callbacks.lr_schedule
    watched = [
        (field, monitor)
        for field, monitor in (
            ("callbacks.early_stopping.monitor", es.monitor if es else None),
            ("callbacks.lr_schedule.monitor", getattr(sched, "monitor", None)),
        )
        if monitor in undefined
    ]
    if watched:
        field, monitor = watched[0]
        raise JobFailure(
            "monitor_undefined",
            f"{field} is {monitor!r}, but the {'validation' if monitor.startswith('val_') else 'training'} "
            "split holds a single class, so that AUC is undefined at every epoch.",
            "Monitor val_loss, or set split.stratify: true so that every split holds both classes.",
            monitor=monitor,
        )
    notes.append(
        f"{', '.join(sorted(undefined))} is null in the history: its split holds a single class "
        "(split.stratify is off)."
    )
    return frozenset(undefined)


def _metrics_at_best_epoch(
    model: keras.Model,
    tracker: BestEpochWeights | None,
    best_epoch: int | None,
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    task: str,
    labels: list[str],
    positive_index: int,
    threshold: float,
    metric: str,
) -> dict[str, Any] | None:
    """The primary metric per split with the best epoch's weights, when the final model holds
    other weights (overfitting is judged at the best epoch, not after the patience tail)."""
    if (
        tracker is None
        or tracker.best_weights is None
        or best_epoch is None
        or tracker.best_epoch != best_epoch
    ):
        return None
    final = model.get_weights()
    model.set_weights(tracker.best_weights)
    try:
        probas = {name: _predict_proba(model, X, len(labels)) for name, (_, X) in splits.items()}
    finally:
        model.set_weights(final)
    out: dict[str, Any] = {"epoch": best_epoch}
    for name, (y, _) in splits.items():
        panel = compute_panel(
            y,
            probas[name],
            task=task,  # type: ignore[arg-type]
            labels=labels,
            positive_index=positive_index,
            threshold=threshold,
            selected=[metric],
        )
        out[name] = panel.metrics
    return out


def train_and_evaluate(
    spec: JobSpec, settings: WorkerSettings, hooks: Hooks, artifacts_dir: Path
) -> dict[str, Any]:
    """Run the whole job and return its result; raise JobFailure or TrainingStopped otherwise.
    Either carries the findings known at that point."""
    state = RunState()
    try:
        return _run(spec, settings, hooks, artifacts_dir, state)
    except JobFailure as exc:
        exc.findings = _findings(
            _diagnosis_input(spec, state.target, state.evidence, state.history)
        )
        raise


def _run(
    spec: JobSpec, settings: WorkerSettings, hooks: Hooks, artifacts_dir: Path, state: RunState
) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    seed = spec.seed
    keras.utils.set_random_seed(seed)
    notes: list[str] = []
    evidence = state.evidence
    prep = prepare_data(spec, settings, state, hooks.find_dataset)
    timings["load_seconds"] = prep.load_seconds
    target, pre = prep.target, prep.preprocessor
    notes += prep.notes
    if prep.encoding not in (None, "utf8"):
        notes.append(
            f"The file is not UTF-8; it was read as {prep.encoding}. If text in labels or "
            "categories looks garbled, save the file as UTF-8."
        )
    if target.stripped:
        notes.append(
            f"{target.stripped} target value(s) had spaces around them, removed: "
            f"{prep.target_name!r} is read as {', '.join(map(repr, target.labels[:10]))}."
        )
    y_tr, y_va, y_te = prep.y_train, prep.y_validation, prep.y_test
    M_tr, M_va, M_te = prep.train_matrix, prep.validation_matrix, prep.test_matrix
    balanced: Balanced = balance(
        spec.balancing, M_tr, y_tr, target.labels, categorical=pre.categorical_positions, seed=seed
    )
    notes += balanced.notes
    pre.fit_encoder(balanced.X)
    X_fit = pre.encode(balanced.X)
    X_tr, X_va, X_te = pre.encode(M_tr), pre.encode(M_va), pre.encode(M_te)
    evidence["n_features"] = X_fit.shape[1]
    for X in (X_fit, X_va, X_te):
        if not np.isfinite(X).all():
            finite = np.isfinite(X).all(axis=0)
            bad = [n for n, ok in zip(pre.feature_names, finite, strict=True) if not ok]
            raise JobFailure(
                "non_finite_features",
                f"Scaled, column(s) {', '.join(bad[:10])} overflow the model's 32-bit inputs: "
                "some values lie far outside the training split's range.",
                "Rescale these columns (a log, or smaller units), or drop them with data.drop.",
                columns=bad[:50],
            )
    timings["prepare_seconds"] = time.perf_counter() - t0 - prep.load_seconds

    # --- build and fit ----------------------------------------------------------------------
    t = time.perf_counter()
    k = len(target.labels)
    n_weights = model_parameters(
        spec.model.layers, n_features=X_fit.shape[1], n_outputs=1 if k == 2 else k
    )
    if n_weights > MAX_MODEL_PARAMETERS:
        raise JobFailure(
            "model_too_large",
            f"With {X_fit.shape[1]} input features (after one-hot encoding), model.layers has "
            f"{n_weights:,} weights; at most {MAX_MODEL_PARAMETERS:,} are trained.",
            "Use fewer units in model.layers[0], or fewer features (data.features / data.drop; "
            "high-cardinality columns expand most).",
            parameters=n_weights,
        )
    model = build_model(spec.model, n_features=X_fit.shape[1], n_classes=k)
    compile_model(model, spec.training, n_classes=k)
    callbacks: list[keras.callbacks.Callback] = []
    sched = schedule_callback(spec.callbacks, spec.training.learning_rate, spec.training.epochs)
    if sched is not None:
        callbacks.append(sched)
    es_cb = early_stopping(spec.callbacks.early_stopping) if spec.callbacks.early_stopping else None
    if es_cb is not None:
        callbacks.append(es_cb)
    tracker = _best_epoch_tracker(spec)
    if tracker is not None:
        callbacks.append(tracker)
    undefined_logs = _undefined_training_metrics(spec, target, balanced.y, y_va, notes)
    guard = JobGuard(
        undefined_logs=undefined_logs,
        on_epoch=hooks.on_epoch,
        cancel_requested=hooks.cancel_requested,
        deadline=hooks.deadline,
        untrained_loss=_untrained_loss(model, X_fit, balanced.y, seed),
        divergence_factor=get_diagnosis_settings().diverge_loss_factor,
    )
    callbacks.append(guard)
    model.fit(
        X_fit,
        balanced.y,
        validation_data=(X_va, y_va),
        epochs=spec.training.epochs,
        batch_size=spec.training.batch_size,
        class_weight=balanced.class_weight,
        callbacks=callbacks,
        shuffle=True,
        verbose=0,
    )
    history = state.history = guard.state.history
    timings["fit_seconds"] = time.perf_counter() - t
    if guard.state.stop_reason == "diverged":
        evidence["diverged"] = True
        raise JobFailure(
            "diverged",
            f"Training diverged: {guard.state.detail}.",
            f"Lower training.learning_rate (try {spec.training.learning_rate / 10:g}) or set "
            "training.clipnorm (e.g. 1.0)"
            + (", or use optimizer adam." if spec.training.optimizer == "sgd" else "."),
        )
    if guard.state.stop_reason in ("canceled", "timeout"):
        raise TrainingStopped(
            guard.state.stop_reason,
            guard.state.detail,
            _findings(_diagnosis_input(spec, target, evidence, history)),
        )

    # --- evaluate ------------------------------------------------------------------------------
    t = time.perf_counter()
    primary = spec.primary_metric or ("roc_auc" if target.task == "binary" else "balanced_accuracy")
    P_tr, P_va, P_te = (_predict_proba(model, X, k) for X in (X_tr, X_va, X_te))
    splits = {"train": (y_tr, P_tr), "validation": (y_va, P_va), "test": (y_te, P_te)}
    baseline_p: dict[str, dict[str, np.ndarray]] = {
        kind: {
            name: baseline_probas(y_tr, len(yy), k, kind=kind, seed=seed)
            for name, (yy, _) in splits.items()
        }
        for kind in ("majority_class", "stratified")
    }
    lr_p = logistic_regression_probas(
        X_fit,
        balanced.y,
        [X_tr, X_va, X_te],
        seed=seed,
        n_classes=k,
        class_weight=balanced.class_weight,
    )
    baseline_p["logistic_regression"] = dict(
        zip(("train", "validation", "test"), lr_p, strict=True)
    )
    selected = None if spec.metrics == "all" else spec.metrics
    evaluation = evaluate_splits(
        task=target.task,  # type: ignore[arg-type]
        labels=target.labels,
        positive_index=target.positive_index if target.positive_index is not None else 1,
        splits=splits,
        decision_threshold=spec.decision_threshold,
        selected=selected,
        baseline_probas=baseline_p,
        n_resamples=settings.bootstrap_resamples,
        seed=seed,
        primary_metric=primary,
    )
    timings["evaluate_seconds"] = time.perf_counter() - t

    thresholds = evaluation.get("thresholds") or {}
    es_spec = spec.callbacks.early_stopping
    if es_cb is not None and es_spec is not None:
        best_epoch: int | None = int(es_cb.best_epoch) + 1 if history else None
        stopped_early = bool(es_cb.stopped_epoch > 0)
        restored = bool(es_spec.restore_best_weights and es_cb.best_weights is not None)
    else:
        best_epoch = tracker.best_epoch if tracker is not None else None
        stopped_early = False
        restored = False
    decision = thresholds.get("decision_threshold") if isinstance(thresholds, dict) else None
    at_best = _metrics_at_best_epoch(
        model,
        tracker,
        best_epoch if not restored and best_epoch != len(history) else None,
        {"train": (y_tr, X_tr), "validation": (y_va, X_va)},
        task=target.task,
        labels=target.labels,
        positive_index=target.positive_index if target.positive_index is not None else 1,
        threshold=float(decision) if decision is not None else 0.5,
        metric=primary,
    )
    best_f1 = (
        (thresholds.get("best_f1") or {}).get("threshold") if isinstance(thresholds, dict) else None
    )
    evidence.update(
        metrics=evaluation["metrics"],
        confidence_intervals=evaluation["confidence_intervals"],
        baselines=evaluation["baselines_by_split"],
        best_f1_threshold=best_f1,
        stopped_early=stopped_early,
        best_epoch=best_epoch,
        metrics_at_best_epoch=at_best,
    )
    findings = _findings(_diagnosis_input(spec, target, evidence, history))

    # --- keep the model and its preprocessing ------------------------------------------------
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    model.save(artifacts_dir / "model.keras")
    joblib.dump(
        {
            "preprocessor": pre,
            "labels": target.labels,
            "task": target.task,
            "positive_index": target.positive_index,
            "numeric_names": pre.source_numeric_names,
            "categorical_names": pre.source_categorical_names,
            "threshold": thresholds.get("decision_threshold", 0.5)
            if isinstance(thresholds, dict)
            else 0.5,
        },
        artifacts_dir / "preprocessing.joblib",
    )
    (artifacts_dir / "spec.json").write_text(json.dumps(spec.model_dump(mode="json"), indent=2))
    (artifacts_dir / "README.txt").write_text(BUNDLE_README)
    timings["total_seconds"] = time.perf_counter() - t0

    return {
        "task": target.task,
        "labels": target.labels,
        "positive_label": target.labels[target.positive_index]
        if target.positive_index is not None
        else None,
        "primary_metric": primary,
        "decision_threshold": thresholds.get("decision_threshold", spec.decision_threshold)
        if isinstance(thresholds, dict)
        else None,
        **{
            k_: v
            for k_, v in select_metrics(evaluation, selected).items()
            if k_ != "evaluation_notes"
        },
        "training": {
            "epochs_run": len(history),
            "epochs_requested": spec.training.epochs,
            "best_epoch": best_epoch,
            "stopped_early": stopped_early,
            "restored_best_weights": restored,
            "early_stopping_monitor": es_spec.monitor if es_spec else None,
            "history": history,
        },
        "data_summary": {
            "source": prep.source,
            "format": prep.format,
            "encoding": prep.encoding,
            "rows": prep.rows_read,
            "rows_used": len(target.y),
            "rows_dropped": {"missing_target": target.dropped_missing},
            "columns_used": prep.feature_names,
            "target": prep.target_name,
            "label_mapping": {label: i for i, label in enumerate(target.labels)},
            "label_values": target.original,
            "missing_values": prep.missing,
            "missing_handling": spec.preprocessing.impute,
            "duplicate_rows": evidence["duplicate_rows"],
            "cross_split_duplicates": evidence["cross_split_duplicates"],
            **pre.summary(),
            "balancing": {
                "method": spec.balancing.method,
                "sampler": balanced.sampler,
                "params": balanced.params,
                "class_weight": {
                    target.labels[c]: w for c, w in (balanced.class_weight or {}).items()
                }
                or None,
            },
            "class_counts": {
                "train_before": class_counts(y_tr, target.labels),
                "train_after": class_counts(balanced.y, target.labels),
                "validation": class_counts(y_va, target.labels),
                "test": class_counts(y_te, target.labels),
            },
        },
        "diagnosis": findings,
        "notes": notes + list(evaluation.get("evaluation_notes", [])),
        "timings": {k_: round(v, 3) for k_, v in timings.items()},
        "provenance": {
            "spec": spec.model_dump(mode="json"),
            "data_sha256": prep.sha256,
            "seed": seed,
            "versions": _versions(),
        },
    }
