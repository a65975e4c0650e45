"""Everything before balancing: load → target → checks → stratified split → fit imputation and
scaling on the training rows → the matrices the samplers and the model start from.

The training pipeline and the ingest benchmark both call `prepare_data`, so the benchmark
measures the service's own path.
"""

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.job_spec import JobSpec
from workers.settings import WorkerSettings
from workers.training.columns import (
    FeatureColumns,
    select_feature_names,
    split_feature_columns,
    target_values,
)
from workers.training.data_evidence import data_evidence
from workers.training.data_sources import DatasetLookup, load_data
from workers.training.errors import JobFailure
from workers.training.preprocessing import (
    FittedPreprocessor,
    check_categorical,
    check_finite,
    check_missing,
    fit_preprocessor,
)
from workers.training.run_state import RunState
from workers.training.splitting import SplitIndices, split_rows
from workers.training.target import Target, encode_target
from workers.training.task_checks import check_spec_fits_task


@dataclass
class PreparedData:
    source: str
    format: str
    encoding: str | None
    sha256: str
    rows_read: int
    target_name: str
    feature_names: list[str]
    target: Target
    split: SplitIndices
    missing: dict[str, int]  # missing values per column, over the rows used
    preprocessor: FittedPreprocessor
    # Scaled numeric columns next to category codes, per split (what samplers see).
    train_matrix: np.ndarray
    validation_matrix: np.ndarray
    test_matrix: np.ndarray
    load_seconds: float
    notes: list[str]

    @property
    def y_train(self) -> np.ndarray:
        return self.target.y[self.split.train]

    @property
    def y_validation(self) -> np.ndarray:
        return self.target.y[self.split.validation]

    @property
    def y_test(self) -> np.ndarray:
        return self.target.y[self.split.test]


def prepare_data(
    spec: JobSpec, settings: WorkerSettings, state: RunState, find_dataset: DatasetLookup
) -> PreparedData:
    """Raises JobFailure naming the column, class or setting at fault. `state` gets the target
    and the data evidence as soon as they are known, for the diagnosis of a failure."""
    t0 = time.perf_counter()
    loaded = load_data(spec.data, settings, find_dataset)
    source, fmt, encoding = loaded.source, loaded.format, loaded.encoding
    sha256, table = loaded.sha256, loaded.table
    del loaded  # the table goes as soon as the columns are taken from it
    target_name = spec.data.target or "target"
    if table.num_rows == 0:
        raise JobFailure(
            "empty_file",
            f"{source[:120]} has a header but no data rows.",
            "Check the file: it needs a header line and at least one row per class.",
        )
    names = select_feature_names(table, spec.data)
    target = state.target = encode_target(
        target_values(table, target_name),
        positive_label=spec.data.positive_label,
        target_name=target_name,
    )
    check_spec_fits_task(spec, target)
    rows_read = table.num_rows
    cols = split_feature_columns(table, names)
    del table
    if not target.keep.all():
        cols = cols.take(np.flatnonzero(target.keep))
    numeric_notes = mostly_numeric_text_columns(cols)
    check_categorical(cols, spec.preprocessing, numeric_notes)
    check_finite(cols)
    missing = check_missing(cols, spec.preprocessing)
    load_seconds = time.perf_counter() - t0

    # Split first; everything fitted below sees the training rows only.
    split = split_rows(target.y, target.labels, spec.split, spec.seed)
    train, validation, test = (
        cols.take(split.train),
        cols.take(split.validation),
        cols.take(split.test),
    )
    state.evidence.update(data_evidence(cols, train, split, target, spec.seed))
    state.evidence["missing_imputed"] = missing
    pre = fit_preprocessor(train, spec.preprocessing)
    state.evidence["constant_columns"] = pre.report.constant
    # a column that is constant (all missing, say) is dropped, not imputed
    state.evidence["missing_imputed"] = {
        k: v for k, v in missing.items() if k not in set(pre.report.constant)
    }
    return PreparedData(
        source=source,
        format=fmt,
        encoding=encoding,
        sha256=sha256,
        rows_read=rows_read,
        target_name=target_name,
        feature_names=names,
        target=target,
        split=split,
        missing=missing,
        preprocessor=pre,
        train_matrix=pre.to_resampling_matrix(train),
        validation_matrix=pre.to_resampling_matrix(validation),
        test_matrix=pre.to_resampling_matrix(test),
        load_seconds=load_seconds,
        notes=numeric_notes,
    )


NUMERIC_SHARE_NOTED = 0.9


def mostly_numeric_text_columns(cols: FeatureColumns) -> list[str]:
    """A column of numbers with a few stray words is read as text and one-hot encoded, one
    category per number; that is rarely meant, so say which values made it text. Counted
    over every row by distinct value (a stray word may sit in the last row)."""
    notes = []
    for j, name in enumerate(cols.categorical_names):
        counts = pd.Series(cols.categorical[:, j], dtype=object).value_counts(dropna=True)
        if counts.empty:
            continue
        is_number = pd.to_numeric(counts.index.to_series(), errors="coerce").notna().to_numpy()
        share = float(counts.to_numpy()[is_number].sum() / counts.sum())
        if NUMERIC_SHARE_NOTED <= share < 1:
            strays = [str(v)[:20] for v in counts.index[~is_number][:3]]
            shown = math.floor(share * 1000) / 10  # 199 of 200 is 99.5%, never "100%"
            notes.append(
                f"column {name!r} is read as categories although {shown:g}% of its values are "
                f"numbers, because of values like {', '.join(map(repr, strays))}; clean them "
                "(or list them as missing in the file) to use it as a number."
            )
    return notes
