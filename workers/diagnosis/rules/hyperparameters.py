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
    """An oscillating training loss: its direction flips in most epochs with sizable moves,
    or it jumps up (by a share of the first epoch's loss) several times, then recovers."""
    series_ = finite_series(inp, "loss")
    losses = [v for _, v in series_]
    if len(losses) < s.oscillation_min_epochs:
        return None
    diffs = [b - a for a, b in zip(losses, losses[1:], strict=False)]
    flips = sum(1 for a, b in zip(diffs, diffs[1:], strict=False) if a * b < 0)
    share = flips / (len(diffs) - 1)
    # relative to the previous loss, but never to less than a tenth of the first epoch's, so
    # that jitter of a loss already near zero does not read as oscillation
    floor = 0.1 * abs(losses[0])
    rel = [
        abs(d) / max(abs(a), floor)
        for d, a in zip(diffs, losses, strict=False)
        if max(abs(a), floor)
    ]
    mean_rel = sum(rel) / len(rel) if rel else 0.0
    # the median, so that the steep first epochs of a healthy run do not carry the average
    median_rel = sorted(rel)[len(rel) // 2] if rel else 0.0
    alternating = (
        share > s.oscillation_flip_share and median_rel > s.oscillation_min_relative_change
    )
    first = losses[0]
    spike_size = s.oscillation_spike_fraction * abs(first)
    spikes = [series_[i + 1][0] for i, d in enumerate(diffs) if first != 0 and d > spike_size]
    spiky = len(spikes) >= s.oscillation_min_spikes
    if not (alternating or spiky):
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
    parts = []
    if alternating:
        parts.append(
            f"its direction flipped in {flips} of {len(diffs) - 1} epochs "
            f"({fmt(share * 100, 3)}%) with a median epoch-to-epoch change of "
            f"{fmt(median_rel * 100, 3)}%"
        )
    if spiky:
        listed = ", ".join(str(e) for e in spikes[:5]) + (", ..." if len(spikes) > 5 else "")
        parts.append(
            f"it jumped up by more than {fmt(s.oscillation_spike_fraction * 100, 3)}% of the "
            f"first epoch's loss {len(spikes)} times (at epochs {listed})"
        )
    what = " and ".join(parts)
    return Finding(
        code="learning_rate_too_high",
        severity=Severity.warning,
        area=Area.hyperparameters,
        message=f"The training loss oscillates: {what}, a sign of a learning rate that is too high.",
        evidence={
            "flips": flips,
            "opportunities": len(diffs) - 1,
            "flip_share": share,
            "mean_relative_change": mean_rel,
            "median_relative_change": median_rel,
            "flip_share_threshold": s.oscillation_flip_share,
            "relative_change_threshold": s.oscillation_min_relative_change,
            "spike_epochs": spikes[:20],
            "spike_threshold": spike_size,
            "min_spikes": s.oscillation_min_spikes,
            "learning_rate": lr,
        },
        suggestion=sentence(tips, sep=" "),
    )


RULES = [stopped_too_early, learning_rate_too_high]
