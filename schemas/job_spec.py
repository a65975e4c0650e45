"""The training-job spec: what callers POST to /v1/jobs.

Every field has a default, bounds and a description; a `type`/`method` field selects a
variant. Unknown fields are rejected so that a typo never silently becomes a default.
Checks that need only the spec itself live here; checks that need the data run in the worker.
"""

from collections import Counter
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.metric_names import (
    ALL_METRIC_NAMES,
    BINARY_METRICS,
    MONITOR_NAMES,
    MULTICLASS_METRICS,
)


class SpecFieldError(ValueError):
    """A check that spans fields, blamed on the one to change: `field` is its dotted path from
    the model that raises it, and the API's 422 names it in `errors[].loc`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StrictModel(BaseModel):
    # strict: JSON types as written (true is no epoch count, "3" no integer); finite numbers only.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


MAX_CLASS_WEIGHT = 1e6
MAX_TARGET_COUNT = 100_000_000
# What one job may ask of a worker's memory: weights of the network (float32, three copies
# with Adam's moments), and cells of generated data (float64).
MAX_MODEL_PARAMETERS = 50_000_000
MAX_SYNTHETIC_CELLS = 50_000_000


def _check_url(location: str) -> None:
    """A URL that cannot be fetched is a spec error: say so at submission."""
    try:
        parts = urlsplit(location)
        parts.port  # noqa: B018  (reading it is the check: it raises when out of range)
    except ValueError as exc:
        raise ValueError(
            f"data.location is not a valid URL ({exc}); use http(s)://host[:port]/path."
        ) from None
    if not parts.hostname:
        raise ValueError("data.location names no host; use http(s)://host[:port]/path.")


def _no_control_characters(v: str | None, what: str) -> None:
    if v is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
        raise ValueError(f"{what} contains a control character (a NUL or newline); remove it.")


class SyntheticData(StrictModel):
    """scikit-learn's make_classification parameters, so that a curl experiment needs no file."""

    n_samples: int = Field(1000, ge=20, le=2_000_000, description="Rows to generate.")
    n_features: int = Field(20, ge=1, le=2000, description="Total features.")
    n_informative: int = Field(10, ge=1, le=2000, description="Informative features.")
    n_redundant: int = Field(5, ge=0, le=2000, description="Linear combinations of informative.")
    n_classes: int = Field(2, ge=2, le=100, description="Number of classes.")
    n_clusters_per_class: int = Field(2, ge=1, le=100, description="Clusters per class.")
    weights: list[Annotated[float, Field(gt=0, lt=1)]] | None = Field(
        None, description="Class proportions, e.g. [0.9, 0.1]; null means balanced."
    )
    class_sep: float = Field(1.0, gt=0, le=100, description="Larger values make the task easier.")
    flip_y: float = Field(0.01, ge=0, le=1, description="Share of labels assigned at random.")
    random_state: int = Field(42, ge=0, le=2**32 - 1, description="Generator seed.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.n_samples * self.n_features > MAX_SYNTHETIC_CELLS:
            raise SpecFieldError(
                "n_samples",
                f"n_samples x n_features is {self.n_samples * self.n_features:,} values; at most "
                f"{MAX_SYNTHETIC_CELLS:,} are generated. Lower n_samples or n_features.",
            )
        if self.n_informative + self.n_redundant > self.n_features:
            raise SpecFieldError(
                "n_informative",
                f"n_informative + n_redundant ({self.n_informative + self.n_redundant}) must not "
                f"exceed n_features ({self.n_features}); raise n_features or lower the others.",
            )
        if self.n_classes * self.n_clusters_per_class > 2**self.n_informative:
            raise SpecFieldError(
                "n_informative",
                "n_classes * n_clusters_per_class must be at most 2**n_informative; "
                "raise n_informative.",
            )
        if self.weights is not None and sum(self.weights) > 1 + 1e-9:
            raise SpecFieldError(
                "weights",
                f"weights sum to {sum(self.weights):.3g}; they are class proportions and must sum "
                "to at most 1 (the last class takes the rest when one is left out).",
            )
        if self.weights is not None and len(self.weights) not in (
            self.n_classes,
            self.n_classes - 1,
        ):
            raise SpecFieldError(
                "weights",
                f"weights has {len(self.weights)} entries; give n_classes ({self.n_classes}) "
                "or n_classes - 1.",
            )
        return self


class DataSpec(StrictModel):
    location: str | None = Field(
        None,
        min_length=1,
        max_length=2048,
        description=(
            "A path relative to DATA_ROOT, file:// under it, dataset:{id} of an upload, "
            "builtin:{breast_cancer|digits|wine|iris}, or http(s):// on an allowed host."
        ),
    )
    synthetic: SyntheticData | None = Field(
        None, description="Generate data with make_classification instead of reading a file."
    )
    format: Literal["auto", "csv", "parquet", "jsonl"] = Field(
        "auto", description="auto goes by the extension, then by sniffing the content."
    )
    target: str | None = Field(
        None,
        min_length=1,
        max_length=256,
        description="The label column. Required for files; synthetic and builtin data use 'target'.",
    )
    positive_label: str | int | float | bool | None = Field(
        None, description="Binary targets only: the positive class; default the minority class."
    )
    features: list[str] | None = Field(
        None,
        min_length=1,
        max_length=100_000,
        description="Columns to use; default all but the target.",
    )
    drop: list[str] = Field(
        default_factory=list, max_length=100_000, description="Columns to leave out."
    )

    @field_validator("location")
    @classmethod
    def _printable_location(cls, v: str | None) -> str | None:
        if v is not None and any(ord(ch) < 32 for ch in v):
            raise ValueError(
                "data.location contains a control character (a NUL or newline); remove it."
            )
        scheme, sep, rest = (v or "").partition("://")
        if sep and scheme.lower() in ("http", "https", "file"):
            v = f"{scheme.lower()}://{rest}"  # schemes are case-insensitive (RFC 3986)
        if v is not None and v.startswith(("http://", "https://")):
            _check_url(v)
        return v

    @field_validator("target")
    @classmethod
    def _printable_target(cls, v: str | None) -> str | None:
        _no_control_characters(v, "data.target")
        return v

    @field_validator("features", "drop")
    @classmethod
    def _each_column_once(cls, v: list[str] | None) -> list[str] | None:
        twice = [c for c, n in Counter(v or []).items() if n > 1]
        if twice:
            raise ValueError(
                f"names {', '.join(repr(c[:40]) for c in twice[:5])} more than once; "
                "list each column once."
            )
        return v

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.location is None) == (self.synthetic is None):
            raise SpecFieldError(
                "location" if self.location is None else "synthetic",
                "Give exactly one data source: data.location (a file, dataset:{id}, builtin:{name} "
                "or URL) or data.synthetic.",
            )
        loc = self.location or ""
        if loc.startswith("builtin:") and loc.removeprefix("builtin:") not in BUILTIN_N_CLASSES:
            raise SpecFieldError(
                "location",
                f"unknown builtin dataset {loc[:60]!r}; use one of "
                f"{', '.join('builtin:' + b for b in BUILTIN_N_CLASSES)}.",
            )
        if "://" in loc and not loc.startswith(("file://", "http://", "https://")):
            raise SpecFieldError(
                "location",
                f"data.location scheme {loc.split('://')[0][:20]!r} is not supported; use a path "
                "under the data root, file://, dataset:{id}, builtin:{name} or http(s)://.",
            )
        generated = self.synthetic is not None or loc.startswith("builtin:")
        if self.target is None:
            if not generated:
                raise SpecFieldError(
                    "target", "data.target is required: name the label column of the file."
                )
            self.target = "target"
        if self.target in self.drop:
            raise SpecFieldError(
                "drop", f"data.drop names the target column {self.target!r}; remove it."
            )
        if self.features is not None and self.target in self.features:
            raise SpecFieldError(
                "features", f"data.features names the target column {self.target!r}; remove it."
            )
        return self


