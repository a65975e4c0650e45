"""Spec choices that depend on the task, checked as soon as the target tells binary from
multiclass (the schema checks them at submission when the spec alone tells)."""

from schemas.job_spec import JobSpec, ReduceOnPlateauSchedule
from schemas.metric_names import BINARY_METRICS, MULTICLASS_METRICS
from workers.training.errors import JobFailure
from workers.training.target import Target


def check_spec_fits_task(spec: JobSpec, target: Target) -> None:
    task_metrics = BINARY_METRICS if target.task == "binary" else MULTICLASS_METRICS
    asked = ([spec.primary_metric] if spec.primary_metric else []) + (
        spec.metrics if isinstance(spec.metrics, list) else []
    )
    wrong = [m for m in asked if m not in task_metrics]
    if wrong:
        raise JobFailure(
            "metric_not_for_task",
            f"metric(s) {', '.join(wrong)} are not reported for this {target.task} target "
            f"({len(target.labels)} classes).",
            f"Use metrics from: {', '.join(task_metrics)}.",
            metrics=wrong,
        )
    if target.task == "binary":
        return
    monitors = {}
    if spec.callbacks.early_stopping is not None:
        monitors["callbacks.early_stopping.monitor"] = spec.callbacks.early_stopping.monitor
    if isinstance(spec.callbacks.lr_schedule, ReduceOnPlateauSchedule):
        monitors["callbacks.lr_schedule.monitor"] = spec.callbacks.lr_schedule.monitor
    for field, monitor in monitors.items():
        if monitor.endswith("roc_auc"):
            raise JobFailure(
                "invalid_monitor",
                f"{field} {monitor!r} exists for binary targets only; this target has "
                f"{len(target.labels)} classes.",
                f"Set {field} to val_loss or val_accuracy.",
                field=field,
                monitor=monitor,
            )
    # positive_label on a multiclass target is refused by encode_target already.
    if spec.decision_threshold != 0.5:
        raise JobFailure(
            "binary_only_option",
            f"decision_threshold applies to binary targets only; this target has "
            f"{len(target.labels)} classes and is predicted by argmax.",
            "Remove decision_threshold.",
            field="decision_threshold",
        )
