"""Keras callbacks of a job: learning-rate schedules, early stopping, and the job's own guard
that records each epoch and stops on cancel, timeout or divergence."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras

from schemas.job_spec import (
    CallbacksSpec,
    CosineSchedule,
    EarlyStoppingSpec,
    ExponentialSchedule,
    ReduceOnPlateauSchedule,
    StepSchedule,
)
from schemas.metric_names import monitor_mode


def step_schedule(spec: StepSchedule) -> Callable[[int, float], float]:
    """The background document's function: at epoch index e, multiply by factor when
    e > start_epoch and e % every == 0."""

    def schedule(epoch: int, lr: float) -> float:
        if epoch > spec.start_epoch and epoch % spec.every == 0:
            return float(lr * spec.factor)
        return float(lr)

    return schedule


def exponential_schedule(
    spec: ExponentialSchedule, initial: float
) -> Callable[[int, float], float]:
    def schedule(epoch: int, _lr: float) -> float:
        return float(initial * spec.decay_rate**epoch)

    return schedule


def cosine_schedule(
    spec: CosineSchedule, initial: float, epochs: int
) -> Callable[[int, float], float]:
    """From the initial rate at epoch index 0 down to min_learning_rate at the last epoch."""
    span = max(epochs - 1, 1)

    def schedule(epoch: int, _lr: float) -> float:
        progress = min(epoch / span, 1.0)
        low = min(spec.min_learning_rate, initial)
        return float(low + 0.5 * (initial - low) * (1 + math.cos(math.pi * progress)))

    return schedule


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


@dataclass
class GuardState:
    """Why training stopped, when the guard stopped it."""

    stop_reason: str | None = None  # "canceled" | "timeout" | "diverged"
    detail: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)


class JobGuard(keras.callbacks.Callback):
    """Records each epoch (numbered from 1) with its learning rate, and stops training on
    cancel, deadline or divergence. It must come after any schedule in the callback list,
    so that the rate it records is the one the epoch used."""

    def __init__(
        self,
        *,
        on_epoch: Callable[[dict[str, Any]], None],
        cancel_requested: Callable[[], bool],
        deadline: float,
        check_seconds: float = 2.0,
        divergence_factor: float = 10.0,
        untrained_loss: float | None = None,
        undefined_logs: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self._undefined_logs = undefined_logs
        self._on_epoch = on_epoch
        self._cancel_requested = cancel_requested
        self._deadline = deadline
        self._check_seconds = check_seconds
        self._divergence_factor = divergence_factor
        # A first epoch can already explode (SGD at a huge rate), and then "10x the first
        # epoch" never fires; the loss of the untrained model is a reference that can't.
        self._untrained_loss = untrained_loss
        self.state = GuardState()
        self._lr = 0.0
        self._first_loss: float | None = None
        self._last_check = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.state = GuardState()
        self._first_loss = None
        self._last_check = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        # The optimizer holds a float32, and each decay rounds to it again (0.001 * 0.9 reads
        # 0.00090000004); six significant digits are what float32 carries reliably.
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self._lr = float(f"{lr:.6g}")

    def _stop(self, reason: str, detail: str) -> None:
        self.state.stop_reason = reason
        self.state.detail = detail
        self.model.stop_training = True

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # Long epochs still answer cancel and deadline within seconds; reading the time is cheap
        # and touching no logs keeps the batch loop free of device syncs.
        now = time.monotonic()
        if now - self._last_check < self._check_seconds:
            return
        self._last_check = now
        if self._cancel_requested():
            self._stop("canceled", "canceled by a cancel request")
        elif now > self._deadline:
            self._stop("timeout", "the job ran past limits.max_runtime_seconds")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        row: dict[str, Any] = {"epoch": epoch + 1}
        # a non-finite loss means non-finite outputs: Keras still logs an AUC of 0 and an
        # accuracy for them, which describe nothing
        broken_train = _finite(logs.get("loss")) is None
        broken_val = "val_loss" in logs and _finite(logs["val_loss"]) is None
        for key in sorted(logs):
            if key in ("learning_rate", "lr"):
                continue
            broken = broken_val if key.startswith("val_") else broken_train
            row[key] = None if broken or key in self._undefined_logs else _finite(logs[key])
        row["learning_rate"] = self._lr
        self.state.history.append(row)
        self._on_epoch(row)
        self._last_check = time.monotonic()

        loss = _finite(logs.get("loss"))
        if self._first_loss is None and loss is not None:
            self._first_loss = loss
        if loss is None:
            self._stop(
                "diverged", f"the training loss became {logs.get('loss')} at epoch {epoch + 1}"
            )
        elif "val_loss" in logs and _finite(logs["val_loss"]) is None:
            # finite training loss, non-finite validation loss: the weights already produce
            # overflowing outputs on unseen rows, and every later metric would be undefined
            self._stop(
                "diverged",
                f"the validation loss became {logs['val_loss']} at epoch {epoch + 1}",
            )
        elif self._first_loss and loss > self._divergence_factor * self._first_loss:
            self._stop(
                "diverged",
                f"the training loss {loss:.4g} at epoch {epoch + 1} is more than "
                f"{self._divergence_factor:g}x the first epoch's {self._first_loss:.4g}",
            )
        elif self._untrained_loss and loss > self._divergence_factor * self._untrained_loss:
            self._stop(
                "diverged",
                f"the training loss {loss:.4g} at epoch {epoch + 1} is more than "
                f"{self._divergence_factor:g}x the untrained model's {self._untrained_loss:.4g}",
            )
        elif self._cancel_requested():
            self._stop("canceled", "canceled by a cancel request")
        elif time.monotonic() > self._deadline:
            self._stop("timeout", "the job ran past limits.max_runtime_seconds")


class BestEpochWeights(keras.callbacks.Callback):
    """Keeps the weights of the best epoch by one monitor, so that a run which ends on other
    weights (no early stopping, or restore_best_weights off) can still be judged at its best
    epoch. Improvement follows Keras' EarlyStopping: beyond min_delta in the monitor's
    direction."""

    def __init__(self, *, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        super().__init__()
        self._monitor = monitor
        self._sign = -1.0 if mode == "min" else 1.0
        self._min_delta = abs(min_delta)
        self.best: float | None = None
        self.best_epoch: int | None = None  # 1-based, as in the history
        self.best_weights: list[Any] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best, self.best_epoch, self.best_weights = None, None, None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        value = _finite((logs or {}).get(self._monitor))
        if value is None:
            return
        if self.best is None or self._sign * (value - self.best) > self._min_delta:
            self.best, self.best_epoch = value, epoch + 1
            self.best_weights = self.model.get_weights()


def early_stopping(spec: EarlyStoppingSpec) -> keras.callbacks.EarlyStopping:
    mode = monitor_mode(spec.monitor) if spec.mode == "auto" else spec.mode
    return keras.callbacks.EarlyStopping(
        monitor=spec.monitor,
        patience=spec.patience,
        min_delta=spec.min_delta,
        mode=mode,
        restore_best_weights=spec.restore_best_weights,
        verbose=0,
    )


def schedule_callback(
    spec: CallbacksSpec, initial_lr: float, epochs: int
) -> keras.callbacks.Callback | None:
    sched = spec.lr_schedule
    if sched is None:
        return None
    if isinstance(sched, StepSchedule):
        return keras.callbacks.LearningRateScheduler(step_schedule(sched))
    if isinstance(sched, ExponentialSchedule):
        return keras.callbacks.LearningRateScheduler(exponential_schedule(sched, initial_lr))
    if isinstance(sched, CosineSchedule):
        return keras.callbacks.LearningRateScheduler(cosine_schedule(sched, initial_lr, epochs))
    assert isinstance(sched, ReduceOnPlateauSchedule)
    return keras.callbacks.ReduceLROnPlateau(
        monitor=sched.monitor,
        factor=sched.factor,
        patience=sched.patience,
        min_delta=sched.min_delta,
        cooldown=sched.cooldown,
        min_lr=sched.min_learning_rate,
        mode=monitor_mode(sched.monitor),
        verbose=0,
    )
