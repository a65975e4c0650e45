"""Bad input gets a clear, specific error and nothing is lost (issue: core)."""

import os
import signal
import time
from typing import Any

import pytest

from tests.support.live_service import LiveService
from tests.support.specs import quick

CSV_OK = "a,b,y\n" + "".join(f"{i},{i % 7},{'p' if i % 3 == 0 else 'n'}\n" for i in range(60))


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    return body  # type: ignore[no-any-return]


OK_DATA = {"data": {"location": "x.csv", "target": "y"}}


@pytest.mark.parametrize(
    "spec,field,needle",
    [
        ({"data": {"location": "x.csv", "target": "y"}, "trainig": {}}, "trainig", "Extra inputs"),
        ({"data": {"target": "y"}}, "data.location", "exactly one data source"),
        ({"data": {"location": "x.csv"}}, "data.target", "data.target is required"),
        (
            {"data": {"location": "x.csv", "target": "y"}, "training": {"epochs": 0}},
            "training.epochs",
            "greater than or equal to 1",
        ),
        (
            {
                "data": {"location": "x.csv", "target": "y"},
                "callbacks": {"early_stopping": {"monitor": "val_f2"}},
            },
            "callbacks.early_stopping.monitor",
            "use one of loss, accuracy, roc_auc",
        ),
        (
            {
                "data": {"location": "x.csv", "target": "y"},
                "callbacks": {"early_stopping": {"monitor": "val_loss", "mode": "max"}},
            },
            "callbacks.early_stopping.mode",
            "pass mode='min'",
        ),
        (
            {
                "data": {"synthetic": {"n_classes": 3, "n_informative": 4}},
                "callbacks": {"early_stopping": {"monitor": "val_roc_auc"}},
            },
            "callbacks.early_stopping.monitor",
            "binary targets only",
        ),
        (
            {
                "data": {"location": "x.csv", "target": "y"},
                "balancing": {"method": "tomek_links", "k_neighbors": 3},
            },
            "balancing.k_neighbors",
            "k_neighbors is not a parameter of 'tomek_links'",
        ),
        (
            {"data": {"location": "x.csv", "target": "y"}, "metrics": ["acuracy"]},
            "metrics",
            "unknown metric",
        ),
        (
            {
                "data": {"location": "x.csv", "target": "y"},
                "callbacks": {"lr_schedule": {"type": "linear"}},
            },
            "callbacks.lr_schedule.type",
            "step",
        ),
        # JSON types as written: true is no epoch count, "5" no integer
        ({**OK_DATA, "training": {"epochs": True}}, "training.epochs", "valid integer"),
        ({**OK_DATA, "training": {"batch_size": "64"}}, "training.batch_size", "valid integer"),
        (
            {**OK_DATA, "balancing": {"method": "class_weight", "class_weight": {"p": 1e300}}},
            "balancing.class_weight.p",
            "less than or equal to 1000000",
        ),
        (
            {**OK_DATA, "balancing": {"method": "random_over", "sampling_strategy": "most"}},
            "balancing.sampling_strategy",
            "'auto', or a valid number, or a valid dictionary",
        ),
        (
            {"data": {"location": "http://example.com:99999/x.csv", "target": "y"}},
            "data.location",
            "port out of range",
        ),
        (
            {"data": {"location": "x.csv\u0000.txt", "target": "y"}},
            "data.location",
            "control character",
        ),
        (
            {"data": {"location": "x.csv", "target": "y", "features": ["a", "a"]}},
            "data.features",
            "more than once",
        ),
        ({**OK_DATA, "split": {"test_size": 1e-9}}, "split.test_size", "0.01"),
        (
            {
                **OK_DATA,
                "callbacks": {"lr_schedule": {"type": "reduce_on_plateau", "min_learning_rate": 1}},
            },
            "callbacks.lr_schedule.min_learning_rate",
            "must be below training.learning_rate",
        ),
        (
            {**OK_DATA, "callbacks": {"lr_schedule": {"type": "step", "factor": 2}}},
            "callbacks.lr_schedule.factor",
            "less than or equal to 1",
        ),
        (
            {**OK_DATA, "callbacks": {"lr_schedule": {"factor": 0.5}}},
            "callbacks.lr_schedule.type",
            "one of step, exponential, cosine, reduce_on_plateau",
        ),
        (
            {"data": {"location": "builtin:iris"}, "decision_threshold": 0.3},
            "decision_threshold",
            "binary targets only",
        ),
        (
            {"data": {"location": "builtin:wine"}, "metrics": ["top_3_accuracy"]},
            "metrics",
            "not reported for a 3-class target",
        ),
        (
            {**OK_DATA, "model": {"layers": [{"units": 8192}] * 3}},
            "model.layers",
            "134,234,112 weights",
        ),
        (
            {"data": {"synthetic": {"n_samples": 2_000_000, "n_features": 2000}}},
            "data.synthetic.n_samples",
            "at most 50,000,000",
        ),
        ({**OK_DATA, "name": "a\u0000b"}, "name", "control character"),
        ({"data": {}}, "data.location", "exactly one data source"),
        (
            {"data": {"location": "builtin:iris", "synthetic": {}}},
            "data.synthetic",
            "exactly one data source",
        ),
        (
            {**OK_DATA, "callbacks": {"lr_schedule": {"type": "bogus"}}},
            "callbacks.lr_schedule.type",
            "step",
        ),
        (
            {**OK_DATA, "balancing": {"method": "class_weight", "class_weight": {}}},
            "balancing.class_weight",
            "empty map",
        ),
        (
            {"data": {"location": "HTTP://127.0.0.1:9/x.csv", "target": "y"}},
            "data.location",
            "not in DATA_HTTP_ALLOWED_HOSTS",  # the scheme's case does not matter
        ),
    ],
)
def test_spec_errors_are_422_naming_field_and_fix(
    live: LiveService, spec: dict[str, Any], field: str, needle: str
) -> None:
    with live.client() as c:
        body = _problem(c.post("/v1/jobs", json=spec), 422)
    assert body["errors"], body
    fields = [e["field"] for e in body["errors"]]
    assert field in fields, fields
    assert needle.lower() in json_text(body).lower()


