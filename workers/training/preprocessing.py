"""Impute and scale numeric columns, and one-hot encode categorical ones; fitted on the training
split only and reused unchanged for validation, test and predictions.

The order follows the contract: impute → scale → (resample, outside this module) → one-hot.
`to_resampling_matrix` gives the scaled numeric columns next to ordinal category codes, which
SMOTENC and SMOTEN treat as categories; `encode` turns that matrix into the model's input.
"""

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

from schemas.job_spec import PreprocessingSpec
from workers.training.columns import FeatureColumns
from workers.training.errors import JobFailure

MISSING_CATEGORY = "__missing__"
FLOAT32_MAX = float(np.finfo(np.float32).max)
# One-hot of a 5,000-level ID column would dwarf every real feature; rare levels share a column.
MAX_ONEHOT_CATEGORIES = 50


@dataclass
class ColumnReport:
    constant: list[str] = field(default_factory=list)
    high_cardinality: dict[str, int] = field(default_factory=dict)
    id_like: list[str] = field(default_factory=list)


def check_missing(cols: FeatureColumns, spec: PreprocessingSpec) -> dict[str, int]:
    missing = cols.missing_counts()
    if missing and spec.impute == "none":
        listing = ", ".join(f"{k} ({v})" for k, v in list(missing.items())[:20])
        raise JobFailure(
            "missing_values",
            f"{len(missing)} feature column(s) have missing values: {listing}.",
            'Set preprocessing.impute to "mean", "median", "most_frequent" or "constant", '
            "or drop the columns with data.drop.",
            columns=missing,
        )
    return missing


def check_finite(cols: FeatureColumns) -> None:
    """Infinity is no missing value an imputer could fill, and a number beyond float32 turns
    into one in the model: name the columns that hold either."""
    infinite: dict[str, int] = {}
    huge: dict[str, int] = {}
    for j, name in enumerate(cols.numeric_names):
        column = cols.numeric[:, j]  # contiguous: the matrix is column-major
        with np.errstate(invalid="ignore"):
            beyond = np.abs(column) > FLOAT32_MAX  # NaN compares False; inf counts here too
        n_beyond = int(np.count_nonzero(beyond))
        if n_beyond:
            n_inf = int(np.count_nonzero(np.isinf(column[beyond])))
            if n_inf:
                infinite[name] = n_inf
            if n_beyond > n_inf:
                huge[name] = n_beyond - n_inf
    if infinite:
        listing = ", ".join(f"{k} ({v})" for k, v in list(infinite.items())[:20])
        raise JobFailure(
            "infinite_values",
            f"{len(infinite)} feature column(s) hold infinite values: {listing}.",
            "Replace them with finite numbers or empty cells (then set preprocessing.impute), "
            "or drop the columns with data.drop.",
            columns=infinite,
        )
    if huge:
        listing = ", ".join(f"{k} ({v})" for k, v in list(huge.items())[:20])
        raise JobFailure(
            "values_out_of_range",
            f"{len(huge)} feature column(s) hold values beyond ±{FLOAT32_MAX:.3g}, which do "
            f"not fit the model's 32-bit inputs: {listing}.",
            "Rescale these columns (a log, or smaller units), or drop them with data.drop.",
            columns=huge,
        )


def check_categorical(
    cols: FeatureColumns, spec: PreprocessingSpec, why: list[str] | None = None
) -> None:
    """`why`: what made a column text when most of it is numbers, said in the error."""
    if cols.categorical_names and spec.categorical == "error":
        raise JobFailure(
            "categorical_columns",
            f"String column(s) found: {', '.join(cols.categorical_names[:20])}."
            + "".join(f" Note: {w}" for w in (why or [])[:5]),
            'Set preprocessing.categorical: "onehot", or drop them with data.drop.',
            columns=cols.categorical_names[:100],
        )


def _n_levels(column: np.ndarray) -> int:
    """Distinct non-missing values of an object column (hash-based, no per-row Python)."""
    return int(pd.Series(column, dtype=object).nunique(dropna=True))


def _most_frequent(column: np.ndarray) -> str:
    """The most frequent non-missing value; ties go to the smallest, as in SimpleImputer."""
    counts = pd.Series(column, dtype=object).value_counts(dropna=True)
    if counts.empty:
        return MISSING_CATEGORY
    return str(min(counts.index[counts.to_numpy() == counts.iloc[0]]))


def _category_codes(column: np.ndarray, categories: np.ndarray) -> np.ndarray:
    """Ordinal codes of `column` in `categories`; -1 for a value not seen in training."""
    codes = pd.Categorical(column, categories=pd.Index(categories, dtype=object)).codes
    return np.asarray(codes, dtype=np.float64)


