"""Small job specs and data files the tests share."""

import json
import math
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def example(name: str) -> dict[str, Any]:
    return json.loads((REPO / "examples" / f"{name}.json").read_text())  # type: ignore[no-any-return]


def quick(data: dict[str, Any], **over: Any) -> dict[str, Any]:
    """A job that trains in a few seconds."""
    spec: dict[str, Any] = {
        "data": data,
        "model": {"layers": [{"units": 16}]},
        "training": {"epochs": 5, "batch_size": 64},
    }
    spec.update(over)
    return spec


def assert_json_finite(value: Any, path: str = "$") -> None:
    """No NaN or infinity anywhere in a response."""
    if isinstance(value, float):
        assert math.isfinite(value), f"non-finite number at {path}"
    elif isinstance(value, dict):
        for k, v in value.items():
            assert_json_finite(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            assert_json_finite(v, f"{path}[{i}]")


def sklearn_csv(name: str, dest: Path) -> None:
    """Write one of scikit-learn's bundled datasets as a CSV with a `label` column."""
    from sklearn import datasets

    bunch = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits}[name]()
    cols = [f"f{i}" for i in range(bunch.data.shape[1])]
    lines = [",".join(cols + ["label"])]
    names = list(bunch.target_names)
    for row, t in zip(bunch.data, bunch.target, strict=True):
        lines.append(",".join(f"{v:g}" for v in row) + f",{names[t]}")
    dest.write_text("\n".join(lines) + "\n")
