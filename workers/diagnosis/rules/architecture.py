"""Architecture rules: overfitting, underfitting, weaker than a linear model."""

from __future__ import annotations

from schemas.finding import Area, Finding, Severity
from workers.diagnosis._common import (
    CHANCE_BASELINES,
    baseline,
    best_of,
    confidence_interval,
    epochs_run,
    finite_series,
    fmt,
    fmt_lr,
    higher_is_better,
    metric,
    num,
    primary_metric,
    sentence,
)
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.settings import DiagnosisSettings


def _validation_early_stopping(inp: DiagnosisInput) -> bool:
    """Early stopping on a validation quantity (the default monitor is val_loss)."""
    monitor = inp.early_stopping_monitor or "val_loss"
    return bool(inp.early_stopping_enabled) and monitor.startswith("val_")


def _best_val_loss_epoch(inp: DiagnosisInput) -> tuple[int, float] | None:
    vals = finite_series(inp, "val_loss")
    if not vals:
        return None
    return min(vals, key=lambda ev: ev[1])  # first epoch of the minimum


def _rising_tail(inp: DiagnosisInput, s: DiagnosisSettings) -> dict[str, float | int] | None:
    """Validation loss rising for more than N epochs after its minimum while loss falls."""
    if _validation_early_stopping(inp):
        return None  # the patience tail of early stopping is expected, not overfitting
    vals = finite_series(inp, "val_loss")
    best = _best_val_loss_epoch(inp)
    if best is None:
        return None
    best_epoch, best_val = best
    after = [(e, v) for e, v in vals if e > best_epoch]
    if len(after) <= s.overfit_rising_epochs:
        return None
    last_epoch, last_val = vals[-1]
    losses = dict(finite_series(inp, "loss"))
    loss_at_best, loss_last = losses.get(best_epoch), losses.get(last_epoch)
    if loss_at_best is None or loss_last is None:
        return None
    rose = last_val > best_val + s.overfit_rising_min_increase * abs(best_val)
    if not (rose and loss_last < loss_at_best):
        return None
    return {
        "best_val_loss_epoch": best_epoch,
        "best_val_loss": best_val,
        "last_epoch": last_epoch,
        "last_val_loss": last_val,
        "epochs_after_best": len(after),
        "loss_at_best_epoch": loss_at_best,
        "last_loss": loss_last,
    }


def _epoch(value: object) -> int | None:
    n = num(value)
    return int(n) if n is not None else None


def _regularization_advice(inp: DiagnosisInput, best_epoch: int | None) -> str:
    tips = []
    if not inp.dropout_in_model:
        tips.append('add "dropout": 0.3 to model.layers[i]')
    else:
        tips.append("raise model.layers[i].dropout (e.g. to 0.5)")
    if not inp.l2_in_model:
        tips.append('add "l2": 0.001 to model.layers[i]')
    if not _validation_early_stopping(inp):
        at = f" (val_loss was best at epoch {best_epoch})" if best_epoch else ""
        tips.append(
            'enable "callbacks": {"early_stopping": {"monitor": "val_loss", "patience": 5, '
            f'"restore_best_weights": true}}}}{at}'
        )
    elif best_epoch:
        tips.append(f"keep early stopping (val_loss was best at epoch {best_epoch})")
    tips.append("or use fewer units/layers in model.layers")
    return sentence(tips)


