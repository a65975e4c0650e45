"""The label: missing targets dropped, continuous targets refused, labels mapped to codes.

Binary labels are ordered [negative, positive] so that code 1 is always the positive class
and the sigmoid output is P(positive).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workers.training.columns import as_text
from workers.training.errors import JobFailure

MAX_CLASSES = 100


def label_text(v: Any) -> str:
    """One text form per label value, used in every output and to match positive_label."""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def match_label(value: Any, labels: list[str]) -> str | None:
    """The label a caller means by `value` (positive_label, a class_weight or
    sampling_strategy key): its exact text, else the one label equal to it as a number
    (1 for "1.0"), else, for true and false, the one spelt with other case ("True").
    Other text must match exactly: "Yes" is not the label "yes"."""
    text = label_text(value)
    if text in labels:
        return text
    number = _as_number(text)
    if number is not None:
        same = [label for label in labels if _as_number(label) == number]
        if len(same) == 1:
            return same[0]
    if text.casefold() not in ("true", "false"):
        return None
    folded = [label for label in labels if label.casefold() == text.casefold()]
    return folded[0] if len(folded) == 1 else None


def _as_number(text: str) -> float | None:
    try:
        f = float(text)
    except ValueError:
        return None
    return f if np.isfinite(f) else None


@dataclass(frozen=True)
class Target:
    y: np.ndarray  # int codes, rows with a missing target removed
    keep: np.ndarray  # boolean mask of the rows kept
    labels: list[str]  # code -> label text
    original: dict[str, Any]  # label text -> the value as it was in the data
    task: str  # "binary" | "multiclass"
    positive_index: int | None
    dropped_missing: int
    stripped: int = 0  # text labels that had surrounding white space, removed


def _numbers(values: pa.Array) -> pa.Array | None:
    """Float values of a numeric column, or of a text column (CSV targets are read as text)
    whose every value is a number; None otherwise."""
    if pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
        return pc.cast(values, pa.float64())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        try:
            return pc.cast(values, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return None


def _original_value(text: str) -> Any:
    """A text label as the value it stands for, where the text is that value's own form
    ("7" → 7, "2.5" → 2.5, "007" stays "007")."""
    if text.casefold() in ("true", "false"):
        return text.casefold() == "true"
    number = _as_number(text)
    if number is None:
        return text
    if number.is_integer() and str(int(number)) == text:
        return int(number)
    return number if repr(number) == text else text


def _looks_continuous(distinct: pa.Array) -> bool:
    """Many distinct non-integer numbers: a quantity to regress, not a label."""
    numbers = _numbers(distinct)
    if numbers is None or len(distinct) == 0:
        return False
    arr = numbers.to_numpy(zero_copy_only=False)
    non_integral = bool(np.any(arr != np.floor(arr)))
    return non_integral and len(np.unique(arr)) > 20


def _label_typed(arr: pa.Array, target_name: str) -> pa.Array:
    """Labels as text, numbers or booleans: the types every output can show as they are."""
    t = arr.type
    if pa.types.is_nested(t) or pa.types.is_union(t):
        raise JobFailure(
            "unsupported_column_type",
            f"The target {target_name!r} holds nested values ({t}); a label is one value per row.",
            "Set data.target to a column of plain labels (text, integers or booleans).",
            column=target_name,
        )
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return as_text(arr, target_name)
    if pa.types.is_decimal(t) or pa.types.is_float16(t):
        return pc.cast(arr, pa.float64())
    if pa.types.is_temporal(t):
        return pc.cast(arr, pa.string())  # ISO text: a date is a category here
    return arr


def _as_arrow(
    raw: "np.ndarray | pa.Array | pa.ChunkedArray", target_name: str = "target"
) -> pa.Array:
    """The target as one pyarrow array; NaN counts as missing."""
    if isinstance(raw, pa.ChunkedArray):
        arr = raw.combine_chunks() if raw.num_chunks != 1 else raw.chunk(0)
    elif isinstance(raw, pa.Array):
        arr = raw
    else:
        values = [None if v is None or (isinstance(v, float) and v != v) else v for v in raw]
        try:
            arr = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array([None if v is None else label_text(v) for v in values], pa.string())
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    arr = _label_typed(arr, target_name)
    if pa.types.is_floating(arr.type):
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
    return arr


def _strip_text(arr: pa.Array) -> tuple[pa.Array, int]:
    """Text labels without surrounding white space ("yes " is "yes"); blanks become missing."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr, 0
    stripped = pc.utf8_trim_whitespace(arr)
    changed = int(pc.sum(pc.not_equal(stripped, arr)).as_py() or 0)
    if changed:
        stripped = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, arr.type), stripped)
    return stripped, changed


