"""Metric names and directions of the HTTP contract (scikit-learn scorer names, no neg_ prefix)."""

from typing import Literal

Direction = Literal["higher", "lower"]

METRIC_DIRECTIONS: dict[str, Direction] = {
    "accuracy": "higher",
    "balanced_accuracy": "higher",
    "matthews_corrcoef": "higher",
    "cohen_kappa": "higher",
    "precision": "higher",
    "recall": "higher",
    "f1": "higher",
    "precision_weighted": "higher",
    "recall_weighted": "higher",
    "f1_weighted": "higher",
    "specificity": "higher",
    "roc_auc": "higher",
    "roc_auc_ovr_weighted": "higher",
    "average_precision": "higher",
    "top_2_accuracy": "higher",
    "top_3_accuracy": "higher",
    "log_loss": "lower",
    "brier_score": "lower",
}
ALL_METRIC_NAMES: tuple[str, ...] = tuple(METRIC_DIRECTIONS)

# Names Keras logs during training, usable by early stopping and reduce_on_plateau.
TRAINING_METRICS = ("loss", "accuracy", "roc_auc")
MONITOR_NAMES: tuple[str, ...] = TRAINING_METRICS + tuple(f"val_{m}" for m in TRAINING_METRICS)


def monitor_mode(monitor: str) -> Literal["min", "max"]:
    return "min" if monitor.endswith("loss") else "max"