def overfitting(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    pm = primary_metric(inp)
    gap = train = val = None
    # at the best epoch: the final weights may carry a patience tail or later overfitting
    at_best = inp.metrics_at_best_epoch if isinstance(inp.metrics_at_best_epoch, dict) else None
    panel = at_best if at_best is not None else inp.metrics
    if pm is not None:
        train, val = metric(panel, "train", pm), metric(panel, "validation", pm)
        if train is not None and val is not None:
            gap = train - val if higher_is_better(pm) else val - train
    gap_fires = gap is not None and gap > s.overfit_gap
    tail = _rising_tail(inp, s)
    if not gap_fires and tail is None:
        return None
    best = _best_val_loss_epoch(inp)
    reported = num(inp.best_epoch)
    best_epoch = best[0] if best else (int(reported) if reported else None)
    parts = []
    if gap_fires:
        parts.append(
            (f"at its best epoch ({at_best.get('epoch')}) " if at_best else "")
            + f"train {pm} is {fmt(train)} but validation {pm} is {fmt(val)} "
            f"(gap {fmt(gap)} above {fmt(s.overfit_gap)})"
        )
    if tail is not None:
        parts.append(
            f"validation loss rose for {tail['epochs_after_best']} epochs after its minimum "
            f"{fmt(tail['best_val_loss'])} at epoch {tail['best_val_loss_epoch']} "
            f"(to {fmt(tail['last_val_loss'])}) while training loss kept falling"
        )
    return Finding(
        code="overfitting",
        severity=Severity.warning,
        area=Area.architecture,
        message="The model overfits: " + " and ".join(parts) + ".",
        evidence={
            "metric": pm,
            "train": train,
            "validation": val,
            "gap": gap,
            "gap_epoch": _epoch(at_best.get("epoch") if at_best else inp.best_epoch),
            "threshold": s.overfit_gap,
            "best_val_loss_epoch": best_epoch,
            **({"val_loss_tail": tail} if tail else {}),
        },
        suggestion=_regularization_advice(inp, best_epoch),
    )


def underfitting(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    pm = primary_metric(inp)
    if pm is None:
        return None
    train = metric(inp.metrics, "train", pm)
    if train is None:
        return None
    higher = higher_is_better(pm)
    best = None
    base_split = "train"
    for base_split in ("train", "validation"):
        candidates = [
            (name, v)
            for name in CHANCE_BASELINES
            if (v := baseline(inp, name, base_split, pm)) is not None
        ]
        best = best_of(candidates, higher)
        if best is not None:
            break
    if best is None:
        return None
    name, base = best
    advantage = train - base if higher else base - train
    if advantage >= s.underfit_margin:
        return None
    epochs = epochs_run(inp) or num(inp.epochs_requested)
    tips = ["use more units or another layer in model.layers (e.g. units 128 then 64)"]
    if epochs:
        tips.append(f'raise "training": {{"epochs": {int(epochs * 2)}}}')
    else:
        tips.append("raise training.epochs")
    lr = num(inp.learning_rate)
    if lr:
        tips.append(f'try a higher "training": {{"learning_rate": {fmt_lr(lr * 3)}}}')
    else:
        tips.append("try a higher training.learning_rate")
    if inp.dropout_in_model or inp.l2_in_model:
        tips.append("and reduce model.layers[i].dropout / l2")
    return Finding(
        code="underfitting",
        severity=Severity.warning,
        area=Area.architecture,
        message=(
            f"The model underfits: its train {pm} is {fmt(train)}, only {fmt(advantage)} better "
            f"than the {name} baseline's {fmt(base)} on {base_split} "
            f"(needs at least {fmt(s.underfit_margin)})."
        ),
        evidence={
            "metric": pm,
            "train": train,
            "baseline": name,
            "baseline_split": base_split,
            "baseline_value": base,
            "advantage": advantage,
            "margin": s.underfit_margin,
        },
        suggestion=sentence(tips),
    )


def weaker_than_linear(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    pm = primary_metric(inp)
    if pm is None:
        return None
    pairs = [
        (split, m, lin)
        for split in ("test", "validation")
        if (m := metric(inp.metrics, split, pm)) is not None
        and (lin := baseline(inp, "logistic_regression", split, pm)) is not None
    ]
    if not pairs:
        return None
    split, model, linear = pairs[0]
    ci = confidence_interval(inp, split, pm)
    half = (ci[1] - ci[0]) / 2 if ci else 0.0
    margin = max(s.linear_margin, half)
    lead = linear - model if higher_is_better(pm) else model - linear
    if lead <= margin:
        return None
    return Finding(
        code="weaker_than_linear",
        severity=Severity.warning,
        area=Area.architecture,
        message=(
            f"Logistic regression reaches {split} {pm} {fmt(linear)} while the network reaches "
            f"{fmt(model)}, {fmt(lead)} worse (margin {fmt(margin)})."
        ),
        evidence={
            "metric": pm,
            "split": split,
            "model": model,
            "logistic_regression": linear,
            "difference": lead,
            "margin": margin,
            "ci_half_width": half if ci else None,
        },
        suggestion=(
            "Use a simpler model (fewer units/layers in model.layers), more regularization "
            '("dropout"/"l2" in model.layers[i]), or more training.epochs; the linear model '
            "shows the signal is there."
        ),
    )


RULES = [overfitting, underfitting, weaker_than_linear]
