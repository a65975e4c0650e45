"""The label column: labels as written, the positive class, continuous and degenerate targets."""

from __future__ import annotations

import pyarrow as pa
import pytest

from workers.training.errors import JobFailure
from workers.training.target import encode_target, match_label


def test_text_labels_that_read_as_the_same_number_stay_apart() -> None:
    t = encode_target(pa.array(["01", "1", "2", "1"]))
    assert t.labels == ["01", "1", "2"] and t.task == "multiclass"
    assert t.original == {"01": "01", "1": 1, "2": 2}
    assert list(t.y) == [0, 1, 2, 1]


def test_numeric_text_labels_sort_by_value() -> None:
    t = encode_target(pa.array(["10", "2", "10", "2", "2"]), positive_label=10)
    assert t.labels == ["2", "10"] and t.positive_index == 1


def test_surrounding_space_is_removed_and_counted() -> None:
    t = encode_target(pa.array(["A", "A ", " B", "C", "  "]))
    assert t.labels == ["A", "B", "C"] and t.stripped == 3
    assert t.dropped_missing == 1  # a blank label is a missing one


def test_positive_label_matches_by_value_and_case() -> None:
    t = encode_target(pa.array(["True", "False", "False"]), positive_label=True)
    assert t.labels == ["False", "True"] and t.original == {"False": False, "True": True}
    t = encode_target(pa.array(["1.0", "0.0", "0.0"]), positive_label=1)
    assert t.labels == ["0.0", "1.0"]
    with pytest.raises(JobFailure) as err:
        encode_target(pa.array(["a", "b"]), positive_label="c")
    assert err.value.code == "unknown_positive_label"


def test_default_positive_label_is_the_minority_even_when_it_sorts_first() -> None:
    t = encode_target(pa.array(["churn"] * 3 + ["stay"] * 9))
    assert t.labels == ["stay", "churn"] and t.positive_index == 1


def test_on_a_tie_the_later_label_is_positive() -> None:
    assert encode_target(pa.array(["0", "1", "1", "0"])).labels == ["0", "1"]
    assert encode_target(pa.array(["yes", "no"])).labels == ["no", "yes"]


def test_continuous_text_target_is_refused() -> None:
    with pytest.raises(JobFailure) as err:
        encode_target(pa.array([str(i * 0.37) for i in range(60)]), target_name="price")
    assert err.value.code == "continuous_target" and err.value.details["column"] == "price"


def test_single_class_is_refused() -> None:
    with pytest.raises(JobFailure) as err:
        encode_target(pa.array(["x", "x", None]))
    assert err.value.code == "single_class"


def test_match_label_needs_a_unique_match() -> None:
    assert match_label("TRUE", ["False", "True"]) == "True"
    assert match_label(2, ["1.0", "2.0"]) == "2.0"
    assert match_label("true", ["TRUE", "True"]) is None  # two labels fold to it
    assert match_label("Yes", ["no", "yes"]) is None  # text other than true/false is exact
    assert match_label("x", ["a", "b"]) is None