def json_text(body: dict[str, Any]) -> str:
    return body["detail"] + " ".join(e["msg"] for e in body["errors"])


def test_422_does_not_echo_large_input(live: LiveService) -> None:
    huge = "x" * 100_000
    with live.client() as c:
        r = c.post(
            "/v1/jobs",
            json={"data": {"location": "a.csv", "target": "y"}, "balancing": {"method": huge}},
        )
        _problem(r, 422)
        assert len(r.text) < 5000
        # 50,000 bad list items: the first errors and a count, not 50,000 entries
        many = c.post(
            "/v1/jobs", json={"data": {"location": "a.csv", "target": "y", "drop": [1] * 50_000}}
        )
    body = _problem(many, 422)
    assert body["errors_total"] == 50_000 and len(body["errors"]) == 20
    assert len(many.text) < 10_000


def test_malformed_json_is_422(live: LiveService) -> None:
    with live.client() as c:
        r = c.post("/v1/jobs", content=b"{not json", headers={"content-type": "application/json"})
    body = _problem(r, 422)
    assert "not valid JSON" in body["detail"]


@pytest.mark.parametrize(
    "content,headers,status,needle",
    [
        (b'{"data": {}}', {"content-type": "text/plain"}, 415, "Content-Type: application/json"),
        (b'{"data": {}}', {}, 415, "Content-Type: application/json"),
        (
            b'{"data": {}}',
            {"content-type": "application/json; charset=latin-1"},
            415,
            "JSON bodies are UTF-8",
        ),
        (
            b'{"data": {}}',
            {"content-type": "application/json", "content-encoding": "gzip"},
            415,
            "send the JSON uncompressed",
        ),
        (
            b'{"name": "\xff\xfe"}',
            {"content-type": "application/json"},
            422,
            "not UTF-8 text",
        ),
        (
            b"[" * 100_000 + b"]" * 100_000,
            {"content-type": "application/json"},
            422,
            "nests deeper",
        ),
    ],
)
def test_bodies_that_cannot_be_read_as_json_are_named(
    live: LiveService, content: bytes, headers: dict[str, str], status: int, needle: str
) -> None:
    with live.client() as c:
        r = c.post("/v1/jobs", content=content, headers=headers)
    assert needle in _problem(r, status)["detail"]