def _sort_key(v: Any) -> tuple[int, Any]:
    if isinstance(v, bool | np.bool_):
        return (0, int(v))
    if isinstance(v, int | float | np.number):
        return (1, float(v))
    return (2, str(v))


def encode_target(
    raw: "np.ndarray | pa.Array | pa.ChunkedArray",
    *,
    positive_label: Any = None,
    target_name: str = "target",
) -> Target:
    arr, stripped = _strip_text(_as_arrow(raw, target_name))
    keep = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    values = arr.filter(pa.array(keep)) if not keep.all() else arr
    if len(values) == 0:
        raise JobFailure(
            "empty_target",
            f"The target column {target_name!r} has no values.",
            "Check data.target.",
        )
    # Work on the distinct values (few) rather than on every row.
    distinct = pc.unique(values)
    if _looks_continuous(distinct):
        n_distinct = len(distinct)
        raise JobFailure(
            "continuous_target",
            f"The target {target_name!r} looks continuous ({n_distinct} distinct "
            "non-integer values); this service trains classifiers, not regressors.",
            "Pick a categorical label column, or bin the target into classes first.",
            column=target_name,
        )
    if len(distinct) > 10 * MAX_CLASSES:
        raise JobFailure(
            "too_many_classes",
            f"The target {target_name!r} has {len(distinct)} distinct values; at most "
            f"{MAX_CLASSES} classes are supported.",
            "If the target is a number, this is a regression task, which the service does not offer.",
            column=target_name,
        )
    row_distinct = np.asarray(
        pc.index_in(values, value_set=distinct).to_numpy(zero_copy_only=False)
    )
    numeric_text = _numbers(distinct) is not None and not pa.types.is_integer(distinct.type)
    distinct_values = sorted(
        distinct.to_pylist(),
        key=(lambda v: (1, float(v), str(v))) if numeric_text else _sort_key,
    )
    text_of = {}
    original: dict[str, Any] = {}
    for v in distinct_values:
        t = label_text(v)
        text_of[v] = t
        original.setdefault(t, _original_value(v) if isinstance(v, str) else v)
    texts_sorted = list(original)  # label texts in value order
    text_index = {t: i for i, t in enumerate(texts_sorted)}
    distinct_to_text = np.array(
        [text_index[text_of[v]] for v in distinct.to_pylist()], dtype=np.int64
    )
    row_text = distinct_to_text[row_distinct]
    counts = np.bincount(row_text, minlength=len(texts_sorted))
    uniq = texts_sorted
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
    labels = list(uniq)
    positive_index: int | None = None
    if task == "binary":
        if positive_label is None:
            # The minority class, so that precision/recall/f1 describe the rare outcome; on a
            # tie the later label in value order (1 over 0, true over false, yes over no).
            pos = labels[0] if counts[0] < counts[1] else labels[1]
        else:
            matched = match_label(positive_label, labels)
            if matched is None:
                raise JobFailure(
                    "unknown_positive_label",
                    f"data.positive_label {label_text(positive_label)!r} is not a value of "
                    f"{target_name!r} ({', '.join(labels)}).",
                    f"Set data.positive_label to one of: {', '.join(labels)}.",
                    labels=labels,
                )
            pos = matched
        labels = [labels[0] if labels[1] == pos else labels[1], pos]
        positive_index = 1
    elif positive_label is not None:
        raise JobFailure(
            "positive_label_multiclass",
            f"data.positive_label applies to binary targets; {target_name!r} has {len(labels)} classes.",
            "Remove data.positive_label.",
        )
    code = np.array([labels.index(t) for t in texts_sorted], dtype=np.int64)
    y = code[row_text]
    return Target(
        y=y,
        keep=keep,
        labels=labels,
        original={label: original[label] for label in labels},
        task=task,
        positive_index=positive_index,
        dropped_missing=int((~keep).sum()),
        stripped=stripped,
    )
