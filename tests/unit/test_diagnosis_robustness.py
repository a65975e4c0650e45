"""diagnose() never raises on partial or hostile input and its evidence stays JSON-safe."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from schemas.finding import SEVERITY_RANK, Area, Finding, Severity
from tests.unit.test_diagnosis_rules import clean
from workers.diagnosis import RULES, DiagnosisInput, DiagnosisSettings, diagnose

NAN, INF = float("nan"), float("inf")


def dumps(findings: list[Finding]) -> str:
    return json.dumps([f.model_dump(mode="json") for f in findings], allow_nan=False)


def test_empty_input_never_raises() -> None:
    assert diagnose(DiagnosisInput()) == []


def test_only_history_never_raises() -> None:
    history = [{"epoch": e, "loss": 0.7 / e, "val_loss": 0.72 / e} for e in range(1, 11)]
    findings = diagnose(DiagnosisInput(history=history))
    dumps(findings)
    assert "not_converged" in {f.code for f in findings}


@pytest.mark.parametrize(
    "history",
    [
        [{"epoch": 1, "loss": NAN, "val_loss": NAN}],
        [{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": INF, "val_loss": -INF}],
        [{"epoch": 1, "loss": None, "val_loss": None, "learning_rate": None}],
        [{"loss": "nan"}, {"loss": "garbage"}, {}, {"epoch": None, "loss": 1e308}],
        [{"epoch": e, "loss": NAN if e % 2 else 0.5} for e in range(1, 12)],
    ],
)
def test_nonfinite_history_stays_json_safe(history: list[dict[str, object]]) -> None:
    findings = diagnose(DiagnosisInput(history=history, learning_rate=NAN))
    dumps(findings)  # allow_nan=False raises on NaN/inf
    evidence = json.dumps([f.evidence for f in findings])
    assert "NaN" not in evidence and "Infinity" not in evidence


def test_nan_loss_is_reported_as_divergence() -> None:
    history = [{"epoch": 1, "loss": 0.7}, {"epoch": 2, "loss": NAN}, {"epoch": 3, "loss": NAN}]
    findings = diagnose(DiagnosisInput(history=history, learning_rate=0.5))
    f = next(f for f in findings if f.code == "diverged")
    assert f.evidence["nonfinite_loss_epochs"] == [2, 3]
    dumps(findings)


def test_nonfinite_and_missing_metrics_everywhere() -> None:
    inp = DiagnosisInput(
        task="binary",
        metrics={"train": {"roc_auc": NAN}, "validation": {"roc_auc": None}, "test": {}},
        confidence_intervals={"validation": {"roc_auc": [NAN, INF]}, "test": None},  # type: ignore[dict-item]
        baselines={"majority_class": {"test": {"accuracy": INF}}, "stratified": None},  # type: ignore[dict-item]
        class_counts_train={"a": 0, "b": 0},
        single_feature_auc={"x": NAN, "y": INF},
        feature_scale_ratio=INF,
        scaling="none",
        best_f1_threshold=NAN,
        n_train_rows=0,
        n_features=0,
        best_epoch=None,
        patience=None,
        stopped_early=True,
    )
    dumps(diagnose(inp))


def test_wrongly_typed_fields_do_not_raise() -> None:
    inp = DiagnosisInput(
        metrics="oops",  # type: ignore[arg-type]
        baselines=[1, 2],  # type: ignore[arg-type]
        history=[None, 3, "x", {"epoch": "one", "loss": [1]}],  # type: ignore[list-item]
        class_counts_train={"a": "many", "b": None},  # type: ignore[dict-item]
        missing_imputed={"c": NAN},  # type: ignore[dict-item]
        constant_columns=None,  # type: ignore[arg-type]
    )
    dumps(diagnose(inp))


def test_numpy_values_in_evidence_become_plain_json() -> None:
    inp = replace(
        clean(),
        single_feature_auc={"leak": np.float64(0.99951234)},  # type: ignore[dict-item]
        n_train_rows=np.int64(40),  # type: ignore[arg-type]
        n_features=np.int64(20),  # type: ignore[arg-type]
    )
    findings = diagnose(inp)
    leak = next(f for f in findings if f.code == "leakage_suspected")
    assert leak.evidence["features"] == {"leak": 0.9995}
    assert type(leak.evidence["features"]["leak"]) is float
    dumps(findings)


def test_evidence_floats_are_rounded_to_4_decimals() -> None:
    inp = replace(clean(), class_counts_train={"no": 2000, "yes": 3})
    for f in diagnose(inp):
        for value in json.loads(dumps([f]))[0]["evidence"].values():
            if isinstance(value, float):
                assert math.isfinite(value) and round(value, 4) == value


def test_findings_ordered_by_severity_then_area() -> None:
    inp = replace(
        clean(),
        class_counts_train={"no": 950, "yes": 30},  # critical data
        diverged=True,  # critical optimization
        best_f1_threshold=0.1,  # warning evaluation
        scaling="none",
        feature_scale_ratio=1e4,  # warning data
        missing_imputed={"a": 1},  # info data
    )
    findings = diagnose(inp)
    areas = list(Area)
    keys = [(-SEVERITY_RANK[f.severity], areas.index(f.area)) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].severity == Severity.critical
    assert findings[-1].severity == Severity.info
    assert [f.code for f in findings][:2] == ["class_imbalance", "diverged"]


def test_a_failing_rule_is_skipped() -> None:
    def broken(inp: DiagnosisInput, settings: DiagnosisSettings) -> Finding | None:
        raise RuntimeError("boom")

    inp = replace(clean(), diverged=True)
    codes = {f.code for f in diagnose(inp, rules=[broken, *RULES])}
    assert "diverged" in codes


def test_from_mapping_ignores_unknown_keys_and_none() -> None:
    inp = DiagnosisInput.from_mapping(
        {"task": "binary", "history": None, "duplicate_rows": None, "bogus": 1, "best_epoch": None}
    )
    assert inp.task == "binary" and inp.history == [] and inp.duplicate_rows == 0
    assert diagnose(inp) == []


def test_every_rule_has_unique_code_and_is_registered_once() -> None:
    names = [r.__name__ for r in RULES]
    assert len(names) == len(set(names)) == 15
