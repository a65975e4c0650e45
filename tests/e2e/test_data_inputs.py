"""Every common tabular input trains, or fails with a clear, actionable error (issue 3).

All over real HTTP against a real worker. Inputs are small and generated here; each failure
asserts the exact `error.code` and that the column or class is named.
"""

import http.server
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.model_selection import train_test_split

from tests.support.live_service import LiveService, free_port
from tests.support.specs import assert_json_finite, quick

FAST = {"epochs": 2, "batch_size": 64}


# --- helpers ---------------------------------------------------------------------------------


def _csv(columns: dict[str, list[Any]]) -> str:
    names = list(columns)
    n = len(columns[names[0]])

    def cell(v: Any) -> str:
        return "" if v is None else str(v)

    rows = [",".join(cell(columns[c][i]) for c in names) for i in range(n)]
    return ",".join(names) + "\n" + "\n".join(rows) + "\n"


def _binary(
    n_major: int = 60, n_minor: int = 20, seed: int = 0, colors: bool = False
) -> dict[str, list[Any]]:
    """Two overlapping numeric features (and optionally a colour), labels 'no'/'yes'."""
    rng = np.random.default_rng(seed)
    y = ["no"] * n_major + ["yes"] * n_minor
    shift = np.array([0.0] * n_major + [1.2] * n_minor)
    cols: dict[str, list[Any]] = {
        "a": [round(float(v), 4) for v in rng.normal(size=len(y)) + shift],
        "b": [round(float(v), 4) for v in rng.normal(size=len(y)) - shift],
    }
    if colors:
        palette = ["red", "green", "blue"]
        cols["color"] = [palette[(i * 7 + (3 if t == "yes" else 0)) % 3] for i, t in enumerate(y)]
    cols["y"] = y
    return cols


def run_ok(live: LiveService, spec: dict[str, Any]) -> dict[str, Any]:
    status = live.run(spec)
    assert status["state"] == "succeeded", status.get("error")
    result = live.result(status["id"])
    assert_json_finite(result)
    return result


def run_failed(live: LiveService, spec: dict[str, Any], code: str) -> dict[str, Any]:
    status = live.run(spec)
    assert status["state"] == "failed", status["state"]
    err = status["error"]
    assert err["code"] == code, err
    assert err["message"] and err["hint"], err
    return err  # type: ignore[no-any-return]


def job(data: dict[str, Any], **over: Any) -> dict[str, Any]:
    over.setdefault("training", FAST)
    return quick(data, **over)


