"""The shipped data and its loader."""

import pytest

from lab_utils.data import DataError, expensive_house_labels, load_house_prices, split_house_prices


def test_house_prices_load_with_types():
    frame = load_house_prices()
    assert frame.shape == (546, 12)
    assert frame["airco"].isin([0, 1]).all()
    assert frame["price"].between(25_000, 200_000).all()
    assert expensive_house_labels(frame).mean() == pytest.approx(0.5, abs=0.02)
    X_train, X_test, y_train, y_test = split_house_prices(frame)
    assert len(X_train) == 409 and len(X_test) == 137


def test_missing_file_says_how_to_restore(tmp_path):
    with pytest.raises(DataError, match="missing"):
        load_house_prices(tmp_path / "nope.csv")


def test_damaged_file_is_refused(tmp_path):
    damaged = tmp_path / "house_prices.csv"
    damaged.write_text("price,lotsize\n1,2\n")
    with pytest.raises(DataError, match="lacks columns"):
        load_house_prices(damaged)