class SplitSpec(StrictModel):
    test_size: float = Field(
        0.2, ge=0.01, le=0.8, description="Share of all rows held out for test."
    )
    validation_size: float = Field(
        0.2, ge=0.01, le=0.8, description="Share of the rows left after the test split."
    )
    stratify: bool = Field(True, description="Keep class proportions in every split.")


class PreprocessingSpec(StrictModel):
    scale: Literal["standard", "minmax", "none"] = Field(
        "standard", description="Numeric scaling, fitted on the training split only."
    )
    impute: Literal["none", "mean", "median", "most_frequent", "constant"] = Field(
        "none", description="How to fill missing values; none fails the job naming the columns."
    )
    impute_fill_value: float = Field(
        0.0,
        ge=-1e12,
        le=1e12,
        description="The value impute: constant fills in; string columns get it as text.",
    )
    categorical: Literal["onehot", "error"] = Field(
        "onehot", description="onehot encodes string columns; error fails the job naming them."
    )


SAMPLER_METHODS = (
    "smote",
    "adasyn",
    "borderline_smote",
    "svm_smote",
    "smotenc",
    "smoten",
    "random_over",
    "random_under",
    "near_miss",
    "tomek_links",
    "edited_nearest_neighbours",
    "smote_tomek",
    "smote_enn",
)
K_NEIGHBORS_METHODS = {
    "smote",
    "borderline_smote",
    "svm_smote",
    "smotenc",
    "smoten",
    "smote_tomek",
    "smote_enn",
}
N_NEIGHBORS_METHODS = {"adasyn", "near_miss", "edited_nearest_neighbours"}

