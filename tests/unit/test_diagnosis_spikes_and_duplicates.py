"""Issue 4 follow-ups: a spiky training loss is learning_rate_too_high, and the duplicate
share of data_quality is taken of the rows the duplicates were counted over."""

from schemas.finding import Area, Severity
from workers.diagnosis import DiagnosisInput, DiagnosisSettings, diagnose


def _codes(inp: DiagnosisInput) -> dict[str, object]:
    return {f.code: f for f in diagnose(inp)}


def _history(losses: list[float]) -> list[dict[str, float]]:
    return [{"epoch": i + 1, "loss": v} for i, v in enumerate(losses)]


def test_loss_spikes_are_learning_rate_too_high() -> None:
    # full-batch Adam at 0.5: the loss jumps up three times and recovers
    losses = [0.752, 0.95, 1.993, 0.708, 0.888, 0.721, 0.633, 0.491, 0.367, 0.376, 0.345, 0.298]
    losses += [0.243, 0.177, 0.159, 0.178, 0.17, 0.152, 0.127, 0.118]
    inp = DiagnosisInput(history=_history(losses), learning_rate=0.5)
    f = _codes(inp)["learning_rate_too_high"]
    assert f.area == Area.hyperparameters and f.severity == Severity.warning
    assert f.evidence["spike_epochs"] == [2, 3, 5]
    assert "learning_rate" in f.suggestion and "jumped up" in f.message


def test_one_spike_or_a_smooth_decline_is_not_oscillation() -> None:
    smooth = [0.7 * 0.9**i for i in range(20)]
    assert "learning_rate_too_high" not in _codes(DiagnosisInput(history=_history(smooth)))
    one = [0.7, 0.6, 0.8, 0.5, 0.45, 0.42, 0.40, 0.39]
    assert "learning_rate_too_high" not in _codes(DiagnosisInput(history=_history(one)))
    # jitter near zero is tiny next to the first epoch's loss
    tail = [0.7, 0.2, 0.05, 0.01, 0.012, 0.009, 0.011, 0.008, 0.010]
    assert "learning_rate_too_high" not in _codes(DiagnosisInput(history=_history(tail)))


def test_spike_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    one = [0.7, 0.6, 0.8, 0.5, 0.45, 0.42, 0.40, 0.39]
    monkeypatch.setenv("DIAGNOSIS_OSCILLATION_MIN_SPIKES", "1")
    inp = DiagnosisInput(history=_history(one))
    assert "learning_rate_too_high" in {f.code for f in diagnose(inp, DiagnosisSettings())}


def test_duplicate_share_is_of_all_rows() -> None:
    # 40 duplicates over 1,000 rows (4%: info); of 640 training rows it would be 6.25%
    inp = DiagnosisInput(n_train_rows=640, n_rows=1000, duplicate_rows=40)
    f = _codes(inp)["data_quality"]
    assert f.severity == Severity.info
    assert f.evidence["duplicate_share"] == 0.04 and f.evidence["duplicate_share_of"] == "rows"
    assert "4% of rows" in f.message
    many = DiagnosisInput(n_train_rows=640, n_rows=1000, duplicate_rows=60)
    assert _codes(many)["data_quality"].severity == Severity.warning


def test_duplicate_share_falls_back_to_training_rows() -> None:
    inp = DiagnosisInput(n_train_rows=500, duplicate_rows=50)
    f = _codes(inp)["data_quality"]
    assert (
        f.evidence["duplicate_share"] == 0.1 and f.evidence["duplicate_share_of"] == "training rows"
    )
    assert f.severity == Severity.warning
