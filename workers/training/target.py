"""The label: missing targets dropped, continuous targets refused, labels mapped to codes.

Binary labels are ordered [negative, positive] so that code 1 is always the positive class
and the sigmoid output is P(positive).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from workers.training.errors import JobFailure

MAX_CLASSES = 100


def label_text(v: Any) -> str:
    """One text form per label value, used in every output and to match positive_label."""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class Target:
    y: np.ndarray  # int codes, rows with a missing target removed
    keep: np.ndarray  # boolean mask of the rows kept
    labels: list[str]  # code -> label text
    original: dict[str, Any]  # label text -> the value as it was in the data
    task: str  # "binary" | "multiclass"
    positive_index: int | None
    dropped_missing: int


def _looks_continuous(values: np.ndarray) -> bool:
    floats = [v for v in values if isinstance(v, float | np.floating)]
    if len(floats) < len(values) * 0.5:
        return False
    non_integral = sum(1 for v in floats if not float(v).is_integer())
    distinct = len(set(floats))
    return non_integral > 0 and distinct > 20


def encode_target(
    raw: np.ndarray, *, positive_label: Any = None, target_name: str = "target"
) -> Target:
    keep = np.array([v is not None for v in raw], dtype=bool)
    values = raw[keep]
    if len(values) == 0:
        raise JobFailure(
            "empty_target",
            f"The target column {target_name!r} has no values.",
            "Check data.target.",
        )
    if _looks_continuous(values):
        raise JobFailure(
            "continuous_target",
            f"The target {target_name!r} looks continuous ({len(set(values.tolist()))} distinct "
            "non-integer values); this service trains classifiers, not regressors.",
            "Pick a categorical label column, or bin the target into classes first.",
            column=target_name,
        )
    texts = np.array([label_text(v) for v in values], dtype=object)
    uniq, counts = np.unique(texts, return_counts=True)
    original = {}
    for v, t in zip(values, texts, strict=True):
        original.setdefault(t, v.item() if isinstance(v, np.generic) else v)
    if len(uniq) < 2:
        raise JobFailure(
            "single_class",
            f"The target {target_name!r} has a single class ({uniq[0]!r}); a classifier needs two or more.",
            "Check data.target, or the filters that produced the file.",
            column=target_name,
            label=str(uniq[0]),
        )
    if len(uniq) > MAX_CLASSES:
        raise JobFailure(
            "too_many_classes",
            f"The target {target_name!r} has {len(uniq)} distinct values; at most {MAX_CLASSES} classes are supported.",
            "If the target is a number, this is a regression task, which the service does not offer.",
            column=target_name,
        )
    task = "binary" if len(uniq) == 2 else "multiclass"
    labels = [str(u) for u in uniq]
    positive_index: int | None = None
    if task == "binary":
        if positive_label is None:
            # The minority class, so that precision/recall/f1 describe the rare outcome.
            pos = labels[int(np.argmin(counts))]
        else:
            pos = label_text(positive_label)
            if pos not in labels:
                raise JobFailure(
                    "unknown_positive_label",
                    f"data.positive_label {pos!r} is not a value of {target_name!r} ({', '.join(labels)}).",
                    f"Set data.positive_label to one of: {', '.join(labels)}.",
                    labels=labels,
                )
        labels = [labels[0] if labels[1] == pos else labels[1], pos]
        positive_index = 1
    elif positive_label is not None:
        raise JobFailure(
            "positive_label_multiclass",
            f"data.positive_label applies to binary targets; {target_name!r} has {len(labels)} classes.",
            "Remove data.positive_label.",
        )
    code = {label: i for i, label in enumerate(labels)}
    y = np.array([code[t] for t in texts], dtype=np.int64)
    return Target(
        y=y,
        keep=keep,
        labels=labels,
        original={label: original[label] for label in labels},
        task=task,
        positive_index=positive_index,
        dropped_missing=int((~keep).sum()),
    )