def test_routes_without_a_json_body_are_not_checked_for_one(live: LiveService) -> None:
    """Cancel takes no body; an unknown job is 404 and a wrong method 405, whatever is sent."""
    text = {"content-type": "text/plain"}
    with live.client() as c:
        assert _problem(c.post("/v1/jobs/nope/cancel", content=b"x", headers=text), 404)
        assert _problem(c.post("/v1/nothing-here", content=b"x", headers=text), 404)
        assert _problem(c.put("/v1/jobs", content=b"x", headers=text), 405)
        r = c.post("/v1/jobs", content=b"", headers=text)
        assert "Content-Type: application/json" in _problem(r, 415)["detail"]


def test_a_bad_cursor_names_the_parameter(live: LiveService) -> None:
    with live.client() as c:
        body = _problem(c.get("/v1/jobs", params={"cursor": "garbage"}), 422)
    assert body["errors"][0]["loc"] == ["cursor"] and "next_cursor" in body["errors"][0]["msg"]


def test_a_json_body_over_the_limit_is_413_before_parsing(live: LiveService) -> None:
    over = b'{"name": "' + b"x" * (32 * 1024 * 1024) + b'"}'  # the 32 MiB default
    with live.client() as c:
        r = c.post("/v1/jobs", content=over, headers={"content-type": "application/json"})
        assert "MAX_REQUEST_BYTES" in _problem(r, 413)["detail"]
        r = c.post(
            "/v1/jobs/nope/predict", content=over, headers={"content-type": "application/json"}
        )
        assert _problem(r, 413)


def test_unknown_ids_are_404_and_unfinished_result_is_409(live: LiveService) -> None:
    live.put_data("ok.csv", CSV_OK)
    with live.client() as c:
        for path in (
            "/v1/jobs/nope",
            "/v1/jobs/nope/result",
            "/v1/jobs/nope/model",
            "/v1/jobs/nope/report",
        ):
            _problem(c.get(path), 404)
        _problem(c.post("/v1/jobs/nope/cancel"), 404)
        _problem(c.delete("/v1/jobs/nope"), 404)
        job = live.submit(quick({"location": "ok.csv", "target": "y"}, training={"epochs": 30}))
        body = _problem(c.get(f"/v1/jobs/{job['id']}/result"), 409)
        assert body["state"] in ("queued", "running")
        _problem(c.delete(f"/v1/jobs/{job['id']}"), 409)
    assert live.wait(job["id"])["state"] == "succeeded"


FAILURES = [
    (
        "missing_file",
        {"location": "does-not-exist.csv", "target": "y"},
        "file_not_found",
        "does-not-exist.csv",
    ),
    ("missing_target", {"location": "ok.csv", "target": "Purchase"}, "missing_target", "Purchase"),
    ("single_class", {"location": "single.csv", "target": "y"}, "single_class", "only"),
    ("continuous", {"location": "continuous.csv", "target": "y"}, "continuous_target", "regress"),
    ("too_few_rows", {"location": "tiny.csv", "target": "y"}, "too_few_rows", "rows"),
]


