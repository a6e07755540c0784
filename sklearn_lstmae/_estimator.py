"""LSTMAutoencoderDetector: the scikit-learn estimator."""

import copy
import functools
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset

from ._devices import _resolve_device
from ._net import PRECISIONS, autocast
from ._persistence import (
    _params_file_state,
    _read_params_file,
    _write_params_file,
)
from ._preprocessing import _standardization
from ._ragged import _Ragged, _split_inputs, _unpad
from ._scoring import (
    _auto_threshold,
    _code_calibration,
    _code_resolution,
    _contamination_offset,
    _empirical_cdf,
    _leave_one_out_distances,
    _nearest_code_distances,
    _sample_errors,
    _timestep_errors,
    _value_errors,
    _with_code_distance,
)
from ._screening import (
    MIN_SCREEN_ROWS,
    _code_outlyingness,
    _screen_epochs,
    _set_aside,
)
from ._training import _LOSSES, _make_net, _resolve_patch_size
from ._validation import _check_sequences, _check_y

# Sequences per forward pass when scoring: small chunks stay in the CPU's
# caches, large ones keep a GPU busy (benchmarks/speed.py compares them).
# Memory stays flat in the number of rows.
_CPU_CHUNK, _GPU_CHUNK = 128, 1024
_NOISE_ROWS = 16  # rows re-encoded one at a time to measure the code noise
_MIN_HELD_OUT = 2  # fewer held-out rows than this: no split, no early stopping


def _labels(decision):
    """-1 (outlier) where ``decision`` is negative, else +1."""
    return np.where(decision < 0, -1, 1)


def _complete_epochs(net):
    """Epochs a skorch net finished (an interrupted one has no train loss)."""
    return sum("train_loss" in row for row in net.history)


