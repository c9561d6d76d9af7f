"""The real data sets the lessons train on, read from files that ship with scikit-learn.

Nothing is downloaded: ``load_diabetes`` and ``load_digits`` read small CSV files inside
the scikit-learn package. Arrays are float64 so that the numbers a lesson prints are the
same on every machine (the models are tiny; float32 would save nothing worth having).

Usage::

    from coursekit.datasets import diabetes, digits

    data = diabetes(["bmi", "s5"])      # two standardised measurements -> disease progression
    data.X.shape, data.y.shape          # (442, 2), (442,)
    split = digits(val_fraction=0.2, seed=0)
    split.X_train.shape                 # (1438, 64): 8x8 images, pixel values scaled to [0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DIABETES_FEATURES", "DIABETES_DESCRIPTIONS", "RegressionData", "ClassificationSplit", "diabetes",
           "digits", "standardize"]

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")

# What each column measures (from scikit-learn's description of the data set).
DIABETES_DESCRIPTIONS = {
    "age": "age (years)",
    "sex": "sex",
    "bmi": "body-mass index",
    "bp": "average blood pressure",
    "s1": "total serum cholesterol",
    "s2": "low-density lipoproteins",
    "s3": "high-density lipoproteins",
    "s4": "total cholesterol / HDL",
    "s5": "log of serum triglycerides",
    "s6": "blood sugar level",
}


def standardize(X, axis=0):
    """``(X - mean) / std`` per column, with the means and standard deviations used.

    A constant column (std 0) is only centred, never divided by zero.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=axis)
    std = X.std(axis=axis)
    safe = np.where(std > 0, std, 1.0)
    return (X - mean) / safe, mean, safe


@dataclass
class RegressionData:
    """Inputs ``X`` (n, d), target ``y`` (n,), column names; the scalings applied, to undo them."""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    target_name: str
    X_mean: np.ndarray
    X_std: np.ndarray
    y_mean: float
    y_std: float
    standardized: bool

    @property
    def n(self) -> int:
        return len(self.y)

    def target_in_units(self, y_scaled):
        """Map a standardised target (or prediction) back to the original units."""
        return np.asarray(y_scaled) * self.y_std + self.y_mean


def diabetes(features=None, *, standardize_features=True, standardize_target=True) -> RegressionData:
    """scikit-learn's diabetes data: 442 patients, 10 baseline measurements, disease progression a year later.

    ``features``: column names from :data:`DIABETES_FEATURES` (default: all ten), in the
    order given. Standardised columns have mean 0 and standard deviation 1; the raw
    columns are in their original units (years, kg/m², mm Hg, ...). The target (a
    quantitative measure of disease progression) is standardised too unless
    ``standardize_target=False``.
    """
    from sklearn.datasets import load_diabetes

    names = DIABETES_FEATURES if features is None else tuple(features)
    unknown = [f for f in names if f not in DIABETES_FEATURES]
    if unknown or not names:
        raise ValueError(f"diabetes: unknown feature(s) {unknown or names!r}; choose from {DIABETES_FEATURES}")
    raw = load_diabetes(scaled=False)
    columns = [DIABETES_FEATURES.index(f) for f in names]
    X = raw.data[:, columns].astype(np.float64)
    y = raw.target.astype(np.float64)
    if standardize_features:
        X, X_mean, X_std = standardize(X)
    else:
        X_mean, X_std = np.zeros(len(names)), np.ones(len(names))
    if standardize_target:
        y_mean, y_std = float(y.mean()), float(y.std())
        y = (y - y_mean) / y_std
    else:
        y_mean, y_std = 0.0, 1.0
    return RegressionData(X, y, names, "disease progression after one year", X_mean, X_std, y_mean, y_std,
                          bool(standardize_features))


@dataclass
class ClassificationSplit:
    """A train/validation split of a classification data set."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    num_classes: int
    images_train: np.ndarray = field(repr=False, default=None)

    @property
    def num_features(self) -> int:
        return self.X_train.shape[1]


def digits(val_fraction: float = 0.2, seed: int = 0) -> ClassificationSplit:
    """scikit-learn's handwritten digits: 1,797 images of 8x8 pixels, classes 0-9.

    Pixel values (0-16) are scaled to [0, 1]. A seeded random ``val_fraction`` of the
    images is held out for validation.
    """
    from sklearn.datasets import load_digits

    if not 0 < val_fraction < 1:
        raise ValueError(f"digits: val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    raw = load_digits()
    X = raw.data.astype(np.float64) / 16.0
    y = raw.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = int(round(val_fraction * len(y)))
    val, train = order[:n_val], order[n_val:]
    return ClassificationSplit(X[train], y[train], X[val], y[val], 10, raw.images[train] / 16.0)
