"""Class balancing on the training split only: class weights or an imbalanced-learn sampler.

Every check against the training counts runs before any sampler does, so a bad
`sampling_strategy` or `k_neighbors` fails fast with the class, its count and the fix.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from schemas.job_spec import K_NEIGHBORS_METHODS, BalancingSpec
from workers.training.errors import JobFailure
from workers.training.target import label_text, match_label

OVER = {
    "smote",
    "adasyn",
    "borderline_smote",
    "svm_smote",
    "smotenc",
    "smoten",
    "random_over",
    "smote_tomek",
    "smote_enn",
}
UNDER = {"random_under", "near_miss"}
CLEANING = {"tomek_links", "edited_nearest_neighbours"}
DEFAULT_K = 5
# float64 cells the resampled training split may hold (800 MB): an asked-for target count
# must fail named, not take the worker's memory.
MAX_RESAMPLED_CELLS = 100_000_000


@dataclass
class Balanced:
    X: np.ndarray
    y: np.ndarray
    class_weight: dict[int, float] | None = None
    notes: list[str] = field(default_factory=list)
    sampler: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def _codes_of(labels: list[str], keys: list[str], what: str) -> list[int]:
    """Each key's class; two keys naming one class ("1" and "1.0") are refused, not merged."""
    codes = [_code_of(labels, key, what) for key in keys]
    first: dict[int, str] = {}
    for key, code in zip(keys, codes, strict=True):
        if code in first:
            raise JobFailure(
                "duplicate_label_keys",
                f"{what} names class {labels[code]!r} twice: as {first[code]!r} and {key!r}.",
                f"Keep one key per class in {what}.",
                label=labels[code],
            )
        first[code] = key
    return codes


def _code_of(labels: list[str], key: str, what: str) -> int:
    matched = match_label(key, labels)
    if matched is None:
        text = label_text(key)
        raise JobFailure(
            "unknown_label",
            f"{what} names label {text!r}, which is not a class of the target ({', '.join(labels)}).",
            f"Key {what} by the original label values: {', '.join(labels)}.",
            label=text,
        )
    return labels.index(matched)


def class_weights(spec: BalancingSpec, y: np.ndarray, labels: list[str]) -> dict[int, float]:
    counts = np.bincount(y, minlength=len(labels))
    if spec.class_weight == "balanced":
        n, k = len(y), int((counts > 0).sum())
        return {i: float(n / (k * c)) for i, c in enumerate(counts) if c > 0}
    weights = {i: 1.0 for i in range(len(labels))}
    keys = list(spec.class_weight)
    for code, key in zip(_codes_of(labels, keys, "balancing.class_weight"), keys, strict=True):
        weights[code] = float(spec.class_weight[key])
    return weights


def _strategy(spec: BalancingSpec, counts: np.ndarray, labels: list[str]) -> Any:
    s = spec.sampling_strategy
    method = spec.method
    if isinstance(s, float):
        if len(labels) != 2:
            raise JobFailure(
                "invalid_sampling_strategy",
                f"balancing.sampling_strategy as a float needs a binary target; this one has {len(labels)} classes.",
                "Use 'auto' or a map from label to target count.",
            )
        minority, majority = int(counts.min()), int(counts.max())
        ratio = minority / majority
        if method in OVER and s < ratio:
            raise JobFailure(
                "invalid_sampling_strategy",
                f"sampling_strategy {s} is below the current minority/majority ratio {ratio:.3f} "
                f"({minority}/{majority}); oversampling cannot remove rows.",
                f"Use a float between {ratio:.3f} and 1.",
                ratio=round(ratio, 4),
            )
        if method in UNDER and s < ratio:
            raise JobFailure(
                "invalid_sampling_strategy",
                f"sampling_strategy {s} is below the current ratio {ratio:.3f}; undersampling cannot add rows.",
                f"Use a float between {ratio:.3f} and 1.",
                ratio=round(ratio, 4),
            )
        return s
    if isinstance(s, dict):
        out: dict[int, int] = {}
        codes = _codes_of(labels, list(s), "balancing.sampling_strategy")
        for code, (key, target) in zip(codes, s.items(), strict=True):
            have = int(counts[code])
            if target < 0:
                raise JobFailure(
                    "invalid_sampling_strategy",
                    f"Target count for {key!r} is negative.",
                    "Use counts ≥ 0.",
                )
            if method in OVER and target < have:
                raise JobFailure(
                    "invalid_sampling_strategy",
                    f"sampling_strategy asks {target} rows of class {labels[code]!r}, which already has {have} "
                    "in the training split; oversampling cannot remove rows.",
                    f"Ask at least {have} rows for {labels[code]!r}, or use an undersampler.",
                    label=labels[code],
                    count=have,
                )
            if method in UNDER and target > have:
                raise JobFailure(
                    "invalid_sampling_strategy",
                    f"sampling_strategy asks {target} rows of class {labels[code]!r}, which has only {have} "
                    "in the training split; undersampling cannot add rows.",
                    f"Ask at most {have} rows for {labels[code]!r}, or use an oversampler.",
                    label=labels[code],
                    count=have,
                )
            out[code] = int(target)
        if method in CLEANING:
            raise JobFailure(
                "invalid_sampling_strategy",
                f"{method} cleans boundaries and takes no target counts.",
                "Use 'auto' or a list-free strategy with cleaning methods.",
            )
        return out
    return "auto"


