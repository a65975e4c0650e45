"""Predictions from a finished job's model and preprocessing, inside a worker child."""

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import keras
import numpy as np

from workers.training.columns import FeatureColumns
from workers.training.errors import JobFailure

MAX_CACHED_MODELS = 4


@lru_cache(maxsize=MAX_CACHED_MODELS)
def _load(folder: str) -> tuple[keras.Model, dict[str, Any]]:
    path = Path(folder)
    return keras.saving.load_model(path / "model.keras", compile=False), joblib.load(
        path / "preprocessing.joblib"
    )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _numeric(name: str, value: Any, row: int) -> float:
    if value is None:
        return math.nan
    number: float | None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise JobFailure(
            "bad_value",
            f"Column {name!r} is numeric, but row {row} has {str(value)[:40]!r}.",
            "Send a number, or null where the job was trained with preprocessing.impute.",
            column=name,
            cells=[[row, name]],
        )
    if not math.isfinite(number) or abs(number) > FLOAT32_MAX:
        raise JobFailure(
            "bad_value",
            f"Column {name!r} has {str(value)[:40]!r} in row {row}, which is not a finite number "
            f"the model can take (at most {FLOAT32_MAX:.3g} in size).",
            "Send a finite number.",
            column=name,
            cells=[[row, name]],
        )
    return number


def _missing_without_imputation(cells: list[tuple[int, str]]) -> JobFailure:
    """`cells`: (row, column) of the first gap in each column."""
    columns = [c for _, c in cells]
    return JobFailure(
        "missing_values",
        f"Missing values in column(s) {', '.join(columns[:10])}, and the job was trained "
        "without imputation.",
        "Send values for these columns, or train with preprocessing.impute set.",
        columns=columns[:50],
        cells=[[r, c] for r, c in cells[:MAX_CELLS]],
    )


MAX_CELLS = 20


def _category(name: str, value: Any, row: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise JobFailure(
            "bad_value",
            f"Column {name!r} holds categories, but row {row} has a "
            f"{'list' if isinstance(value, list) else 'object'}: {str(value)[:40]}.",
            "Send one value (text or a number) per column.",
            column=name,
            cells=[[row, name]],
        )
    return str(value)


def _columns(rows: list[dict[str, Any]], bundle: dict[str, Any]) -> FeatureColumns:
    numeric_names: list[str] = bundle["numeric_names"]
    categorical_names: list[str] = bundle["categorical_names"]
    needed = set(numeric_names) | set(categorical_names)
    pre = bundle["preprocessor"]
    used = set(pre.numeric_names) | set(pre.categorical_names)
    for i, row in enumerate(rows):
        missing = sorted(c for c in used if c not in row)
        if missing:
            raise JobFailure(
                "missing_columns",
                f"Row {i} lacks {len(missing)} column(s) the model uses: {', '.join(missing[:10])}.",
                "Send every feature column of the training data"
                + (
                    " (null for unknown values: the job imputes them)."
                    if pre.spec.impute != "none"
                    else "; this job was trained without imputation, so each needs a value."
                ),
                columns=missing[:50],
                cells=[[i, c] for c in missing[:MAX_CELLS]],
            )
        extra = sorted(c for c in row if c not in needed)
        if extra:
            raise JobFailure(
                "unknown_columns",
                f"Row {i} has column(s) the model was not trained on: {', '.join(extra[:10])}.",
                "Send only the feature columns of the training data.",
                columns=extra[:50],
                cells=[[i, c] for c in extra[:MAX_CELLS]],
            )
    if pre.cat_imputer is None:
        gaps = [
            (next(i for i, r in enumerate(rows) if r.get(c) is None), c)
            for c in categorical_names
            if c in used and any(r.get(c) is None for r in rows)
        ]
        if gaps:
            raise _missing_without_imputation(gaps)
    num = np.array(
        [[_numeric(c, r.get(c), i) for c in numeric_names] for i, r in enumerate(rows)],
        dtype=np.float64,
    )
    cat = np.array(
        [[_category(c, r.get(c), i) for c in categorical_names] for i, r in enumerate(rows)],
        dtype=object,
    )
    return FeatureColumns(
        numeric_names,
        num.reshape(len(rows), len(numeric_names)),
        categorical_names,
        cat.reshape(len(rows), len(categorical_names)),
    )


def model_input(bundle: dict[str, Any], rows: list[dict[str, Any]]) -> np.ndarray:
    """The model's input for `rows` ({column: value} each, e.g. DataFrame.to_dict("records")),
    through the job's fitted preprocessing; `bundle` is its preprocessing.joblib."""
    pre = bundle["preprocessor"]
    cols = _columns(rows, bundle)
    X: np.ndarray = pre.transform(cols)
    if np.isfinite(X).all():
        return X
    gaps = [
        (int(np.flatnonzero(np.isnan(cols.numeric[:, j]))[0]), name)
        for j, name in enumerate(cols.numeric_names)
        if np.isnan(cols.numeric[:, j]).any()
    ]
    if gaps and pre.num_imputer is None:
        raise _missing_without_imputation(gaps)
    bad = [n for i, n in enumerate(pre.numeric_names) if not np.isfinite(X[:, i]).all()]
    raise JobFailure(
        "bad_value",
        f"Column(s) {', '.join(bad[:10])} hold values too far out of the training range: once "
        "scaled they overflow the model's 32-bit input.",
        "Send values of the size the job was trained on.",
        columns=bad[:50],
    )


def unseen_categories(bundle: dict[str, Any], rows: list[dict[str, Any]]) -> list[str]:
    """Categories of the rows that training never saw: the model gets no category for them
    (all one-hot columns 0), which it may never have met either. Said, not refused."""
    pre = bundle["preprocessor"]
    if pre.ordinal is None:
        return []
    out = []
    for name, known in zip(pre.categorical_names, pre.ordinal.categories_, strict=True):
        seen = set(known.tolist())
        where: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            value = row.get(name)
            if value is not None and str(value) not in seen:
                where.setdefault(str(value), []).append(i)
        for value, at in list(where.items())[:10]:
            shown = ", ".join(map(str, at[:5])) + (", …" if len(at) > 5 else "")
            out.append(
                f"column {name!r}: {value[:40]!r} (row {shown}) was not seen in training; it is "
                "encoded as no known category."
            )
    return out


def predict_rows(artifacts: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not (artifacts / "model.keras").is_file():
        raise JobFailure(
            "no_model", "This job has no saved model.", "Predict with a succeeded job."
        )
    model, bundle = _load(str(artifacts))
    X = model_input(bundle, rows)
    warnings = unseen_categories(bundle, rows)
    labels: list[str] = bundle["labels"]
    p = np.asarray(model.predict(X, batch_size=4096, verbose=0), dtype=np.float64)
    stored = bundle.get("threshold")
    threshold = 0.5 if stored is None else float(stored)  # 0 is a threshold, not a missing one
    if len(labels) == 2:
        p1 = p.reshape(-1)
        return {
            "predictions": [
                {
                    "label": labels[1] if v >= threshold else labels[0],
                    "probabilities": {labels[0]: float(1 - v), labels[1]: float(v)},
                }
                for v in p1
            ],
            "threshold": threshold,
            "warnings": warnings,
        }
    return {
        "predictions": [
            {
                "label": labels[int(np.argmax(row))],
                "probabilities": {lab: float(row[i]) for i, lab in enumerate(labels)},
            }
            for row in p
        ],
        "threshold": None,
        "warnings": warnings,
    }
