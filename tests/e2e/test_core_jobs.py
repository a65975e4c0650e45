"""The core loop over real HTTP with a real worker: submit, watch, fetch the panel (issue: core)."""

import io
import json
import zipfile
from typing import Any

import httpx
import pytest

from tests.support.live_service import LiveService
from tests.support.specs import assert_json_finite, example, quick, sklearn_csv

PANEL_BINARY = {
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "average_precision",
    "log_loss",
    "matthews_corrcoef",
}


def _step_rates(initial: float, start_epoch: int, every: int, factor: float, n: int) -> list[float]:
    """The background document's schedule, evaluated independently of the service."""
    rates, lr = [], initial
    for e in range(n):
        if e > start_epoch and e % every == 0:
            lr *= factor
        rates.append(lr)
    return rates


def _events(live: LiveService, job_id: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with (
        httpx.Client(base_url=live.url, timeout=300) as c,
        c.stream("GET", f"/v1/jobs/{job_id}/events") as r,
    ):
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event:
                out.append((event, json.loads(line.removeprefix("data: "))))
                if event == "end":
                    break
    return out


@pytest.fixture(scope="module")
def caravan_smote(live: LiveService) -> dict[str, Any]:
    with live.client() as c:
        r = c.post("/v1/jobs", json=example("caravan-smote"))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/jobs/{r.json()['id']}"
    assert r.json()["state"] == "queued"
    job_id = r.json()["id"]
    events = _events(live, job_id)
    status = live.wait(job_id)
    return {"id": job_id, "events": events, "status": status, "result": live.result(job_id)}


def test_caravan_smote_runs_queued_running_succeeded(caravan_smote: dict[str, Any]) -> None:
    states = [d["state"] for e, d in caravan_smote["events"] if e == "state"]
    assert states == ["queued", "running", "succeeded"]
    epochs = [d["epoch"] for e, d in caravan_smote["events"] if e == "epoch"]
    assert epochs == list(range(1, len(epochs) + 1)) and len(epochs) >= 2
    status = caravan_smote["status"]
    assert status["state"] == "succeeded" and status["error"] is None
    assert status["progress"]["fraction"] == 1.0
    assert [r["epoch"] for r in status["history"]] == epochs


def test_caravan_smote_panel_and_summary(caravan_smote: dict[str, Any]) -> None:
    res = caravan_smote["result"]
    assert_json_finite(res)
    assert (
        res["task"] == "binary"
        and res["labels"] == ["No", "Yes"]
        and res["positive_label"] == "Yes"
    )
    for split in ("test", "validation", "train"):
        assert PANEL_BINARY <= set(res["metrics"][split]), split
    # A hand-written Keras MLP with SMOTE scores about 0.67 ROC-AUC on this split.
    assert 0.6 < res["metrics"]["test"]["roc_auc"] < 0.8
    assert res["confusion_matrix"]["labels"] == ["No", "Yes"]
    assert sum(map(sum, res["confusion_matrix"]["matrix"])) == sum(
        res["data_summary"]["class_counts"]["test"].values()
    )
    assert res["baselines"]["majority_class"]["accuracy"] == pytest.approx(0.94, abs=0.01)
    counts = res["data_summary"]["class_counts"]
    # SMOTE balances the training split only; validation and test keep the true 6%.
    assert (
        counts["train_after"]["Yes"] == counts["train_after"]["No"] == counts["train_before"]["No"]
    )
    assert counts["test"]["Yes"] / sum(counts["test"].values()) == pytest.approx(0.06, abs=0.01)
    assert counts["validation"]["Yes"] / sum(counts["validation"].values()) == pytest.approx(
        0.06, abs=0.01
    )
    assert res["data_summary"]["rows"] == 5822
    assert res["data_summary"]["label_mapping"] == {"No": 0, "Yes": 1}
    assert res["provenance"]["versions"]["tensorflow"]
    assert len(res["provenance"]["data_sha256"]) == 64


def test_caravan_smote_training_summary_and_step_schedule(caravan_smote: dict[str, Any]) -> None:
    tr = caravan_smote["result"]["training"]
    hist = tr["history"]
    assert tr["epochs_run"] == len(hist) and hist[0]["epoch"] == 1
    assert {
        "loss",
        "val_loss",
        "accuracy",
        "val_accuracy",
        "roc_auc",
        "val_roc_auc",
        "learning_rate",
    } <= set(hist[0])
    expected = _step_rates(0.001, 5, 2, 0.9, len(hist))
    assert [r["learning_rate"] for r in hist] == pytest.approx(expected, rel=1e-5)
    assert tr["stopped_early"] is (len(hist) < 40)
    assert tr["restored_best_weights"] is True
    best = min(hist, key=lambda r: r["val_loss"])["epoch"]
    assert tr["best_epoch"] == best


def test_reports_model_and_bundle(live: LiveService, caravan_smote: dict[str, Any]) -> None:
    job_id = caravan_smote["id"]
    with live.client() as c:
        model = c.get(f"/v1/jobs/{job_id}/model")
        assert model.status_code == 200 and model.content[:2] == b"PK"  # .keras is a zip
        head = c.head(f"/v1/jobs/{job_id}/model")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(model.content)
        bundle = c.get(f"/v1/jobs/{job_id}/model", params={"bundle": "true"})
        names = set(zipfile.ZipFile(io.BytesIO(bundle.content)).namelist())
        assert {"model.keras", "preprocessing.joblib", "spec.json"} <= names
        report = c.get(f"/v1/jobs/{job_id}/report")
        assert report.status_code == 200 and "<svg" in report.text and "roc_auc" in report.text


@pytest.mark.parametrize(
    "dataset,task,n_labels", [("breast_cancer", "binary", 2), ("digits", "multiclass", 10)]
)
def test_sklearn_datasets_train(live: LiveService, dataset: str, task: str, n_labels: int) -> None:
    sklearn_csv(dataset, live.data_root / f"{dataset}.csv")
    spec = quick(
        {"location": f"{dataset}.csv", "target": "label"},
        training={"epochs": 15, "batch_size": 32},
        callbacks={"early_stopping": {"monitor": "val_loss", "patience": 3}},
    )
    status = live.run(spec)
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    assert_json_finite(res)
    assert res["task"] == task and len(res["labels"]) == n_labels
    assert len(res["confusion_matrix"]["matrix"]) == n_labels
    assert res["metrics"]["test"]["accuracy"] > 0.85
    if task == "multiclass":
        m = res["metrics"]["test"]
        assert {
            "f1",
            "f1_weighted",
            "precision_weighted",
            "recall_weighted",
            "roc_auc_ovr_weighted",
        } <= set(m)
        assert set(res["per_class"]) == set(res["labels"])


def test_list_filters_and_pages(live: LiveService, caravan_smote: dict[str, Any]) -> None:
    with live.client() as c:
        page = c.get("/v1/jobs", params={"name": "caravan-smote", "state": "succeeded"}).json()
        assert caravan_smote["id"] in [j["id"] for j in page["items"]]
        first = c.get("/v1/jobs", params={"limit": 1}).json()
        assert len(first["items"]) == 1 and first["next_cursor"]
        second = c.get("/v1/jobs", params={"limit": 1, "cursor": first["next_cursor"]}).json()
        assert second["items"][0]["id"] != first["items"][0]["id"]
        assert c.get("/v1/jobs", params={"cursor": "garbage"}).status_code == 422


def test_predict_with_the_trained_model(live: LiveService, caravan_smote: dict[str, Any]) -> None:
    import csv

    with (live.data_root / "caravan.csv").open() as fh:
        rows = [dict(r) for r, _ in zip(csv.DictReader(fh), range(3), strict=False)]
    for r in rows:
        r.pop("Purchase")
    with live.client() as c:
        r = c.post(f"/v1/jobs/{caravan_smote['id']}/predict", json={"rows": rows})
        assert r.status_code == 200, r.text
        preds = r.json()["predictions"]
        assert len(preds) == 3 and all(p["label"] in ("No", "Yes") for p in preds)
        assert all(abs(sum(p["probabilities"].values()) - 1) < 1e-6 for p in preds)
        bad = c.post(f"/v1/jobs/{caravan_smote['id']}/predict", json={"rows": [{"MOSTYPE": 1}]})
        assert bad.status_code == 422 and bad.json()["code"] == "missing_columns"
        assert "lacks 84 column(s)" in bad.json()["detail"] and "AAANHANG" in bad.json()["detail"]
        assert "without imputation" in bad.json()["hint"]
        for value, code, needle in (
            (None, "missing_values", "without imputation"),
            (1e39, "bad_value", "not a finite number"),
            (10**400, "bad_value", "not a finite number"),
            ("many", "bad_value", "is numeric"),
        ):
            r = c.post(
                f"/v1/jobs/{caravan_smote['id']}/predict",
                json={"rows": [dict(rows[0], MOSTYPE=value)]},
            )
            assert r.status_code == 422 and r.json()["code"] == code, (value, r.text)
            assert needle in r.json()["detail"] and "MOSTYPE" in r.json()["detail"], r.text


def test_bundle_reproduces_the_services_predictions(
    live: LiveService, caravan_smote: dict[str, Any], tmp_path: Any
) -> None:
    """The bundle's README.txt, followed to the letter, scores rows as POST /predict does."""
    import csv

    import joblib
    import keras

    from workers.prediction import model_input

    with live.client() as c:
        bundle = c.get(f"/v1/jobs/{caravan_smote['id']}/model", params={"bundle": "true"})
    zipfile.ZipFile(io.BytesIO(bundle.content)).extractall(tmp_path)
    assert "model_input(bundle, rows)" in (tmp_path / "README.txt").read_text()
    with (live.data_root / "caravan.csv").open() as fh:
        rows = [dict(r) for r, _ in zip(csv.DictReader(fh), range(5), strict=False)]
    for r in rows:
        r.pop("Purchase")
    loaded = joblib.load(tmp_path / "preprocessing.joblib")
    model = keras.saving.load_model(tmp_path / "model.keras", compile=False)
    p = model.predict(model_input(loaded, rows), verbose=0).reshape(-1)
    with live.client() as c:
        served = c.post(f"/v1/jobs/{caravan_smote['id']}/predict", json={"rows": rows}).json()
    assert [x["probabilities"]["Yes"] for x in served["predictions"]] == pytest.approx(
        p.tolist(), abs=1e-6
    )
    assert served["threshold"] == loaded["threshold"] and loaded["labels"] == ["No", "Yes"]


def test_decision_threshold_zero_reaches_predictions(live: LiveService) -> None:
    status = live.run(quick({"synthetic": {"n_samples": 300}}, decision_threshold=0))
    assert status["state"] == "succeeded", status["error"]
    result = live.result(status["id"])
    assert result["decision_threshold"] == 0
    with live.client() as c:
        row = {f"x{i}": 0.0 for i in range(20)}
        r = c.post(f"/v1/jobs/{status['id']}/predict", json={"rows": [row, row]}).json()
    # every score is >= 0: every row is the positive class
    assert r["threshold"] == 0
    assert {p["label"] for p in r["predictions"]} == {result["positive_label"]}


SYNTHETIC = {"synthetic": {"n_samples": 300, "n_features": 6, "n_informative": 4, "n_redundant": 0}}


@pytest.mark.parametrize(
    "schedule,expected",
    [
        # rate = 0.01 * 0.5 ** e
        ({"type": "exponential", "decay_rate": 0.5}, [0.01, 0.005, 0.0025, 0.00125, 0.000625]),
        # from 0.01 down to 0.001 over the 5 epochs, on a half cosine
        (
            {"type": "cosine", "min_learning_rate": 0.001},
            [0.01, 0.0086818, 0.0055, 0.0023182, 0.001],
        ),
        # decays at e = 2 and 4 (e > 1 and e % 2 == 0), not at e = 0
        (
            {"type": "step", "start_epoch": 1, "every": 2, "factor": 0.5},
            [0.01, 0.01, 0.005, 0.005, 0.0025],
        ),
    ],
)
def test_every_learning_rate_schedule_reaches_the_history(
    live: LiveService, schedule: dict[str, Any], expected: list[float]
) -> None:
    status = live.run(
        quick(
            SYNTHETIC,
            training={"epochs": 5, "learning_rate": 0.01, "batch_size": 64},
            callbacks={"lr_schedule": schedule},
        )
    )
    assert status["state"] == "succeeded", status["error"]
    rates = [row["learning_rate"] for row in status["history"]]
    assert rates == pytest.approx(expected, rel=1e-4)


def test_reduce_on_plateau_lowers_the_rate_when_the_monitor_stalls(live: LiveService) -> None:
    # min_delta 10: no epoch counts as an improvement, so every epoch after the first is a
    # plateau; patience 0 and cooldown 0 halve the rate at the end of each of them
    schedule = {"type": "reduce_on_plateau", "factor": 0.5, "patience": 0, "min_delta": 10}
    status = live.run(
        quick(
            SYNTHETIC,
            training={"epochs": 4, "learning_rate": 0.01, "batch_size": 64},
            callbacks={"lr_schedule": schedule},
        )
    )
    assert status["state"] == "succeeded", status["error"]
    rates = [row["learning_rate"] for row in status["history"]]
    assert rates[0] == 0.01 and rates[-1] < rates[0]
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))