@pytest.mark.parametrize("name,data,code,needle", FAILURES, ids=[f[0] for f in FAILURES])
def test_data_errors_fail_the_job_with_code_message_hint(
    live: LiveService, name: str, data: dict[str, Any], code: str, needle: str
) -> None:
    live.put_data("ok.csv", CSV_OK)
    live.put_data("single.csv", "a,y\n" + "".join(f"{i},only\n" for i in range(30)))
    live.put_data(
        "continuous.csv", "a,y\n" + "".join(f"{i},{i * 0.37 + 0.01}\n" for i in range(100))
    )
    live.put_data("tiny.csv", "a,y\n1,p\n2,p\n3,p\n4,n\n5,n\n6,n\n")
    status = live.run(quick(data))
    assert status["state"] == "failed"
    err = status["error"]
    assert err["code"] == code, err
    assert needle.lower() in (err["message"] + (err["hint"] or "")).lower()
    assert err["hint"]


def test_worker_survives_failures_and_runs_the_next_job(live: LiveService) -> None:
    live.put_data("ok.csv", CSV_OK)
    failed = live.run(quick({"location": "nope.csv", "target": "y"}))
    assert failed["state"] == "failed"
    with live.client() as c:
        body = _problem(c.get(f"/v1/jobs/{failed['id']}/result"), 409)
    assert body["title"] == "No result" and body["state"] == "failed"
    assert live.run(quick({"location": "ok.csv", "target": "y"}))["state"] == "succeeded"


def test_metric_not_for_the_task_fails_once_the_task_is_known(live: LiveService) -> None:
    live.put_data("ok.csv", CSV_OK)
    status = live.run(quick({"location": "ok.csv", "target": "y"}, metrics=["top_2_accuracy"]))
    assert status["state"] == "failed" and status["error"]["code"] == "metric_not_for_task"
    assert (
        "top_2_accuracy" in status["error"]["message"] and "specificity" in status["error"]["hint"]
    )


CSV_THREE_CLASSES = "a,b,y\n" + "".join(f"{i},{i % 5},{'pqr'[i % 3]}\n" for i in range(90))


@pytest.mark.parametrize(
    "over,code,field",
    [
        (
            {"callbacks": {"early_stopping": {"monitor": "val_roc_auc"}}},
            "invalid_monitor",
            "callbacks.early_stopping.monitor",
        ),
        (
            {"callbacks": {"lr_schedule": {"type": "reduce_on_plateau", "monitor": "roc_auc"}}},
            "invalid_monitor",
            "callbacks.lr_schedule.monitor",
        ),
        ({"decision_threshold": "youden"}, "binary_only_option", "decision_threshold"),
    ],
)
def test_binary_only_options_fail_once_a_file_turns_out_multiclass(
    live: LiveService, over: dict[str, Any], code: str, field: str
) -> None:
    live.put_data("three.csv", CSV_THREE_CLASSES)
    status = live.run(quick({"location": "three.csv", "target": "y"}, **over))
    assert status["state"] == "failed", status
    err = status["error"]
    assert err["code"] == code and err["details"]["field"] == field
    assert "3 classes" in err["message"] and field in err["hint"]


def test_duplicate_column_names_fail_naming_them(live: LiveService) -> None:
    live.put_data(
        "dupcols.csv", "a,a,y\n" + "".join(f"{i},{i},{'p' if i % 2 else 'n'}\n" for i in range(40))
    )
    status = live.run(quick({"location": "dupcols.csv", "target": "y"}))
    assert status["state"] == "failed" and status["error"]["code"] == "duplicate_columns"
    assert status["error"]["details"]["columns"] == ["a"]


def test_loss_exploding_in_the_first_epoch_is_diverged(live: LiveService) -> None:
    spec = quick(
        {"synthetic": {"n_samples": 300}},
        training={"optimizer": "sgd", "learning_rate": 100, "epochs": 5},
    )
    status = live.run(spec)
    assert status["state"] == "failed" and status["error"]["code"] == "diverged", status["error"]
    assert status["history"] and any(f["code"] == "diverged" for f in status["diagnosis"])