def expected_split_counts(y: list[Any], labels: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Validation and test class counts of the service's documented split (seed 42)."""
    arr = np.array([str(v) for v in y])
    idx = np.arange(len(arr))
    rest, test = train_test_split(idx, test_size=0.2, stratify=arr, random_state=42)
    _, val = train_test_split(rest, test_size=0.2, stratify=arr[rest], random_state=42)
    count = lambda ix: {lab: int((arr[ix] == lab).sum()) for lab in labels}  # noqa: E731
    return count(val), count(test)


def problem_422(live: LiveService, spec: dict[str, Any]) -> str:
    with live.client() as c:
        r = c.post("/v1/jobs", json=spec)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.text


# --- labels and features ---------------------------------------------------------------------


def test_string_labels_with_categorical_features(live: LiveService) -> None:
    live.put_data("strings.csv", _csv(_binary(colors=True)))
    res = run_ok(live, job({"location": "strings.csv", "target": "y"}))
    ds = res["data_summary"]
    assert res["task"] == "binary" and res["labels"] == ["no", "yes"]
    assert res["positive_label"] == "yes"  # the minority class by default
    assert ds["label_mapping"] == {"no": 0, "yes": 1}
    assert ds["categorical_columns"] == ["color"]
    assert ds["onehot_expansion"] == {"color": 3}
    assert ds["n_model_features"] == 2 + 3
    assert ds["columns_used"] == ["a", "b", "color"]


def test_integer_labels_not_0_to_n_minus_1(live: LiveService) -> None:
    rng = np.random.default_rng(1)
    y = [3, 7, 9] * 30
    cols = {"a": [round(float(v + rng.normal()), 3) for v in y], "y": y}
    live.put_data("labels379.csv", _csv(cols))
    res = run_ok(live, job({"location": "labels379.csv", "target": "y"}))
    assert res["task"] == "multiclass"
    assert res["labels"] == ["3", "7", "9"]
    assert res["data_summary"]["label_mapping"] == {"3": 0, "7": 1, "9": 2}
    assert res["data_summary"]["label_values"] == {"3": 3, "7": 7, "9": 9}


def test_numeric_labels_keep_numeric_order_and_unknown_categories_predict(
    live: LiveService,
) -> None:
    rng = np.random.default_rng(4)
    y = [2, 10] * 40
    cols = {
        "a": [round(float(v / 5 + rng.normal()), 3) for v in y],
        "shade": [["dark", "light"][i % 2] for i in range(len(y))],
        "y": y,
    }
    live.put_data("labels_2_10.csv", _csv(cols))
    status = live.run(job({"location": "labels_2_10.csv", "target": "y", "positive_label": 10}))
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    assert res["labels"] == ["2", "10"] and res["positive_label"] == "10"
    with live.client() as c:
        r = c.post(
            f"/v1/jobs/{status['id']}/predict",
            json={"rows": [{"a": 0.1, "shade": "never-seen"}, {"a": 1.0, "shade": "dark"}]},
        )
        assert r.status_code == 200, r.text
        preds = r.json()["predictions"]
        assert [p["label"] in ("2", "10") for p in preds] == [True, True]
        (warning,) = r.json()["warnings"]
        assert "'shade'" in warning and "'never-seen' (row 0)" in warning
        # trained without imputation: a missing category is refused, like a missing number
        r = c.post(f"/v1/jobs/{status['id']}/predict", json={"rows": [{"a": 1.0, "shade": None}]})
    assert r.status_code == 422 and r.json()["code"] == "missing_values", r.text
    assert "shade" in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == ["rows", 0, "shade"]
    with live.client() as c:
        r = c.post(
            f"/v1/jobs/{status['id']}/predict",
            json={"rows": [{"a": 1.0, "shade": "dark"}, {"a": "heavy", "shade": "dark"}]},
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "rows[1].a", r.text
        r = c.post(
            f"/v1/jobs/{status['id']}/predict", json={"rows": [{"a": 1.0, "shade": ["dark"]}]}
        )
        assert r.status_code == 422 and r.json()["code"] == "bad_value", r.text


def test_labels_are_kept_as_written(live: LiveService) -> None:
    """ "01" and "1" are two classes; "yes " is "yes"; True matches a "True" label."""
    rng = np.random.default_rng(6)
    y = ["01", "1", "2"] * 30
    cols = {"a": [round(float(rng.normal()), 3) for _ in y], "y": y}
    live.put_data("labels_01.csv", _csv(cols))
    res = run_ok(live, job({"location": "labels_01.csv", "target": "y"}))
    assert res["labels"] == ["01", "1", "2"] and res["task"] == "multiclass"
    y = ["True", "False ", "False"] * 30
    cols = {"a": [round(float(v.strip() == "True") + rng.normal(), 3) for v in y], "y": y}
    live.put_data("labels_true.csv", _csv(cols))
    res = run_ok(live, job({"location": "labels_true.csv", "target": "y", "positive_label": True}))
    assert res["labels"] == ["False", "True"] and res["positive_label"] == "True"
    assert any("30 target value(s) had spaces around them" in n for n in res["notes"]), res["notes"]


def test_boolean_labels(live: LiveService) -> None:
    rng = np.random.default_rng(2)
    y = [i % 3 == 0 for i in range(60)]
    cols = {
        "a": [round(float(v + rng.normal()), 3) for v in y],
        "y": ["true" if v else "false" for v in y],
    }
    live.put_data("bools.csv", _csv(cols))
    res = run_ok(live, job({"location": "bools.csv", "target": "y", "positive_label": True}))
    assert res["labels"] == ["false", "true"] and res["positive_label"] == "true"
    assert res["data_summary"]["label_values"] == {"false": False, "true": True}


def test_continuous_target_is_refused(live: LiveService) -> None:
    cols = {"a": list(range(80)), "y": [round(i * 0.731 + 0.013, 3) for i in range(80)]}
    live.put_data("continuous_y.csv", _csv(cols))
    err = run_failed(
        live, job({"location": "continuous_y.csv", "target": "y"}), "continuous_target"
    )
    assert "classif" in err["message"] and err["details"]["column"] == "y"


# --- missing values -------------------------------------------------------------------------


def _with_gaps() -> dict[str, list[Any]]:
    cols = _binary(colors=True)
    for i in (1, 5, 9):
        cols["a"][i] = None
    for i in (2, 4):
        cols["color"][i] = None
    return cols


def test_missing_values_without_imputation_name_each_column_and_count(live: LiveService) -> None:
    live.put_data("gaps.csv", _csv(_with_gaps()))
    err = run_failed(live, job({"location": "gaps.csv", "target": "y"}), "missing_values")
    assert err["details"]["columns"] == {"a": 3, "color": 2}
    assert "a (3)" in err["message"] and "color (2)" in err["message"]
    assert "impute" in err["hint"]


def test_infinite_values_name_the_column(live: LiveService) -> None:
    cols = _binary(colors=True)
    cols["a"][3] = "inf"
    cols["a"][7] = "-inf"
    live.put_data("infinite.csv", _csv(cols))
    spec = job({"location": "infinite.csv", "target": "y"}, preprocessing={"impute": "mean"})
    err = run_failed(live, spec, "infinite_values")
    assert err["details"]["columns"] == {"a": 2} and "a (2)" in err["message"]


def test_values_beyond_float32_name_the_column(live: LiveService) -> None:
    cols = _binary()
    cols["b"][5] = "1e300"
    live.put_data("huge.csv", _csv(cols))
    err = run_failed(live, job({"location": "huge.csv", "target": "y"}), "values_out_of_range")
    assert err["details"]["columns"] == {"b": 1} and "b (1)" in err["message"]
    assert "data.drop" in err["hint"]


@pytest.mark.parametrize("impute", ["mean", "most_frequent"])
def test_missing_values_imputed(live: LiveService, impute: str) -> None:
    live.put_data("gaps.csv", _csv(_with_gaps()))
    res = run_ok(
        live, job({"location": "gaps.csv", "target": "y"}, preprocessing={"impute": impute})
    )
    ds = res["data_summary"]
    assert ds["missing_values"] == {"a": 3, "color": 2}
    assert ds["missing_handling"] == impute
    assert all(r["loss"] is not None for r in res["training"]["history"])


def test_rows_with_missing_target_are_dropped_and_counted(live: LiveService) -> None:
    cols = _binary()
    for i in (0, 10, 70, 75):
        cols["y"][i] = None
    live.put_data("no_target.csv", _csv(cols))
    res = run_ok(live, job({"location": "no_target.csv", "target": "y"}))
    ds = res["data_summary"]
    assert ds["rows"] == 80 and ds["rows_used"] == 76
    assert ds["rows_dropped"]["missing_target"] == 4


# --- splitting ------------------------------------------------------------------------------


def test_class_with_two_rows_is_too_small(live: LiveService) -> None:
    y = ["a"] * 30 + ["b"] * 30 + ["rare"] * 2
    cols = {"x": [float(i % 11) for i in range(len(y))], "y": y}
    live.put_data("rare.csv", _csv(cols))
    err = run_failed(live, job({"location": "rare.csv", "target": "y"}), "class_too_small")
    assert err["details"]["label"] == "rare"
    assert err["details"]["count"] == 2 and err["details"]["minimum"] == 7
    assert "'rare'" in err["message"] and "2 row" in err["message"]
    assert "at least 7 rows per class" in err["message"]


def test_class_with_three_rows_is_named_when_a_split_gets_none(live: LiveService) -> None:
    """Three rows cannot reach validation with the default split: the job says so instead of
    training with a class validation never sees."""
    y = ["a"] * 40 + ["b"] * 40 + ["rare"] * 3
    cols = {"x": [float(i % 11) for i in range(len(y))], "y": y}
    live.put_data("rare3.csv", _csv(cols))
    err = run_failed(live, job({"location": "rare3.csv", "target": "y"}), "class_too_small")
    assert err["details"] == {"label": "rare", "count": 3, "minimum": 7}
    assert "split got none of them" in err["message"]
    # a larger test share: sklearn refuses the split itself, and the class is still named
    err = run_failed(
        live,
        job({"location": "rare3.csv", "target": "y"}, split={"test_size": 0.8}),
        "class_too_small",
    )
    assert err["details"]["label"] == "rare" and err["details"]["count"] == 3


def test_file_sorted_by_class_keeps_both_classes_in_validation(live: LiveService) -> None:
    cols = _binary(n_major=80, n_minor=20)  # all 'no' rows first, then all 'yes' rows
    live.put_data("sorted.csv", _csv(cols))
    res = run_ok(live, job({"location": "sorted.csv", "target": "y"}))
    counts = res["data_summary"]["class_counts"]
    for part in ("validation", "test", "train_before"):
        assert counts[part]["no"] > 0 and counts[part]["yes"] > 0, counts
    val, test = expected_split_counts(cols["y"], ["no", "yes"])
    assert counts["validation"] == val and counts["test"] == test


# --- SMOTE neighbours and sampler parameters -------------------------------------------------


def _three_minority_in_train() -> str:
    # 45/5 rows: the stratified split leaves exactly 3 'yes' rows in the training split.
    return _csv(_binary(n_major=45, n_minor=5, seed=3))


def test_smote_with_three_minority_rows_names_class_and_fix(live: LiveService) -> None:
    live.put_data("smote3.csv", _three_minority_in_train())
    spec = job({"location": "smote3.csv", "target": "y"}, balancing={"method": "smote"})
    err = run_failed(live, spec, "k_neighbors_too_large")
    assert err["details"]["label"] == "yes" and err["details"]["count"] == 3
    assert "'yes'" in err["message"] and "3" in err["message"]
    assert "k_neighbors" in err["hint"] and "auto" in err["hint"]


def test_smote_k_neighbors_auto_lowers_k_with_a_note(live: LiveService) -> None:
    live.put_data("smote3.csv", _three_minority_in_train())
    spec = job(
        {"location": "smote3.csv", "target": "y"},
        balancing={"method": "smote", "k_neighbors": "auto"},
    )
    res = run_ok(live, spec)
    assert res["data_summary"]["balancing"]["params"]["k_neighbors"] == 2
    assert any("k_neighbors lowered" in n and "'yes'" in n for n in res["notes"]), res["notes"]
    counts = res["data_summary"]["class_counts"]
    assert (
        counts["train_before"]["yes"] == 3
        and counts["train_after"]["yes"] == counts["train_after"]["no"]
    )


@pytest.mark.parametrize(
    "balancing,param",
    [
        ({"method": "smote", "n_neighbors": 3}, "n_neighbors"),
        ({"method": "tomek_links", "k_neighbors": 3}, "k_neighbors"),
        ({"method": "adasyn", "k_neighbors": 3}, "k_neighbors"),
        ({"method": "random_over", "n_neighbors": 3}, "n_neighbors"),
        ({"method": "smote", "m_neighbors": 3}, "m_neighbors"),
    ],
)
def test_parameter_the_sampler_does_not_take_is_422(
    live: LiveService, balancing: dict[str, Any], param: str
) -> None:
    text = problem_422(live, job({"location": "x.csv", "target": "y"}, balancing=balancing))
    assert param in text


@pytest.mark.parametrize("method", ["tomek_links", "edited_nearest_neighbours"])
@pytest.mark.parametrize("strategy", [0.5, {"yes": 10}])
def test_cleaning_samplers_take_no_sampling_strategy(
    live: LiveService, method: str, strategy: Any
) -> None:
    spec = job(
        {"location": "x.csv", "target": "y"},
        balancing={"method": method, "sampling_strategy": strategy},
    )
    text = problem_422(live, spec)
    assert "sampling_strategy" in text and method in text


@pytest.mark.parametrize(
    "balancing,label,count,fix",
    [
        ({"method": "adasyn"}, "yes", 3, "at most 2"),  # default 5 needs 6 rows
        ({"method": "near_miss", "n_neighbors": 4}, "yes", 3, "at most 3"),
        ({"method": "edited_nearest_neighbours", "n_neighbors": 1000}, None, 32, "at most 31"),
    ],
)
def test_neighbour_counts_are_checked_against_the_training_split(
    live: LiveService, balancing: dict[str, Any], label: str | None, count: int, fix: str
) -> None:
    live.put_data("smote3.csv", _three_minority_in_train())
    err = run_failed(
        live,
        job({"location": "smote3.csv", "target": "y"}, balancing=balancing),
        "n_neighbors_too_large",
    )
    assert err["details"].get("label") == label and err["details"]["count"] == count, err
    assert "n_neighbors" in err["hint"] and fix in err["hint"]


def test_undersampling_a_class_away_fails_naming_it(live: LiveService) -> None:
    live.put_data("binary.csv", _csv(_binary()))
    err = run_failed(
        live,
        job(
            {"location": "binary.csv", "target": "y"},
            balancing={"method": "random_under", "sampling_strategy": {"yes": 0}},
        ),
        "class_emptied_by_balancing",
    )
    assert err["details"]["labels"] == ["yes"] and "'yes'" in err["message"]


def test_sampling_strategy_float_on_known_multiclass_is_422(live: LiveService) -> None:
    spec = job(
        {"synthetic": {"n_samples": 200, "n_classes": 3, "n_informative": 4}},
        balancing={"method": "random_over", "sampling_strategy": 0.5},
    )
    assert "binary" in problem_422(live, spec)


def test_sampling_strategy_float_on_multiclass_file_fails_the_job(live: LiveService) -> None:
    cols = {"x": [float(i % 13) for i in range(90)], "y": ["a", "b", "c"] * 30}
    live.put_data("three.csv", _csv(cols))
    spec = job(
        {"location": "three.csv", "target": "y"},
        balancing={"method": "smote", "sampling_strategy": 0.5},
    )
    err = run_failed(live, spec, "invalid_sampling_strategy")
    assert "3 classes" in err["message"]


def test_sampling_strategy_map_is_checked_against_training_counts(live: LiveService) -> None:
    live.put_data("strat.csv", _csv(_binary()))  # 60/20 → train 38/13
    too_few = job(
        {"location": "strat.csv", "target": "y"},
        balancing={"method": "random_over", "sampling_strategy": {"yes": 5}},
    )
    err = run_failed(live, too_few, "invalid_sampling_strategy")
    assert err["details"]["label"] == "yes" and err["details"]["count"] == 13
    unknown = job(
        {"location": "strat.csv", "target": "y"},
        balancing={"method": "random_over", "sampling_strategy": {"maybe": 50}},
    )
    err = run_failed(live, unknown, "unknown_label")
    assert err["details"]["label"] == "maybe"
    good = job(
        {"location": "strat.csv", "target": "y"},
        balancing={"method": "random_over", "sampling_strategy": {"yes": 30}},
    )
    res = run_ok(live, good)
    assert res["data_summary"]["class_counts"]["train_after"] == {"no": 38, "yes": 30}


def test_sampling_strategy_float_below_current_ratio_fails(live: LiveService) -> None:
    live.put_data("strat.csv", _csv(_binary()))
    spec = job(
        {"location": "strat.csv", "target": "y"},
        balancing={"method": "smote", "sampling_strategy": 0.1},
    )
    err = run_failed(live, spec, "invalid_sampling_strategy")
    assert "0.342" in err["message"]  # 13/38


# --- every sampler --------------------------------------------------------------------------

SAMPLERS = {
    "smote": ("SMOTE", "over"),
    "adasyn": ("ADASYN", "over"),
    "borderline_smote": ("BorderlineSMOTE", "over"),
    "svm_smote": ("SVMSMOTE", "over"),
    "smotenc": ("SMOTENC", "over"),
    "smoten": ("SMOTEN", "over"),
    "random_over": ("RandomOverSampler", "over"),
    "random_under": ("RandomUnderSampler", "under"),
    "near_miss": ("NearMiss", "under"),
    "tomek_links": ("TomekLinks", "clean"),
    "edited_nearest_neighbours": ("EditedNearestNeighbours", "clean"),
    "smote_tomek": ("SMOTETomek", "over"),
    "smote_enn": ("SMOTEENN", "over"),
}


@pytest.mark.parametrize("method", list(SAMPLERS))
def test_every_sampler_runs_on_training_split_only(live: LiveService, method: str) -> None:
    if method == "smoten":
        # SMOTEN works on categories only.
        rng = np.random.default_rng(5)
        y = ["no"] * 60 + ["yes"] * 20
        cols: dict[str, list[Any]] = {
            "c1": [str(rng.choice(["p", "q", "r"] if t == "no" else ["q", "r", "s"])) for t in y],
            "c2": [str(rng.choice(["u", "v"] if t == "no" else ["v", "w"])) for t in y],
            "y": y,
        }
    else:
        cols = _binary(colors=method == "smotenc")
    live.put_data(f"sampler_{method}.csv", _csv(cols))
    res = run_ok(
        live,
        job({"location": f"sampler_{method}.csv", "target": "y"}, balancing={"method": method}),
    )
    ds = res["data_summary"]
    cls, kind = SAMPLERS[method]
    assert ds["balancing"]["sampler"] == cls
    counts = ds["class_counts"]
    before, after = counts["train_before"], counts["train_after"]
    if kind == "over":
        assert after["yes"] > before["yes"], counts
    elif kind == "under":
        assert after["no"] < before["no"] and after["yes"] == before["yes"], counts
    else:
        assert after["no"] <= before["no"] and after["yes"] == before["yes"], counts
    val, test = expected_split_counts(cols["y"], ["no", "yes"])
    assert counts["validation"] == val and counts["test"] == test


def test_smote_with_categorical_features_uses_smotenc(live: LiveService) -> None:
    live.put_data("smotenc_auto.csv", _csv(_binary(colors=True)))
    res = run_ok(
        live, job({"location": "smotenc_auto.csv", "target": "y"}, balancing={"method": "smote"})
    )
    assert res["data_summary"]["balancing"]["sampler"] == "SMOTENC"
    assert res["data_summary"]["onehot_expansion"] == {"color": 3}
    assert any("SMOTENC" in note for note in res["notes"]), res["notes"]


@pytest.mark.parametrize("method", ["smote_tomek", "smote_enn"])
def test_combined_samplers_honour_sampling_strategy(live: LiveService, method: str) -> None:
    """The SMOTE step of SMOTETomek/SMOTEENN grows the minority to the asked ratio; the
    cleaning step may then only remove rows."""
    live.put_data(f"ratio_{method}.csv", _csv(_binary(n_major=300, n_minor=40)))
    res = run_ok(
        live,
        job(
            {"location": f"ratio_{method}.csv", "target": "y"},
            balancing={"method": method, "sampling_strategy": 0.5},
        ),
    )
    counts = res["data_summary"]["class_counts"]
    before, after = counts["train_before"], counts["train_after"]
    assert after["yes"] <= before["no"] // 2 + 1, counts  # not grown to parity
    assert after["yes"] > before["yes"], counts


def test_class_weight_balanced_and_map_by_original_labels(live: LiveService) -> None:
    live.put_data("cw.csv", _csv(_binary()))
    res = run_ok(
        live, job({"location": "cw.csv", "target": "y"}, balancing={"method": "class_weight"})
    )
    weights = res["data_summary"]["balancing"]["class_weight"]
    assert weights["yes"] > 1 > weights["no"]
    res = run_ok(
        live,
        job(
            {"location": "cw.csv", "target": "y"},
            balancing={"method": "class_weight", "class_weight": {"yes": 4, "no": 1}},
        ),
    )
    assert res["data_summary"]["balancing"]["class_weight"] == {"no": 1.0, "yes": 4.0}
    bad = job(
        {"location": "cw.csv", "target": "y"},
        balancing={"method": "class_weight", "class_weight": {"Yes": 4}},
    )
    err = run_failed(live, bad, "unknown_label")
    assert err["details"]["label"] == "Yes" and "'Yes'" in err["message"]


def test_two_keys_for_one_class_are_refused(live: LiveService) -> None:
    rng = np.random.default_rng(9)
    y = ["0.0", "1.0", "0.0"] * 30
    cols = {"a": [round(float(rng.normal()), 3) for _ in y], "y": y}
    live.put_data("float_labels.csv", _csv(cols))
    weights = {"1": 2, "1.0": 5}
    err = run_failed(
        live,
        job(
            {"location": "float_labels.csv", "target": "y"},
            balancing={"method": "class_weight", "class_weight": weights},
        ),
        "duplicate_label_keys",
    )
    assert "'1.0' twice" in err["message"] and "'1'" in err["message"]
    # a number names the label it equals: 1.0 is the class written "1.0"
    res = run_ok(live, job({"location": "float_labels.csv", "target": "y", "positive_label": 1.0}))
    assert res["positive_label"] == "1.0"


def test_builtin_data_refuses_a_target_that_names_a_feature(live: LiveService) -> None:
    for name in ("sepal length (cm)", "sepal_length_(cm)"):
        err = run_failed(
            live, job({"location": "builtin:iris", "target": name}), "target_name_taken"
        )
        assert "feature column" in err["message"]


def test_class_weight_map_keyed_by_integer_labels(live: LiveService) -> None:
    y = [3, 7, 9] * 30
    live.put_data(
        "labels379.csv", _csv({"a": [float(v) + (i % 5) * 0.1 for i, v in enumerate(y)], "y": y})
    )
    spec = job(
        {"location": "labels379.csv", "target": "y"},
        balancing={"method": "class_weight", "class_weight": {"3": 1, "7": 2, "9": 3}},
    )
    res = run_ok(live, spec)
    assert res["data_summary"]["balancing"]["class_weight"] == {"3": 1.0, "7": 2.0, "9": 3.0}


# --- columns ---------------------------------------------------------------------------------


def test_constant_id_like_and_high_cardinality_columns_are_reported(live: LiveService) -> None:
    cols = _binary(n_major=90, n_minor=30)
    n = len(cols["y"])
    cols = {
        "row_id": list(range(1000, 1000 + n)),
        "code": [f"c{i}" for i in range(n)],
        "const": [7] * n,
        "flat": ["same"] * n,
        **cols,
    }
    live.put_data("columns.csv", _csv(cols))
    res = run_ok(live, job({"location": "columns.csv", "target": "y"}))
    ds = res["data_summary"]
    assert set(ds["constant_columns_dropped"]) == {"const", "flat"}
    assert "const" not in ds["numeric_columns"] and "flat" not in ds["categorical_columns"]
    assert {"row_id", "code"} <= set(ds["id_like_columns"])
    assert ds["high_cardinality_columns"]["code"] > 50


def test_features_and_drop_select_columns(live: LiveService) -> None:
    cols = _binary(colors=True)
    cols["noise"] = [i % 4 for i in range(len(cols["y"]))]
    live.put_data("select.csv", _csv(cols))
    res = run_ok(live, job({"location": "select.csv", "target": "y", "features": ["a", "color"]}))
    assert res["data_summary"]["columns_used"] == ["a", "color"]
    res = run_ok(live, job({"location": "select.csv", "target": "y", "drop": ["color", "noise"]}))
    assert res["data_summary"]["columns_used"] == ["a", "b"]
    err = run_failed(
        live, job({"location": "select.csv", "target": "y", "drop": ["nope"]}), "unknown_columns"
    )
    assert err["details"]["columns"] == ["nope"]


def test_duplicate_and_cross_split_duplicate_rows_are_counted(live: LiveService) -> None:
    cols = _binary()
    for c in cols:  # 20 exact copies of the first 20 rows
        cols[c] = cols[c] + cols[c][:20]
    live.put_data("dups.csv", _csv(cols))
    res = run_ok(live, job({"location": "dups.csv", "target": "y"}))
    ds = res["data_summary"]
    assert ds["duplicate_rows"] == 20
    assert 0 < ds["cross_split_duplicates"] <= 20


# --- sources ---------------------------------------------------------------------------------


def test_parquet_and_jsonl_files(live: LiveService) -> None:
    cols = _binary(colors=True)
    table = pa.table(cols)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    live.put_data("table.parquet", buf.getvalue())
    res = run_ok(live, job({"location": "table.parquet", "target": "y"}))
    assert res["data_summary"]["format"] == "parquet" and res["data_summary"][
        "onehot_expansion"
    ] == {"color": 3}

    rows = [
        {k: cols[k][i] for k in cols} | {"flag": cols["y"][i] == "yes"}
        for i in range(len(cols["y"]))
    ]
    live.put_data("table.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n")
    res = run_ok(live, job({"location": "table.jsonl", "target": "flag", "drop": ["y"]}))
    assert res["data_summary"]["format"] == "jsonl"
    assert res["labels"] == ["false", "true"]
    # Sniffed by content when the name says nothing.
    live.put_data("table_noext", buf.getvalue())
    res = run_ok(live, job({"location": "table_noext", "target": "y"}))
    assert res["data_summary"]["format"] == "parquet"
    live.put_data("rows_noext", "\n".join(json.dumps(r) for r in rows) + "\n")
    res = run_ok(live, job({"location": "rows_noext", "target": "flag", "drop": ["y"]}))
    assert res["data_summary"]["format"] == "jsonl"


def test_parquet_column_types_beyond_text_and_numbers(live: LiveService) -> None:
    """Bytes, decimals and dates are labels or features; nested cells fail naming the column."""
    import datetime
    import decimal

    cols = _binary()
    n = len(cols["y"])
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in range(n)]
    table = pa.table(
        {
            "a": cols["a"],
            "when": days,
            "y_bytes": pa.array([v.encode() for v in cols["y"]], pa.binary()),
            "y_decimal": pa.array(
                [decimal.Decimal(1 if v == "yes" else 0) for v in cols["y"]], pa.decimal128(5, 2)
            ),
            "tags": [[v, "x"] for v in cols["y"]],
        }
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    live.put_data("types.parquet", buf.getvalue())
    data = {"location": "types.parquet", "drop": ["tags"]}
    res = run_ok(live, job({**data, "target": "y_bytes", "drop": ["tags", "y_decimal"]}))
    assert res["labels"] == ["no", "yes"] and "when" in res["data_summary"]["numeric_columns"]
    res = run_ok(live, job({**data, "target": "y_decimal", "drop": ["tags", "y_bytes"]}))
    assert res["labels"] == ["0", "1"] and res["data_summary"]["label_values"] == {"0": 0, "1": 1}
    err = run_failed(
        live, job({"location": "types.parquet", "target": "y_bytes"}), "unsupported_column_type"
    )
    assert err["details"]["columns"] == ["tags"] and "data.drop" in err["hint"]


def test_a_latin1_csv_uploads_and_trains(live: LiveService) -> None:
    cols = _binary(colors=True)
    cols["colour_é"] = [f"{c}-é" for c in cols.pop("color")]
    text = _csv(cols).encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        text.decode("utf-8")
    with live.client() as c:
        r = c.post("/v1/datasets", files={"file": ("latin.csv", text, "text/csv")})
    assert r.status_code == 201, r.text
    assert "colour_é" in [col["name"] for col in r.json()["columns"]]
    res = run_ok(live, job({"location": r.json()["location"], "target": "y"}))
    assert res["data_summary"]["encoding"] == "cp1252"
    assert res["data_summary"]["onehot_expansion"] == {"colour_é": 3}
    assert any("read as cp1252" in n for n in res["notes"]), res["notes"]


def test_a_utf16_csv_with_its_byte_order_mark_trains(live: LiveService) -> None:
    """Excel's "Unicode text" export: UTF-16 with a byte-order mark."""
    cols = _binary(colors=True)
    live.put_data("utf16.csv", _csv(cols).encode("utf-16"))
    res = run_ok(live, job({"location": "utf16.csv", "target": "y"}))
    assert res["data_summary"]["encoding"] == "utf-16"
    assert res["labels"] == ["no", "yes"]
    assert res["data_summary"]["onehot_expansion"] == {"color": 3}


def test_broken_uploads_get_a_clear_422(live: LiveService) -> None:
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        "Content-Type: text/csv\r\n\r\na,y\n1,p\n"
    ).encode()
    multipart = {"content-type": f"multipart/form-data; boundary={boundary}"}
    with live.client() as c:
        cut = c.post("/v1/datasets", content=head, headers=multipart)
        assert cut.status_code == 422 and "cut off" in cut.json()["detail"]
        junk = c.post("/v1/datasets", content=b"--nope\r\n\x00\x01", headers=multipart)
        assert junk.status_code == 422 and "curl -F file=@data.csv" in junk.json()["detail"]
        garbage = bytes(range(256)) * 40
        r = c.post("/v1/datasets", files={"file": ("bin.csv", garbage, "text/csv")})
        assert r.status_code == 422 and r.json()["detail"].isprintable(), r.text


def test_builtin_and_synthetic_sources(live: LiveService) -> None:
    res = run_ok(live, job({"location": "builtin:iris"}))
    assert res["task"] == "multiclass" and res["labels"] == ["setosa", "versicolor", "virginica"]
    assert res["data_summary"]["rows"] == 150
    res = run_ok(
        live,
        job(
            {
                "synthetic": {
                    "n_samples": 200,
                    "n_features": 6,
                    "n_informative": 3,
                    "n_redundant": 1,
                    "weights": [0.8],
                }
            }
        ),
    )
    assert res["task"] == "binary" and res["data_summary"]["rows"] == 200
    assert res["data_summary"]["source"] == "synthetic"
    # the label column of generated data must not overwrite one of its features
    err = run_failed(
        live, job({"location": "builtin:iris", "target": "petal_width_(cm)"}), "target_name_taken"
    )
    assert "'petal_width_(cm)'" in err["message"] and "builtin:iris" in err["message"]
    run_failed(live, job({"synthetic": {"n_samples": 200}, "target": "x3"}), "target_name_taken")


def test_paths_outside_the_data_root_are_refused(live: LiveService) -> None:
    outside = live.workdir / "outside.csv"
    outside.write_text(_csv(_binary()))
    link = live.data_root / "escape.csv"
    if not link.is_symlink():
        os.symlink(outside, link)
    for location in (
        "../outside.csv",
        str(outside),
        f"file://{outside}",
        "escape.csv",
        "sub/../../outside.csv",
    ):
        err = run_failed(live, job({"location": location, "target": "y"}), "path_outside_data_root")
        assert location[:40] in err["message"], err
    # A symlink that stays inside the root is fine.
    live.put_data("inside_target.csv", _csv(_binary()))
    inner = live.data_root / "inside_link.csv"
    if not inner.is_symlink():
        os.symlink(live.data_root / "inside_target.csv", inner)
    run_ok(live, job({"location": "inside_link.csv", "target": "y"}))
    run_ok(live, job({"location": "file://inside_target.csv", "target": "y"}))


def test_upload_then_train_on_the_dataset(live: LiveService) -> None:
    text = _csv(_with_gaps())
    with live.client() as c:
        r = c.post("/v1/datasets", files={"file": ("gaps.csv", text.encode(), "text/csv")})
        assert r.status_code in (200, 201), r.text
        info = r.json()
        assert info["rows"] == 80 and info["location"] == f"dataset:{info['id']}"
        cols = {col["name"]: col for col in info["columns"]}
        assert set(cols) == {"a", "b", "color", "y"}
        assert cols["a"]["missing"] == 3 and cols["color"]["missing"] == 2
        assert c.get(f"/v1/datasets/{info['id']}").json()["id"] == info["id"]
        assert info["id"] in [d["id"] for d in c.get("/v1/datasets").json()["items"]]
        assert c.get("/v1/datasets/nope").status_code == 404
    res = run_ok(
        live, job({"location": info["location"], "target": "y"}, preprocessing={"impute": "median"})
    )
    assert res["data_summary"]["source"] == info["location"]
    detail = problem_422(live, job({"location": "dataset:0123abcd", "target": "y"}))
    assert "data.location" in detail and "'0123abcd'" in detail and "POST /v1/datasets" in detail


def test_unusable_uploads_are_422_naming_the_callers_file(live: LiveService) -> None:
    with live.client() as c:
        header_only = c.post("/v1/datasets", files={"file": ("mine.csv", b"a,b,y\n", "text/csv")})
        assert (
            header_only.status_code == 422
            and "mine.csv has no data rows" in header_only.json()["detail"]
        )
        dup = c.post("/v1/datasets", files={"file": ("dup.csv", b"a,a,y\n1,2,3\n", "text/csv")})
        assert dup.status_code == 422 and "duplicate column names: a" in dup.json()["detail"]
        empty = c.post("/v1/datasets", files={"file": ("e.csv", b"", "text/csv")})
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]
        no_part = c.post("/v1/datasets", files={"other": ("e.csv", b"a\n1\n", "text/csv")})
        assert no_part.status_code == 422 and "part named 'file'" in no_part.json()["detail"]
        raw = c.post("/v1/datasets", content=b"a,y\n1,p\n", headers={"content-type": "text/csv"})
        assert raw.status_code == 415 and raw.json()["errors"][0]["loc"] == ["file"], raw.text


