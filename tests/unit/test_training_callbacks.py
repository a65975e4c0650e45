"""The job's Keras callbacks on real (tiny) Keras fits: schedules, the guard, best-epoch weights."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from schemas.job_spec import (  # noqa: E402
    CallbacksSpec,
    CosineSchedule,
    ExponentialSchedule,
    StepSchedule,
)
from workers.training.callbacks import (  # noqa: E402
    BestEpochWeights,
    JobGuard,
    cosine_schedule,
    exponential_schedule,
    schedule_callback,
    step_schedule,
)


def _data(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype("float32")
    return X, (X[:, 0] > 0).astype("float32")


def _model(lr: float = 0.01, optimizer: str = "adam") -> Any:
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    opt = keras.optimizers.SGD(lr) if optimizer == "sgd" else keras.optimizers.Adam(lr)
    m.compile(optimizer=opt, loss="binary_crossentropy")
    return m


def _guard(**kw: Any) -> tuple[JobGuard, list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    guard = JobGuard(
        on_epoch=rows.append,
        cancel_requested=kw.pop("cancel", lambda: False),
        deadline=kw.pop("deadline", time.monotonic() + 600),
        **kw,
    )
    return guard, rows


def test_step_schedule_is_the_background_documents_function() -> None:
    """At 0-based epoch e the rate is multiplied by factor when e > start_epoch and
    e % every == 0; e == start_epoch itself does not decay."""
    f = step_schedule(StepSchedule(type="step", start_epoch=5, every=2, factor=0.9))
    rates, lr = [], 1.0
    for e in range(12):
        lr = f(e, lr)
        rates.append(round(lr, 6))
    assert rates == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.81, 0.81, 0.729, 0.729]
    # start_epoch even and divisible: e == 4 must not decay, e == 6 does
    g = step_schedule(StepSchedule(type="step", start_epoch=4, every=2, factor=0.5))
    assert g(4, 1.0) == 1.0 and g(6, 1.0) == 0.5


def test_exponential_and_cosine_schedules() -> None:
    exp = exponential_schedule(ExponentialSchedule(type="exponential", decay_rate=0.5), 0.1)
    assert [exp(e, 0.0) for e in range(3)] == pytest.approx([0.1, 0.05, 0.025])
    cos = cosine_schedule(CosineSchedule(type="cosine", min_learning_rate=0.0), 0.1, epochs=5)
    assert cos(0, 0.0) == pytest.approx(0.1)
    assert cos(2, 0.0) == pytest.approx(0.05)
    assert cos(4, 0.0) == pytest.approx(0.0)


def test_history_records_each_epochs_rate_numbered_from_one() -> None:
    X, y = _data()
    sched = schedule_callback(
        CallbacksSpec(lr_schedule=StepSchedule(type="step", start_epoch=1, every=1, factor=0.5)),
        0.01,
        5,
    )
    guard, rows = _guard()
    _model(0.01).fit(X, y, epochs=5, verbose=0, callbacks=[sched, guard])
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5]
    # e=0,1 keep 0.01; e=2 → 0.005; e=3 → 0.0025; e=4 → 0.00125, with no float32 noise
    assert [r["learning_rate"] for r in rows] == [0.01, 0.01, 0.005, 0.0025, 0.00125]

    sched = schedule_callback(
        CallbacksSpec(lr_schedule=StepSchedule(type="step", start_epoch=0, every=1, factor=0.9)),
        0.001,
        4,
    )
    guard, rows = _guard()
    _model(0.001).fit(X, y, epochs=4, verbose=0, callbacks=[sched, guard])
    assert [r["learning_rate"] for r in rows] == [0.001, 0.0009, 0.00081, 0.000729]


def test_guard_stops_on_an_exploding_loss_with_its_factor() -> None:
    X, y = _data()
    y = y * 50  # targets far outside [0, 1] with SGD at a huge rate: the loss blows up
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(5.0), loss="mse")
    guard, rows = _guard(divergence_factor=3.0)
    model.fit(X, y, epochs=30, verbose=0, callbacks=[guard])
    assert guard.state.stop_reason == "diverged"
    assert len(rows) < 30
    assert "3x" in guard.state.detail or "nan" in guard.state.detail.lower()


def test_guard_stops_on_a_non_finite_validation_loss() -> None:
    X, y = _data()
    X_val = np.full((8, 3), np.inf, dtype="float32")
    guard, rows = _guard()
    _model().fit(X, y, validation_data=(X_val, np.zeros(8)), epochs=5, verbose=0, callbacks=[guard])
    assert guard.state.stop_reason == "diverged"
    assert "validation loss" in guard.state.detail
    assert len(rows) == 1 and rows[0]["val_loss"] is None
    assert rows[0]["loss"] is not None


def test_metrics_of_a_split_whose_loss_is_not_finite_are_null() -> None:
    X, y = _data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="roc_auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    X_val = np.full((8, 3), np.nan, dtype="float32")
    guard, rows = _guard()
    model.fit(X, y, validation_data=(X_val, np.zeros(8)), epochs=2, verbose=0, callbacks=[guard])
    (row,) = rows
    assert row["val_loss"] is None and row["val_roc_auc"] is None and row["val_accuracy"] is None
    assert row["roc_auc"] is not None and row["accuracy"] is not None


def test_guard_honours_cancel_and_deadline() -> None:
    X, y = _data()
    guard, rows = _guard(cancel=lambda: True)
    _model().fit(X, y, epochs=5, verbose=0, callbacks=[guard])
    assert guard.state.stop_reason == "canceled" and len(rows) == 1
    guard, rows = _guard(deadline=time.monotonic() - 1)
    _model().fit(X, y, epochs=5, verbose=0, callbacks=[guard])
    assert guard.state.stop_reason == "timeout" and len(rows) == 1


def test_best_epoch_weights_keeps_the_best_epochs_weights() -> None:
    X, y = _data()
    tracker = BestEpochWeights(monitor="val_loss", mode="min")
    snapshots: list[list[np.ndarray]] = []
    losses: list[float] = []

    class Snap(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            snapshots.append(self.model.get_weights())
            losses.append(float((logs or {})["val_loss"]))

    # a rate high enough that val_loss does not only fall
    _model(0.5, "sgd").fit(
        X, y, validation_data=_data(32, seed=1), epochs=8, verbose=0, callbacks=[tracker, Snap()]
    )
    best = int(np.argmin(losses))
    assert tracker.best_epoch == best + 1
    assert math.isclose(tracker.best or 0.0, losses[best], rel_tol=1e-6)
    for kept, expected in zip(tracker.best_weights or [], snapshots[best], strict=True):
        np.testing.assert_array_equal(kept, expected)
