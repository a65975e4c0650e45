# ruff: noqa: E501  (the docstring table is copied verbatim to the README)
"""Thresholds of the diagnosis rules (environment prefix ``DIAGNOSIS_``).

Every threshold below can be overridden by an environment variable named
``DIAGNOSIS_`` + the upper-cased field name (e.g. ``DIAGNOSIS_OVERFIT_GAP=0.15``).

| setting | default | rule | meaning |
| --- | --- | --- | --- |
| `imbalance_share` | 0.20 | class_imbalance | warning when the minority share of the training classes (before balancing) is below this; for k classes the share is scaled to a two-class equivalent (share x k / 2) |
| `imbalance_critical_share` | 0.05 | class_imbalance | critical below this share |
| `paradox_accuracy_margin` | 0.02 | accuracy_paradox | test accuracy within this of the majority-class baseline's test accuracy |
| `paradox_min_majority_share` | 0.60 | accuracy_paradox | ... only when the majority class is at least this share of test rows (accuracy flatters only on unbalanced data) |
| `paradox_balanced_accuracy_max` | 0.60 | accuracy_paradox | ... while test balanced accuracy is below this |
| `paradox_f1_max` | 0.20 | accuracy_paradox | ... or (binary) test F1 is below this |
| `overfit_gap` | 0.10 | overfitting | train minus validation primary metric above this (reversed for lower-is-better metrics) |
| `overfit_rising_epochs` | 5 | overfitting | without validation early stopping: validation loss rises for more than this many epochs after its minimum while the training loss keeps falling |
| `overfit_rising_min_increase` | 0.02 | overfitting | ... and the last validation loss is more than this relative amount above that minimum (a plateau is not a rise) |
| `underfit_margin` | 0.05 | underfitting | train primary metric within this of the best of the majority-class and stratified baselines |
| `diverge_loss_factor` | 10.0 | diverged | a loss above this multiple of the first epoch's loss counts as divergence |
| `lr_reduction_factor` | 10.0 | diverged | the suggested learning rate is the current one divided by this |
| `not_converged_window` | 2 | not_converged | validation loss improved within the last this-many epochs ... |
| `not_converged_tolerance` | 0.005 | not_converged | ... by more than this relative amount over the best before them |
| `not_converged_epoch_factor` | 2.0 | not_converged | the suggested epoch count is the epochs run times this |
| `stopped_early_max_best_epoch` | 2 | stopped_too_early | early stopping triggered and the best epoch is at most this |
| `oscillation_min_epochs` | 6 | learning_rate_too_high | at least this many finite training-loss epochs are needed |
| `oscillation_flip_share` | 0.50 | learning_rate_too_high | the sign of successive loss differences flips in more than this share of the epochs |
| `oscillation_min_relative_change` | 0.05 | learning_rate_too_high | ... and the median relative epoch-to-epoch loss change exceeds this (relative to the previous loss, floored at a tenth of the first epoch's) |
| `oscillation_spike_fraction` | 0.10 | learning_rate_too_high | or: a training-loss rise from one epoch to the next larger than this fraction of the first epoch's loss counts as a spike ... |
| `oscillation_min_spikes` | 2 | learning_rate_too_high | ... and at least this many spikes fire the finding (a too-high rate makes the loss jump up, then recover) |
| `no_signal_margin` | 0.02 | no_signal | without a confidence interval: the model's validation primary metric is within this of the best chance baseline (or below it) |
| `linear_margin` | 0.02 | weaker_than_linear | logistic regression beats the network by more than max(this, the model's CI half-width) |
| `min_rows_per_feature` | 5.0 | few_samples | fewer training rows per (encoded) feature than this |
| `min_rows_per_class` | 20 | few_samples | fewer training rows than this in some class |
| `leakage_auc` | 0.99 | leakage_suspected | a single raw feature alone reaches max(AUC, 1 - AUC) above this on train |
| `unscaled_ratio` | 100.0 | unscaled_features | with `preprocessing.scale: none`, max/min std of the numeric features above this |
| `threshold_imbalance_share` | 0.20 | threshold_mismatch | binary with a minority share below this ... |
| `threshold_distance` | 0.20 | threshold_mismatch | ... and the best-F1 threshold further than this from 0.5 |
| `duplicate_warning_share` | 0.05 | data_quality | duplicate rows above this share of all rows used (duplicates are counted over every split) raise the finding to warning (any cross-split duplicate does too) |
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import load_settings


class DiagnosisSettings(BaseSettings):
    """Thresholds of the diagnosis rules; see the module docstring for the table."""

    model_config = SettingsConfigDict(env_prefix="DIAGNOSIS_", extra="ignore")

    # data
    imbalance_share: float = Field(
        default=0.20,
        gt=0,
        lt=1,
        description="class_imbalance: minority share below this is a warning.",
    )
    imbalance_critical_share: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="class_imbalance: minority share below this is critical.",
    )
    min_rows_per_feature: float = Field(
        default=5.0,
        gt=0,
        le=1000,
        description="few_samples: fewer training rows per feature than this.",
    )
    min_rows_per_class: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="few_samples: fewer training rows in a class than this.",
    )
    leakage_auc: float = Field(
        default=0.99, gt=0.5, le=1, description="leakage_suspected: single-feature AUC above this."
    )
    unscaled_ratio: float = Field(
        default=100.0,
        gt=1,
        description="unscaled_features: max/min feature std above this when unscaled.",
    )
    no_signal_margin: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="no_signal: without a CI, model within this of the best chance baseline.",
    )
    duplicate_warning_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="data_quality: duplicate share above this is a warning.",
    )

    # evaluation
    paradox_accuracy_margin: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="accuracy_paradox: accuracy within this of majority class.",
    )
    paradox_min_majority_share: float = Field(
        default=0.60,
        gt=0,
        le=1,
        description="accuracy_paradox: only when the majority-class baseline's test accuracy is at least this.",
    )
    paradox_balanced_accuracy_max: float = Field(
        default=0.60, gt=0, le=1, description="accuracy_paradox: test balanced accuracy below this."
    )
    paradox_f1_max: float = Field(
        default=0.20, gt=0, le=1, description="accuracy_paradox: (binary) test F1 below this."
    )
    threshold_imbalance_share: float = Field(
        default=0.20,
        gt=0,
        lt=1,
        description="threshold_mismatch: binary minority share below this.",
    )
    threshold_distance: float = Field(
        default=0.20,
        gt=0,
        lt=0.5,
        description="threshold_mismatch: best-F1 threshold this far from 0.5.",
    )

    # architecture
    overfit_gap: float = Field(
        default=0.10,
        gt=0,
        le=1,
        description="overfitting: train minus validation primary metric gap.",
    )
    overfit_rising_epochs: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="overfitting: epochs of rising val_loss after its minimum.",
    )
    overfit_rising_min_increase: float = Field(
        default=0.02,
        ge=0,
        le=10,
        description="overfitting: the rise of val_loss over its minimum, relative, that counts.",
    )
    underfit_margin: float = Field(
        default=0.05,
        ge=0,
        le=0.5,
        description="underfitting: train metric within this of the baselines.",
    )
    linear_margin: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="weaker_than_linear: minimum margin of logistic regression.",
    )

    # optimization
    diverge_loss_factor: float = Field(
        default=10.0,
        gt=1,
        description="diverged: loss above this multiple of the first epoch's loss.",
    )
    lr_reduction_factor: float = Field(
        default=10.0,
        gt=1,
        le=1000,
        description="diverged: suggest the learning rate divided by this.",
    )
    not_converged_window: int = Field(
        default=2,
        ge=1,
        le=100,
        description="not_converged: val_loss improved within the last N epochs.",
    )
    not_converged_tolerance: float = Field(
        default=0.005,
        ge=0,
        lt=1,
        description="not_converged: minimum relative val_loss improvement.",
    )
    not_converged_epoch_factor: float = Field(
        default=2.0, gt=1, le=100, description="not_converged: suggest the epochs run times this."
    )

    # hyperparameters
    stopped_early_max_best_epoch: int = Field(
        default=2, ge=1, le=100, description="stopped_too_early: best epoch at most this."
    )
    oscillation_min_epochs: int = Field(
        default=6,
        ge=3,
        le=10_000,
        description="learning_rate_too_high: minimum finite loss epochs.",
    )
    oscillation_flip_share: float = Field(
        default=0.50,
        gt=0,
        lt=1,
        description="learning_rate_too_high: share of loss-direction flips.",
    )
    oscillation_min_relative_change: float = Field(
        default=0.05,
        ge=0,
        le=10,
        description="learning_rate_too_high: median relative loss change.",
    )
    oscillation_spike_fraction: float = Field(
        default=0.10,
        gt=0,
        le=100,
        description="learning_rate_too_high: a loss rise above this share of the first loss.",
    )
    oscillation_min_spikes: int = Field(
        default=2,
        ge=1,
        le=10_000,
        description="learning_rate_too_high: at least this many loss spikes.",
    )


@lru_cache
def get_diagnosis_settings() -> DiagnosisSettings:
    """Read once; the worker calls it at start-up, so a bad DIAGNOSIS_* stops the worker there
    instead of failing every job after its training."""
    return load_settings(DiagnosisSettings)