def _constant_columns(cols: FeatureColumns) -> tuple[list[int], list[int], list[str]]:
    keep_num, keep_cat, constant = [], [], []
    if cols.numeric.shape[1] and cols.numeric.shape[0]:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(cols.numeric, axis=0), np.nanmax(cols.numeric, axis=0)
        varies = ~np.isnan(lo) & (lo != hi)
    else:
        varies = np.zeros(cols.numeric.shape[1], dtype=bool)
    for i, name in enumerate(cols.numeric_names):
        if varies[i]:
            keep_num.append(i)
        else:
            constant.append(name)
    for i, name in enumerate(cols.categorical_names):
        if _n_levels(cols.categorical[:, i]) <= 1:
            constant.append(name)
        else:
            keep_cat.append(i)
    return keep_num, keep_cat, constant


@dataclass
class FittedPreprocessor:
    """Everything fitted on the training split; picklable so predictions reuse it."""

    spec: PreprocessingSpec
    numeric_names: list[str]
    categorical_names: list[str]
    numeric_idx: list[int]
    categorical_idx: list[int]
    source_numeric_names: list[str]
    source_categorical_names: list[str]
    num_imputer: SimpleImputer | None
    cat_imputer: SimpleImputer | None
    scaler: StandardScaler | MinMaxScaler | None
    ordinal: OrdinalEncoder | None
    report: ColumnReport
    onehot: OneHotEncoder | None = None
    feature_names: list[str] = field(default_factory=list)

    @property
    def n_numeric(self) -> int:
        return len(self.numeric_names)

    @property
    def categorical_positions(self) -> list[int]:
        """Positions of the categorical codes in the resampling matrix."""
        return list(range(self.n_numeric, self.n_numeric + len(self.categorical_names)))

    def to_resampling_matrix(self, cols: FeatureColumns) -> np.ndarray:
        num = (
            cols.numeric
            if self.numeric_idx == list(range(cols.numeric.shape[1]))
            else cols.numeric[:, self.numeric_idx]
        )
        if self.num_imputer is not None and num.shape[1] and np.isnan(num).any():
            num = self.num_imputer.transform(num)
        p = num.shape[1]
        cat = cols.categorical[:, self.categorical_idx]
        # One output matrix, written in place: scaled numbers, then category codes.
        out = np.empty((num.shape[0], p + cat.shape[1]), dtype=np.float64)
        if isinstance(self.scaler, StandardScaler) and p:
            np.subtract(num, self.scaler.mean_, out=out[:, :p])
            out[:, :p] /= self.scaler.scale_
        elif isinstance(self.scaler, MinMaxScaler) and p:
            np.multiply(num, self.scaler.scale_, out=out[:, :p])
            out[:, :p] += self.scaler.min_
        else:
            out[:, :p] = num
        if cat.shape[1]:
            assert self.ordinal is not None
            for j in range(cat.shape[1]):
                column = cat[:, j]
                missing = pd.isna(column)
                if missing.any():
                    column = column.copy()
                    column[missing] = self._fill_value(j)
                out[:, p + j] = _category_codes(column, self.ordinal.categories_[j])
        return out

    def _fill_value(self, j: int) -> str:
        """What a missing category becomes: the fitted fill value, or its own category."""
        if self.cat_imputer is not None:
            return str(self.cat_imputer.statistics_[j])
        return MISSING_CATEGORY

    def fit_encoder(self, resampled: np.ndarray) -> None:
        if self.categorical_names:
            self.onehot = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=MAX_ONEHOT_CATEGORIES,
                sparse_output=False,
                dtype=np.float32,
            )
            self.onehot.fit(self._codes(resampled))
            onehot_names = list(self.onehot.get_feature_names_out(self.categorical_names))
        else:
            onehot_names = []
        self.feature_names = self.numeric_names + onehot_names

    def _codes(self, matrix: np.ndarray) -> np.ndarray:
        codes = matrix[:, self.n_numeric :]
        # Interpolating samplers (ADASYN, Borderline-SMOTE...) make fractional codes: snap them
        # back. Unseen categories stay -1, which one-hot encodes as all zeros.
        return np.rint(codes).astype(np.int64)

    def encode(self, matrix: np.ndarray) -> np.ndarray:
        num = matrix[:, : self.n_numeric].astype(np.float32)
        if self.onehot is None:
            return num
        # The ordinal encoder marks unseen categories as -1; -1 is unknown to one-hot → all zeros.
        return np.hstack([num, self.onehot.transform(self._codes(matrix))]).astype(np.float32)

    def transform(self, cols: FeatureColumns) -> np.ndarray:
        return self.encode(self.to_resampling_matrix(cols))

    def onehot_expansion(self) -> dict[str, int]:
        if self.onehot is None:
            return {}
        return {
            name: len(cats)
            for name, cats in zip(self.categorical_names, self.onehot.categories_, strict=True)
        }

    def summary(self) -> dict[str, Any]:
        return {
            "numeric_columns": self.numeric_names,
            "categorical_columns": self.categorical_names,
            "constant_columns_dropped": self.report.constant,
            "high_cardinality_columns": self.report.high_cardinality,
            "id_like_columns": self.report.id_like,
            "onehot_expansion": self.onehot_expansion(),
            "n_model_features": len(self.feature_names),
            "scale": self.spec.scale,
            "impute": self.spec.impute,
        }


