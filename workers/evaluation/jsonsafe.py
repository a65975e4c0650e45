"""Conversion to plain, finite Python values so every output passes
``json.dumps(..., allow_nan=False)``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite_or_none(value: Any) -> float | None:
    """A Python float, or None for NaN, infinities and None."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def finite_list(values: Any) -> list[float | None]:
    return [finite_or_none(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def to_jsonable(obj: Any) -> Any:
    """Recursively turn numpy scalars/arrays into Python types; non-finite floats to None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return finite_or_none(obj)
    return obj
