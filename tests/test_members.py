"""npflow.ndarray's members are numpy.ndarray's (enumerated at run time, exclusions listed with
their reasons), with NumPy's results; views as NumPy's subclasses; the buffer protocol."""
import ctypes
import hashlib
import io
import pickle
import struct

import numpy as onp
import pytest

import npflow as nf
from support import assert_same, ids, make, same_outcome

# numpy.ndarray members npflow.ndarray leaves out -> why
EXCLUDED_MEMBERS = {
    "resize": "reallocates the memory in place, under NumPy views npflow cannot count "
              "(numpy.asarray(x), memoryview(x) hold x, not a buffer npflow could move); "
              "npflow.resize(x, shape) returns a new array",
    "__setstate__": "npflow arrays pickle by __reduce__ (data and device), not NumPy's state tuple",
    "__array_struct__": "NumPy converts an object through the buffer protocol (which npflow "
                        "arrays export on the CPU) before __array_struct__/__array_interface__; "
                        "where the buffer cannot say the dtype (records, datetimes) __array__ "
                        "gives x's own array, which an interface would replace by a copy of the "
                        "description (dtype metadata lost)",
    "__array_interface__": "as __array_struct__ (numpy.asarray(x).__array_interface__ has it)",
}
OBJECT = set(dir(object))


def _members(cls):
    return {n for n in dir(cls) if n not in OBJECT}


@pytest.mark.parametrize("theirs,ours,excluded", [(onp.ndarray, nf.ndarray, EXCLUDED_MEMBERS),
                                                  (onp.flatiter, nf.flatiter, {})],
                         ids=["ndarray", "flatiter"])
def test_every_numpy_member_is_there_or_excluded(theirs, ours, excluded):
    missing = sorted(_members(theirs) - _members(ours) - set(excluded))
    assert not missing, f"numpy.{theirs.__name__} members missing from npflow: {missing}"
    for name, reason in excluded.items():
        assert name in _members(theirs) and name not in _members(ours) and len(reason.split()) > 3


def _flat_walk(a):
    f = a.flat
    first = (next(f), next(f), f.index, f.coords)
    return first + (len(list(f)), f.index, f.coords, iter(f) is f)


# (label, call on an array): the same call on NumPy's and npflow's array gives the same result
# or the same exception type. In-place members return the array they changed.
MEMBERS = [
    ("choose", lambda a: (abs(a) > 1).astype(int).choose([a, -a])),
    ("choose-clip", lambda a: abs(a).astype(int).choose([a, 2 * a, 3 * a], mode="clip")),
    ("choose-raise", lambda a: (abs(a) + 5).astype(int).choose([a, -a])),
    ("compress", lambda a: a.compress([True, False, True], axis=1)),
    ("compress-flat", lambda a: a.compress([False, True])),
    ("put", lambda a: (a.put([0, 4], [9, 8]), a)[1]),
    ("put-clip", lambda a: (a.put([0, 40], [9, 8], mode="clip"), a)[1]),
    ("partition", lambda a: (a.partition(1, axis=1), a)[1] if a.dtype.kind != "c" else a),
    ("argpartition", lambda a: a.argpartition(1, axis=0) if a.dtype.kind != "c" else a),
    ("tobytes", lambda a: a.tobytes()),
    ("tobytes-F-view", lambda a: a[:, ::2].tobytes("F")),
    ("byteswap", lambda a: a.byteswap()),
    ("byteswap-inplace", lambda a: (a.byteswap(True), a)[1]),
    ("getfield", lambda a: a.getfield(onp.int16, 2)),
    ("getfield-too-far", lambda a: a.getfield(onp.int64, a.itemsize)),
    ("setfield", lambda a: (a.setfield(7, onp.int8, 1), a)[1]),
    ("setflags-read-only", lambda a: (a.setflags(write=False), a.__setitem__(0, 1))),
    ("setflags-flag", lambda a: (a.setflags(write=False), a.flags.writeable)[1]),
    ("dumps", lambda a: pickle.loads(a.dumps())),
    ("view-dtype", lambda a: a.view(onp.uint8)),
    ("view-dtype-keyword", lambda a: a.view(dtype=onp.int16)),
    ("view-dtype-and-type", lambda a: a.view(onp.uint8, type(a)).shape),
    ("data", lambda a: (a.data.format, a.data.shape, a.data.strides, a.data.readonly, a.data.tobytes())),
    ("data-view", lambda a: a[:, ::2].data.tolist()),
    ("array-wrap", lambda a: a.__array_wrap__(onp.arange(3.0))),
    ("delitem", lambda a: a.__delitem__(0)),
    ("class-getitem", lambda a: type(a)[float].__args__),
    ("flat-walk", _flat_walk),
    ("flat-base", lambda a: a.flat.base is a),
    ("flat-copy", lambda a: a.flat.copy()),
    ("flat-compare", lambda a: a.flat == a[0, 0]),
    ("flat-assign", lambda a: (a.flat.__setitem__(slice(1, 3), 5), a)[1]),
    ("flat-array", lambda a: onp.asarray(a.flat).tolist()),
    ("flat-delitem", lambda a: a.flat.__delitem__(0)),
]
DTYPES = [onp.bool_, onp.int32, onp.float64, onp.complex128]