def fit_preprocessor(train: FeatureColumns, spec: PreprocessingSpec) -> FittedPreprocessor:
    keep_num, keep_cat, constant = _constant_columns(train)
    if not keep_num and not keep_cat:
        raise JobFailure(
            "no_usable_features",
            f"Every feature column is constant on the training split: {', '.join(constant[:20])}.",
            "Use columns that vary, or check that the file was read correctly.",
            columns=constant[:100],
        )
    report = ColumnReport(constant=constant)
    num_names = [train.numeric_names[i] for i in keep_num]
    cat_names = [train.categorical_names[i] for i in keep_cat]
    n = train.n_rows
    for i, name in zip(keep_cat, cat_names, strict=True):
        levels = _n_levels(train.categorical[:, i])
        if levels > MAX_ONEHOT_CATEGORIES:
            report.high_cardinality[name] = levels
        if n and levels / n > 0.9:
            report.id_like.append(name)
    all_num = keep_num == list(range(train.numeric.shape[1]))
    num = train.numeric if all_num else train.numeric[:, keep_num]
    if n > 20 and keep_num:
        # Only columns of whole numbers can be IDs: screen on a head sample, then confirm.
        with np.errstate(invalid="ignore"):
            head = num[: min(n, 1000)]
            maybe = np.all(np.isnan(head) | (head % 1 == 0), axis=0)
            for col_j in np.flatnonzero(maybe).tolist():
                col = num[:, col_j]
                if np.all(col[~np.isnan(col)] % 1 == 0) and len(np.unique(col)) == n:
                    report.id_like.append(num_names[col_j])

    num_imputer = None
    # Fitted even when training has no gaps: validation, test or predictions may have some.
    if spec.impute != "none" and num.shape[1]:
        strategy = spec.impute
        kwargs: dict[str, Any] = {}
        if strategy == "constant":
            kwargs["fill_value"] = float(spec.impute_fill_value)
        num_imputer = SimpleImputer(strategy=strategy, keep_empty_features=True, **kwargs).fit(num)
        if np.isnan(num).any():
            num = num_imputer.transform(num)
    scaler: StandardScaler | MinMaxScaler | None = None
    if spec.scale != "none" and num.shape[1]:
        scaler = (StandardScaler() if spec.scale == "standard" else MinMaxScaler()).fit(num)

    cat = train.categorical[:, keep_cat]
    cat_imputer = None
    ordinal = None
    if cat.shape[1]:
        cat = cat.copy()
        if spec.impute != "none":
            # A constant fill for every string column; most_frequent for the other strategies
            # (a mean of categories does not exist). Computed with pandas: no per-row Python.
            fills = [
                f"{spec.impute_fill_value:g}"
                if spec.impute == "constant"
                else _most_frequent(cat[:, j])
                for j in range(cat.shape[1])
            ]
            # Kept as a fitted SimpleImputer so the artifact stays self-describing.
            cat_imputer = SimpleImputer(
                missing_values=None, strategy="constant", fill_value=""
            ).fit(np.array([fills], dtype=object))
            cat_imputer.statistics_ = np.array(fills, dtype=object)
        for j in range(cat.shape[1]):
            missing = pd.isna(cat[:, j])
            if missing.any():
                cat[missing, j] = (
                    cat_imputer.statistics_[j] if cat_imputer is not None else MISSING_CATEGORY
                )
        # Sorted categories, as OrdinalEncoder would find them, from pandas' hash-based unique;
        # the encoder keeps them for predictions (transforms use pandas codes, see above).
        categories = [
            np.sort(pd.unique(cat[:, j]).astype(str)).astype(object) for j in range(cat.shape[1])
        ]
        ordinal = OrdinalEncoder(
            categories=categories,
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            dtype=np.float64,
        ).fit(np.array([[c[0] for c in categories]], dtype=object))
    return FittedPreprocessor(
        spec=spec,
        numeric_names=num_names,
        categorical_names=cat_names,
        numeric_idx=keep_num,
        categorical_idx=keep_cat,
        source_numeric_names=train.numeric_names,
        source_categorical_names=train.categorical_names,
        num_imputer=num_imputer,
        cat_imputer=cat_imputer,
        scaler=scaler,
        ordinal=ordinal,
        report=report,
    )
