"""Re-run the checks behind docs/features.md (needs pyod: ``pip install .[bench]``).

Each line printed is one cell of the table, obtained by calling the library
on small arrays; nothing is taken from documentation. Run from the project
root: ``python docs/verify_features.py`` (about a minute on a CPU).
"""

import warnings

import numpy as np

warnings.filterwarnings("ignore")


def attempt(fn):
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 (a failure is the answer here)
        return f"fails: {type(exc).__name__}: {str(exc)[:70]}"
    shape = getattr(out, "shape", None)
    return f"works{'' if shape is None else f', shape {shape}'}"


def main():
    import pyod
    import sklearn
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.ts_lstm import LSTMAD
    from sklearn.ensemble import IsolationForest

    from sklearn_lstmae import LSTMAutoencoderDetector

    print(f"scikit-learn {sklearn.__version__}, pyod {pyod.__version__}")
    rng = np.random.default_rng(0)
    X2 = rng.normal(size=(64, 20))
    X3 = rng.normal(size=(64, 20, 3))
    ragged = [rng.normal(size=n) for n in (10, 12, 15, 11)]
    series = np.sin(np.arange(300) / 5) + rng.normal(0, 0.1, 300)
    fast = dict(hidden_size=6, latent_size=3, max_epochs=2, random_state=0)
    makers = {
        "LSTMAutoencoderDetector": lambda: LSTMAutoencoderDetector(**fast),
        "IsolationForest": lambda: IsolationForest(random_state=0),
        "pyod AutoEncoder": lambda: AutoEncoder(epoch_num=1, verbose=0),
        "pyod LSTMAD": lambda: LSTMAD(window_size=20, epochs=1),
    }
    for name, make in makers.items():
        report(name, make, X2, X3, ragged, series)
    from sklearn.pipeline import make_pipeline

    from sklearn_lstmae import SlidingWindows

    pipe = make_pipeline(SlidingWindows(20, 5), LSTMAutoencoderDetector(**fast))
    print(
        "\nPipeline(SlidingWindows(20, 5), LSTMAutoencoderDetector) on one 1-D series:",
        attempt(lambda: pipe.fit(series).score_samples(series)),
    )
    from sklearn.linear_model import LogisticRegression

    y = rng.integers(0, 2, len(X2))
    for name, make in makers.items():
        if name == "pyod LSTMAD":
            continue
        step = make_pipeline(make(), LogisticRegression())
        print(
            f"{name} as a Pipeline step before a classifier:",
            attempt(lambda step=step: step.fit(X2, y).predict(X2)),
        )
    print(
        "IsolationForest offset_ with contamination='auto':",
        IsolationForest(random_state=0).fit(X2).offset_,
    )


def report(name, make, X2, X3, ragged, series):
    print(f"\n== {name}")
    estimator = make()
    methods = sorted(
        m
        for m in dir(estimator)
        if not m.startswith("_") and callable(getattr(estimator, m))
    )
    print("public methods:", ", ".join(methods))
    print("fit 2-D (n_samples, n_steps):", attempt(lambda: make().fit(X2)))
    print("fit 3-D (n, steps, channels):", attempt(lambda: make().fit(X3)))
    print("fit list of different lengths:", attempt(lambda: make().fit(ragged)))
    print("fit one long 1-D series:", attempt(lambda: make().fit(series)))
    data = series if name == "pyod LSTMAD" else X2
    fitted = make().fit(data)
    print("predict labels:", np.unique(fitted.predict(data)).tolist())
    print("decision_function:", attempt(lambda: fitted.decision_function(data)))
    for method in (
        "predict_proba",
        "anomaly_probability",
        "transform",
        "score_timesteps",
        "reconstruct",
        "partial_fit",
    ):
        if hasattr(fitted, method):
            print(f"{method}:", attempt(lambda m=method: getattr(fitted, m)(data)))
        else:
            print(f"{method}: absent")


if __name__ == "__main__":
    main()
