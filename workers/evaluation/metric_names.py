"""Which metrics a task reports; the names and directions themselves live in schemas."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from schemas.metric_names import ALL_METRIC_NAMES as ALL_METRICS
from schemas.metric_names import BINARY_METRICS, MULTICLASS_METRICS

Task = Literal["binary", "multiclass"]

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