@pytest.mark.parametrize(
    "training,preprocessing",
    [
        ({"optimizer": "sgd", "momentum": 0.9, "learning_rate": 0.01}, {"scale": "minmax"}),
        ({"optimizer": "rmsprop", "momentum": 0.5}, {"scale": "none"}),
        ({"optimizer": "adamw", "weight_decay": 0.01}, {"impute": "constant", "scale": "standard"}),
    ],
)
def test_every_optimizer_and_preprocessing_option_trains(
    live: LiveService, training: dict[str, Any], preprocessing: dict[str, Any]
) -> None:
    spec = quick(
        SYNTHETIC,
        training={"epochs": 3, "batch_size": 64, **training},
        preprocessing=preprocessing,
        model={"layers": [{"units": 16, "dropout": 0.2, "l2": 0.001, "batch_norm": True}]},
    )
    status = live.run(spec)
    assert status["state"] == "succeeded", status["error"]
    res = live.result(status["id"])
    assert res["provenance"]["spec"]["training"]["optimizer"] == training["optimizer"]
    assert res["metrics"]["test"]["roc_auc"] is not None
    assert res["training"]["epochs_run"] == 3


def test_categorical_error_names_the_string_columns(live: LiveService) -> None:
    rows = "".join(
        f"{i},{'red' if i % 2 else 'blue'},{'s' if i % 3 else 'm'},{i % 2}\n" for i in range(60)
    )
    live.put_data("strings_refused.csv", "a,colour,size,y\n" + rows)
    status = live.run(
        quick(
            {"location": "strings_refused.csv", "target": "y"},
            preprocessing={"categorical": "error"},
        )
    )
    assert status["state"] == "failed"
    err = status["error"]
    assert err["code"] == "categorical_columns", err
    assert "colour" in err["message"] and "size" in err["message"]
    assert "onehot" in err["hint"]
