"""The lab's data, shipped in `data/`: loaded, checked and split the same way in every lesson."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .config import REPO_ROOT
from .errors import LabError

DATA_DIR = REPO_ROOT / "data"
HOUSE_PRICES_CSV = DATA_DIR / "house_prices.csv"
NEW_HOUSES_CSV = DATA_DIR / "new_houses.csv"

NUMERIC_COLUMNS = ["lotsize", "bedrooms", "bathrms", "stories", "garagepl"]
YES_NO_COLUMNS = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]
FEATURES = NUMERIC_COLUMNS + YES_NO_COLUMNS
TARGET = "price"
SEED = 42


class DataError(LabError):
    """A data file is missing or damaged; the message says which and how to restore it."""


def load_house_prices(path: str | Path = HOUSE_PRICES_CSV) -> pd.DataFrame:
    """House sales in Windsor, Canada, 1987 (546 rows): `price` in CAD and 11 features.

    Yes/no columns become 0/1 integers so every model can use them directly.
    """
    return _load_checked(Path(path), [TARGET])


def load_new_houses(path: str | Path = NEW_HOUSES_CSV) -> pd.DataFrame:
    """Twenty houses without a price, indexed by `house_id`: the input of batch scoring."""
    return _load_checked(Path(path), [], index="house_id")


def _load_checked(path: Path, targets: list[str], index: str | None = None) -> pd.DataFrame:
    if not path.exists():
        raise DataError(f"{path} is missing: restore the lab's copy with `git checkout -- data/`")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"{path} is not a readable CSV ({error}); restore it with git checkout") from None
    missing = [c for c in [*targets, *FEATURES, *([index] if index else [])] if c not in frame.columns]
    if missing:
        raise DataError(f"{path} lacks columns {missing}; restore it with git checkout")
    if frame[[*targets, *NUMERIC_COLUMNS]].isna().any().any():
        raise DataError(f"{path} has empty values; restore it with git checkout")
    bad = {c: sorted(set(frame[c]) - {"yes", "no"}) for c in YES_NO_COLUMNS if set(frame[c]) - {"yes", "no"}}
    if bad:
        raise DataError(f"{path} has values other than yes/no: {bad}")
    try:
        frame[[*targets, *NUMERIC_COLUMNS]] = frame[[*targets, *NUMERIC_COLUMNS]].astype(float)
    except ValueError as error:
        raise DataError(f"{path} has a non-numeric value ({error})") from None
    for column in YES_NO_COLUMNS:
        frame[column] = (frame[column] == "yes").astype("int64")
    frame[NUMERIC_COLUMNS] = frame[NUMERIC_COLUMNS].astype("int64")
    if index:
        frame = frame.set_index(index)
    return frame[[*FEATURES, *targets]]


def split_house_prices(frame: pd.DataFrame | None = None, test_size: float = 0.25):
    """X_train, X_test, y_train, y_test for price regression, with the lab's fixed seed."""
    from sklearn.model_selection import train_test_split

    frame = load_house_prices() if frame is None else frame
    return train_test_split(frame[FEATURES], frame[TARGET], test_size=test_size, random_state=SEED)


class ThreeWaySplit(NamedTuple):
    """Train to fit, validation to choose (a champion, a threshold), test to report once at the end."""

    X_train: pd.DataFrame
    X_validation: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_validation: pd.Series
    y_test: pd.Series


def split_train_validation_test(frame: pd.DataFrame | None = None, test_size: float = 0.25,
                                validation_size: float = 0.25) -> ThreeWaySplit:
    """Train / validation / test with the lab's seed. The test set is exactly the one of
    `split_house_prices` (so scores compare across lessons); the validation set is
    `validation_size` of what remains, and the model that is chosen never sees the test set."""
    from sklearn.model_selection import train_test_split

    X_rest, X_test, y_rest, y_test = split_house_prices(frame, test_size)
    X_train, X_validation, y_train, y_validation = train_test_split(
        X_rest, y_rest, test_size=validation_size, random_state=SEED)
    return ThreeWaySplit(X_train, X_validation, X_test, y_train, y_validation, y_test)


def expensive_house_labels(frame: pd.DataFrame) -> pd.Series:
    """A classification target from the same data: 1 when the price is above the median."""
    return (frame[TARGET] > frame[TARGET].median()).astype("int64").rename("expensive")
