"""The train/validation/test split, made first so nothing fitted later sees held-out rows."""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from schemas.job_spec import SplitSpec
from workers.training.errors import JobFailure

# One row of each class must land in each of train, validation and test.
MIN_ROWS_PER_CLASS = 3


def min_rows_per_class(spec: SplitSpec) -> int:
    """Rows of a class that always give it a row in train, validation and test, however the
    stratified split rounds (it floors each class's share, then hands out the remainders)."""
    for c in range(MIN_ROWS_PER_CLASS, 10_000):
        n_test = int(np.floor(c * spec.test_size))
        worst_rest = c - int(np.ceil(c * spec.test_size))
        n_val = int(np.floor(worst_rest * spec.validation_size))
        worst_train = worst_rest - int(np.ceil(worst_rest * spec.validation_size))
        if n_test >= 1 and n_val >= 1 and worst_train >= 1:
            return c
    return 10_000


def _class_too_small(name: str, count: int, spec: SplitSpec, detail: str) -> JobFailure:
    minimum = min_rows_per_class(spec)
    return JobFailure(
        "class_too_small",
        f"Class {name!r} has {count} row(s); {detail}. With split.test_size {spec.test_size:g} "
        f"and split.validation_size {spec.validation_size:g}, a stratified split needs at least "
        f"{minimum} rows per class to give each of train, validation and test a row.",
        "Add rows of that class, drop it from the data, or lower split.test_size / "
        "split.validation_size (fewer rows are then needed).",
        label=name,
        count=count,
        minimum=minimum,
    )


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
            name, count = min(small, key=lambda nc: nc[1])
            raise _class_too_small(name, count, spec, "three splits need three rows at least")
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
        if spec.stratify:
            counts = np.bincount(y, minlength=len(labels))
            present = [i for i in range(len(labels)) if counts[i] > 0]
            smallest = min(present, key=lambda i: counts[i])
            raise _class_too_small(
                labels[smallest],
                int(counts[smallest]),
                spec,
                "the stratified split cannot place it",
            ) from exc
        raise JobFailure(
            "split_failed",
            f"The split could not be made: {str(exc)[:200]}",
            "Provide more rows, or adjust split.test_size and split.validation_size.",
        ) from exc
    if spec.stratify:
        _check_every_split_holds_every_class(y, labels, spec, train, val, test)
    return SplitIndices(np.sort(train), np.sort(val), np.sort(test))


def _check_every_split_holds_every_class(
    y: np.ndarray,
    labels: list[str],
    spec: SplitSpec,
    train: np.ndarray,
    val: np.ndarray,
    test: np.ndarray,
) -> None:
    """A class missing from validation can neither steer early stopping nor be scored there;
    one missing from test leaves its metrics undefined. Name it instead."""
    counts = np.bincount(y, minlength=len(labels))
    for split_name, rows in (("train", train), ("validation", val), ("test", test)):
        got = np.bincount(y[rows], minlength=len(labels))
        missing = [i for i in range(len(labels)) if counts[i] > 0 and got[i] == 0]
        if missing:
            i = min(missing, key=lambda j: counts[j])
            raise _class_too_small(
                labels[i], int(counts[i]), spec, f"the {split_name} split got none of them"
            )
