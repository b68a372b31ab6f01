"""Files and buffers: ``save``/``load``/``savez``, text files, and arrays from buffers,
files, iterables and strings.

Reading and writing files is the boundary of the library: bytes on disk are host
memory, and NumPy's readers and writers define the formats and their options. So
these functions are NumPy's own, converting at the edge: npflow arrays leaving are
moved to the host explicitly (``x.to_device("cpu")``) and arrays read in become npflow
arrays on ``device=`` (the default device when omitted) through ``npflow.asarray``.
"""
import collections.abc

import numpy as _np

from .._core import dispatch as _dispatch
from .._core.dispatch import ndarray_type
from .creation import asarray

__all__ = ["save", "load", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt",
           "fromfile", "frombuffer", "fromiter", "fromregex", "fromstring"]


def to_host(x):
    """An npflow array as a NumPy array (moved to the host first); anything else as it is."""
    if isinstance(x, ndarray_type()):
        return _np.asarray(x.to_device("cpu"))
    return x


def from_host(r, device=None):
    """NumPy results (arrays, or tuples/lists of them) as npflow arrays on ``device``."""
    if isinstance(r, (_np.ndarray, _np.generic)):
        return asarray(r, device=device)
    if isinstance(r, (tuple, list)):
        return type(r)(from_host(e, device) for e in r)
    return r


def refuse_tracked(name, xs):
    """For functions without a derivative that read values on the host (a Python function per
    element, raw bytes): an array being differentiated raises, never a silent zero gradient."""
    for x in xs:
        if isinstance(x, ndarray_type()) and _dispatch.tracked_by_active(x):
            from ..autodiff.core import AutodiffError
            raise AutodiffError(f"{name}(): has no derivative, but it was given an array being "
                                f"differentiated ({_dispatch.describe(x)})")


def device_of(*xs):
    """The device of the first npflow array among ``xs`` (None: the default device)."""
    return next((x.device for x in xs if isinstance(x, ndarray_type())), None)


class NpzFile(collections.abc.Mapping):
    """The arrays of an ``.npz`` file, each read (as an npflow array) when first asked for."""

    def __init__(self, npz):
        self._npz = npz
        self.files = npz.files

    def __getitem__(self, key):
        return from_host(self._npz[key])

    def __iter__(self):
        return iter(self.files)

    def __len__(self):
        return len(self.files)

    def close(self):
        self._npz.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"npflow.NpzFile({self._npz.fid!r}, files={self.files})"


def save(file, arr, allow_pickle=True):
    """Write one array to a ``.npy`` file."""
    _np.save(file, to_host(arr), allow_pickle=allow_pickle)


def load(file, mmap_mode=None, allow_pickle=False, fix_imports=True, encoding="ASCII", *,
         max_header_size=10000):
    """Read a ``.npy`` (an npflow array), ``.npz`` (a lazy mapping) or pickle file."""
    r = _np.load(file, mmap_mode=mmap_mode, allow_pickle=allow_pickle, fix_imports=fix_imports,
                 encoding=encoding, max_header_size=max_header_size)
    return NpzFile(r) if isinstance(r, _np.lib.npyio.NpzFile) else from_host(r)


def savez(file, *args, allow_pickle=True, **kwds):
    """Write several arrays to an uncompressed ``.npz`` file."""
    _np.savez(file, *map(to_host, args), allow_pickle=allow_pickle,
              **{k: to_host(v) for k, v in kwds.items()})


def savez_compressed(file, *args, allow_pickle=True, **kwds):
    """Write several arrays to a compressed ``.npz`` file."""
    _np.savez_compressed(file, *map(to_host, args), allow_pickle=allow_pickle,
                         **{k: to_host(v) for k, v in kwds.items()})


def savetxt(fname, X, fmt="%.18e", delimiter=" ", newline="\n", header="", footer="",
            comments="# ", encoding=None):
    """Write a 1-d or 2-d array to a text file."""
    _np.savetxt(fname, to_host(X), fmt=fmt, delimiter=delimiter, newline=newline, header=header,
                footer=footer, comments=comments, encoding=encoding)


def loadtxt(fname, dtype=float, comments="#", delimiter=None, converters=None, skiprows=0,
            usecols=None, unpack=False, ndmin=0, encoding=None, max_rows=None, *, quotechar=None,
            like=None, device=None):
    """Read a text file of numbers into an array on ``device``."""
    return from_host(_np.loadtxt(fname, dtype, comments, delimiter, converters, skiprows, usecols,
                                 unpack, ndmin, encoding, max_rows, quotechar=quotechar), device)


def genfromtxt(fname, dtype=float, comments="#", delimiter=None, skip_header=0, skip_footer=0,
               converters=None, missing_values=None, filling_values=None, usecols=None, names=None,
               excludelist=None, deletechars=" !#$%&'()*+,-./:;<=>?@[\\]^{|}~", replace_space="_",
               autostrip=False, case_sensitive=True, defaultfmt="f%i", unpack=None, usemask=False,
               loose=True, invalid_raise=True, max_rows=None, encoding=None, *, ndmin=0, like=None,
               device=None):
    """Read a text file with missing values into an array on ``device``."""
    if usemask:
        raise TypeError("genfromtxt(): usemask=True gives a masked array, which npflow does not "
                        "have; read with filling_values= instead")
    return from_host(_np.genfromtxt(
        fname, dtype, comments, delimiter, skip_header, skip_footer, converters, missing_values,
        filling_values, usecols, names, excludelist, deletechars, replace_space, autostrip,
        case_sensitive, defaultfmt, unpack, usemask, loose, invalid_raise, max_rows, encoding,
        ndmin=ndmin), device)


def fromregex(file, regexp, dtype, encoding=None):
    """Read the groups of a regular expression's matches in a text file (a structured array)."""
    return from_host(_np.fromregex(file, regexp, dtype, encoding))


def fromfile(file, dtype=None, count=-1, sep="", offset=0, *, like=None, device=None):
    """Read an array from a binary (or, with ``sep``, text) file."""
    return from_host(_np.fromfile(file, dtype, count, sep, offset), device)


def frombuffer(buffer, dtype=None, count=-1, offset=0, *, like=None, device=None):
    """A 1-d array over a buffer's memory (on the CPU without a copy, as NumPy)."""
    refuse_tracked("frombuffer", (buffer,))
    return from_host(_np.frombuffer(to_host(buffer), dtype, count, offset), device)


def fromiter(iter, dtype, count=-1, *, like=None, device=None):
    """A 1-d array of the values of an iterable."""
    return from_host(_np.fromiter(iter, dtype, count), device)


def fromstring(string, dtype=float, count=-1, *, sep, like=None, device=None):
    """A 1-d array of the numbers in a string separated by ``sep``."""
    return from_host(_np.fromstring(string, dtype, count, sep=sep), device)

