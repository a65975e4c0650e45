"""Metric names and directions of the HTTP contract (scikit-learn scorer names, no neg_ prefix)."""

from typing import Literal

Direction = Literal["higher", "lower"]

BINARY_METRICS: tuple[str, ...] = (
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
)

MULTICLASS_METRICS: tuple[str, ...] = (
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
)

ALL_METRIC_NAMES: tuple[str, ...] = tuple(dict.fromkeys(BINARY_METRICS + MULTICLASS_METRICS))
LOWER_IS_BETTER: frozenset[str] = frozenset({"log_loss", "brier_score"})
METRIC_DIRECTIONS: dict[str, Direction] = {
    name: ("lower" if name in LOWER_IS_BETTER else "higher") for name in ALL_METRIC_NAMES
}

# Names Keras logs during training, usable by early stopping and reduce_on_plateau.
TRAINING_METRICS = ("loss", "accuracy", "roc_auc")
MONITOR_NAMES: tuple[str, ...] = TRAINING_METRICS + tuple(f"val_{m}" for m in TRAINING_METRICS)


def monitor_mode(monitor: str) -> Literal["min", "max"]:
    return "min" if monitor.endswith("loss") else "max"