BalancingMethod = Literal[
    "none",
    "class_weight",
    "smote",
    "adasyn",
    "borderline_smote",
    "svm_smote",
    "smotenc",
    "smoten",
    "random_over",
    "random_under",
    "near_miss",
    "tomek_links",
    "edited_nearest_neighbours",
    "smote_tomek",
    "smote_enn",
]


class BalancingSpec(StrictModel):
    method: BalancingMethod = Field(
        "none", description="Applied to the training split only; validation and test stay true."
    )
    class_weight: (
        Literal["balanced"] | dict[str, Annotated[float, Field(gt=0, le=MAX_CLASS_WEIGHT)]]
    ) = Field(
        "balanced",
        description="For method class_weight: 'balanced' or a map keyed by original label values.",
    )
    sampling_strategy: (
        Literal["auto"] | float | dict[str, Annotated[int, Field(ge=0, le=MAX_TARGET_COUNT)]]
    ) = Field(
        "auto",
        description="imbalanced-learn's sampling_strategy: auto, a float (binary only), "
        "or a map from original label to target count.",
    )
    k_neighbors: int | Literal["auto"] | None = Field(
        None, description="SMOTE family only. auto lowers k to fit the smallest class (default 5)."
    )
    n_neighbors: int | None = Field(
        None, ge=1, le=1000, description="ADASYN, NearMiss and ENN only (default 5 or 3)."
    )

    @model_validator(mode="after")
    def _params_fit_method(self) -> Self:
        m = self.method
        if self.k_neighbors is not None and m not in K_NEIGHBORS_METHODS:
            raise SpecFieldError(
                "k_neighbors",
                f"balancing.k_neighbors is not a parameter of {m!r}; it applies to the SMOTE family "
                f"({', '.join(sorted(K_NEIGHBORS_METHODS))}). Remove it.",
            )
        if isinstance(self.k_neighbors, int) and not 1 <= self.k_neighbors <= 1000:
            raise SpecFieldError(
                "k_neighbors", "balancing.k_neighbors must be between 1 and 1000, or 'auto'."
            )
        if self.n_neighbors is not None and m not in N_NEIGHBORS_METHODS:
            raise SpecFieldError(
                "n_neighbors",
                f"balancing.n_neighbors is not a parameter of {m!r}; it applies to "
                f"{', '.join(sorted(N_NEIGHBORS_METHODS))}. Remove it.",
            )
        for name, value in (
            ("class_weight", self.class_weight),
            ("sampling_strategy", self.sampling_strategy),
        ):
            if isinstance(value, dict) and not value:
                raise SpecFieldError(
                    name,
                    f"balancing.{name} is an empty map, which would change nothing; name at "
                    "least one label, or leave the field out.",
                )
        if self.sampling_strategy != "auto" and m in ("none", "class_weight"):
            raise SpecFieldError(
                "sampling_strategy",
                f"balancing.sampling_strategy applies to resampling methods, not {m!r}. Remove it.",
            )
        if self.class_weight != "balanced" and m != "class_weight":
            raise SpecFieldError(
                "class_weight",
                "balancing.class_weight applies only with method 'class_weight'. "
                "Set method: class_weight or remove it.",
            )
        if self.sampling_strategy != "auto" and m in ("tomek_links", "edited_nearest_neighbours"):
            raise SpecFieldError(
                "sampling_strategy",
                f"balancing.sampling_strategy {self.sampling_strategy!r:.60} is not a parameter "
                f"value {m!r} takes: it removes boundary rows and has no target counts or ratio. "
                "Remove sampling_strategy (auto), or use random_under / near_miss.",
            )
        if isinstance(self.sampling_strategy, float) and not 0 < self.sampling_strategy <= 1:
            raise SpecFieldError(
                "sampling_strategy",
                "balancing.sampling_strategy as a float is the minority/majority ratio after "
                "resampling and must be in (0, 1].",
            )
        return self


