"""From a pyarrow Table to typed columns: the target, numeric features and categorical features."""

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from schemas.job_spec import DataSpec
from workers.training.errors import JobFailure


@dataclass
class FeatureColumns:
    numeric_names: list[str]
    numeric: np.ndarray  # (n, p) float64 with NaN for missing
    categorical_names: list[str]
    categorical: np.ndarray  # (n, q) object: str or None
    boolean_names: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return int(self.numeric.shape[0])

    def take(self, idx: np.ndarray) -> "FeatureColumns":
        return FeatureColumns(
            self.numeric_names,
            self.numeric[idx],
            self.categorical_names,
            self.categorical[idx],
            self.boolean_names,
        )

    def missing_counts(self) -> dict[str, int]:
        out = {n: int(np.isnan(self.numeric[:, i]).sum()) for i, n in enumerate(self.numeric_names)}
        for i, n in enumerate(self.categorical_names):
            out[n] = int(sum(v is None for v in self.categorical[:, i]))
        return {k: v for k, v in out.items() if v}


def select_feature_names(table: pa.Table, spec: DataSpec) -> list[str]:
    names = table.column_names
    target = spec.target or "target"
    if target not in names:
        close = [n for n in names if n.lower() == target.lower()]
        hint = f"Did you mean {close[0]!r}?" if close else f"Columns are: {', '.join(names[:20])}."
        raise JobFailure(
            "missing_target",
            f"The target column {target[:100]!r} is not in the data.",
            f"Set data.target to the label column. {hint}",
            column=target,
        )
    unknown = [c for c in (spec.features or []) + spec.drop if c not in names]
    if unknown:
        raise JobFailure(
            "unknown_columns",
            f"data.features/data.drop name columns that are not in the data: {', '.join(unknown[:10])}.",
            f"Columns are: {', '.join(names[:30])}.",
            columns=unknown[:50],
        )
    chosen = spec.features if spec.features is not None else [n for n in names if n != target]
    chosen = [n for n in chosen if n not in set(spec.drop) and n != target]
    if not chosen:
        raise JobFailure(
            "no_features",
            "No feature columns are left after data.features and data.drop.",
            "Keep at least one column.",
        )
    return chosen


def _as_numeric(col: pa.ChunkedArray) -> np.ndarray | None:
    t = col.type
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return np.asarray(
            pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    if pa.types.is_boolean(t):
        return np.asarray(
            pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    if pa.types.is_null(t):
        return np.full(len(col), np.nan)
    return None


def split_feature_columns(table: pa.Table, names: list[str]) -> FeatureColumns:
    numeric_names: list[str] = []
    numeric: list[np.ndarray] = []
    cat_names: list[str] = []
    cats: list[np.ndarray] = []
    bools: list[str] = []
    for name in names:
        col = table.column(name)
        as_num = _as_numeric(col)
        if as_num is not None:
            numeric_names.append(name)
            numeric.append(as_num)
            if pa.types.is_boolean(col.type):
                bools.append(name)
        else:
            cat_names.append(name)
            cats.append(np.asarray(pc.cast(col, pa.string()).to_pylist(), dtype=object))
    n = table.num_rows
    return FeatureColumns(
        numeric_names,
        np.column_stack(numeric) if numeric else np.empty((n, 0)),
        cat_names,
        np.column_stack(cats) if cats else np.empty((n, 0), dtype=object),
        bools,
    )


def target_values(table: pa.Table, target: str) -> np.ndarray:
    """The raw target as an object array (None for missing)."""
    col = table.column(target)
    values = col.to_pylist()
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
    return out
