"""The datasets of benchmarks/suite.py: where they live, their units, their arrays.

A unit is what one run trains on and scores: a class of a one-class UCR
dataset, a protocol of ECG5000, or the single series of a TSAD dataset.
"""

import functools
import os
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
CHOICE = ("UnitTest", "OSULeaf", "PLAID")
CONFIRMATION = ("PickupGestureWiimoteZ", "ACSF1")
ONE_CLASS = CHOICE + CONFIRMATION
# TSAD series: window length, training step, training stretch (stamps 0 to end - 1).
TSAD = {"mitdb": (128, 2, 3000), "yahoo": (64, 1, 400)}
GROUPS = {
    "choice": CHOICE,
    "confirmation": (*CONFIRMATION, *TSAD),
    "ECG5000": ("ECG5000",),
}
DATASETS = tuple(name for names in GROUPS.values() for name in names)
ECG_PROTOCOLS = ("tutorial", "archive")


class Task(NamedTuple):
    X_train: object  # 2-D array, or a list of 1-D arrays of different lengths
    X_test: object
    y_test: np.ndarray  # True = anomalous (a test series, or a time stamp)
    length: int  # longest series of the dataset: the peers' padded length
    window: int | None = None  # TSAD: window length; scores map back to stamps


def group_of(dataset):
    return next(group for group, names in GROUPS.items() if dataset in names)


def data_dir(env, folder):
    """The folder named by the environment variable ``env``, else the shared one."""
    return Path(os.environ.get(env) or SHARED / folder)


@functools.cache
def _ucr(name):
    from sklearn_lstmae.datasets import load_ucr_uea

    home = data_dir("SKLEARN_LSTMAE_UCR_DATA", "UCR")
    return load_ucr_uea(name, data_home=home, download=False)


@functools.cache
def _ecg5000():
    from sklearn_lstmae.datasets import load_ecg5000

    home = data_dir("SKLEARN_LSTMAE_DATA", "ECG5000")
    return load_ecg5000(data_home=home, download=False)


@functools.cache
def read_tsad(name):
    """The ``data`` (float64) and ``label`` (bool) columns of ``<name>.csv``."""
    import pandas as pd

    frame = pd.read_csv(
        data_dir("SKLEARN_LSTMAE_TSAD_DATA", "TSAD") / name / f"{name}.csv"
    )
    return frame["data"].to_numpy(np.float64), frame["label"].to_numpy() == 1


def units(dataset):
    """The classes, protocols or series of ``dataset``, one run each."""
    if dataset in ONE_CLASS:
        return list(_ucr(dataset).class_labels)
    return list(ECG_PROTOCOLS) if dataset == "ECG5000" else ["series"]


def rows(dataset):
    """The report rows of ``dataset``: itself, or one per ECG5000 protocol."""
    return (
        [f"ECG5000 {p}" for p in ECG_PROTOCOLS] if dataset == "ECG5000" else [dataset]
    )


def _subset(data, mask):
    return (
        data[mask]
        if isinstance(data, np.ndarray)
        else [s for s, keep in zip(data, mask, strict=True) if keep]
    )


def task(dataset, unit):
    """The arrays of one unit, in the form the LSTM detector takes them."""
    if dataset in ONE_CLASS:
        ucr = _ucr(dataset)
        train, length = ucr.split == "train", max(len(s) for s in ucr.data)
        X_train = _subset(ucr.data, train & (ucr.target == unit))
        y_test = ucr.target[~train] != unit
        return Task(X_train, _subset(ucr.data, ~train), y_test, length)
    if dataset == "ECG5000":
        ecg = _ecg5000()
        if unit == "tutorial":
            from sklearn_lstmae.datasets import tutorial_split

            s = tutorial_split(ecg.data, ecg.is_anomaly, random_state=42)
            return Task(s.X_train, s.X_test, s.y_test == -1, ecg.data.shape[1])
        train = ecg.split == "train"
        X_train = ecg.data[train & ~ecg.is_anomaly]
        return Task(X_train, ecg.data[~train], ecg.is_anomaly[~train], X_train.shape[1])
    from sklearn_lstmae import SlidingWindows

    values, labels = read_tsad(dataset)
    window, step, end = TSAD[dataset]
    X_train = SlidingWindows(window, step=step).fit_transform(values[:end])
    X_test = SlidingWindows(window).fit_transform(values)
    return Task(X_train, X_test, labels, window, window)


def contaminated(task, dataset, unit, share):
    """``task`` with series of the other classes' TRAIN files added to its
    training set, a share ``share`` of it, drawn at random (one draw per class:
    the generator is seeded by the dataset and class names)."""
    ucr = _ucr(dataset)
    others = (ucr.split == "train") & (ucr.target != unit)
    pool = _subset(ucr.data, others)
    n_train = len(task.X_train)
    rng = np.random.default_rng(zlib.crc32(f"{dataset}/{unit}".encode()))
    n_added = min(len(pool), round(n_train * share / (1 - share)))
    added = [pool[i] for i in rng.choice(len(pool), n_added, replace=False)]
    X_train = [*task.X_train, *added]
    X_train = [X_train[i] for i in rng.permutation(len(X_train))]
    if isinstance(task.X_train, np.ndarray):
        X_train = np.stack(X_train)
    return task._replace(X_train=X_train)


def pad_last(X, length):
    """Series as one 2-D array, each padded at its end with its last value."""
    return np.stack([np.pad(np.asarray(s), (0, length - len(s)), "edge") for s in X])