class DenseLayer(StrictModel):
    units: int = Field(ge=1, le=8192, description="Neurons in this layer.")
    activation: Literal["relu", "tanh", "sigmoid", "elu", "selu", "gelu", "swish", "linear"] = (
        Field("relu", description="Activation function.")
    )
    dropout: float = Field(0.0, ge=0, lt=1, description="Dropout rate after the layer.")
    l1: float = Field(0.0, ge=0, le=10, description="L1 weight penalty.")
    l2: float = Field(0.0, ge=0, le=10, description="L2 weight penalty.")
    batch_norm: bool = Field(False, description="Batch normalization before the activation.")


def _default_layers() -> list[DenseLayer]:
    return [DenseLayer(units=64, activation="relu"), DenseLayer(units=32, activation="relu")]


class ModelSpec(StrictModel):
    type: Literal["mlp"] = Field(
        "mlp", description="Model family; the output layer follows the target."
    )
    layers: list[DenseLayer] = Field(
        default_factory=_default_layers,
        min_length=0,
        max_length=32,
        description="Hidden layers, input side first. Default: 64 then 32 relu units.",
        json_schema_extra={
            "default": [{"units": 64, "activation": "relu"}, {"units": 32, "activation": "relu"}]
        },
    )

    @model_validator(mode="after")
    def _fits_in_memory(self) -> Self:
        hidden = hidden_parameters(self.layers)
        if hidden > MAX_MODEL_PARAMETERS:
            raise SpecFieldError(
                "layers",
                f"model.layers has {hidden:,} weights between hidden layers alone; at most "
                f"{MAX_MODEL_PARAMETERS:,} are trained. Use fewer units or layers.",
            )
        return self


def hidden_parameters(layers: list[DenseLayer]) -> int:
    """Weights and biases between consecutive hidden layers (the input layer adds
    n_features x the first layer's units, known once the data is read)."""
    return sum(a.units * b.units + b.units for a, b in zip(layers, layers[1:], strict=False))


def model_parameters(layers: list[DenseLayer], *, n_features: int, n_outputs: int) -> int:
    """Every weight and bias of the MLP (batch-norm's four per unit included)."""
    widths = [n_features, *(layer.units for layer in layers), n_outputs]
    dense = sum(a * b + b for a, b in zip(widths, widths[1:], strict=False))
    return dense + sum(4 * layer.units for layer in layers if layer.batch_norm)


class TrainingSpec(StrictModel):
    optimizer: Literal["adam", "sgd", "rmsprop", "adamw"] = Field("adam", description="Optimizer.")
    learning_rate: float = Field(0.001, gt=0, le=100, description="Initial learning rate.")
    momentum: float = Field(0.0, ge=0, lt=1, description="sgd only.")
    weight_decay: float | None = Field(None, ge=0, le=1, description="adamw only (default 0.004).")
    clipnorm: float | None = Field(None, gt=0, le=1e6, description="Gradient clipping by norm.")
    batch_size: int = Field(32, ge=1, le=65536, description="Rows per gradient step.")
    epochs: int = Field(50, ge=1, le=10000, description="Maximum epochs.")

    @model_validator(mode="after")
    def _optimizer_options(self) -> Self:
        if self.momentum and self.optimizer not in ("sgd", "rmsprop"):
            raise SpecFieldError(
                "momentum",
                f"training.momentum applies to sgd and rmsprop, not {self.optimizer!r}. Remove it.",
            )
        if self.weight_decay is not None and self.optimizer != "adamw":
            raise SpecFieldError(
                "weight_decay",
                f"training.weight_decay applies to adamw, not {self.optimizer!r}. "
                "Use optimizer: adamw or L2 on the layers.",
            )
        return self