@pytest.mark.parametrize("dtype", DTYPES, ids=ids(DTYPES))
@pytest.mark.parametrize("label,call", MEMBERS, ids=[m[0] for m in MEMBERS])
def test_members_as_numpy(label, call, dtype):
    same_outcome(call, call, make((2, 3), dtype, low=-3, high=3))


def test_tofile_and_dump_write_numpy_s_bytes(tmp_path):
    xn = make((2, 3), onp.float64)
    x = nf.asarray(xn)
    x.tofile(tmp_path / "a.bin")
    xn.tofile(tmp_path / "b.bin")
    x.tofile(tmp_path / "a.txt", sep=",")
    xn.tofile(tmp_path / "b.txt", sep=",")
    for a, b in (("a.bin", "b.bin"), ("a.txt", "b.txt")):
        assert (tmp_path / a).read_bytes() == (tmp_path / b).read_bytes()
    x.dump(tmp_path / "x.pkl")
    assert_same(pickle.loads((tmp_path / "x.pkl").read_bytes()), xn)


# -- views as NumPy's classes ------------------------------------------------------------------
class Tagged(onp.ndarray):
    """A user subclass: __array_finalize__ copies the tag, as NumPy's documentation shows."""

    def __array_finalize__(self, obj):
        self.tag = getattr(obj, "tag", "finalized")


VIEWS = [
    ("ndarray", (onp.ndarray,), {}),
    ("ndarray-keyword", (), {"type": onp.ndarray}),
    ("subclass", (Tagged,), {}),
    ("masked", (onp.ma.MaskedArray,), {}),
    ("dtype-and-type", (onp.int32, onp.ndarray), {}),
    ("dtype-and-type-keywords", (), {"dtype": onp.uint8, "type": Tagged}),
    ("matrix", (onp.matrix,), {}),
]


