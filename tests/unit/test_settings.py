"""Settings are read once at start-up; a bad or unknown value stops the process with its name."""

import subprocess

import pytest

from core.settings import load_settings
from tests.support.live_service import REPO, VENV_BIN, worker_argv
from workers.diagnosis.settings import DiagnosisSettings
from workers.settings import WorkerSettings


def test_a_bad_and_an_unknown_diagnosis_setting_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIAGNOSIS_OVERFIT_GAP", "banana")
    monkeypatch.setenv("DIAGNOSIS_OVERFIT_GAPP", "0.2")
    with pytest.raises(SystemExit) as stop:
        load_settings(DiagnosisSettings)
    text = str(stop.value)
    assert "DIAGNOSIS_OVERFIT_GAP: Input should be a valid number" in text
    assert "DIAGNOSIS_OVERFIT_GAPP: no such setting" in text


def test_good_diagnosis_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIAGNOSIS_OVERFIT_GAP", "0.25")
    assert load_settings(DiagnosisSettings).overfit_gap == 0.25


def test_worker_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOTSTRAP_RESAMPLES", "-5")
    with pytest.raises(SystemExit, match="BOOTSTRAP_RESAMPLES: Input should be greater"):
        load_settings(WorkerSettings)


def test_the_worker_command_stops_at_start_on_a_bad_diagnosis_setting(tmp_path: object) -> None:
    argv = worker_argv("training")
    proc = subprocess.run(
        [str(VENV_BIN / argv[0]), *argv[1:]],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path), "DIAGNOSIS_LEAKAGE_AUC": "2"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "DIAGNOSIS_LEAKAGE_AUC: Input should be less than or equal to 1" in proc.stderr
