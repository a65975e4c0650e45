"""Small helpers shared by the rules: safe number access, metric directions, formatting."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from workers.diagnosis.evidence import DiagnosisInput

LOWER_IS_BETTER = frozenset({"log_loss", "brier_score", "loss"})
CHANCE_BASELINES = ("majority_class", "stratified")
DEFAULT_PRIMARY = {"binary": "roc_auc", "multiclass": "balanced_accuracy"}


def num(value: Any) -> float | None:
    """A finite float, or None for anything else (None, NaN, inf, strings, bools)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def r4(value: Any) -> Any:
    """Round a number to 4 decimals; NaN becomes None and infinities the strings "inf"/"-inf"."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if hasattr(value, "__index__"):  # numpy integers
        return int(value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(out):
        return None
    if math.isinf(out):
        return "inf" if out > 0 else "-inf"
    return round(out, 4)


def json_safe(value: Any) -> Any:
    """Recursively make evidence JSON-safe: finite 4-decimal floats, str keys, lists."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy arrays and scalars
        return json_safe(value.tolist())
    return r4(value)


def fmt(value: float | None, digits: int = 3) -> str:
    """Compact human formatting for messages: 0.923, 3.061, 20, 1,000,000."""
    if value is None:
        return "n/a"
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if magnitude < 1e-3:
        return f"{value:.{digits}g}"
    if magnitude < 1:
        return f"{value:.{digits}f}"
    if magnitude < 1e4:
        return f"{value:.{digits + 1}g}"
    return f"{value:,.0f}"


def fmt_lr(value: float) -> str:
    return f"{value:.2g}"


def higher_is_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def primary_metric(inp: DiagnosisInput) -> str | None:
    if inp.primary_metric:
        return inp.primary_metric
    return DEFAULT_PRIMARY.get(inp.task or "")


def metric(panel: Any, split: str, name: str) -> float | None:
    """panel[split][name] as a finite float, or None."""
    if not isinstance(panel, Mapping):
        return None
    row = panel.get(split)
    if not isinstance(row, Mapping):
        return None
    return num(row.get(name))


def baseline(inp: DiagnosisInput, name: str, split: str, metric_name: str) -> float | None:
    if not isinstance(inp.baselines, Mapping):
        return None
    return metric(inp.baselines.get(name), split, metric_name)


def confidence_interval(inp: DiagnosisInput, split: str, name: str) -> tuple[float, float] | None:
    if not isinstance(inp.confidence_intervals, Mapping):
        return None
    row = inp.confidence_intervals.get(split)
    if not isinstance(row, Mapping):
        return None
    ci = row.get(name)
    if not isinstance(ci, list | tuple) or len(ci) != 2:
        return None
    lo, hi = num(ci[0]), num(ci[1])
    if lo is None or hi is None:
        return None
    return (min(lo, hi), max(lo, hi))


def series(inp: DiagnosisInput, key: str) -> list[tuple[int, float | None]]:
    """(epoch, finite value or None) for every history row; epoch 1-based."""
    out: list[tuple[int, float | None]] = []
    rows = inp.history if isinstance(inp.history, list) else []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        epoch = row.get("epoch")
        ep = int(epoch) if isinstance(epoch, int | float) and num(epoch) is not None else i + 1
        out.append((ep, num(row.get(key))))
    return out


def raw_values(inp: DiagnosisInput, key: str) -> list[Any]:
    rows = inp.history if isinstance(inp.history, list) else []
    return [row.get(key) for row in rows if isinstance(row, Mapping) and key in row]


def finite_series(inp: DiagnosisInput, key: str) -> list[tuple[int, float]]:
    return [(e, v) for e, v in series(inp, key) if v is not None]


def class_counts(inp: DiagnosisInput) -> dict[str, int]:
    counts = inp.class_counts_train if isinstance(inp.class_counts_train, Mapping) else {}
    out: dict[str, int] = {}
    for label, count in counts.items():
        value = num(count)
        if value is not None and value >= 0:
            out[str(label)] = int(value)
    return out


def minority(inp: DiagnosisInput) -> tuple[str, int, float, float] | None:
    """(label, count, share, two-class-equivalent share) of the smallest training class."""
    counts = class_counts(inp)
    total = sum(counts.values())
    if len(counts) < 2 or total <= 0:
        return None
    label = min(counts, key=lambda k: counts[k])
    share = counts[label] / total
    return label, counts[label], share, share * len(counts) / 2


def is_binary(inp: DiagnosisInput) -> bool:
    if inp.task:
        return inp.task == "binary"
    return len(class_counts(inp)) == 2


def best_of(values: Iterable[tuple[str, float]], higher: bool) -> tuple[str, float] | None:
    items = list(values)
    if not items:
        return None
    return max(items, key=lambda kv: kv[1]) if higher else min(items, key=lambda kv: kv[1])


def epochs_run(inp: DiagnosisInput) -> int | None:
    rows = series(inp, "loss")
    return max((e for e, _ in rows), default=None) if rows else None


def sentence(parts: list[str], sep: str = "; ") -> str:
    """Join clauses into one sentence starting with a capital and ending with a period."""
    text = sep.join(p for p in parts if p)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
