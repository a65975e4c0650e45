"""Optimization rules: divergence, not converged."""

from __future__ import annotations

import math

from schemas.finding import Area, Finding, Severity
from workers.diagnosis._common import (
    epochs_run,
    finite_series,
    fmt,
    fmt_lr,
    num,
    sentence,
    series,
)
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.settings import DiagnosisSettings

_ADAPTIVE = {"adam", "adamw", "rmsprop", "nadam", "adamax"}


def _nonfinite_epochs(inp: DiagnosisInput, key: str) -> list[int]:
    """Epochs whose value for key is a number but not finite (None counts as missing)."""
    out = []
    rows = inp.history if isinstance(inp.history, list) else []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        value = row.get(key)
        if value is None or isinstance(value, bool):
            continue
        try:
            bad = not math.isfinite(float(value))
        except (TypeError, ValueError):
            bad = True
        if bad:
            epoch = num(row.get("epoch"))
            out.append(int(epoch) if epoch is not None else i + 1)
    return out


def diverged(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    nonfinite = sorted(set(_nonfinite_epochs(inp, "loss") + _nonfinite_epochs(inp, "val_loss")))
    losses = finite_series(inp, "loss")
    first = losses[0][1] if losses else None
    peak = max(losses, key=lambda ev: ev[1]) if losses else None
    exploded = (
        first is not None
        and first > 0
        and peak is not None
        and peak[1] > s.diverge_loss_factor * first
    )
    if not (inp.diverged or nonfinite or exploded):
        return None
    reasons = []
    if inp.diverged:
        reasons.append("training was flagged as diverged")
    if nonfinite:
        reasons.append(f"the loss was NaN or infinite from epoch {nonfinite[0]}")
    if exploded and peak is not None and first is not None:
        reasons.append(
            f"the loss reached {fmt(peak[1])} at epoch {peak[0]}, "
            f"over {fmt(s.diverge_loss_factor)}x the first epoch's {fmt(first)}"
        )
    lr = num(inp.learning_rate)
    tips = []
    if lr:
        tips.append(
            f'lower the learning rate {fmt(s.lr_reduction_factor)}x: "training": '
            f'{{"learning_rate": {fmt_lr(lr / s.lr_reduction_factor)}}} (now {fmt_lr(lr)})'
        )
    else:
        tips.append(f"lower training.learning_rate {fmt(s.lr_reduction_factor)}x")
    optimizer = (inp.optimizer or "").lower()
    if optimizer and optimizer not in _ADAPTIVE:
        tips.append(f'switch "training": {{"optimizer": "adam"}} (now {optimizer})')
    if (inp.scaling or "").lower() == "none":
        tips.append('scale inputs with "preprocessing": {"scale": "standard"}')
    tips.append('or add "batch_norm": true to model.layers[i]')
    return Finding(
        code="diverged",
        severity=Severity.critical,
        area=Area.optimization,
        message="Training diverged: " + "; ".join(reasons) + ".",
        evidence={
            "diverged_flag": bool(inp.diverged),
            "nonfinite_loss_epochs": nonfinite[:20],
            "first_loss": first,
            "max_loss": peak[1] if peak else None,
            "max_loss_epoch": peak[0] if peak else None,
            "loss_factor": s.diverge_loss_factor,
            "learning_rate": lr,
            "optimizer": optimizer or None,
        },
        suggestion=sentence(tips),
    )


def not_converged(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    if inp.stopped_early:
        return None
    key = "val_loss" if any(v is not None for _, v in series(inp, "val_loss")) else "loss"
    if _nonfinite_epochs(inp, key):
        return None  # divergence, not slow convergence
    vals = finite_series(inp, key)
    w = s.not_converged_window
    if len(vals) < w + 2:
        return None
    before = min(v for _, v in vals[:-w])
    recent_epoch, recent = min(vals[-w:], key=lambda ev: ev[1])
    improvement = (before - recent) / abs(before) if before != 0 else before - recent
    if improvement <= s.not_converged_tolerance:
        return None
    ran = epochs_run(inp) or vals[-1][0]
    suggested = int(math.ceil(ran * s.not_converged_epoch_factor))
    lr = num(inp.learning_rate)
    tips = [f'raise "training": {{"epochs": {suggested}}} (ran {ran})']
    if lr:
        tips.append(f'or a higher "training": {{"learning_rate": {fmt_lr(lr * 2)}}}')
    else:
        tips.append("or a higher training.learning_rate")
    if not inp.early_stopping_enabled:
        tips.append("with callbacks.early_stopping on to stop when it levels off")
    return Finding(
        code="not_converged",
        severity=Severity.warning,
        area=Area.optimization,
        message=(
            f"Training had not converged: {key} was still improving at the end, reaching "
            f"{fmt(recent, 4)} at epoch {recent_epoch}, {fmt(improvement * 100, 3)}% below the "
            f"best before the last {w} epochs ({fmt(before, 4)})."
        ),
        evidence={
            "series": key,
            "epochs_run": ran,
            "epochs_requested": num(inp.epochs_requested),
            "best_before_window": before,
            "best_in_window": recent,
            "best_in_window_epoch": recent_epoch,
            "relative_improvement": improvement,
            "window": w,
            "tolerance": s.not_converged_tolerance,
        },
        suggestion=sentence(tips, sep=" "),
    )


RULES = [diverged, not_converged]
