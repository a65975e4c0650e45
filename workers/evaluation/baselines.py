"""Reference models every result is compared against: what accuracy means only relative
to a model that knows nothing (majority class, class-prior guessing) and to a plain
linear model on the same features."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from workers.evaluation.inputs import as_codes, check_labels

BaselineKind = Literal["majority_class", "stratified"]


def _priors(y_train: ArrayLike, n_classes: int) -> NDArray[np.float64]:
    y = as_codes(y_train)
    if y.size == 0:
        raise ValueError("y_train is empty; a baseline needs training labels")
    check_labels(y, n_classes)
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return counts / counts.sum()


def baseline_probas(
    y_train: ArrayLike,
    n_eval: int,
    n_classes: int,
    *,
    kind: BaselineKind,
    seed: int = 42,
) -> NDArray[np.float64]:
    """Probabilities (n_eval, n_classes) of a data-blind baseline.

    ``majority_class``: the training class priors for every row, like
    ``DummyClassifier(strategy="prior")``: at threshold 0.5 (or argmax) it predicts the most
    frequent class, and its log loss and Brier score are those of knowing only the class
    shares (a one-hot guess would score an infinite-looking log loss no model needs to beat).
    ``stratified``: one-hot draws from the training class priors, like
    ``DummyClassifier(strategy="stratified")``, seeded.
    """
    priors = _priors(y_train, n_classes)
    out = np.zeros((n_eval, n_classes), dtype=np.float64)
    if kind == "majority_class":
        out[:] = priors
    elif kind == "stratified":
        draws = np.random.default_rng(seed).choice(n_classes, size=n_eval, p=priors)
        out[np.arange(n_eval), draws] = 1.0
    else:
        raise ValueError(f"kind must be 'majority_class' or 'stratified', got {kind!r}")
    return out


def logistic_regression_probas(
    X_train: ArrayLike,
    y_train: ArrayLike,
    X_eval_list: list[NDArray[np.float64]],
    *,
    seed: int,
    n_classes: int,
    class_weight: Mapping[int, float] | None = None,
) -> list[NDArray[np.float64]]:
    """Fit ``LogisticRegression(max_iter=1000)`` on the (already preprocessed, already
    balanced) training data, with the network's class weights when balancing is by
    weight; probabilities for each eval matrix, always with all ``n_classes`` columns in
    code order (absent training classes get probability 0)."""
    y = as_codes(y_train)
    check_labels(y, n_classes)
    X = np.asarray(X_train, dtype=np.float64)
    if y.size == 0:
        raise ValueError("y_train is empty; a baseline needs training labels")
    present = np.unique(y)
    if present.size == 1:
        # LogisticRegression refuses a single class; the only sensible model is constant
        return [
            _one_hot(np.full(np.asarray(Xe).shape[0], present[0]), n_classes) for Xe in X_eval_list
        ]
    model = LogisticRegression(
        max_iter=1000,
        random_state=seed,
        class_weight=dict(class_weight) if class_weight else None,
    )
    with warnings.catch_warnings():
        # a baseline that did not fully converge is still a fair baseline
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    columns = model.classes_.astype(np.int64)
    results: list[NDArray[np.float64]] = []
    for Xe in X_eval_list:
        partial = model.predict_proba(np.asarray(Xe, dtype=np.float64))
        full = np.zeros((partial.shape[0], n_classes), dtype=np.float64)
        full[:, columns] = partial
        results.append(full)
    return results


def _one_hot(codes: NDArray[np.int64], n_classes: int) -> NDArray[np.float64]:
    out = np.zeros((codes.size, n_classes), dtype=np.float64)
    out[np.arange(codes.size), codes] = 1.0
    return out
