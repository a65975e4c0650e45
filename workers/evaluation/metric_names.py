"""Metric names per task and their directions, as published in API.md."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

Task = Literal["binary", "multiclass"]
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

ALL_METRICS: tuple[str, ...] = tuple(dict.fromkeys(BINARY_METRICS + MULTICLASS_METRICS))

LOWER_IS_BETTER: frozenset[str] = frozenset({"log_loss", "brier_score"})

METRIC_DIRECTIONS: dict[str, Direction] = {
    name: ("lower" if name in LOWER_IS_BETTER else "higher") for name in ALL_METRICS
}

# top-k accuracy is trivially 1.0 when k >= the number of classes, so it is only reported
# by default when it can tell models apart
TOP_K_MIN_CLASSES = 4


def metrics_for_task(task: Task) -> tuple[str, ...]:
    if task == "binary":
        return BINARY_METRICS
    if task == "multiclass":
        return MULTICLASS_METRICS
    raise ValueError(f"task must be 'binary' or 'multiclass', got {task!r}")


def resolve_selected(task: Task, selected: Collection[str] | None, n_classes: int) -> list[str]:
    """The metric names to report, in canonical order.

    ``None`` means every metric of the task (top-k only with more than 3 classes). Names
    that exist but belong to the other task are kept, so the panel can report them as
    undefined with a reason rather than failing a finished job. Unknown names raise.
    """
    own = metrics_for_task(task)
    if selected is None:
        return [m for m in own if not (m.startswith("top_") and n_classes < TOP_K_MIN_CLASSES)]
    if isinstance(selected, str):
        # a bare string would otherwise be iterated character by character
        selected = [selected]
    unknown = sorted(set(selected) - set(ALL_METRICS))
    if unknown:
        raise ValueError(
            f"unknown metric name(s) {unknown}; valid names for {task} tasks: {list(own)}"
        )
    chosen = set(selected)
    return [m for m in ALL_METRICS if m in chosen]
