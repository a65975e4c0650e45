"""The evidence a diagnosis is drawn from: plain values gathered by the training worker.

Every field is optional so that a failed job (only a history, say) can still be diagnosed;
a rule whose evidence is missing is skipped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MetricPanel = dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class DiagnosisInput:
    # task and metrics
    task: str | None = None  # "binary" | "multiclass"
    primary_metric: str | None = None  # default: roc_auc (binary), balanced_accuracy (multi)
    metrics: MetricPanel = field(default_factory=dict)  # split -> metric -> value
    confidence_intervals: dict[str, dict[str, list[float] | None]] = field(default_factory=dict)
    baselines: dict[str, MetricPanel] = field(default_factory=dict)  # name -> split -> metric
    best_f1_threshold: float | None = None
    # the primary metric per split with the best epoch's weights, when the final model holds
    # other weights: {"epoch": n, "train": {metric: v}, "validation": {metric: v}}
    metrics_at_best_epoch: dict[str, Any] | None = None

    # data
    class_counts_train: dict[str, int] = field(default_factory=dict)  # before balancing
    balancing_method: str | None = None
    n_train_rows: int | None = None
    n_rows: int | None = None  # all rows used (every split): the base of duplicate_rows
    n_features: int | None = None  # after encoding
    scaling: str | None = None  # "standard" | "minmax" | "none"
    feature_scale_ratio: float | None = None  # max/min std of raw numeric features (train)
    single_feature_auc: dict[str, float] = field(default_factory=dict)  # max(auc, 1 - auc)
    missing_imputed: dict[str, int] = field(default_factory=dict)
    duplicate_rows: int = 0  # rows repeating an earlier row, counted over all n_rows
    cross_split_duplicates: int = 0
    constant_columns: list[str] = field(default_factory=list)

    # training
    history: list[dict[str, Any]] = field(default_factory=list)  # epoch is 1-based
    early_stopping_enabled: bool = False
    early_stopping_monitor: str | None = None
    patience: int | None = None
    stopped_early: bool = False
    best_epoch: int | None = None
    epochs_requested: int | None = None
    diverged: bool = False
    learning_rate: float | None = None
    optimizer: str | None = None
    dropout_in_model: bool = False
    l2_in_model: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> DiagnosisInput:
        """Build from a mapping, ignoring unknown keys and ``None`` for defaulted fields."""
        names = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            f = names.get(key)
            if f is None or (value is None and f.default is not None):
                continue  # unknown key, or None for a field that has a non-None default
            kwargs[key] = value
        return cls(**kwargs)
