"""Impute and scale numeric columns, and one-hot encode categorical ones; fitted on the training
split only and reused unchanged for validation, test and predictions.

The order follows the contract: impute → scale → (resample, outside this module) → one-hot.
`to_resampling_matrix` gives the scaled numeric columns next to ordinal category codes, which
SMOTENC and SMOTEN treat as categories; `encode` turns that matrix into the model's input.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

from schemas.job_spec import PreprocessingSpec
from workers.training.columns import FeatureColumns
from workers.training.errors import JobFailure

MISSING_CATEGORY = "__missing__"
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


def check_categorical(cols: FeatureColumns, spec: PreprocessingSpec) -> None:
    if cols.categorical_names and spec.categorical == "error":
        raise JobFailure(
            "categorical_columns",
            f"String column(s) found: {', '.join(cols.categorical_names[:20])}.",
            'Set preprocessing.categorical: "onehot", or drop them with data.drop.',
            columns=cols.categorical_names[:100],
        )


def _constant_columns(cols: FeatureColumns) -> tuple[list[int], list[int], list[str]]:
    keep_num, keep_cat, constant = [], [], []
    for i, name in enumerate(cols.numeric_names):
        col = cols.numeric[:, i]
        finite = col[~np.isnan(col)]
        if finite.size == 0 or np.all(finite == finite[0]):
            constant.append(name)
        else:
            keep_num.append(i)
    for i, name in enumerate(cols.categorical_names):
        levels = {v for v in cols.categorical[:, i] if v is not None}
        if len(levels) <= 1:
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
        num = cols.numeric[:, self.numeric_idx]
        if self.num_imputer is not None and num.shape[1]:
            num = self.num_imputer.transform(num)
        if self.scaler is not None and num.shape[1]:
            num = self.scaler.transform(num)
        cat = cols.categorical[:, self.categorical_idx]
        if cat.shape[1]:
            cat = np.where(cat == None, MISSING_CATEGORY, cat)  # noqa: E711  (elementwise)
            if self.cat_imputer is not None:
                cat = self.cat_imputer.transform(cat)
            assert self.ordinal is not None
            codes = self.ordinal.transform(cat)
        else:
            codes = np.empty((num.shape[0], 0))
        return np.hstack([np.asarray(num, dtype=np.float64), codes])

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
        levels = len({v for v in train.categorical[:, i] if v is not None})
        if levels > MAX_ONEHOT_CATEGORIES:
            report.high_cardinality[name] = levels
        if n and levels / n > 0.9:
            report.id_like.append(name)
    for i, name in zip(keep_num, num_names, strict=True):
        col = train.numeric[:, i]
        if n > 20 and np.all(col[~np.isnan(col)] % 1 == 0) and len(np.unique(col)) == n:
            report.id_like.append(name)

    num = train.numeric[:, keep_num]
    num_imputer = None
    # Fitted even when training has no gaps: validation, test or predictions may have some.
    if spec.impute != "none" and num.shape[1]:
        strategy = spec.impute
        kwargs: dict[str, Any] = {}
        if strategy == "constant":
            kwargs["fill_value"] = (
                float(spec.impute_fill_value)
                if isinstance(spec.impute_fill_value, int | float)
                else 0.0
            )
        num_imputer = SimpleImputer(strategy=strategy, keep_empty_features=True, **kwargs).fit(num)
        num = num_imputer.transform(num)
    scaler: StandardScaler | MinMaxScaler | None = None
    if spec.scale != "none" and num.shape[1]:
        scaler = (StandardScaler() if spec.scale == "standard" else MinMaxScaler()).fit(num)

    cat = train.categorical[:, keep_cat]
    cat_imputer = None
    ordinal = None
    if cat.shape[1]:
        cat = np.where(cat == None, MISSING_CATEGORY, cat)  # noqa: E711
        if spec.impute != "none":
            fill = str(spec.impute_fill_value) if spec.impute == "constant" else None
            strategy = "constant" if spec.impute == "constant" else "most_frequent"
            cat_imputer = SimpleImputer(
                missing_values=MISSING_CATEGORY, strategy=strategy, fill_value=fill
            ).fit(cat)
            cat = cat_imputer.transform(cat)
        ordinal = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, dtype=np.float64
        ).fit(cat)
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