class EarlyStoppingSpec(StrictModel):
    monitor: str = Field(
        "val_loss", description="loss, accuracy, roc_auc, each also val_-prefixed."
    )
    patience: int = Field(
        5, ge=0, le=10000, description="Epochs without improvement before stopping."
    )
    min_delta: float = Field(0.0, ge=0, le=1e6, description="Smallest change that counts.")
    mode: Literal["auto", "min", "max"] = Field(
        "auto", description="auto means min for losses and max for the rest."
    )
    restore_best_weights: bool = Field(True, description="Roll back to the best epoch's weights.")

    @field_validator("monitor")
    @classmethod
    def _known_monitor(cls, v: str) -> str:
        if v not in MONITOR_NAMES:
            raise ValueError(f"unknown monitor {v[:40]!r}; use one of {', '.join(MONITOR_NAMES)}.")
        return v

    @model_validator(mode="after")
    def _mode_fits(self) -> Self:
        natural = "min" if self.monitor.endswith("loss") else "max"
        if self.mode not in ("auto", natural):
            raise SpecFieldError(
                "mode",
                f"mode {self.mode!r} would reward a worse {self.monitor}; pass mode={natural!r} "
                "or mode='auto'.",
            )
        return self


class StepSchedule(StrictModel):
    type: Literal["step"]
    start_epoch: int = Field(
        5, ge=0, le=10000, description="0-based epoch index after which decay starts."
    )
    every: int = Field(
        2, ge=1, le=10000, description="Decay when the 0-based epoch index % every == 0."
    )
    factor: float = Field(0.9, gt=0, le=1, description="Multiplier applied at each decay.")


class ExponentialSchedule(StrictModel):
    type: Literal["exponential"]
    decay_rate: float = Field(0.95, gt=0, le=1, description="rate = initial * decay_rate ** e.")


class CosineSchedule(StrictModel):
    type: Literal["cosine"]
    min_learning_rate: float = Field(
        0.0, ge=0, le=100, description="Rate reached at the last epoch."
    )


class ReduceOnPlateauSchedule(StrictModel):
    type: Literal["reduce_on_plateau"]
    monitor: str = Field("val_loss", description="Metric to watch (same names as early stopping).")
    factor: float = Field(0.5, gt=0, lt=1, description="Multiplier when the metric plateaus.")
    patience: int = Field(3, ge=0, le=10000, description="Epochs without improvement.")
    min_delta: float = Field(1e-4, ge=0, le=1e6, description="Smallest change that counts.")
    cooldown: int = Field(0, ge=0, le=10000, description="Epochs to wait after a reduction.")
    min_learning_rate: float = Field(0.0, ge=0, le=100, description="Lower bound for the rate.")

    @field_validator("monitor")
    @classmethod
    def _known_monitor(cls, v: str) -> str:
        if v not in MONITOR_NAMES:
            raise ValueError(f"unknown monitor {v[:40]!r}; use one of {', '.join(MONITOR_NAMES)}.")
        return v


SCHEDULE_TYPES: tuple[str, ...] = ("step", "exponential", "cosine", "reduce_on_plateau")
LrSchedule = Annotated[
    StepSchedule | ExponentialSchedule | CosineSchedule | ReduceOnPlateauSchedule,
    Field(discriminator="type"),
]


class CallbacksSpec(StrictModel):
    early_stopping: EarlyStoppingSpec | None = Field(None, description="Off unless given.")
    lr_schedule: LrSchedule | None = Field(None, description="Constant rate unless given.")


class LimitsSpec(StrictModel):
    max_runtime_seconds: int | None = Field(
        None, ge=1, le=7 * 24 * 3600, description="Capped by the server maximum."
    )


