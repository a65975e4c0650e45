"""The train/validation/test split, made first so nothing fitted later sees held-out rows."""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from schemas.job_spec import SplitSpec
from workers.training.errors import JobFailure

# One row of each class must land in each of train, validation and test.
MIN_ROWS_PER_CLASS = 3


@dataclass(frozen=True)
class SplitIndices:
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray


def _check_sizes(y: np.ndarray, labels: list[str], spec: SplitSpec) -> None:
    n = len(y)
    k = len(labels)
    n_test = int(np.ceil(spec.test_size * n))
    n_val = int(np.ceil(spec.validation_size * (n - n_test)))
    n_train = n - n_test - n_val
    if spec.stratify:
        counts = np.bincount(y, minlength=k)
        small = [(labels[i], int(c)) for i, c in enumerate(counts) if c < MIN_ROWS_PER_CLASS]
        if small:
            name, count = small[0]
            raise JobFailure(
                "class_too_small",
                f"Class {name!r} has {count} row(s); a stratified train/validation/test split needs "
                f"at least {MIN_ROWS_PER_CLASS} per class.",
                "Add rows of that class, drop it from the data, or set split.stratify: false.",
                label=name,
                count=count,
                minimum=MIN_ROWS_PER_CLASS,
            )
        if min(n_test, n_val, n_train) < k:
            sizes = f"train {n_train}, validation {n_val}, test {n_test}"
            if n_train < k:
                hint = (
                    "Lower split.test_size and split.validation_size so that training keeps "
                    f"at least {k} rows, or provide more rows."
                )
            else:
                need = int(
                    np.ceil(k / min(spec.test_size, spec.validation_size * (1 - spec.test_size)))
                )
                hint = (
                    f"Provide at least {need} rows, or raise split.test_size / "
                    "split.validation_size."
                )
            raise JobFailure(
                "too_few_rows",
                f"{n} rows are too few to hold all {k} classes in each split ({sizes}).",
                hint,
                rows=n,
            )
    elif min(n_test, n_val, n_train) < 1:
        raise JobFailure(
            "too_few_rows",
            f"{n} rows are too few for a train/validation/test split.",
            "Provide more rows.",
            rows=n,
        )


def split_rows(y: np.ndarray, labels: list[str], spec: SplitSpec, seed: int) -> SplitIndices:
    _check_sizes(y, labels, spec)
    idx = np.arange(len(y))
    strat = y if spec.stratify else None
    try:
        rest, test = train_test_split(
            idx, test_size=spec.test_size, stratify=strat, random_state=seed
        )
        strat_rest = y[rest] if spec.stratify else None
        train, val = train_test_split(
            rest, test_size=spec.validation_size, stratify=strat_rest, random_state=seed
        )
    except ValueError as exc:
        raise JobFailure(
            "split_failed",
            f"The split could not be made: {str(exc)[:200]}",
            "Provide more rows per class, or adjust split.test_size and split.validation_size.",
        ) from exc
    return SplitIndices(np.sort(train), np.sort(val), np.sort(test))