def _check_resampled_size(method: str, strategy: Any, counts: np.ndarray, n_features: int) -> None:
    if method not in OVER:
        return
    if isinstance(strategy, dict):
        rows = int(sum(max(int(c), strategy.get(i, 0)) for i, c in enumerate(counts)))
    elif isinstance(strategy, float):
        rows = int(counts.max() * (1 + strategy))
    else:
        rows = int(counts.max()) * int((counts > 0).sum())
    if rows * max(n_features, 1) > MAX_RESAMPLED_CELLS:
        limit = MAX_RESAMPLED_CELLS // max(n_features, 1)
        raise JobFailure(
            "resampling_too_large",
            f"{method} would make {rows:,} training rows of {n_features} features; at most "
            f"{limit:,} rows fit a worker's budget.",
            "Ask smaller target counts in balancing.sampling_strategy, undersample the majority "
            '("random_under"), or use "class_weight".',
            rows=rows,
            limit=limit,
        )


def _k_neighbors(
    spec: BalancingSpec, counts: np.ndarray, labels: list[str], notes: list[str], strategy: Any
) -> int:
    # SMOTE interpolates between a minority row and one of its k nearest minority neighbours,
    # so every class it grows needs more than k rows; a class the strategy leaves alone does not.
    if isinstance(strategy, dict):
        grown = [i for i, target in strategy.items() if 0 < counts[i] < target]
    else:
        grown = [i for i, c in enumerate(counts) if 0 < c < counts.max()]
    smallest = min(grown, key=lambda i: counts[i]) if grown else int(np.argmin(counts))
    n_small = int(counts[smallest])
    if spec.k_neighbors == "auto":
        k = min(DEFAULT_K, n_small - 1)
        if k < 1:
            raise JobFailure(
                "class_too_small_for_smote",
                f"Class {labels[smallest]!r} has {n_small} training row(s); SMOTE needs at least 2.",
                'Use balancing.method "random_over" or "class_weight" instead.',
                label=labels[smallest],
                count=n_small,
            )
        if k < DEFAULT_K:
            notes.append(
                f"k_neighbors lowered from {DEFAULT_K} to {k}: class {labels[smallest]!r} has only "
                f"{n_small} training rows."
            )
        return k
    k = spec.k_neighbors if isinstance(spec.k_neighbors, int) else DEFAULT_K
    if k >= n_small:
        raise JobFailure(
            "k_neighbors_too_large",
            f"k_neighbors={k} needs more than {k} training rows in every class SMOTE grows; class "
            f"{labels[smallest]!r} has {n_small}.",
            f'Set balancing.k_neighbors to at most {max(n_small - 1, 1)}, or "auto", '
            'or use "random_over" / "class_weight".',
            label=labels[smallest],
            count=n_small,
            k_neighbors=k,
        )
    return k


# imbalanced-learn's default n_neighbors, and the rows the neighbour search needs.
NEIGHBOUR_DEFAULTS = {"adasyn": 5, "near_miss": 3, "edited_nearest_neighbours": 3}


def _check_n_neighbors(spec: BalancingSpec, counts: np.ndarray, labels: list[str]) -> None:
    """Fail before the sampler with the class, its count and the value that would work."""
    method = spec.method
    n_nb = spec.n_neighbors if spec.n_neighbors is not None else NEIGHBOUR_DEFAULTS[method]
    given = "" if spec.n_neighbors is not None else " (the default)"
    if method == "edited_nearest_neighbours":
        # ENN looks at each row's n_neighbors nearest rows of the whole training split.
        total = int(counts.sum())
        if total <= n_nb:
            raise JobFailure(
                "n_neighbors_too_large",
                f"n_neighbors={n_nb}{given} needs more than {n_nb} training rows; the training "
                f"split has {total}.",
                f"Set balancing.n_neighbors to at most {max(total - 1, 1)}.",
                count=total,
                n_neighbors=n_nb,
            )
        return
    present = [i for i, c in enumerate(counts) if c > 0]
    if method == "adasyn":
        # ADASYN looks for n_neighbors neighbours inside each class it grows: more rows needed.
        grown = [i for i in present if counts[i] < counts.max()] or present
        small = min(grown, key=lambda i: counts[i])
        need = n_nb + 1
    else:
        # NearMiss averages distances to n_neighbors rows of the smallest class.
        small = min(present, key=lambda i: counts[i])
        need = n_nb
    have = int(counts[small])
    if have < need:
        raise JobFailure(
            "n_neighbors_too_large",
            f"n_neighbors={n_nb}{given} needs at least {need} rows in class {labels[small]!r}, "
            f"which has {have} in the training split.",
            f"Set balancing.n_neighbors to at most {max(have - (need - n_nb), 1)}, "
            'or use "random_over" / "class_weight".',
            label=labels[small],
            count=have,
            n_neighbors=n_nb,
        )