def _restore_state_on_error(fit):
    """Make ``fit`` all-or-nothing: if it raises, restore the attributes.

    A failed fit (bad data, a non-finite loss, a second Ctrl-C while the
    threshold is computed) leaves an unfitted detector unfitted and a fitted
    one exactly as it was, never half updated.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        saved = dict(vars(self))
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    return wrapper


class LSTMAutoencoderDetector(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, OutlierMixin, BaseEstimator
):
    """Outlier detector scoring sequences by an LSTM autoencoder's error.

    An LSTM encoder-decoder, trained through skorch, learns to rebuild normal
    sequences; a sequence it rebuilds badly is abnormal. The estimator keeps
    scikit-learn's outlier contract (as :class:`~sklearn.ensemble.IsolationForest`
    does): :meth:`score_samples` is higher for more normal sequences,
    :meth:`decision_function` is negative for outliers and :meth:`predict`
    returns +1 (inlier) or -1 (outlier).

    Parameters
    ----------
    hidden_size : int, default=64
        Width of the encoder and decoder LSTMs.
    latent_size : int, default=32
        Length of the code each sequence is compressed to (see :meth:`transform`).
    num_layers : int, default=1
        Stacked LSTM layers in the encoder and in the decoder.
    dropout : float, default=0.0
        Dropout between stacked LSTM layers; ignored when ``num_layers=1``.
    bidirectional : bool, default=True
        Whether the encoder reads each sequence in both directions.
    patch_size : int or "auto", default="auto"
        Consecutive time steps that one LSTM step reads and rebuilds together.
        The recurrence runs over ``ceil(n_timesteps / patch_size)`` steps, so
        a larger patch trains and scores faster; errors are still computed
        for every time step. ``"auto"`` is ``max(2, ceil(T / 70))`` for
        training sequences of at most ``T`` time steps: 2 up to 140 steps, and
        a recurrence of at most 70 steps for longer ones, whose training time
        then grows with their length only through the patch width (see
        ``patch_size_``).
    loss : {"mse", "l1"}, default="mse"
        Reconstruction loss, used for training and as the per-sequence error.
    max_epochs : int or "auto", default="auto"
        Maximum number of passes over the training data. ``"auto"`` gives
        about 3,000 optimizer steps in all: ``ceil(3000 / n_batches)`` epochs,
        where ``n_batches`` is the number of batches in one pass, at least 20
        and at most 100 with early stopping (see ``patience``), at most 400
        without. Small training sets then get more passes and large ones
        fewer; without a held-out loss to stop on, the step budget alone
        decides how long a small training set is trained.
    batch_size : int, default=32
        Sequences per gradient step. Scoring streams the input in chunks of
        ``max(batch_size, 128)`` sequences on the CPU (1024 on a GPU), so its
        memory does not grow with the number of sequences.
    lr : float, default=5e-3
        Peak learning rate of Adam under a one-cycle schedule
        (:class:`torch.optim.lr_scheduler.OneCycleLR`): the rate rises to
        ``lr`` over the first 5 % of the optimizer steps, then anneals to
        zero. A warm-up shorter than torch's default 30 % leaves most of the
        steps near the peak rate, so a good model comes in fewer epochs.
    noise_std : float, default=0.0
        Standard deviation of Gaussian noise added to the standardised
        training inputs (a denoising autoencoder); the loss compares the
        reconstruction with the clean input, and the held-out loss, the
        threshold and every score use clean inputs. The noise is drawn from
        a generator seeded by ``random_state``.
    validation_fraction : float, default=0.1
        Share of the training sequences held out. They drive early stopping and,
        when ``contamination="auto"``, the threshold.
    patience : int, "auto" or None, default="auto"
        Epochs without improvement of the held-out loss before training stops
        (the best weights are kept). ``"auto"`` is 10 when at least 20
        sequences are held out and no early stopping otherwise: the loss of
        a few held-out sequences is too noisy to stop on. ``None`` disables
        early stopping.
    standardize : bool, default=True
        Whether to centre and scale each channel with the mean and standard
        deviation learned in :meth:`fit` (over all training sequences and time
        steps). A channel with zero variance is only centred.
    contamination : "auto" or float, default="auto"
        With ``"auto"``, the threshold is derived from the errors of the
        held-out normal sequences and the spread of the training ones (see
        Notes). With a float in (0, 0.5], that share of the training
        sequences scores below the threshold, as in
        :class:`~sklearn.ensemble.IsolationForest`. With
        ``screen_training=True`` it also says how many training sequences
        to set aside.
    screen_training : "auto" or bool, default="auto"
        Whether to look for abnormal sequences hidden in the training data
        and train without them. ``"auto"``: when ``contamination`` is a
        float, that is, when the training data is said to hold anomalies.
        An autoencoder learns to rebuild the anomalies it is trained on, so
        a few of them among the training sequences hide the like of them at
        scoring; their codes still lie away from the others'. A short first
        fit (about 300 optimizer steps, at most ``max_epochs``) encodes
        every training sequence, and each code's distance to the bulk of
        the codes is measured (a robust Mahalanobis distance over the
        codes' 3 leading principal components, with
        :class:`~sklearn.covariance.MinCovDet`). With a float
        ``contamination``, that share of the sequences, the farthest, is
        set aside. With ``contamination="auto"`` (and
        ``screen_training=True``), sequences are set aside only when the
        log distances form two groups (a mixture of two Gaussians fits them
        better than one, with a BIC lower by more than 10): then those whose
        squared distance exceeds 10 times the median, unless they are more
        than a quarter of the sequences (a far group that large is a mode
        of the normal data). The detector is then fitted on the remaining
        sequences as if they were the whole training set (standardisation,
        held-out split and threshold included; see ``training_outliers_``).
        Screening clean data can cost accuracy: a float ``contamination``
        trims that share whatever the data, and the two-group rule can take
        a mode of the normal data for a group of anomalies (windows of a
        periodic recording, for one); hence ``"auto"``. With fewer than 50
        training sequences nothing is screened. A Ctrl-C during the first
        fit stops :meth:`fit` with ``KeyboardInterrupt``, the detector left
        as it was.
    code_distance : bool, default=False
        Whether a sequence's error also counts how far its code (the
        encoder's output, see :meth:`transform`) lies from the codes of the
        training sequences. An autoencoder can rebuild some shapes it never
        saw; their codes still lie away from those of the training data. The
        error is then ``e * (d / d_med) ** w``: ``e`` the reconstruction
        error, ``d`` the Euclidean distance to the nearest code of a
        training sequence (for a training sequence scored again, to the
        nearest other one), ``d_med`` the median of ``d`` over the held-out
        sequences and ``w`` the ratio of the robust spreads (1.4826 times the
        median absolute deviation) of ``log e`` and ``log d`` over them. On
        the log scale this adds the two robust z-scores, in the units of
        ``log e``. It costs the memory of the training codes
        (``n_training_sequences x latent_size`` float32 numbers) and a
        nearest-neighbour search over them for every scored sequence. The
        threshold, :meth:`anomaly_probability` and the fitted errors use
        the combined error; :meth:`score_timesteps` and :meth:`reconstruct`
        are unchanged. Without held-out rows, ``d_med`` and ``w`` come from
        each training code's distance to its nearest other training code
        (with a single training sequence, ``w = 0``: the code term drops out).
    code_features : {"code", "pooled_states"}, default="code"
        What ``code_distance`` measures the distance between. ``"code"``:
        the codes of :meth:`transform`. ``"pooled_states"``: the mean and
        the maximum over time of the encoder's outputs at every time step
        (``4 * hidden_size`` values with the bidirectional encoder), each
        standardised with the training sequences' mean and standard
        deviation (``code_center_``, ``code_scale_``). They do not depend
        on where in a sequence a pattern occurs, as the code, the encoder's
        last state, does. Ignored without ``code_distance``.
    device : {"auto", "cpu", "cuda", "mps"} or str, default="auto"
        Torch device. ``"auto"`` picks CUDA when available, else the CPU; it is
        resolved in :meth:`fit` (see ``device_``). ``"cuda:<index>"`` picks one
        GPU. An unknown or unavailable device raises a ``ValueError`` at fit.
    precision : {"float32", "bfloat16"}, default="float32"
        Arithmetic of the forward passes, in training and scoring.
        ``"bfloat16"`` runs them under :func:`torch.autocast` with bfloat16
        (weights, gradients, optimizer state, loss and errors stay float32).
        Whether it is faster depends on the hardware and the model size (see
        the documentation's benchmarks): a small LSTM's step costs kernel
        launches and the sequential recurrence more than arithmetic.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the held-out split and the order of
        the training batches. No global seed is set.
    verbose : int, default=0
        Print skorch's per-epoch table when > 0.

    Attributes
    ----------
    net_ : AutoencoderNet
        The fitted skorch net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history.
    offset_ : float
        ``decision_function = score_samples - offset_``.
    threshold_ : float
        Error above which a sequence is an outlier (``-offset_``): the
        reconstruction error, combined with the code distance when
        ``code_distance=True``.
    mean_, scale_ : ndarray of shape (n_channels,)
        Standardisation statistics (zeros and ones if ``standardize=False``).
    held_out_errors_ : ndarray
        Errors of the held-out training sequences (empty without a split);
        like every error, combined with the code distance when
        ``code_distance=True``.
    calibration_errors_ : ndarray
        Sorted errors of normal sequences behind :meth:`anomaly_probability`:
        ``held_out_errors_``, or the training errors without held-out rows.
    train_codes_ : ndarray of shape (n_training_sequences, n_code_features) or None
        Codes (or standardised pooled states, see ``code_features``) of the
        sequences the weights were fitted on (float32), the reference of the
        code distance; ``None`` unless ``code_distance=True``.
    code_center_, code_scale_ : ndarray of shape (n_code_features,) or None
        Standardisation of the pooled states (``code_features=
        "pooled_states"``: ``4 * hidden_size`` values, ``2 * hidden_size``
        without ``bidirectional``); ``None`` otherwise.
    train_code_distances_ : ndarray of shape (n_training_sequences,) or None
        Each training code's distance to its nearest other training code
        (1 for a single training sequence): the distance a training
        sequence scored again is measured by. ``None`` unless
        ``code_distance=True``.
    code_calibration_ : ndarray of shape (3,) or None
        The smallest distance that counts (smaller ones count as it): 1e-5
        times the root-mean-square norm of the training codes, or 10 times
        the largest change of a training code computed alone instead of in
        a batch, measured in :meth:`fit` (it is larger on a GPU), whichever
        is larger; then ``log(d_med)`` and ``w`` (see ``code_distance``).
        ``None`` unless ``code_distance=True``.
    training_outliers_ : ndarray of shape (n_set_aside,), dtype int
        Rows of the ``X`` passed to :meth:`fit` that ``screen_training``
        set aside (the training set's suspected anomalies), in increasing
        order; empty without screening.
    training_outlier_share_ : float
        Their share of the sequences trained on (rows labelled -1 left
        out): with ``contamination="auto"``, the estimated share of
        anomalies in the training data; 0.0 without screening.
    device_ : str
        The device the model is on: the one used for training, or the CPU
        after unpickling a model trained on CUDA where CUDA is unavailable.
    n_epochs_ : int
        Number of complete training epochs.
    patch_size_ : int
        The patch width the module was built with (``patch_size``, resolved).
    n_timesteps_ : int or None
        Length of each training sequence; ``None`` after fitting on a list of
        sequences of different lengths (then sequences of any length are
        accepted).
    n_channels_ : int
        Channels of each training sequence.
    n_features_in_ : int
        Number of columns (time steps) seen in :meth:`fit`; not set after
        fitting on sequences of different lengths.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based outlier detector.
    sklearn.svm.OneClassSVM : Kernel-based novelty detector.

    Notes
    -----
    Variable-length sequences: every method also takes a list of 1-D arrays
    (univariate) or of 2-D arrays (length, n_channels) of different lengths.
    They are zero-padded to the longest; the encoder reads them packed
    (:func:`torch.nn.utils.rnn.pack_padded_sequence`), the training loss,
    the standardisation statistics and each sequence's error use its real
    time steps only, so a sequence gets the same score alone as inside a
    batch of longer or shorter ones (up to float rounding). A list of
    sequences of one length is just an array-like: it gives the results of
    the equivalent 2-D or 3-D array. Lengths are a property of the data, not
    of the model: a list of sequences of any lengths can be scored whatever
    the detector was fitted on (even if every training sequence had the same
    length). An array is a batch of one length: after fitting on an array
    (or a list of one length), arrays must have the training number of time
    steps, as scikit-learn requires; after fitting on different lengths,
    ``n_timesteps_`` is None and arrays of any length are accepted too.

    Training uses normal data: when ``y`` is passed to :meth:`fit`, rows
    labelled -1 are left out, so the detector can be tuned with
    :class:`~sklearn.model_selection.GridSearchCV` on labelled data.

    With ``contamination="auto"`` the error threshold is a robust z-score of 3
    on the log scale of the errors: ``exp(m + 3 * s)``, where ``m`` is the
    median of ``log e`` over the held-out sequences and ``s`` is 1.4826 times
    the median absolute deviation (MAD) of the log errors of the held-out and
    the training sequences, each set centred on its own median (for
    log-normal errors, about 0.13 % of normal sequences fall above it). The
    held-out rows were not used to fit the weights, so their errors are those
    of unseen normal data: they alone set the level ``m``. The training rows'
    errors are smaller, but spread about their median almost as much as
    unseen ones do (a little less, so the threshold comes out a little
    lower), and with the default ``validation_fraction`` there are nine
    times as many: with a held-out split of a few dozen rows, the MAD of
    those alone would move the threshold from one split to the next. With
    fewer than two held-out rows the training errors are used for both.

    Input: every method takes a 2-D array (n_samples, n_timesteps) or a 3-D
    array (n_samples, n_timesteps, n_channels) of finite numbers, with at
    least one row and one time step (one row and one time step are allowed;
    a single row is then its own reference for the threshold). Integers,
    booleans and object arrays are converted to float64; NaN, infinity,
    string arrays, complex numbers and sparse matrices are rejected with
    a ``ValueError`` or ``TypeError`` naming the problem and the expected
    shape, as are scoring inputs whose time steps or channels differ from
    those seen in :meth:`fit`.

    Failures and interruptions: if :meth:`fit` raises (invalid data, a loss
    that becomes NaN or infinite, which stops training with a
    ``FloatingPointError``), the detector is left exactly as it was before
    the call: unfitted, or still holding its previous model. A Ctrl-C
    (``KeyboardInterrupt``) during training ends training, as in skorch: the
    detector is fitted with the weights learned so far (the best epoch's when
    early stopping is active), its threshold is computed from them,
    ``n_epochs_`` counts the complete epochs and a ``UserWarning`` says that
    training was interrupted (a Ctrl-C during ``screen_training``'s first
    fit stops :meth:`fit` instead). A second Ctrl-C before :meth:`fit` returns
    aborts it, and the detector is left as it was before the call.

    Persistence: pickle and joblib keep the whole detector; one trained on
    CUDA loads and scores on a CPU-only machine (with skorch's
    ``DeviceWarning``, ``device_`` becomes ``"cpu"``). :meth:`save_params`
    and :meth:`load_params` store the weights and fitted statistics in a
    pickle-free file.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_lstmae import LSTMAutoencoderDetector
    >>> t = np.linspace(0, 2 * np.pi, 20)
    >>> rng = np.random.default_rng(0)
    >>> X = np.sin(t + rng.uniform(0, 0.3, (64, 1))) + rng.normal(0, 0.05, (64, 20))
    >>> det = LSTMAutoencoderDetector(hidden_size=8, latent_size=4, max_epochs=3,
    ...                               random_state=0).fit(X)
    >>> det.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "latent_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "bidirectional": ["boolean"],
        "patch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "loss": [StrOptions(set(_LOSSES))],
        "max_epochs": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
        "standardize": ["boolean"],
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
        "screen_training": ["boolean", StrOptions({"auto"})],
        "code_distance": ["boolean"],
        "code_features": [StrOptions({"code", "pooled_states"})],
        "device": [str, torch.device],
        "precision": [StrOptions(set(PRECISIONS))],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        hidden_size=64,
        latent_size=32,
        num_layers=1,
        dropout=0.0,
        bidirectional=True,
        patch_size="auto",
        loss="mse",
        max_epochs="auto",
        batch_size=32,
        lr=5e-3,
        noise_std=0.0,
        validation_fraction=0.1,
        patience="auto",
        standardize=True,
        contamination="auto",
        screen_training="auto",
        code_distance=False,
        code_features="code",
        device="auto",
        precision="float32",
        random_state=None,
        verbose=0,
    ):
        self.hidden_size = hidden_size
        self.latent_size = latent_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.patch_size = patch_size
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.noise_std = noise_std
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.contamination = contamination
        self.screen_training = screen_training
        self.code_distance = code_distance
        self.code_features = code_features
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @_restore_state_on_error
    def fit(self, X, y=None):
        """Train the autoencoder on the normal sequences of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Training sequences: a row of a 2-D array is a univariate series.
            A list of 1-D or 2-D (length, n_channels) arrays of different
            lengths is padded and masked (see Notes).
        y : array-like of shape (n_samples,), default=None
            Optional labels: rows labelled -1 (outliers) are left out of
            training; every other row is treated as normal.

        Returns
        -------
        self : LSTMAutoencoderDetector
            The fitted detector.

        Warns
        -----
        UserWarning
            If training was interrupted (Ctrl-C, i.e. ``KeyboardInterrupt``,
            during an epoch): the detector is then fitted with the weights
            learned so far (see Notes of the class).
        """
        self._fit(X, y, errors_of_X=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @_restore_state_on_error
    def fit_predict(self, X, y=None):
        """Fit on ``X``, then label each of its sequences +1 or -1.

        The same labels as ``fit(X, y).predict(X)``. With
        ``code_distance=True`` both measure a training sequence's code by its
        distance to the nearest other training code, not to itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Training sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,), default=None
            Optional labels, as in :meth:`fit`; every row of ``X`` is labelled.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for outliers, +1 for inliers.
        """
        errors = self._fit(X, y, errors_of_X=True)
        return _labels(-errors - self.offset_)

    def _fit(self, X, y, errors_of_X):
        """Fit; with ``errors_of_X``, return the errors of the rows of ``X``.

        Those errors measure the code distance of each training row to the
        nearest other training code (``_nearest_code_distances``). They are
        computed anyway with a float ``contamination``, which needs them.
        """
        X = _check_sequences(self, X, reset=True)
        X_all = X
        kept = np.arange(X.shape[0])
        if y is not None:
            kept = np.flatnonzero(_check_y(y, X.shape[0]))
            X = X[kept]
            if X.shape[0] == 0:
                raise ValueError("Every row of X is labelled -1: nothing to train on.")
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self.device_ = _resolve_device(self.device)
        self.patch_size_ = _resolve_patch_size(self.patch_size, X.shape[1])
        aside = self._screen(X, seed)
        self.training_outliers_ = kept[aside]
        self.training_outlier_share_ = float(aside.mean())
        if aside.any():
            X = X[np.flatnonzero(~aside)]
        self.mean_, self.scale_ = _standardization(X, self.standardize)

        train_rows, held_rows = self._split(X.shape[0], seed)
        X_train, X_held = X[train_rows], X[held_rows]
        self.net_ = self._build_net(X_train, X_held, seed)
        self.net_.fit(self._to_model_space(X_train), None)
        self.n_epochs_ = self._epochs_run()

        self.train_codes_ = self.train_code_distances_ = None
        self.code_calibration_ = self.code_center_ = self.code_scale_ = None
        if self.code_distance:
            self.train_codes_ = self._fit_features(X_train)
            self.train_code_distances_ = self._training_code_distances()
        held = X_held.shape[0] > 0
        errors = self._errors(X_held if held else X_train)
        if self.code_distance:
            resolution = _code_resolution(
                self.train_codes_, self._encoding_noise(X_train)
            )
            distances = self.train_code_distances_
            if held:
                distances = self._code_distances(X_held, resolution)
            self.code_calibration_ = _code_calibration(errors, distances, resolution)
            errors = _with_code_distance(errors, distances, self.code_calibration_)
        self.held_out_errors_ = errors if held else np.empty(0)
        self.calibration_errors_ = np.sort(errors)
        if self.contamination == "auto":
            fitted_errors = None
            if held:  # their spread joins the held-out rows' (_auto_threshold)
                fitted_errors = self._errors(X_train)
                if self.code_distance:
                    fitted_errors = _with_code_distance(
                        fitted_errors,
                        self.train_code_distances_,
                        self.code_calibration_,
                    )
            self.offset_ = -_auto_threshold(errors, fitted_errors)
            if not errors_of_X:
                return None
        # A training row is measured leave-one-out (_nearest_code_distances).
        errors = self._detector_errors(X_all)
        if self.contamination != "auto":
            self.offset_ = _contamination_offset(-errors, self.contamination)
        return errors

    def score_samples(self, X):
        """Negated reconstruction error: the lower, the more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data (see Notes on lists of
            sequences of different lengths).

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            Minus the mean ``loss`` between each standardised sequence and its
            reconstruction (combined with the code distance when fitted with
            ``code_distance=True``).
        """
        check_is_fitted(self)
        return -self._detector_errors(_check_sequences(self, X, reset=False))

    def decision_function(self, X):
        """Shifted score: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data (see Notes on lists of
            sequences of different lengths).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sequence +1 (inlier) or -1 (outlier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data (see Notes on lists of
            sequences of different lengths).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function(X) < 0``, else +1.
        """
        return _labels(self.decision_function(X))

    def transform(self, X):
        """Encode each sequence into its fixed-length code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data (see Notes on lists of
            sequences of different lengths).

        Returns
        -------
        codes : ndarray of shape (n_samples, latent_size), dtype float64
            The encoder's output, e.g. as features for a classifier.
        """
        check_is_fitted(self)
        X = _check_sequences(self, X, reset=False)
        return self._codes(X).astype(np.float64, copy=False)

    def reconstruct(self, X):
        """Rebuild each sequence through the autoencoder, in the input's units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data (see Notes on lists of
            sequences of different lengths).

        Returns
        -------
        X_hat : ndarray of the shape of ``X``, dtype float64, or list
            The reconstruction, un-standardised; 2-D when ``X`` is 2-D. For a
            list of sequences of different lengths, a list of arrays shaped
            like them.
        """
        check_is_fitted(self)
        X_in = X
        X = _check_sequences(self, X, reset=False)
        if isinstance(X, _Ragged):
            return self._reconstruct_ragged(X)
        two_d = getattr(X_in, "ndim", None) == 2 or np.ndim(X_in) == 2
        parts = [r for _, r in self._infer(self.net_.module_, X)]
        X_hat = np.concatenate(parts).astype(np.float64) * self.scale_ + self.mean_
        return X_hat[:, :, 0] if two_d else X_hat

    def score_timesteps(self, X, *, per_channel=False):
        """Negated reconstruction error of every time step: where it departs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data.
        per_channel : bool, default=False
            If False, the error of a time step is averaged over its channels;
            if True, every channel keeps its own error.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), dtype float64
            Minus the ``loss`` (``|x - x_hat|`` or its square) at each time
            step, in standardised units: the lower, the more abnormal that
            step. Without ``per_channel``, ``scores.mean(axis=1)`` equals
            :meth:`score_samples`. For a list of sequences of different
            lengths, a list of one array per sequence, of its own length.
        """
        check_is_fitted(self)
        return self._score_timesteps(
            _check_sequences(self, X, reset=False), per_channel
        )

    def anomaly_probability(self, X):
        """Probability-like anomaly score in [0, 1]: the rank among normal errors.

        The empirical distribution function of the errors of normal sequences
        the weights were not fitted on (``held_out_errors_``; the training
        errors when there were no held-out rows), taken at each sequence's
        error: the share of those normal sequences that the autoencoder
        rebuilt at least as badly. Equivalently, one minus an empirical
        p-value for "this sequence is normal".

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_channels), or list of arrays
            Sequences shaped like the training data.

        Returns
        -------
        proba : ndarray of shape (n_samples,), dtype float64
            Non-increasing in :meth:`score_samples`; 0 below the smallest
            reference error and 1 at or above the largest one.

        Notes
        -----
        This is a calibration against normal data only: it says how unusual
        an error is for a normal sequence, not the posterior probability of
        an anomaly, which would also need the (unknown) share of anomalies.
        Its resolution is ``1 / len(calibration_errors_)``.
        """
        errors = -self.score_samples(X)
        return _empirical_cdf(self.calibration_errors_, errors)

    def save_params(self, f_params):
        """Save the fitted weights and statistics to a file, without pickle.

        The file holds the torch module's ``state_dict`` (on the CPU), the
        standardisation statistics, the threshold, the training shape, the
        training codes (with ``code_distance=True``) and the hyper-parameters
        that define the fitted model. It is read with
        ``torch.load(..., weights_only=True)``, so loading it runs no code, and
        it does not depend on the versions of scikit-learn or skorch. Written
        to a path, the file is replaced atomically: a failed save never
        leaves a truncated file behind.

        Parameters
        ----------
        f_params : str, os.PathLike or binary file object
            Where to write.

        See Also
        --------
        load_params : Load such a file into a detector.

        Examples
        --------
        >>> import io
        >>> import numpy as np
        >>> from sklearn_lstmae import LSTMAutoencoderDetector
        >>> X = np.sin(np.linspace(0, 6, 20) + np.arange(16)[:, None] / 8)
        >>> params = dict(hidden_size=4, latent_size=2, max_epochs=2, random_state=0)
        >>> det = LSTMAutoencoderDetector(**params).fit(X)
        >>> buf = io.BytesIO()
        >>> det.save_params(buf)
        >>> _ = buf.seek(0)
        >>> twin = LSTMAutoencoderDetector(**params).load_params(buf)
        >>> bool((twin.score_samples(X) == det.score_samples(X)).all())
        True
        """
        check_is_fitted(self)
        _write_params_file(_params_file_state(self), f_params)

    @_restore_state_on_error
    def load_params(self, f_params):
        """Load a file written by :meth:`save_params`; the detector is then fitted.

        The detector must have been built with the same ``hidden_size``,
        ``latent_size``, ``num_layers``, ``bidirectional``, ``patch_size``,
        ``loss``, ``standardize``, ``contamination`` and ``code_distance`` as
        the one that saved the file
        (a ``ValueError`` names any that differ); the other parameters only
        affect training. The weights go to this detector's ``device``:
        weights saved from a CUDA run load on a CPU-only machine with
        ``device="auto"`` or ``"cpu"``. The training history is not saved,
        so ``net_.history`` is empty. Any previous fit is replaced only once
        the whole file has been read and checked.

        Parameters
        ----------
        f_params : str, os.PathLike or binary file object
            A file written by :meth:`save_params`.

        Returns
        -------
        self : LSTMAutoencoderDetector
            The detector, fitted with the loaded weights.
        """
        self._validate_params()
        self.device_ = _resolve_device(self.device)
        state = _read_params_file(f_params, self)
        vars(self).pop("feature_names_in_", None)
        for name, value in state["attributes"].items():
            setattr(self, name, value)
        shape = (1, self.n_timesteps_ or 1, self.n_channels_)  # None: ragged fit
        self.net_ = self._build_net(np.zeros(shape), np.zeros((0, *shape[1:])), 0)
        self.net_.initialize()
        try:
            self.net_.module_.load_state_dict(state["module"])
        except RuntimeError as exc:
            raise ValueError(
                f"The weights in {f_params!r} do not fit this version's LSTM "
                f"module: {exc}"
            ) from exc
        return self

    @property
    def threshold_(self):
        """Reconstruction error above which a sequence is an outlier."""
        return -self.offset_

    @property
    def _n_features_out(self):
        return self.latent_size

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    def __setstate__(self, state):
        super().__setstate__(state)
        net = vars(self).get("net_")
        if net is not None:
            # Unpickling the skorch net maps tensors saved on a CUDA device to
            # the CPU when CUDA is unavailable (skorch's DeviceWarning says so)
            # and sets net_.device to match: scoring must follow it.
            self.device_ = str(net.device)
            net.module_.flatten_parameters()

    # -- private computations (inputs already validated) --------------------

    def _screen(self, X, seed):
        """Mask of the rows of ``X`` to train without (see ``screen_training``)."""
        aside = np.zeros(X.shape[0], dtype=bool)
        screen = self.screen_training
        if screen == "auto":
            screen = self.contamination != "auto"
        if not screen or X.shape[0] < MIN_SCREEN_ROWS:
            return aside
        self.mean_, self.scale_ = _standardization(X, self.standardize)
        epochs = _screen_epochs(X.shape[0], self.batch_size, self.max_epochs)
        net = self._build_net(X, None, seed, max_epochs=epochs)
        net.fit(self._to_model_space(X), None)
        if _complete_epochs(net) < net.max_epochs:
            # skorch ends training on Ctrl-C and returns; there is nothing
            # to keep yet, so the fit stops here.
            raise KeyboardInterrupt
        codes = self._encoder("encode", net)(X)
        outlyingness = _code_outlyingness(codes, seed)
        return _set_aside(outlyingness, self.contamination, seed)

    def _split(self, n_samples, seed):
        """Row indices of the training and the held-out sequences."""
        rows = np.arange(n_samples)
        n_held = int(round(self.validation_fraction * n_samples))
        if n_held < _MIN_HELD_OUT or n_samples - n_held < 1:
            return rows, rows[:0]
        return train_test_split(rows, test_size=n_held, random_state=seed)

    def _build_net(self, X_train, X_held, seed, **params):
        """The unfitted net; ``params`` override the detector's own."""
        valid = None
        if X_held is not None and X_held.shape[0]:
            valid = Dataset(self._to_model_space(X_held), None)
        return _make_net(
            {**self.get_params(deep=False), **params},
            n_features=X_train.shape[2],
            n_train=X_train.shape[0],
            patch_size=self.patch_size_,
            valid=valid,
            seed=seed,
            device=self.device_,
        )

    def _to_model_space(self, X):
        """Standardised float32 copy of (a chunk of) validated sequences.

        For a ``_Ragged``, the dict ``{"x": padded, "lengths": lengths}`` that
        the net passes to the module and to its loss; padding is zero.
        """
        if isinstance(X, _Ragged):
            x = self._to_model_space(X.values) * X.mask()[:, :, np.newaxis]
            return {"x": x, "lengths": X.lengths}
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            out = ((X - self.mean_) / self.scale_).astype(np.float32)
        if not np.isfinite(out).all():
            raise ValueError(
                "X contains values too large to represent in float32 once "
                "standardised; rescale the data."
            )
        return out

    def _fitted_loss(self):
        """The loss the net was trained with: errors are measured with it.

        Not ``self.loss``, which ``set_params`` may have changed since.
        """
        criterion = self.net_.criterion
        return next(name for name, cls in _LOSSES.items() if cls is criterion)

    def _scoring_chunk(self):
        """Sequences per forward pass when scoring (see ``batch_size``)."""
        on_gpu = torch.device(self.device_).type == "cuda"
        return max(self.batch_size, _GPU_CHUNK if on_gpu else _CPU_CHUNK)

    def _infer(self, fn, X, net=None):
        """Yield ``(chunk, fn(chunk))`` over standardised chunks of ``X``.

        ``net``: the net whose module ``fn`` runs, ``net_`` by default.
        """
        net = self.net_ if net is None else net
        step = self._scoring_chunk()
        net.module_.eval()
        # The fitted net's precision, not self.precision (set_params may have
        # changed it since), as for the loss.
        precision = getattr(net, "precision", "float32")
        with torch.inference_mode():
            for start in range(0, X.shape[0], step):
                chunk = self._to_model_space(X[start : start + step])
                inputs = chunk if isinstance(chunk, dict) else {"x": chunk}
                inputs = {k: torch.from_numpy(v) for k, v in inputs.items()}
                with autocast(self.device_, precision):
                    out = fn(**{k: v.to(self.device_) for k, v in inputs.items()})
                yield chunk, out.float().cpu().numpy()

    def _epochs_run(self):
        """Count the complete epochs; warn if a Ctrl-C cut training short.

        skorch ends training by ``KeyboardInterrupt`` both when early stopping
        triggers and when the user presses Ctrl-C, and swallows it; fewer
        epochs than ``max_epochs`` without early stopping means the latter.
        """
        net = self.net_
        n_epochs = _complete_epochs(net)
        stopper = dict(net.callbacks_).get("early_stopping")
        stopped_early = stopper is not None and stopper.misses_ >= stopper.patience
        if n_epochs < net.max_epochs and not stopped_early:
            warnings.warn(
                f"Training was interrupted (KeyboardInterrupt) after {n_epochs} of "
                f"{net.max_epochs} epochs. The detector is fitted with the weights "
                "learned so far and a threshold computed from them; call fit "
                "again to train fully.",
                UserWarning,
                stacklevel=2,
            )
        return n_epochs

    def _codes(self, X):
        """Codes of validated sequences, float32 (n_samples, latent_size)."""
        return self._encoder("encode")(X)

    def _encoder(self, method, net=None):
        """``fn(X)``: the module's encoder ``method`` on validated sequences.

        ``net``: the net whose module encodes, ``net_`` by default.

        The encoder runs in float64 (except on MPS, which has no float64) and
        its output is rounded to float32: a float32 encoder's output changes
        in its last digits with the size of the batch it is computed in, and
        the code distance would carry that change into the scores. The
        float64 copy of the module is made once per ``fn``.
        """
        net = self.net_ if net is None else net
        module = net.module_
        encode = getattr(module, method)
        if torch.device(self.device_).type != "mps":
            double = copy.deepcopy(module).double()

            def encode(x, lengths=None):
                return getattr(double, method)(x.double(), lengths)

        return lambda X: np.concatenate([c for _, c in self._infer(encode, X, net)])

    def _feature_map(self):
        """``fn(X)``: what the code distance measures, codes or pooled states."""
        if getattr(self, "code_center_", None) is None:
            return self._encoder("encode")
        states = self._encoder("pooled_states")
        return lambda X: self._standardised_states(states(X))

    def _standardised_states(self, states):
        return ((states - self.code_center_) / self.code_scale_).astype(np.float32)

    def _features(self, X):
        return self._feature_map()(X)

    def _fit_features(self, X_train):
        """The training rows' features; fits the pooled states' standardisation."""
        self.code_center_ = self.code_scale_ = None
        if self.code_features != "pooled_states":
            return self._codes(X_train)
        states = self._encoder("pooled_states")(X_train).astype(np.float64)
        scale = states.std(axis=0)
        self.code_center_ = states.mean(axis=0)
        self.code_scale_ = np.where(scale > 0, scale, 1.0)
        return self._standardised_states(states)

    def _encoding_noise(self, X):
        """Largest change of a training code computed alone, not in a batch.

        Over up to ``_NOISE_ROWS`` rows spread over ``X``, the sequences
        ``train_codes_`` were computed from in scoring-sized batches.
        """
        n_rows = min(_NOISE_ROWS, X.shape[0])
        rows = np.unique(np.linspace(0, X.shape[0] - 1, n_rows).round().astype(int))
        features = self._feature_map()
        alone = np.concatenate([features(X[i : i + 1]) for i in rows])
        change = alone.astype(np.float64) - self.train_codes_[rows]
        return float(np.linalg.norm(change, axis=1).max())

    def _code_distances(self, X, resolution=None):
        """Distances of the codes of ``X`` to the training codes (copies aside)."""
        if resolution is None:
            resolution = self.code_calibration_[0]
        return _nearest_code_distances(
            self._features(X),
            self.train_codes_,
            self.train_code_distances_,
            resolution,
        )

    def _training_code_distances(self):
        """Each training code's distance to its nearest other training code.

        With a single training sequence there is none: its distance counts
        as 1 (and ``_code_calibration`` drops the code term).
        """
        if self.train_codes_.shape[0] < 2:
            return np.ones(self.train_codes_.shape[0])
        return _leave_one_out_distances(self.train_codes_)

    def _detector_errors(self, X):
        """The errors ``score_samples`` negates: reconstruction [x code distance]."""
        errors = self._errors(X)
        calibration = getattr(self, "code_calibration_", None)  # older pickles
        if calibration is None:
            return errors
        return _with_code_distance(errors, self._code_distances(X), calibration)

    def _errors(self, X):
        errors, loss = [], self._fitted_loss()
        for chunk, recon in self._infer(self.net_.module_, X):
            x, lengths = _split_inputs(chunk)
            errors.append(_sample_errors(x, recon, loss, lengths))
        return np.concatenate(errors) if errors else np.empty(0)

    def _score_timesteps(self, X, per_channel):
        parts, loss = [], self._fitted_loss()
        errors = _value_errors if per_channel else _timestep_errors
        for chunk, recon in self._infer(self.net_.module_, X):
            x, lengths = _split_inputs(chunk)
            part = -errors(x, recon, loss)
            parts.extend([part] if lengths is None else _unpad(part, lengths))
        return parts if isinstance(X, _Ragged) else np.concatenate(parts)

    def _reconstruct_ragged(self, X):
        X_hat = []
        for chunk, recon in self._infer(self.net_.module_, X):
            recon = recon.astype(np.float64) * self.scale_ + self.mean_
            X_hat.extend(_unpad(recon, chunk["lengths"]))
        return [x[:, 0] for x in X_hat] if X.univariate else X_hat
