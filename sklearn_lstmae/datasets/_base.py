"""Where datasets live, and a safe download-and-extract helper.

Everything written by :func:`_fetch_zip_members` goes first to a temporary
file in the target directory and is moved into place with :func:`os.replace`
only once the whole archive has been downloaded and verified, so an
interrupted or failed download never leaves a file a later call could trust.
"""

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from tempfile import NamedTemporaryFile

ENV_VAR = "SKLEARN_LSTMAE_DATA"
_CHUNK_SIZE = 1 << 20


def get_data_home(data_home=None):
    """Return the directory that holds (or will hold) the ECG5000 files.

    The directory directly contains ``ECG5000_TRAIN.txt`` and
    ``ECG5000_TEST.txt``. It is, in order of precedence: ``data_home`` when
    given; else the ``SKLEARN_LSTMAE_DATA`` environment variable when set
    and non-empty; else ``$XDG_CACHE_HOME/sklearn_lstmae/ECG5000``, or
    ``~/.cache/sklearn_lstmae/ECG5000`` when ``XDG_CACHE_HOME`` is unset.
    A leading ``~`` is expanded. Nothing is created.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        Explicit directory; ``None`` falls back to the environment variable,
        then to the user cache directory.

    Returns
    -------
    path : pathlib.Path
        The resolved directory (it may not exist yet).

    Raises
    ------
    TypeError
        If ``data_home`` is not a str, an os.PathLike or None.
    ValueError
        If ``data_home`` is an empty string.

    Examples
    --------
    >>> from sklearn_lstmae.datasets import get_data_home
    >>> get_data_home("some/dir").name
    'dir'
    """
    return _data_home(data_home, ENV_VAR, "ECG5000")


def _data_home(data_home, env_var, folder):
    """``data_home``, else ``$env_var``, else ``folder`` in the user cache."""
    if data_home is not None:
        if not isinstance(data_home, (str, os.PathLike)):
            raise TypeError(
                "data_home must be a str, an os.PathLike or None, got "
                f"{type(data_home).__name__}."
            )
        if os.fspath(data_home) == "":
            raise ValueError("data_home must not be an empty string.")
        return Path(data_home).expanduser()
    env = os.environ.get(env_var)
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "sklearn_lstmae" / folder


def _sha256(path):
    """Hex sha256 of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _manual_hint(url, directory, names, env_var):
    return (
        f"You can download {url} yourself and extract {' and '.join(names)} "
        f"into {directory}, or set data_home (or the {env_var} environment "
        "variable) to where a copy of them already is."
    )


def _unwritable(directory, exc, env_var):
    """A PermissionError (or OSError) naming ``directory`` and the way out."""
    cls = PermissionError if isinstance(exc, PermissionError) else OSError
    reason = exc.strerror or str(exc)
    return cls(
        f"Cannot write to the data directory {directory} ({reason}). Pass "
        f"data_home= a writable directory, or set the {env_var} environment "
        "variable to one."
    )


def _temp_file(directory, name, env_var):
    """Open a new binary temporary file ``.<name>.*.part`` in ``directory``."""
    try:
        return NamedTemporaryFile(
            mode="wb", dir=directory, prefix=f".{name}.", suffix=".part", delete=False
        )
    except OSError as exc:
        raise _unwritable(directory, exc, env_var) from exc


def _download(url, fh, *, timeout, hint):
    """Stream ``url`` into the open binary file ``fh``; check its length."""
    failed = f"Failed to download {url}"
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise OSError(f"{failed}: HTTP error {exc.code} {exc.reason}. {hint}") from exc
    except urllib.error.URLError as exc:
        raise OSError(f"{failed}: {exc.reason}. {hint}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise OSError(f"{failed}: {exc!r}. {hint}") from exc
    with response:
        length = response.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        received = 0
        while True:
            try:
                chunk = response.read(_CHUNK_SIZE)
            except http.client.IncompleteRead as exc:
                raise OSError(f"{failed}: download truncated. {hint}") from exc
            except (OSError, http.client.HTTPException) as exc:
                raise OSError(f"{failed}: {exc!r}. {hint}") from exc
            if not chunk:
                break
            fh.write(chunk)
            received += len(chunk)
    if expected is not None and received < expected:
        raise OSError(
            f"{failed}: download truncated, received {received} of {expected} "
            f"bytes. {hint}"
        )


def _find_member(archive, name):
    """The ZipInfo whose base name is ``name`` (shallowest first), or None."""
    matches = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and PurePosixPath(info.filename).name == name
        and not info.filename.startswith("__MACOSX/")
    ]
    matches.sort(key=lambda info: (info.filename.count("/"), info.filename))
    return matches[0] if matches else None


def _extract(archive, info, directory, temps, env_var):
    """Copy one member to a new temp file in ``directory``; return its sha256."""
    digest = hashlib.sha256()
    out = _temp_file(directory, PurePosixPath(info.filename).name, env_var)
    temps.append(out.name)
    with out, archive.open(info) as src:
        while chunk := src.read(_CHUNK_SIZE):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _fetch_zip_members(
    url, directory, names, *, checksums=None, timeout=60.0, env_var=ENV_VAR
):
    """Download the zip at ``url`` and extract ``names`` into ``directory``.

    Members are found by base name anywhere in the archive. ``checksums``
    maps member names to their expected hex sha256. The zip itself is not
    kept. On any failure every temporary file is removed and no target file
    is created or replaced. ``env_var`` is the environment variable that the
    error messages name as a way to point the loader at a copy.

    Raises
    ------
    ValueError
        If ``url`` is not an http(s) URL.
    OSError
        On a network error, a truncated download, a corrupt archive, a
        missing member or a checksum mismatch (the message says which).
    PermissionError
        If ``directory`` cannot be created or written to.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"Only http(s) URLs can be downloaded, got {url!r}.")
    directory = Path(directory)
    checksums = checksums or {}
    hint = _manual_hint(url, directory, names, env_var)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(directory, exc, env_var) from exc
    temps = []
    try:
        zip_file = _temp_file(directory, "download.zip", env_var)
        temps.append(zip_file.name)
        with zip_file:
            _download(url, zip_file, timeout=timeout, hint=hint)
        extracted = {}
        try:
            with zipfile.ZipFile(zip_file.name) as archive:
                for name in names:
                    info = _find_member(archive, name)
                    if info is None:
                        raise OSError(
                            f"The archive downloaded from {url} does not contain "
                            f"{name}. {hint}"
                        )
                    actual = _extract(archive, info, directory, temps, env_var)
                    extracted[name] = temps[-1]
                    expected = checksums.get(name)
                    if expected is not None and actual != expected.lower():
                        raise OSError(
                            f"Checksum mismatch for {name} in the archive "
                            f"downloaded from {url}: expected sha256 {expected}, "
                            f"got {actual}. {hint}"
                        )
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
            raise OSError(
                f"The archive downloaded from {url} is corrupt ({exc}). {hint}"
            ) from exc
        for name, tmp in extracted.items():
            try:
                os.chmod(tmp, 0o644)
            except OSError:
                pass
            os.replace(tmp, directory / name)
            temps.remove(tmp)
    finally:
        for tmp in temps:
            try:
                os.remove(tmp)
            except OSError:
                pass
