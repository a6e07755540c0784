"""LSTMAutoencoderDetector: the scikit-learn front end."""

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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._allocator import keep_large_blocks
from ._devices import _resolve_device
from ._inference import set_scoring_dtype
from ._persistence import _ParamsFileMixin, _restore_state_on_error
from ._ragged import _n_values
from ._rows import _split, _take, _training_rows
from ._scorer import _ScoringMixin
from ._screening import _screened_out
from ._standardizer import _Standardizer
from ._threshold import _contamination_offset
from ._training import _LOSSES, _make_net, _resolve_patch_size, _warn_if_interrupted
from ._tuning import _ThresholdTuningMixin
from ._validation import _check_sequences

_POSITIVE = Interval(Integral, 1, None, closed="left")
_AUTO = StrOptions({"auto"})


def _labels(decision):
    """-1 (outlier) where ``decision`` is negative, else +1."""
    return np.where(decision < 0, -1, 1)


class LSTMAutoencoderDetector(
    _ScoringMixin,
    _ThresholdTuningMixin,
    _ParamsFileMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    OutlierMixin,
    BaseEstimator,
):
    """Outlier detector scoring sequences by an LSTM autoencoder's error.

    An LSTM encoder-decoder, trained through skorch, learns to rebuild normal
    sequences; a sequence it rebuilds badly is abnormal. scikit-learn's
    outlier contract holds: :meth:`score_samples` is higher for more normal
    sequences, :meth:`decision_function` is ``score_samples - offset_``
    (negative for outliers) and :meth:`predict` returns +1 or -1. Inputs are
    2-D (n_samples, n_timesteps), 3-D (..., n_channels) or lists of sequences
    of different lengths. The user guide (``docs/user_guide.md``) details
    the threshold rule, variable lengths, faults and persistence.

    Parameters
    ----------
    hidden_size : int, default=64
        Width of the encoder and decoder LSTMs.
    latent_size : int, default=32
        Length of each sequence's code (see :meth:`transform`).
    num_layers : int, default=1
        Stacked LSTM layers in the encoder and in the decoder.
    dropout : float, default=0.0
        Dropout between stacked LSTM layers.
    bidirectional : bool, default=True
        Whether the encoder reads each sequence in both directions.
    patch_size : int or "auto", default="auto"
        Time steps one LSTM step reads and rebuilds together. ``"auto"``:
        ``max(2, ceil(T / 70))`` for training sequences of ``T`` steps.
    n_members : int, default=1
        Autoencoders trained side by side from different initial weights,
        each on its own loss; the score reads their mean reconstruction and
        their codes side by side. Fit and scoring time grow with their
        number.
    loss : {"mse", "l1"}, default="mse"
        Reconstruction loss, for training and as each sequence's error.
    max_epochs : int or "auto", default="auto"
        Passes over the training data. ``"auto"``: about 3,000 optimizer
        steps, 20 to 100 epochs with early stopping, up to 400 without it,
        in proportion for training sets of fewer than 10,000 values (time
        steps times channels) and at least 150.
    batch_size : int, default=32
        Sequences per gradient step.
    lr : float, default=5e-3
        Peak learning rate of Adam under a one-cycle schedule.
    validation_fraction : float, default=0.1
        Share of the training sequences held out for early stopping and
        the threshold.
    patience : int, "auto" or None, default="auto"
        Epochs without a better held-out loss before training stops (best
        weights kept). ``"auto"``: 10 with at least 20 held-out sequences,
        else none; ``None``: none.
    standardize : bool, default=True
        Whether to centre and scale each channel with the training statistics.
    contamination : "auto" or float, default="auto"
        ``"auto"``: the threshold is a robust z-score of 3 of the held-out
        log errors. A float in (0, 0.5]: that share of the sequences given
        to :meth:`fit` (all of them, labelled -1 or not) scores below it.
    screen_training : "auto" or bool, default="auto"
        Whether to set aside the training sequences whose codes lie away
        from the others' (after a short first fit) and train without them.
        ``"auto"``: with a float ``contamination``, that share; with
        ``"auto"``, those far beyond the bulk when they are at least 5 % of
        the sequences (fewer are taken for the normal data's own tail).
        ``True``: also fewer. Nothing is screened below 50 sequences, nor,
        with ``"auto"``, overlapping windows of one recording in order (as
        :class:`SlidingWindows` makes them: not independent sequences).
    code_distance : bool, default=True
        Whether a sequence's error also weighs its code's distance to the
        nearest training codes, relative to their own spacing; the code
        counts most when few sequences are trained on. Scoring then runs in
        float64. ``False``: the score is the reconstruction error alone.
    code_features : {"code", "pooled_states"}, default="pooled_states"
        What the code distance compares: the codes, or the mean and maximum
        over time of the encoder's outputs.
    device : str or torch.device, default="auto"
        Torch device; ``"auto"``: CUDA when available, resolved in :meth:`fit`.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the held-out split and the batch order. A fit is
        repeatable on the same device with the same torch thread count;
        another thread count rounds training's sums differently, so the
        weights and scores differ.
    verbose : int, default=0
        0: print nothing. 1: a progress bar over the epochs of each fit
        (epochs done, losses, time left; "screening" for the short first
        fit) and one over the batches of a scoring pass of several batches,
        on stderr. 2 and more: also skorch's table of each epoch, on stdout.

    Attributes
    ----------
    net_ : AutoencoderNet
        The fitted skorch net (``net_.history``: the training history).
    offset_ : float
        ``decision_function = score_samples - offset_``; ``threshold_``
        (``-offset_``) is the error above which a sequence is an outlier.
        Set by ``contamination`` in :meth:`fit`, or by :meth:`tune_threshold`.
    best_score_ : float
        After :meth:`tune_threshold` with ``scoring``: the score of the
        chosen threshold.
    standardizer_ : object
        Per-channel ``mean_`` and ``scale_``, also exposed on the detector.
    code_distance_ : object or None
        The fitted code distance (reference codes ``train_codes_``, weights
        ``error_exponent_`` and ``exponent_``), or None without
        ``code_distance``.
    held_out_errors_ : ndarray
        Errors of the held-out training sequences (empty without a split).
    calibration_errors_ : ndarray
        Sorted normal errors behind :meth:`anomaly_probability`.
    training_outliers_ : ndarray of int
        Rows of the ``X`` given to :meth:`fit` that screening set aside;
        ``training_outlier_share_``: their share of the rows trained on.
    scoring_batch_size_ : int
        Sequences per forward pass when scoring (memory stays flat).
    device_ : str
        The device the model is on.
    n_epochs_, patch_size_ : int
        Complete training epochs; the resolved ``patch_size``.
    n_timesteps_ : int or None
        Training length; None after fitting sequences of different lengths.
    n_channels_ : int
        Channels per time step.
    n_features_in_ : int
        Columns (time steps) seen in :meth:`fit`, for fixed-length data.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based outlier detector.

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
        "hidden_size": [_POSITIVE],
        "latent_size": [_POSITIVE],
        "num_layers": [_POSITIVE],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "bidirectional": ["boolean"],
        "patch_size": [_POSITIVE, _AUTO],
        "n_members": [_POSITIVE],
        "loss": [StrOptions(set(_LOSSES))],
        "max_epochs": [_POSITIVE, _AUTO],
        "batch_size": [_POSITIVE],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "patience": [_POSITIVE, _AUTO, None],
        "standardize": ["boolean"],
        "contamination": [_AUTO, Interval(Real, 0, 0.5, closed="right")],
        "screen_training": ["boolean", _AUTO],
        "code_distance": ["boolean"],
        "code_features": [StrOptions({"code", "pooled_states"})],
        "device": [str, torch.device],
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
        n_members=1,
        loss="mse",
        max_epochs="auto",
        batch_size=32,
        lr=5e-3,
        validation_fraction=0.1,
        patience="auto",
        standardize=True,
        contamination="auto",
        screen_training="auto",
        code_distance=True,
        code_features="pooled_states",
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.hidden_size = hidden_size
        self.latent_size = latent_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.patch_size = patch_size
        self.n_members = n_members
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.standardize = standardize
        self.contamination = contamination
        self.screen_training = screen_training
        self.code_distance = code_distance
        self.code_features = code_features
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    @_restore_state_on_error
    def fit(self, X, y=None):
        """Train the autoencoder on the normal sequences of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Training sequences; a list may hold sequences of different lengths.
        y : array-like of shape (n_samples,), default=None
            Optional labels: rows labelled -1 are left out of training.

        Returns
        -------
        self : LSTMAutoencoderDetector
            The fitted detector. A Ctrl-C during training ends it early with
            a ``UserWarning``; the detector is fitted with the weights so far.
        """
        self._fit(X, y, score_all_rows=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @_restore_state_on_error
    def fit_predict(self, X, y=None):
        """Fit on ``X``, then label each of its sequences +1 or -1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Training sequences, as in :meth:`fit`.
        y : array-like of shape (n_samples,), default=None
            Optional labels, as in :meth:`fit`; every row of ``X`` is labelled.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 for outliers, +1 for inliers: those of ``fit(X, y).predict(X)``.
        """
        return _labels(-self._fit(X, y, score_all_rows=True) - self.offset_)

    def score_samples(self, X):
        """Negated error of each sequence: the lower, the more abnormal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data (lists: any lengths).

        Returns
        -------
        scores : ndarray of shape (n_samples,), dtype float64
            Minus the mean ``loss`` between each standardised sequence and
            its reconstruction, weighted by the code distance unless
            ``code_distance=False``.
        """
        check_is_fitted(self)
        return -self._detector_errors(self._forward(self._check(X)))

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The shifted scores.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sequence +1 (inlier) or -1 (outlier).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps[, n_channels]) or list
            Sequences shaped like the training data.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function(X) < 0``, else +1.
        """
        return _labels(self.decision_function(X))

    @property
    def threshold_(self):
        """Error above which a sequence is an outlier (``-offset_``)."""
        return -self.offset_

    @property
    def mean_(self):
        """Per-channel means of the standardisation (zeros without it)."""
        return self.standardizer_.mean_

    @property
    def scale_(self):
        """Per-channel scales of the standardisation (ones without it)."""
        return self.standardizer_.scale_

    @property
    def _n_features_out(self):
        return self.latent_size * self.n_members

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    # -- fit, step by step (inputs validated) -------------------------------

    def _fit(self, X, y, *, score_all_rows):
        """Fit; return the errors of every row of ``X`` when they are scored.

        Every row of ``X`` is scored (one pass) for ``fit_predict`` and for a
        float ``contamination``; otherwise only the rows trained on.
        """
        X = _check_sequences(self, X, reset=True)
        vars(self).pop("best_score_", None)  # of an earlier tune_threshold
        rows = _training_rows(y, X.shape[0])
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        self.device_ = _resolve_device(self.device)
        self.patch_size_ = _resolve_patch_size(self.patch_size, X.shape[1])
        keep_large_blocks()  # before training: the steps' memory is kept
        aside = _screened_out(_take(X, rows), self, seed)
        self.training_outliers_ = rows[aside]
        self.training_outlier_share_ = float(aside.mean())
        rows = rows[~aside]
        self.standardizer_ = _Standardizer(self.standardize).fit(_take(X, rows))
        train, held = _split(rows, self.validation_fraction, seed)
        self.net_ = self._build_net(X[train], X[held], seed)
        self.net_.fit(self.standardizer_.transform(X[train]), None)
        self.n_epochs_ = _warn_if_interrupted(self.net_)
        set_scoring_dtype(self.net_.module_, self.device_, double=self.code_distance)
        score_all_rows = score_all_rows or self.contamination != "auto"
        if score_all_rows:
            every = self._forward(X, features=self.code_distance)
            self._fit_scores(every.take(train), every.take(held))
            errors = self._detector_errors(every)
            if self.contamination != "auto":
                self.offset_ = _contamination_offset(-errors, self.contamination)
            return errors
        self._fit_scores(
            self._forward(X[train], features=self.code_distance),
            self._forward(X[held], features=self.code_distance),
        )
        return None

    def _build_net(self, X_train, X_held, seed, *, desc="training", **params):
        """The unfitted net; ``params`` override the detector's own; ``desc``
        labels its epoch bar."""
        held = X_held is not None and X_held.shape[0] > 0
        return _make_net(
            {**self.get_params(deep=False), **params},
            n_features=X_train.shape[2],
            n_train=X_train.shape[0],
            n_values=_n_values(X_train),
            patch_size=self.patch_size_,
            valid=self.standardizer_.transform(X_held) if held else None,
            seed=seed,
            device=self.device_,
            desc=desc,
        )

    def _check(self, X):
        return _check_sequences(self, X, reset=False)
