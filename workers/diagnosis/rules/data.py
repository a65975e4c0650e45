"""Data rules: class imbalance, no signal, few samples, leakage, unscaled features, quality."""

from __future__ import annotations

import json

from schemas.finding import Area, Finding, Severity
from workers.diagnosis._common import (
    CHANCE_BASELINES,
    baseline,
    best_of,
    class_counts,
    confidence_interval,
    fmt,
    higher_is_better,
    metric,
    minority,
    num,
    primary_metric,
    sentence,
)
from workers.diagnosis.evidence import DiagnosisInput
from workers.diagnosis.settings import DiagnosisSettings


def class_imbalance(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    found = minority(inp)
    if found is None:
        return None
    label, count, share, equivalent = found
    if equivalent >= s.imbalance_share:
        return None
    severity = Severity.critical if equivalent < s.imbalance_critical_share else Severity.warning
    method = (inp.balancing_method or "none").lower()
    if method == "none":
        choice = "smote" if count > 5 else "class_weight"  # SMOTE's k_neighbors=5 needs 6 rows
        suggestion = (
            f'Set "balancing": {{"method": "{choice}"}} (or "class_weight") so the network sees '
            "the minority class, and judge the model by balanced_accuracy, f1 or roc_auc."
        )
    else:
        suggestion = (
            f'Balancing ("{method}") is already on: judge the model by balanced_accuracy, f1, '
            "roc_auc or average_precision rather than accuracy, and try "
            '"decision_threshold": "best_f1" for binary targets.'
        )
    n_classes = len(class_counts(inp))
    return Finding(
        code="class_imbalance",
        severity=severity,
        area=Area.data,
        message=(
            f"The smallest class '{label}' has {count} training rows, "
            f"{fmt(share * 100, 3)}% of the training split across {n_classes} classes "
            f"(threshold {fmt(s.imbalance_share * 100, 3)}% for two classes)."
        ),
        evidence={
            "minority_class": label,
            "minority_count": count,
            "minority_share": share,
            "two_class_equivalent_share": equivalent,
            "n_classes": n_classes,
            "class_counts_train": class_counts(inp),
            "balancing_method": method,
            "threshold": s.imbalance_share,
        },
        suggestion=suggestion,
    )


def no_signal(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    pm = primary_metric(inp)
    if pm is None:
        return None
    higher = higher_is_better(pm)
    found = None
    for split in ("validation", "test"):
        model = metric(inp.metrics, split, pm)
        candidates = [
            (name, v)
            for name in CHANCE_BASELINES
            if (v := baseline(inp, name, split, pm)) is not None
        ]
        best = best_of(candidates, higher)
        if model is not None and best is not None:
            found = (split, model, best)
            break
    if found is None:
        return None
    split, model, best = found
    name, base = best
    ci = confidence_interval(inp, split, pm)
    if ci is not None:
        lo, hi = ci
        # the model is not distinguishable from chance: the baseline lies within its CI
        # (or the model is even worse than the baseline)
        fires = base >= lo if higher else base <= hi
        criterion = f"inside the model's {split} CI [{fmt(lo)}, {fmt(hi)}]"
    else:
        fires = (
            (model - base < s.no_signal_margin) if higher else (base - model < s.no_signal_margin)
        )
        criterion = f"within {fmt(s.no_signal_margin)} of the model"
    if not fires:
        return None
    return Finding(
        code="no_signal",
        severity=Severity.critical,
        area=Area.data,
        message=(
            f"The model's {split} {pm} is {fmt(model)} and the {name} baseline scores "
            f"{fmt(base)}, {criterion}: the network did not learn anything beyond chance."
        ),
        evidence={
            "metric": pm,
            "split": split,
            "model": model,
            "baseline": name,
            "baseline_value": base,
            "confidence_interval": list(ci) if ci else None,
            "margin": None if ci else s.no_signal_margin,
        },
        suggestion=(
            "Check that data.target is the right column and that labels are not shuffled, and "
            "that data.features / data.drop keep the informative columns: the labels may be "
            "independent of the features."
        ),
    )


def few_samples(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    rows = num(inp.n_train_rows)
    features = num(inp.n_features)
    per_feature = rows / features if rows is not None and features and features > 0 else None
    counts = class_counts(inp)
    small = {k: v for k, v in counts.items() if v < s.min_rows_per_class}
    too_few_per_feature = per_feature is not None and per_feature < s.min_rows_per_feature
    if not too_few_per_feature and not small:
        return None
    parts = []
    if too_few_per_feature:
        parts.append(
            f"{int(rows or 0)} training rows for {int(features or 0)} features "
            f"({fmt(per_feature)} per feature, below {fmt(s.min_rows_per_feature)})"
        )
    if small:
        listed = ", ".join(f"'{k}' ({v})" for k, v in sorted(small.items(), key=lambda kv: kv[1]))
        parts.append(f"classes with fewer than {s.min_rows_per_class} training rows: {listed}")
    return Finding(
        code="few_samples",
        severity=Severity.warning,
        area=Area.data,
        message="There are too few training samples: " + "; ".join(parts) + ".",
        evidence={
            "n_train_rows": rows,
            "n_features": features,
            "rows_per_feature": per_feature,
            "min_rows_per_feature": s.min_rows_per_feature,
            "small_classes": small,
            "min_rows_per_class": s.min_rows_per_class,
        },
        suggestion=(
            "Collect more rows, or reduce the inputs with data.features / data.drop (and "
            "one-hot encoded columns), use a smaller model.layers with dropout or l2, and for "
            'tiny classes use "balancing": {"method": "class_weight"} rather than SMOTE.'
        ),
    )


def leakage_suspected(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    aucs = inp.single_feature_auc if isinstance(inp.single_feature_auc, dict) else {}
    leaky = {
        str(k): v for k, raw in aucs.items() if (v := num(raw)) is not None and v > s.leakage_auc
    }
    if not leaky:
        return None
    names = sorted(leaky, key=lambda k: -leaky[k])
    listed = ", ".join(f"'{k}' (AUC {fmt(leaky[k], 4)})" for k in names)
    return Finding(
        code="leakage_suspected",
        severity=Severity.critical,
        area=Area.data,
        message=(
            f"A single feature alone almost perfectly separates the classes on train: {listed}, "
            "which suggests target leakage."
        ),
        evidence={"features": {k: leaky[k] for k in names}, "threshold": s.leakage_auc},
        suggestion=(
            f'Check how these columns are produced and drop them: "data": {{"drop": '
            f"{json.dumps(names)}}}."
        ),
    )


def unscaled_features(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    ratio = num(inp.feature_scale_ratio)
    if (inp.scaling or "").lower() != "none" or ratio is None or ratio <= s.unscaled_ratio:
        return None
    return Finding(
        code="unscaled_features",
        severity=Severity.warning,
        area=Area.data,
        message=(
            f"Features are not scaled and their standard deviations differ by a factor of "
            f"{fmt(ratio)} (above {fmt(s.unscaled_ratio)}), which slows and skews gradient descent."
        ),
        evidence={"scaling": "none", "feature_scale_ratio": ratio, "threshold": s.unscaled_ratio},
        suggestion='Set "preprocessing": {"scale": "standard"} (or "minmax").',
    )


def data_quality(inp: DiagnosisInput, s: DiagnosisSettings) -> Finding | None:
    imputed_raw = inp.missing_imputed if isinstance(inp.missing_imputed, dict) else {}
    imputed = {str(k): int(v) for k, raw in imputed_raw.items() if (v := num(raw)) and v > 0}
    duplicates = int(num(inp.duplicate_rows) or 0)
    cross = int(num(inp.cross_split_duplicates) or 0)
    constant = [str(c) for c in (inp.constant_columns or [])]
    if not imputed and duplicates <= 0 and cross <= 0 and not constant:
        return None
    # duplicates are counted over every row used (all splits), so their share is taken of
    # n_rows; older evidence without n_rows falls back to the training rows
    total = num(inp.n_rows)
    base_name = "rows" if total else "training rows"
    rows = total or num(inp.n_train_rows)
    dup_share = min(duplicates / rows, 1.0) if rows and rows > 0 else None
    severity = (
        Severity.warning
        if cross > 0 or (dup_share is not None and dup_share > s.duplicate_warning_share)
        else Severity.info
    )
    parts, fixes = [], []
    if imputed:
        n_cols = len(imputed)
        parts.append(
            f"{sum(imputed.values())} missing values imputed in {n_cols} "
            f"column{'s' if n_cols != 1 else ''} ({', '.join(sorted(imputed))})"
        )
        fixes.append("check preprocessing.impute for the imputed columns")
    if duplicates > 0:
        share = f" ({fmt(dup_share * 100, 3)}% of {base_name})" if dup_share is not None else ""
        parts.append(f"{duplicates} duplicate rows{share}")
        fixes.append("deduplicate the data")
    if cross > 0:
        parts.append(f"{cross} rows appear in more than one split, inflating validation/test")
        fixes.append("remove rows shared between splits")
    if constant:
        parts.append(f"constant columns {', '.join(constant)}")
        fixes.append(f'drop constant columns with "data": {{"drop": {json.dumps(constant)}}}')
    return Finding(
        code="data_quality",
        severity=severity,
        area=Area.data,
        message="Data quality issues: " + "; ".join(parts) + ".",
        evidence={
            "missing_imputed": imputed,
            "duplicate_rows": duplicates,
            "duplicate_share": dup_share,
            "duplicate_share_of": base_name,
            "n_rows": int(rows) if rows else None,
            "cross_split_duplicates": cross,
            "constant_columns": constant,
        },
        suggestion=sentence(fixes),
    )


RULES = [
    class_imbalance,
    no_signal,
    few_samples,
    leakage_suspected,
    unscaled_features,
    data_quality,
]