def test_url_on_a_host_not_allowed_is_refused_at_submission(live: LiveService) -> None:
    with live.client() as c:
        r = c.post("/v1/jobs", json=job({"location": "http://127.0.0.1:9/x.csv", "target": "y"}))
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["loc"] == ["data", "location"] and error["type"] == "host_not_allowed"
    assert "'127.0.0.1' is not in DATA_HTTP_ALLOWED_HOSTS" in error["msg"]


# --- a second service: small upload limit and an HTTP allowlist -------------------------------


@pytest.fixture(scope="module")
def http_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    root = tmp_path_factory.mktemp("http")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        """Files under root; /to/{host}/{path} redirects to http://{host}:{port}/{path};
        /slow.csv trickles a byte every 0.2 s."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            if self.path.startswith("/to/"):
                _, _, host, rest = self.path.split("/", 3)
                self.send_response(302)
                self.send_header(
                    "Location", f"http://{host}:{self.server.server_address[1]}/{rest}"
                )
                self.end_headers()
            elif self.path == "/cut.csv":
                # says twice what it sends, then hangs up: a download cut in the middle
                body = _csv(_binary(n_major=40, n_minor=20)).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(2 * len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
            elif self.path == "/slow.csv":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(100):
                    try:
                        self.wfile.write(b"1")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.2)
            else:
                super().do_GET()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, int(server.server_address[1])
    server.shutdown()


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory, http_files: tuple[Path, int]
) -> Iterator[LiveService]:
    _, port = http_files
    service = LiveService(
        tmp_path_factory.mktemp("limited"),
        env_overrides={
            "MAX_UPLOAD_BYTES": "2048",
            "DATA_HTTP_ALLOWED_HOSTS": f"127.0.0.1:{port}",
            "DATA_HTTP_MAX_BYTES": "4096",
            "DATA_HTTP_TIMEOUT_SECONDS": "3",
            "BOOTSTRAP_RESAMPLES": "50",
        },
    )
    service.start()
    yield service
    service.stop()


def test_upload_over_the_limit_is_413(limited: LiveService) -> None:
    big = _csv(_binary(n_major=200, n_minor=100)).encode()
    assert len(big) > 2048
    with limited.client() as c:
        r = c.post("/v1/datasets", files={"file": ("big.csv", big, "text/csv")})
        assert r.status_code == 413, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "2048" in r.json()["detail"]
        ok = c.post("/v1/datasets", files={"file": ("small.csv", b"a,y\n1,p\n2,n\n", "text/csv")})
        assert ok.status_code in (200, 201), ok.text
        assert [d["id"] for d in c.get("/v1/datasets").json()["items"]] == [ok.json()["id"]]


def test_url_on_an_allowlisted_host_trains(
    limited: LiveService, http_files: tuple[Path, int]
) -> None:
    root, port = http_files
    (root / "remote.csv").write_text(_csv(_binary(n_major=40, n_minor=20)))
    res = run_ok(limited, job({"location": f"http://127.0.0.1:{port}/remote.csv", "target": "y"}))
    assert res["data_summary"]["rows"] == 60
    err = run_failed(
        limited,
        job({"location": f"http://127.0.0.1:{port}/missing.csv", "target": "y"}),
        "download_failed",
    )
    assert "missing.csv" in err["message"]
    (root / "huge.csv").write_text(_csv(_binary(n_major=300, n_minor=100)))
    err = run_failed(
        limited,
        job({"location": f"http://127.0.0.1:{port}/huge.csv", "target": "y"}),
        "download_too_large",
    )
    assert "4096" in err["message"]
    with limited.client() as c:
        r = c.post("/v1/jobs", json=job({"location": "http://localhost:1/x.csv", "target": "y"}))
    assert r.status_code == 422 and r.json()["errors"][0]["type"] == "host_not_allowed", r.text


def test_url_redirects_only_to_allowlisted_hosts(
    limited: LiveService, http_files: tuple[Path, int]
) -> None:
    """An allowed host cannot hand the worker another address by redirecting to it."""
    root, port = http_files
    (root / "remote.csv").write_text(_csv(_binary(n_major=40, n_minor=20)))
    base = f"http://127.0.0.1:{port}"
    res = run_ok(limited, job({"location": f"{base}/to/127.0.0.1/remote.csv", "target": "y"}))
    assert res["data_summary"]["rows"] == 60
    err = run_failed(
        limited,
        job({"location": f"{base}/to/localhost/remote.csv", "target": "y"}),
        "host_not_allowed",
    )
    assert err["details"]["host"] == "localhost"
    assert "redirects to http://localhost" in err["message"]


def test_a_download_cut_short_is_not_trained_on(
    limited: LiveService, http_files: tuple[Path, int]
) -> None:
    _, port = http_files
    err = run_failed(
        limited,
        job({"location": f"http://127.0.0.1:{port}/cut.csv", "target": "y"}),
        "download_failed",
    )
    assert "connection closed after" in err["message"]


def test_a_trickling_download_meets_the_total_timeout(
    limited: LiveService, http_files: tuple[Path, int]
) -> None:
    _, port = http_files
    err = run_failed(
        limited,
        job({"location": f"http://127.0.0.1:{port}/slow.csv", "target": "y"}),
        "download_timeout",
    )
    assert "longer than 3 seconds" in err["message"]
    # stopped mid-body: the server would send 1000 bytes
    so_far = int(err["message"].split("(")[1].split(" bytes")[0])
    assert 0 < so_far < 1000


def test_a_numeric_column_with_stray_words_is_named(live: LiveService) -> None:
    cols = _binary(n_major=60, n_minor=30)
    cols["a"] = [str(v) if i % 20 else "n/a?" for i, v in enumerate(cols["a"])]
    live.put_data("stray_words.csv", _csv(cols))
    res = run_ok(live, job({"location": "stray_words.csv", "target": "y"}))
    (note,) = [n for n in res["notes"] if "column 'a'" in n]
    assert "94.4% of its values are numbers" in note and "'n/a?'" in note


def test_a_model_too_wide_for_the_datas_width_is_refused_before_training(
    live: LiveService,
) -> None:
    """Hidden layers alone pass at submission (33.6M weights); the input layer's size is known
    only once the data's width is: 2,500 features x 8,192 units put it over 50M."""
    rng = np.random.default_rng(8)
    y = ["no", "no", "yes"] * 14
    cols: dict[str, list[Any]] = {
        f"f{j}": [round(float(v), 2) for v in rng.normal(size=len(y))] for j in range(2500)
    }
    cols["y"] = y
    live.put_data("wide_features.csv", _csv(cols))
    layers = [{"units": 8192}, {"units": 4096}]
    err = run_failed(
        live,
        job({"location": "wide_features.csv", "target": "y"}, model={"layers": layers}),
        "model_too_large",
    )
    assert err["details"]["parameters"] > 50_000_000
    assert "2500 input features" in err["message"] and "data.drop" in err["hint"]