def _smote_variant(
    method: str, params: dict[str, Any], categorical: list[int], n_features: int, notes: list[str]
) -> Any:
    """SMOTE, SMOTENC or SMOTEN, whichever fits the column types: SMOTE would interpolate
    category codes into categories neither neighbour has."""
    from imblearn import over_sampling

    all_categorical = bool(categorical) and len(categorical) == n_features
    if method in ("smotenc", "smoten") and not categorical:
        raise JobFailure(
            "no_categorical_features",
            f"{method} needs categorical features and this data has none.",
            'Use balancing.method "smote".',
        )
    if all_categorical:
        chosen, sampler = "smoten", over_sampling.SMOTEN(**params)
    elif categorical:
        chosen = "smotenc"
        sampler = over_sampling.SMOTENC(categorical_features=categorical, **params)
    else:
        chosen, sampler = "smote", over_sampling.SMOTE(**params)
    asked = "smote" if method in ("smote_tomek", "smote_enn") else method
    if chosen != asked:
        kinds = "only categorical" if all_categorical else "categorical and numeric"
        notes.append(
            f"balancing used {type(sampler).__name__} for {method}: the features are {kinds}."
        )
    return sampler


def _sampler(
    method: str, params: dict[str, Any], categorical: list[int], n_features: int, notes: list[str]
) -> Any:
    from imblearn import combine, over_sampling, under_sampling

    if method in ("smote", "smotenc", "smoten"):
        return _smote_variant(method, params, categorical, n_features, notes)
    if method in ("smote_tomek", "smote_enn"):
        # The combined samplers ignore their own sampling_strategy when given a ready SMOTE:
        # the inner sampler must carry it, and the right variant for the column types.
        inner = _smote_variant(method, params, categorical, n_features, notes)
        combined = combine.SMOTETomek if method == "smote_tomek" else combine.SMOTEENN
        return combined(smote=inner, random_state=params.get("random_state"))
    classes = {
        "adasyn": over_sampling.ADASYN,
        "borderline_smote": over_sampling.BorderlineSMOTE,
        "svm_smote": over_sampling.SVMSMOTE,
        "random_over": over_sampling.RandomOverSampler,
        "random_under": under_sampling.RandomUnderSampler,
        "near_miss": under_sampling.NearMiss,
        "tomek_links": under_sampling.TomekLinks,
        "edited_nearest_neighbours": under_sampling.EditedNearestNeighbours,
    }
    return classes[method](**params)


def balance(
    spec: BalancingSpec,
    X: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    *,
    categorical: list[int],
    seed: int,
) -> Balanced:
    if spec.method == "none":
        return Balanced(X, y)
    if spec.method == "class_weight":
        return Balanced(X, y, class_weight=class_weights(spec, y, labels))
    counts = np.bincount(y, minlength=len(labels))
    notes: list[str] = []
    strategy = _strategy(spec, counts, labels)
    _check_resampled_size(spec.method, strategy, counts, X.shape[1])
    params: dict[str, Any] = {"sampling_strategy": strategy}
    method = spec.method
    if method not in ("near_miss", "tomek_links", "edited_nearest_neighbours"):
        params["random_state"] = seed
    if method in K_NEIGHBORS_METHODS:
        params["k_neighbors"] = _k_neighbors(spec, counts, labels, notes, strategy)
    if method in NEIGHBOUR_DEFAULTS:
        _check_n_neighbors(spec, counts, labels)
    if spec.n_neighbors is not None:
        params["n_neighbors"] = spec.n_neighbors
    sampler = _sampler(method, dict(params), categorical, X.shape[1], notes)
    try:
        Xr, yr = sampler.fit_resample(X, y)
    except (ValueError, RuntimeError) as exc:
        raise JobFailure(
            "balancing_failed",
            f"{method} could not resample the training split: {str(exc)[:300]}",
            "Check balancing.sampling_strategy and the neighbour counts against the class sizes "
            "in data_summary, or use random_over / class_weight.",
        ) from exc
    yr = np.asarray(yr, dtype=np.int64)
    after = np.bincount(yr, minlength=len(labels))
    emptied = [labels[i] for i in range(len(labels)) if counts[i] > 0 and after[i] == 0]
    if emptied:
        raise JobFailure(
            "class_emptied_by_balancing",
            f"{method} left no training rows of class(es) {', '.join(map(repr, emptied))}; "
            "the model could never learn to predict them.",
            "Ask at least 1 row per class in balancing.sampling_strategy, or use a gentler method "
            '("random_under" with the default strategy, "class_weight").',
            labels=emptied,
        )
    shown: dict[str, Any] = {}
    for k, v in params.items():
        if k == "random_state":
            continue
        if isinstance(v, dict):  # class codes back to the labels the caller used
            v = {labels[int(code)]: n for code, n in v.items()}
        shown[k] = v if isinstance(v, int | float | str | dict) else str(v)
    return Balanced(
        np.asarray(Xr, dtype=np.float64),
        yr,
        notes=notes,
        sampler=type(sampler).__name__,
        params=shown,
    )
