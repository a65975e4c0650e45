"""From a pyarrow Table to typed columns: the target, numeric features and categorical features."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.tabular_files import duplicate_names
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
        num = np.isnan(self.numeric).sum(axis=0) if self.numeric.size else []
        out = {n: int(num[i]) for i, n in enumerate(self.numeric_names)}
        if self.categorical.size:
            cat = pd.isna(self.categorical).sum(axis=0)
            out.update({n: int(cat[i]) for i, n in enumerate(self.categorical_names)})
        return {k: v for k, v in out.items() if v}


def select_feature_names(table: pa.Table, spec: DataSpec) -> list[str]:
    names = table.column_names
    dup = duplicate_names(names)
    if dup:
        raise JobFailure(
            "duplicate_columns",
            f"The data has duplicate column names: {', '.join(dup[:10])}.",
            "Rename the columns so that each name appears once.",
            columns=dup[:50],
        )
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


def is_nested(t: pa.DataType) -> bool:
    return pa.types.is_nested(t) or pa.types.is_union(t)


def refuse_nested(table: pa.Table, names: list[str], what: str, hint: str) -> None:
    """Lists, structs and maps hold several values per cell: no feature or label is one."""
    nested = [n for n in names if is_nested(table.column(n).type)]
    if nested:
        kinds = ", ".join(f"{n} ({table.column(n).type})" for n in nested[:10])
        raise JobFailure(
            "unsupported_column_type",
            f"{what} hold nested values (lists, structs or maps), one per cell is needed: {kinds}.",
            hint,
            columns=nested[:50],
        )


def as_text(col: pa.ChunkedArray | pa.Array, name: str) -> pa.ChunkedArray | pa.Array:
    """Bytes columns (Parquet BYTE_ARRAY without a string annotation) as UTF-8 text; the
    features' and the target's alike."""
    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise JobFailure(
            "invalid_text",
            f"Column {name!r} holds bytes that are not UTF-8 text ({str(exc)[:80]}).",
            "Write the column as UTF-8 strings, or leave it out with data.drop.",
            column=name,
        ) from exc


def _as_numeric(col: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column as float64 (nulls stay nulls, NaN once in numpy), or None if not numeric.
    Dates and times count as numbers (their integer encoding: days or time units since 1970)."""
    t = col.type
    if (
        pa.types.is_timestamp(t)
        or pa.types.is_date(t)
        or pa.types.is_time(t)
        or pa.types.is_duration(t)
    ):
        width = pa.int32() if pa.types.is_date32(t) or pa.types.is_time32(t) else pa.int64()
        return pc.cast(col.cast(width), pa.float64())
    if (
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
        or pa.types.is_null(t)
    ):
        return col if t == pa.float64() else pc.cast(col, pa.float64())
    return None


def _as_strings(col: pa.ChunkedArray, name: str) -> np.ndarray:
    """A column as an object array of str, None for missing (vectorised, no per-row Python)."""
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = as_text(col, name)
    out = col.to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=object)


def _stack_columns(columns: list[pa.ChunkedArray], n: int) -> np.ndarray:
    """(n, p) float64 with NaN for missing, in Fortran order: each chunk is written straight
    into its column (contiguous writes, no intermediate per-column copy)."""
    out = np.empty((n, len(columns)), dtype=np.float64, order="F")
    for i, col in enumerate(columns):
        start = 0
        for chunk in col.chunks:
            end = start + len(chunk)
            out[start:end, i] = chunk.to_numpy(zero_copy_only=False)
            start = end
    return out


def split_feature_columns(table: pa.Table, names: list[str]) -> FeatureColumns:
    refuse_nested(
        table,
        names,
        "Feature column(s)",
        "Leave them out with data.drop, or flatten them into one column per value.",
    )
    numeric_names: list[str] = []
    numeric: list[pa.ChunkedArray] = []
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
            cats.append(_as_strings(col, name))
    n = table.num_rows
    return FeatureColumns(
        numeric_names,
        _stack_columns(numeric, n),
        cat_names,
        np.column_stack(cats) if cats else np.empty((n, 0), dtype=object),
        bools,
    )


def target_values(table: pa.Table, target: str) -> pa.ChunkedArray:
    """The raw target column, as read (nulls and NaN are treated as missing by encode_target)."""
    return table.column(target)