def test_resampling_beyond_a_workers_budget_is_refused(live: LiveService) -> None:
    live.put_data("resample_budget.csv", _csv(_binary()))
    err = run_failed(
        live,
        job(
            {"location": "resample_budget.csv", "target": "y"},
            balancing={"method": "random_over", "sampling_strategy": {"yes": 99_000_000}},
        ),
        "resampling_too_large",
    )
    assert err["details"]["rows"] > 99_000_000 and "class_weight" in err["hint"]


def test_an_auc_monitor_on_a_single_class_validation_split_is_refused(
    live: LiveService,
) -> None:
    """Without stratification validation can miss the rare class; its AUC is undefined, and
    early stopping must not steer by Keras' 0.0."""
    y = ["no"] * 95 + ["yes"] * 5
    cols = {"a": [float(i % 7) + (3.0 if t == "yes" else 0.0) for i, t in enumerate(y)], "y": y}
    live.put_data("one_class_val.csv", _csv(cols))
    data = {"location": "one_class_val.csv", "target": "y"}
    seed = next(
        s for s in range(200) if _rare_misses_validation(y, s) and not _rare_misses_train(y, s)
    )
    err = run_failed(
        live,
        job(
            data,
            split={"stratify": False},
            seed=seed,
            callbacks={"early_stopping": {"monitor": "val_roc_auc"}},
        ),
        "monitor_undefined",
    )
    assert "callbacks.early_stopping.monitor" in err["message"]
    res = run_ok(live, job(data, split={"stratify": False}, seed=seed))
    assert all(row["val_roc_auc"] is None for row in res["training"]["history"])
    assert any("val_roc_auc is null" in n for n in res["notes"]), res["notes"]


def _split_without_stratification(y: list[str], seed: int) -> tuple[Any, Any, Any]:
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=0.2, random_state=seed)
    train, val = train_test_split(rest, test_size=0.2, random_state=seed)
    return train, val, test


def _rare_misses_validation(y: list[str], seed: int) -> bool:
    _, val, _ = _split_without_stratification(y, seed)
    return all(y[i] == "no" for i in val)


def _rare_misses_train(y: list[str], seed: int) -> bool:
    train, _, _ = _split_without_stratification(y, seed)
    return all(y[i] == "no" for i in train)