class JobSpec(StrictModel):
    name: str | None = Field(None, max_length=200, description="Free label.")
    data: DataSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    preprocessing: PreprocessingSpec = Field(default_factory=PreprocessingSpec)
    balancing: BalancingSpec = Field(default_factory=BalancingSpec)
    model: ModelSpec = Field(default_factory=ModelSpec)
    training: TrainingSpec = Field(default_factory=TrainingSpec)
    callbacks: CallbacksSpec = Field(default_factory=CallbacksSpec)
    primary_metric: str | None = Field(
        None,
        description="Drives diagnosis; default roc_auc (binary), balanced_accuracy (multiclass).",
    )
    decision_threshold: float | Literal["best_f1", "youden"] = Field(
        0.5, description="Binary only: a number in [0,1], or chosen on validation."
    )
    metrics: Literal["all"] | list[str] = Field(
        "all", description="'all' or a list of metric names."
    )
    seed: int = Field(42, ge=0, le=2**32 - 1, description="Seeds every source of randomness.")
    limits: LimitsSpec = Field(default_factory=LimitsSpec)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, v: str | None) -> str | None:
        _no_control_characters(v, "name")
        return v

    @field_validator("decision_threshold")
    @classmethod
    def _threshold_range(cls, v: Any) -> Any:
        if isinstance(v, float) and not 0 <= v <= 1:
            raise ValueError("decision_threshold must be in [0, 1], or 'best_f1' / 'youden'.")
        return v

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, v: Any) -> Any:
        if isinstance(v, list):
            unknown = [m for m in v if m not in ALL_METRIC_NAMES]
            if unknown:
                raise ValueError(
                    f"unknown metric(s) {', '.join(repr(m[:40]) for m in unknown[:5])}; "
                    f"use 'all' or names from: {', '.join(ALL_METRIC_NAMES)}."
                )
            if not v:
                raise ValueError("metrics is empty; use 'all' or list at least one name.")
        return v

    @field_validator("primary_metric")
    @classmethod
    def _known_primary(cls, v: str | None) -> str | None:
        if v is not None and v not in ALL_METRIC_NAMES:
            raise ValueError(
                f"unknown primary_metric {v[:40]!r}; use one of {', '.join(ALL_METRIC_NAMES)}."
            )
        return v

    @model_validator(mode="after")
    def _knowable_now(self) -> Self:
        """Errors that can be known before any data is read: fail them at submission."""
        sched = self.callbacks.lr_schedule
        if (
            isinstance(sched, CosineSchedule | ReduceOnPlateauSchedule)
            and sched.min_learning_rate >= self.training.learning_rate
        ):
            raise SpecFieldError(
                "callbacks.lr_schedule.min_learning_rate",
                f"callbacks.lr_schedule.min_learning_rate ({sched.min_learning_rate:g}) must be below "
                f"training.learning_rate ({self.training.learning_rate:g}) for the {sched.type} "
                "schedule to lower the rate.",
            )
        n_classes = self.known_n_classes()
        if n_classes is not None:
            task_metrics = BINARY_METRICS if n_classes == 2 else MULTICLASS_METRICS
            if n_classes <= 3:  # top-k accuracy is reported for more than 3 classes only
                task_metrics = tuple(m for m in task_metrics if not m.startswith("top_"))
            kind = "binary" if n_classes == 2 else f"{n_classes}-class"
            if self.primary_metric and self.primary_metric not in task_metrics:
                raise SpecFieldError(
                    "primary_metric",
                    f"primary_metric {self.primary_metric} is not reported for a {kind} target; "
                    f"use one of {', '.join(task_metrics)}.",
                )
            wrong = (
                [m for m in self.metrics if m not in task_metrics] if self.metrics != "all" else []
            )
            if wrong:
                raise SpecFieldError(
                    "metrics",
                    f"metric(s) {', '.join(wrong)} are not reported for a {kind} target; use "
                    f"{', '.join(task_metrics)}.",
                )
        if n_classes is not None and n_classes > 2:
            es = self.callbacks.early_stopping
            sched = self.callbacks.lr_schedule
            monitors = [("callbacks.early_stopping.monitor", es.monitor)] if es else []
            if isinstance(sched, ReduceOnPlateauSchedule):
                monitors.append(("callbacks.lr_schedule.monitor", sched.monitor))
            for field, m in monitors:
                if m.endswith("roc_auc"):
                    raise SpecFieldError(
                        field,
                        f"monitor {m!r} exists for binary targets only and this job has "
                        f"{n_classes} classes; monitor val_loss or val_accuracy instead.",
                    )
            if isinstance(self.balancing.sampling_strategy, float):
                raise SpecFieldError(
                    "balancing.sampling_strategy",
                    "balancing.sampling_strategy as a float needs a binary target; this job has "
                    f"{n_classes} classes. Use 'auto' or a map from label to count.",
                )
            if self.decision_threshold != 0.5:
                raise SpecFieldError(
                    "decision_threshold",
                    "decision_threshold applies to binary targets only; multiclass predictions "
                    "use argmax. Remove it.",
                )
            if self.positive_label_given():
                raise SpecFieldError(
                    "data.positive_label",
                    "data.positive_label applies to binary targets only. Remove it.",
                )
        return self

    def positive_label_given(self) -> bool:
        return self.data.positive_label is not None

    def known_n_classes(self) -> int | None:
        """The number of classes when the spec alone tells it (synthetic or builtin data)."""
        if self.data.synthetic is not None:
            return self.data.synthetic.n_classes
        loc = self.data.location or ""
        return (
            BUILTIN_N_CLASSES.get(loc.removeprefix("builtin:"))
            if loc.startswith("builtin:")
            else None
        )


BUILTIN_N_CLASSES = {"breast_cancer": 2, "digits": 10, "wine": 3, "iris": 3}