def test_cancel_running_job_keeps_history_then_delete(live: LiveService) -> None:
    spec = quick({"synthetic": {"n_samples": 4000}}, training={"epochs": 500, "batch_size": 16})
    job = live.submit(spec)
    deadline = time.time() + 120
    with live.client() as c:
        while time.time() < deadline:
            st = c.get(f"/v1/jobs/{job['id']}").json()
            if st["state"] == "running" and st["history"]:
                break
            time.sleep(0.3)
        r = c.post(f"/v1/jobs/{job['id']}/cancel")
        assert r.status_code == 202 and r.json()["state"] in ("canceling", "canceled")
        final = live.wait(job["id"], timeout=60)
        assert final["state"] == "canceled"
        assert final["error"]["code"] == "canceled_by_user"
        assert final["history"], "a canceled job keeps its history"
        _problem(c.post(f"/v1/jobs/{job['id']}/cancel"), 409)
        assert c.delete(f"/v1/jobs/{job['id']}").status_code == 204
        _problem(c.get(f"/v1/jobs/{job['id']}"), 404)


def test_cancel_queued_job_never_runs(live: LiveService) -> None:
    blocker = live.submit(
        quick({"synthetic": {"n_samples": 3000}}, training={"epochs": 500, "batch_size": 16})
    )
    queued = live.submit(quick({"synthetic": {"n_samples": 200}}))
    with live.client() as c:
        r = c.post(f"/v1/jobs/{queued['id']}/cancel")
        assert r.json()["state"] == "canceled"
        c.post(f"/v1/jobs/{blocker['id']}/cancel")
    assert live.wait(blocker["id"])["state"] == "canceled"
    final = live.wait(queued["id"])
    assert final["state"] == "canceled" and final["started_at"] is None and final["attempts"] == 0


def test_idempotency_key(live: LiveService) -> None:
    spec = quick({"synthetic": {"n_samples": 200}})
    with live.client() as c:
        a = c.post("/v1/jobs", json=spec, headers={"Idempotency-Key": "k-123"})
        b = c.post("/v1/jobs", json=spec, headers={"Idempotency-Key": "k-123"})
        assert a.status_code == 202 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
        other = dict(spec, seed=7)
        _problem(c.post("/v1/jobs", json=other, headers={"Idempotency-Key": "k-123"}), 409)
    live.wait(a.json()["id"])


def test_killed_worker_child_ends_job_worker_lost_and_next_job_runs(live: LiveService) -> None:
    job = live.submit(
        quick({"synthetic": {"n_samples": 4000}}, training={"epochs": 500, "batch_size": 16})
    )
    deadline = time.time() + 120
    with live.client() as c:
        while (
            c.get(f"/v1/jobs/{job['id']}").json()["state"] != "running" and time.time() < deadline
        ):
            time.sleep(0.3)
    for pid in live.worker_pids():
        os.kill(pid, signal.SIGKILL)
    final = live.wait(job["id"], timeout=120)
    assert final["state"] == "failed" and final["error"]["code"] == "worker_lost"
    assert live.run(quick({"synthetic": {"n_samples": 200}}))["state"] == "succeeded"


def test_runtime_limit_fails_job_with_timeout_and_keeps_history(live: LiveService) -> None:
    spec = quick(
        {"synthetic": {"n_samples": 4000}},
        training={"epochs": 500, "batch_size": 16},
        limits={"max_runtime_seconds": 4},
    )
    final = live.run(spec, timeout=120)
    assert final["state"] == "failed"
    assert final["error"]["code"] == "timeout" and "max_runtime_seconds" in final["error"]["hint"]
    assert 0 < len(final["history"]) < 500


def test_non_object_bodies_are_422(live: LiveService) -> None:
    with live.client() as c:
        for body in ([], "text", 3, None):
            _problem(c.post("/v1/jobs", json=body), 422)
