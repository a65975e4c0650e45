"""Everything the Result's evaluation sections hold (API.md "Result"), for all splits, as
plain JSON-ready Python values with no NaN or infinity."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from workers.evaluation.bootstrap import bootstrap_intervals
from workers.evaluation.curves import calibration, pr_points, roc_points
from workers.evaluation.jsonsafe import to_jsonable
from workers.evaluation.metric_names import Task, resolve_selected
from workers.evaluation.metric_panel import Panel, compute_panel
from workers.evaluation.thresholds import (
    FALLBACK_THRESHOLD,
    choose_thresholds,
    threshold_fallbacks,
    threshold_table,
)

ThresholdRule = Literal["best_f1", "youden"]
SplitData = tuple[NDArray[Any], NDArray[Any]]

SPLIT_ORDER: tuple[str, ...] = ("train", "validation", "test")
INTERVAL_SPLITS: tuple[str, ...] = ("validation", "test")
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "balanced_accuracy", "f1", "roc_auc", "matthews_corrcoef"),
    "multiclass": ("accuracy", "balanced_accuracy", "f1"),
}
# the metrics that move with the threshold; the rest would repeat the main panel
# baselines that ignore the features: judged at 0.5, where they predict the majority class
DATA_BLIND_BASELINES: frozenset[str] = frozenset({"majority_class", "stratified"})
THRESHOLD_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "specificity",
    "matthews_corrcoef",
    "cohen_kappa",
)


def _ordered(splits: Mapping[str, Any]) -> list[str]:
    return [s for s in SPLIT_ORDER if s in splits] + [s for s in splits if s not in SPLIT_ORDER]


def _binary_view(data: SplitData, positive_index: int) -> tuple[NDArray[Any], NDArray[Any]]:
    y, proba = np.asarray(data[0]), np.asarray(data[1], dtype=np.float64)
    if y.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    return (y == positive_index).astype(np.int64), proba.reshape(len(y), -1)[:, positive_index]


def evaluate_splits(
    *,
    task: Task,
    labels: Sequence[str],
    positive_index: int,
    splits: Mapping[str, SplitData],
    decision_threshold: float | ThresholdRule,
    selected: Collection[str] | None,
    baseline_probas: Mapping[str, Mapping[str, NDArray[Any]]],
    n_resamples: int = 1000,
    seed: int = 42,
    primary_metric: str | None = None,
) -> dict[str, Any]:
    """Result sections: ``metrics``, ``confidence_intervals``, ``undefined_metrics``,
    ``confusion_matrix`` (test), ``confusion_matrices`` (per split), ``per_class``, ``thresholds``, ``curves``, ``baselines`` (test split, as the contract shows them),
    ``baselines_by_split``, ``model_vs_baselines`` (test: each metric of the model next to each
    baseline's), plus
    ``evaluation_notes`` (data repairs such as renormalized probabilities).

    A ``best_f1``/``youden`` decision threshold is chosen on validation; without usable
    validation data it falls back to 0.5 and ``thresholds.fallbacks`` says why.
    Multiclass tasks use argmax and get ``thresholds``/``curves`` = None.

    Every metric of the task is computed whatever ``selected`` says, so that the diagnosis
    sees the whole panel; ``select_metrics`` trims the result to the caller's choice.
    Baselines are judged at their own thresholds: the data-blind ones at 0.5 (their
    majority prediction), logistic regression by the same rule as the network, chosen on
    its own validation scores.
    """
    labels = [str(label) for label in labels]
    names = list(
        dict.fromkeys(
            resolve_selected(task, None, len(labels))
            + resolve_selected(task, selected, len(labels))
        )
    )
    binary = task == "binary"
    notes: list[str] = []
    undefined: dict[str, str] = {}

    threshold, source, chosen, fallbacks = _resolve_threshold(
        binary, decision_threshold, splits.get("validation"), positive_index
    )

    def panel(y: Any, proba: Any, t: float, only: Collection[str] | None = None) -> Panel:
        return compute_panel(
            y,
            proba,
            task=task,
            labels=labels,
            positive_index=positive_index,
            threshold=t,
            selected=names if only is None else only,
        )

    metrics: dict[str, dict[str, float | None]] = {}
    panels: dict[str, Panel] = {}
    for split in _ordered(splits):
        y, proba = splits[split]
        p = panel(y, proba, threshold)
        panels[split] = p
        metrics[split] = p.metrics
        undefined.update({f"{split}.{m}": why for m, why in p.undefined.items()})
        notes.extend(f"{split}: {note}" for note in p.notes)

    headline = [m for m in HEADLINE_METRICS[task] if m in names]
    if primary_metric in names and primary_metric not in headline:
        headline.append(primary_metric)  # no_signal and weaker_than_linear need its interval
    intervals: dict[str, dict[str, list[float] | None]] = {}
    for split in INTERVAL_SPLITS:
        if split in splits and n_resamples > 0:
            y, proba = splits[split]
            intervals[split] = bootstrap_intervals(
                y,
                proba,
                task=task,
                positive_index=positive_index,
                threshold=threshold,
                metrics=headline,
                n_resamples=n_resamples,
                seed=seed,
            )

    test = panels.get("test")
    thresholds_section: dict[str, Any] | None = None
    curves: dict[str, Any] | None = None
    if binary:
        only = [m for m in THRESHOLD_METRICS if m in names] or list(THRESHOLD_METRICS)
        thresholds_section = {
            "decision_threshold": threshold,
            "source": source,
            "fallbacks": fallbacks,
        }
        for rule in ("best_f1", "youden"):
            entry: dict[str, Any] = {"threshold": chosen[rule]}
            for split in ("validation", "test"):
                if split in splits:
                    y, proba = splits[split]
                    p = panel(y, proba, chosen[rule], only)
                    entry[split] = p.metrics
                    undefined.update(
                        {f"thresholds.{rule}.{split}.{m}": w for m, w in p.undefined.items()}
                    )
            thresholds_section[rule] = entry
        table_split = "test" if "test" in splits else None
        thresholds_section["table"] = (
            threshold_table(*_binary_view(splits[table_split], positive_index))
            if table_split
            else None
        )
        curves = {}
        for split in INTERVAL_SPLITS:
            if split in splits:
                y_bin, score = _binary_view(splits[split], positive_index)
                curves[split] = {
                    "roc": roc_points(y_bin, score),
                    "pr": pr_points(y_bin, score),
                    "calibration": calibration(y_bin, score),
                }

    baselines_by_split: dict[str, dict[str, dict[str, float | None]]] = {}
    baseline_thresholds: dict[str, float] = {}
    for name, by_split in baseline_probas.items():
        baselines_by_split[name] = {}
        if name in DATA_BLIND_BASELINES or not binary:
            own_threshold = FALLBACK_THRESHOLD
        else:
            validation = splits.get("validation")
            own_threshold = _resolve_threshold(
                binary,
                decision_threshold,
                (validation[0], by_split["validation"])
                if validation is not None and "validation" in by_split
                else None,
                positive_index,
            )[0]
        baseline_thresholds[name] = own_threshold
        for split in _ordered(by_split):
            if split not in splits:
                continue
            y = splits[split][0]
            p = panel(y, by_split[split], own_threshold)
            baselines_by_split[name][split] = p.metrics
            key = f"baselines.{name}" if split == "test" else f"baselines_by_split.{name}.{split}"
            undefined.update({f"{key}.{m}": w for m, w in p.undefined.items()})
    # The contract's `baselines` is the test split; every split is in `baselines_by_split`.
    baselines = {name: by.get("test", {}) for name, by in baselines_by_split.items()}
    if thresholds_section is not None:
        thresholds_section["baselines"] = baseline_thresholds
    model_test = metrics.get("test", {})
    model_vs_baselines = {
        m: {"model": model_test.get(m), **{name: b.get(m) for name, b in baselines.items()}}
        for m in names
        if m in model_test
    }

    return to_jsonable(
        {
            "metrics": metrics,
            "confidence_intervals": intervals,
            "undefined_metrics": undefined,
            "confusion_matrix": test.confusion_matrix if test else None,
            # every split's matrix (counts and row-normalized), all labels in every split
            "confusion_matrices": {split: p.confusion_matrix for split, p in panels.items()},
            "per_class": test.per_class if test else None,
            "thresholds": thresholds_section,
            "curves": curves,
            "baselines": baselines,
            "baselines_by_split": baselines_by_split,
            "model_vs_baselines": model_vs_baselines,
            "evaluation_notes": notes,
        }
    )


def _resolve_threshold(
    binary: bool,
    decision_threshold: float | ThresholdRule,
    validation: SplitData | None,
    positive_index: int,
) -> tuple[float, str, dict[str, float], dict[str, str]]:
    """(threshold used, its source, candidates chosen on validation, fallback reasons)."""
    if not binary:
        return FALLBACK_THRESHOLD, "argmax", {}, {}
    if validation is not None:
        y_bin, score = _binary_view(validation, positive_index)
        chosen = choose_thresholds(y_bin, score)
        fallbacks = threshold_fallbacks(y_bin, score)
    else:
        chosen = {"best_f1": FALLBACK_THRESHOLD, "youden": FALLBACK_THRESHOLD}
        fallbacks = {"best_f1": "no validation split", "youden": "no validation split"}
    if isinstance(decision_threshold, str):
        if decision_threshold not in ("best_f1", "youden"):
            raise ValueError(
                f"decision_threshold must be a number, 'best_f1' or 'youden', "
                f"got {decision_threshold!r}"
            )
        return chosen[decision_threshold], decision_threshold, chosen, fallbacks
    t = float(decision_threshold)
    if not np.isfinite(t):
        raise ValueError("decision_threshold must be finite")
    return t, "fixed", chosen, fallbacks


def select_metrics(evaluation: dict[str, Any], selected: Collection[str] | None) -> dict[str, Any]:
    """The evaluation sections restricted to the spec's ``metrics`` (None: all of them).
    Tables keyed by metric name keep only the chosen names; everything else is unchanged."""
    if selected is None:
        return evaluation
    chosen = set(selected if not isinstance(selected, str) else [selected])

    def row(r: Any) -> Any:
        return {m: v for m, v in r.items() if m in chosen} if isinstance(r, dict) else r

    def by_split(d: Any) -> Any:
        return {k: row(v) for k, v in d.items()} if isinstance(d, dict) else d

    out = dict(evaluation)
    out["metrics"] = by_split(evaluation.get("metrics"))
    out["confidence_intervals"] = by_split(evaluation.get("confidence_intervals"))
    out["baselines"] = by_split(evaluation.get("baselines"))
    out["baselines_by_split"] = {
        name: by_split(per) for name, per in (evaluation.get("baselines_by_split") or {}).items()
    }
    out["model_vs_baselines"] = row(evaluation.get("model_vs_baselines"))
    out["undefined_metrics"] = {
        key: why
        for key, why in (evaluation.get("undefined_metrics") or {}).items()
        if key.rsplit(".", 1)[-1] in chosen
    }
    thresholds = evaluation.get("thresholds")
    if isinstance(thresholds, dict):
        out["thresholds"] = {
            key: {k: row(v) if k in ("validation", "test") else v for k, v in entry.items()}
            if key in ("best_f1", "youden") and isinstance(entry, dict)
            else entry
            for key, entry in thresholds.items()
        }
    return out
