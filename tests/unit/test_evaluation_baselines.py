"""Majority-class, stratified and logistic-regression baselines."""

from __future__ import annotations

import numpy as np
import pytest

from workers.evaluation.baselines import baseline_probas, logistic_regression_probas


def test_majority_class_gives_the_priors_and_predicts_the_majority() -> None:
    p = baseline_probas([0, 2, 2, 1, 2], 4, 3, kind="majority_class")
    assert p.shape == (4, 3)
    assert np.allclose(p, [0.2, 0.2, 0.6])
    assert (p.argmax(axis=1) == 2).all()


def test_majority_class_log_loss_is_the_class_entropy() -> None:
    """The null model's log loss: what knowing only the class shares scores."""
    from sklearn.metrics import log_loss

    y = np.array([0] * 94 + [1] * 6)
    p = baseline_probas(y, len(y), 2, kind="majority_class")
    expected = -(0.94 * np.log(0.94) + 0.06 * np.log(0.06))
    assert log_loss(y, p) == pytest.approx(expected)


def test_stratified_follows_priors_and_seed() -> None:
    y = np.array([0] * 900 + [1] * 100)
    a = baseline_probas(y, 5000, 2, kind="stratified", seed=1)
    b = baseline_probas(y, 5000, 2, kind="stratified", seed=1)
    c = baseline_probas(y, 5000, 2, kind="stratified", seed=2)
    assert (a == b).all() and not (a == c).all()
    assert (a.sum(axis=1) == 1).all()
    assert a[:, 1].mean() == pytest.approx(0.1, abs=0.02)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError):
        baseline_probas([], 3, 2, kind="majority_class")
    with pytest.raises(ValueError):
        baseline_probas([0, 1], 3, 2, kind="uniform")  # type: ignore[arg-type]


def test_logistic_regression_all_columns_even_if_class_absent() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.where(X[:, 0] > 0, 2, 0)  # class 1 never seen in training
    X_val, X_test = rng.normal(size=(10, 3)), rng.normal(size=(7, 3))
    val, test = logistic_regression_probas(X, y, [X_val, X_test], seed=0, n_classes=3)
    assert val.shape == (10, 3) and test.shape == (7, 3)
    assert (val[:, 1] == 0).all()
    assert np.allclose(val.sum(axis=1), 1)
    assert ((val[:, 2] > 0.5) == (X_val[:, 0] > 0)).mean() > 0.8


def test_logistic_regression_single_class() -> None:
    X = np.ones((5, 2))
    (out,) = logistic_regression_probas(X, [1] * 5, [np.zeros((3, 2))], seed=0, n_classes=2)
    assert (out == [[0.0, 1.0]] * 3).all()
