"""Hyperparameter rules: early stopping too early, learning rate too high."""

from __future__ import annotations

from schemas.finding import Area, Finding, Severity
from workers.diagnosis._common import finite_series, fmt, fmt_lr, num, sentence
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.settings import DiagnosisSettings


def stopped_too_early(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    best = num(inp.best_epoch)
    if not inp.stopped_early or best is None or not 1 <= best <= s.stopped_early_max_best_epoch:
        return None
    patience = num(inp.patience)
    new_patience = max(10, int(patience * 2)) if patience else 10
    lr = num(inp.learning_rate)
    tips = [
        f'raise "callbacks": {{"early_stopping": {{"patience": {new_patience}}}}}'
        + (f" (now {int(patience)})" if patience else "")
    ]
    if lr:
        tips.append(f'lower "training": {{"learning_rate": {fmt_lr(lr / 3)}}} (now {fmt_lr(lr)})')
    else:
        tips.append("lower training.learning_rate")
    monitor = inp.early_stopping_monitor or "val_loss"
    return Finding(
        code="stopped_too_early",
        severity=Severity.warning,
        area=Area.hyperparameters,
        message=(
            f"Early stopping ended training with the best {monitor} at epoch {int(best)}, "
            "before the network had time to learn."
        ),
        evidence={
            "best_epoch": int(best),
            "patience": patience,
            "monitor": monitor,
            "max_best_epoch": s.stopped_early_max_best_epoch,
            "learning_rate": lr,
        },
        suggestion=sentence(tips),
    )


def learning_rate_too_high(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    losses = [v for _, v in finite_series(inp, "loss")]
    if len(losses) < s.oscillation_min_epochs:
        return None
    diffs = [b - a for a, b in zip(losses, losses[1:], strict=False)]
    flips = sum(1 for a, b in zip(diffs, diffs[1:], strict=False) if a * b < 0)
    share = flips / (len(diffs) - 1)
    rel = [abs(d) / abs(a) for d, a in zip(diffs, losses, strict=False) if a != 0]
    mean_rel = sum(rel) / len(rel) if rel else 0.0
    if share <= s.oscillation_flip_share or mean_rel <= s.oscillation_min_relative_change:
        return None
    lr = num(inp.learning_rate)
    tips = []
    if lr:
        tips.append(f'lower "training": {{"learning_rate": {fmt_lr(lr / 3)}}} (now {fmt_lr(lr)})')
    else:
        tips.append("lower training.learning_rate")
    tips.append(
        'or add "callbacks": {"lr_schedule": {"type": "reduce_on_plateau", "factor": 0.5, '
        '"patience": 2}}'
    )
    return Finding(
        code="learning_rate_too_high",
        severity=Severity.warning,
        area=Area.hyperparameters,
        message=(
            f"The training loss oscillates: its direction flipped in {flips} of "
            f"{len(diffs) - 1} epochs ({fmt(share * 100, 3)}%) with a mean epoch-to-epoch change "
            f"of {fmt(mean_rel * 100, 3)}%, a sign of a learning rate that is too high."
        ),
        evidence={
            "flips": flips,
            "opportunities": len(diffs) - 1,
            "flip_share": share,
            "mean_relative_change": mean_rel,
            "flip_share_threshold": s.oscillation_flip_share,
            "relative_change_threshold": s.oscillation_min_relative_change,
            "learning_rate": lr,
        },
        suggestion=sentence(tips, sep=" "),
    )


RULES = [stopped_too_early, learning_rate_too_high]