@pytest.mark.parametrize("label,args,kwargs", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_as_a_numpy_class_shares_memory(label, args, kwargs):
    """x.view(numpy.ndarray or a subclass) is NumPy's: an array of that class (its
    __array_finalize__ run) on x's memory, as NumPy code expects."""
    xn = make((2, 4), onp.float64)
    x = nf.asarray(xn.copy())
    ours, theirs = x.view(*args, **kwargs), xn.view(*args, **kwargs)
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert getattr(ours, "tag", None) == getattr(theirs, "tag", None)
    onp.testing.assert_array_equal(onp.asarray(ours), onp.asarray(theirs))
    onp.asarray(ours).flat[0] = 123
    assert x.view(ours.dtype, onp.ndarray).flat[0] == 123


def test_view_with_a_bad_type_raises_as_numpy():
    for a in (onp.zeros(2), nf.zeros(2)):
        with pytest.raises(ValueError, match="sub-type of ndarray"):
            a.view(type=int)
        assert a.view(onp.int64, onp.ndarray).dtype == onp.int64  # (a dtype first, then the type)
    with pytest.raises(ValueError, match="Variable"):  # not a view type: a subclass of npflow's
        nf.zeros(2).view(nf.Variable)


def test_view_as_npflow_ndarray_is_an_npflow_view():
    x = nf.arange(4.0)
    v = x.view(nf.ndarray)
    assert type(v) is nf.ndarray and v.base is not None
    v[0] = 9
    assert float(x[0]) == 9


def test_host_memory_members_on_another_device():
    x = nf.arange(4.0, device="sim")
    for get in (lambda: x.view(onp.ndarray), lambda: x.data, lambda: x.ctypes,
                lambda: x.setflags(write=False)):
        with pytest.raises(BufferError, match="sim"):
            get()
    assert onp.asarray(x).tolist() == [0, 1, 2, 3]
    assert x.tobytes() == onp.arange(4.0).tobytes()


# -- memory export: the buffer protocol ---------------------------------------------------------
PURE = nf._core.dispatch._fastpath is None  # (Python 3.11's classes cannot export a buffer)
# (label, consumer of an array's buffer): the same result or exception on NumPy's and npflow's
BUFFER_CONSUMERS = [
    ("memoryview", lambda a: (lambda m: (m.format, m.shape, m.strides, m.itemsize, m.readonly,
                                         m.tobytes(), m.tolist()))(memoryview(a))),
    ("bytes", bytes),
    ("bytearray", bytearray),
    ("md5", lambda a: hashlib.md5(a).hexdigest()),  # (C-contiguous only: BufferError otherwise)
    ("frombuffer", lambda a: onp.frombuffer(a, dtype=onp.uint8).tolist()),
    ("struct", lambda a: struct.unpack_from("2B", a, 1)),
    ("readinto", lambda a: (io.BytesIO(bytes(range(a.nbytes))).readinto(a), a)[1]),
    ("cast-write", lambda a: (memoryview(a).cast("B").__setitem__(0, 7), a)[1]),
    ("file-write", lambda a: (lambda f: (f.write(a), f.getvalue()))(io.BytesIO())),
]
LAYOUTS = [("contiguous", lambda a: a), ("strided", lambda a: a[:, ::2]),
           ("transposed", lambda a: a.T), ("element", lambda a: a[1, 1]), ("empty", lambda a: a[:0])]


@pytest.mark.parametrize("dtype", DTYPES + [onp.float16, onp.uint64], ids=ids(DTYPES + [onp.float16, onp.uint64]))
@pytest.mark.parametrize("layout,view", LAYOUTS, ids=[v[0] for v in LAYOUTS])
@pytest.mark.parametrize("label,consume", BUFFER_CONSUMERS, ids=[c[0] for c in BUFFER_CONSUMERS])
def test_buffer_protocol_as_numpy(label, consume, layout, view, dtype):
    """memoryview(x), hashlib, bytes(x), file.write(x), readinto(x): x's memory as NumPy's array
    exports it (the C accelerator's; the pure build on Python 3.11 has no buffer: TypeError)."""
    xn = make((2, 4), dtype, low=-3, high=3)
    if PURE:
        with pytest.raises(TypeError):
            memoryview(view(nf.asarray(xn)))
        return
    same_outcome(lambda a: consume(view(a)), lambda a: consume(view(a)), xn)


@pytest.mark.skipif(PURE, reason="the pure build exports no buffer (test_buffer_protocol_as_numpy)")
def test_buffer_exporter_and_refusals():
    """memoryview(x).obj is x's NumPy array (so dispatch.root_of finds x's memory through the arrays
    NumPy makes over the buffer);
    no buffer where the format cannot say the dtype (records, datetimes: numpy.asarray(x) takes
    __array__) or off the CPU."""
    x = nf.arange(6.0)
    assert memoryview(x).obj is x._data and onp.asarray(x).base.obj is x._data
    assert onp.asarray(x).flags.writeable and onp.shares_memory(onp.asarray(x), x.data)
    for dt in (onp.dtype([("a", "i1"), ("b", "f8")]), onp.dtype("V8"), onp.dtype("M8[s]"),
               onp.dtype(float, metadata={"unit": "m"})):
        y = nf.asarray(onp.zeros(3, dt))
        with pytest.raises((BufferError, ValueError)):
            memoryview(y)
        h = onp.asarray(y)
        assert h.dtype == dt and h.dtype.metadata == dt.metadata and h is onp.asarray(y)  # x's own
    with pytest.raises(BufferError, match="sim"):
        memoryview(nf.arange(3.0, device="sim"))


def test_x_data_is_numpy_s_memoryview():
    xn = make((2, 3), onp.float64)
    x = nf.asarray(xn.copy())
    assert hashlib.md5(x.data).hexdigest() == hashlib.md5(xn).hexdigest()
    x.data[0, 1] = 5.0  # (a write through it is shared)
    assert float(x[0, 1]) == 5.0
    x.setflags(write=False)
    assert x.data.readonly


def test_exported_memory_is_read_only_while_a_trace_is_active():
    """A write through x.data, memoryview(x) or numpy.asarray(x) would bypass the tapes' record of
    in-place writes, so while any trace is active they are read-only (a writable buffer is refused
    with BufferError, and a NumPy view of an array being differentiated is refused): the gradient
    stays right or raises."""
    seen = []

    def f(x):
        seen.append(x.data.readonly)
        with pytest.raises(TypeError, match="differentiated"):
            x.view(onp.ndarray)
        if not PURE:
            seen.extend([memoryview(x).readonly, not onp.asarray(x).flags.writeable])
            for write in (ctypes.c_char.from_buffer, io.BytesIO(bytes(24)).readinto):
                with pytest.raises(TypeError, match="writable|read-write"):  # (their words)
                    write(x)
        with pytest.raises(ValueError, match="read-only"):
            onp.asarray(x.data)[0] = 1.0
        return nf.sum(x * x)

    assert nf.grad(f)(nf.arange(3.0)).tolist() == [0, 2, 4] and all(seen) and seen
    x = nf.arange(3.0)
    assert not x.data.readonly and (PURE or not memoryview(x).readonly)  # writable again after
