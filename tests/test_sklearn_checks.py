"""scikit-learn's estimator checks on fast settings.

Every check runs; none may be skipped silently. A check that skips itself
(raises ``SkipTest``) fails this test unless it is listed, with its reason,
in ``JUSTIFIED_SKIPS``; ``test_array_api_check_in_its_environment`` then runs
it where it can run (a subprocess, so marked ``slow``).
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import SkipTest

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_lstmae
from sklearn_lstmae import LSTMAutoencoderDetector

from .conftest import FAST

# The checks test the estimator's contract, not what it learns: one epoch
# in large batches (sklearn's check data have a few hundred rows) trains
# each of their many fits in a few optimizer steps.
CHECKS = {**FAST, "max_epochs": 1, "batch_size": 128}

JUSTIFIED_SKIPS = {
    "check_array_api_input": (
        "scikit-learn skips it unless SCIPY_ARRAY_API=1 is set before scipy is "
        "first imported, which would change scipy for the whole test session; "
        "test_array_api_check_in_its_environment runs it in a fresh process "
        "with the variable set"
    ),
}


def _check_name(check):
    return getattr(check, "func", check).__name__


@parametrize_with_checks(
    [
        LSTMAutoencoderDetector(**CHECKS, random_state=0),
        # The float path must pass every check, check_outliers_train included,
        # without screening (a float contamination screens by default), with
        # the code distance and with screening.
        LSTMAutoencoderDetector(
            **CHECKS, contamination=0.1, screen_training=False, random_state=0
        ),
        LSTMAutoencoderDetector(
            **CHECKS, code_distance=True, contamination=0.1, random_state=0
        ),
        LSTMAutoencoderDetector(
            **CHECKS,
            code_distance=True,
            code_features="pooled_states",
            contamination=0.1,
            random_state=0,
        ),
        LSTMAutoencoderDetector(
            **CHECKS, screen_training=True, contamination=0.1, random_state=0
        ),
    ],
)
def test_sklearn_compatible(estimator, check):
    try:
        check(estimator)
    except (SkipTest, pytest.skip.Exception) as exc:
        name = _check_name(check)
        if name not in JUSTIFIED_SKIPS:
            pytest.fail(f"{name} skipped itself without a justification: {exc}")
        raise


_ARRAY_API_CHILD = textwrap.dedent(
    """
    from sklearn.utils.estimator_checks import check_array_api_input
    from sklearn_lstmae import LSTMAutoencoderDetector
    for contamination in ("auto", 0.1):
        det = LSTMAutoencoderDetector(
            hidden_size=6, latent_size=3, max_epochs=1, batch_size=128,
            contamination=contamination, random_state=0,
        )
        check_array_api_input(
            "LSTMAutoencoderDetector", det, array_namespace="numpy",
            expect_only_array_outputs=False,
        )
    print("array api check ran")
    """
)


@pytest.mark.slow  # a subprocess that imports torch and scikit-learn again
def test_array_api_check_in_its_environment():
    env = dict(os.environ, SCIPY_ARRAY_API="1", PYTHONWARNINGS="ignore")
    root = str(Path(sklearn_lstmae.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", _ARRAY_API_CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "array api check ran" in done.stdout
