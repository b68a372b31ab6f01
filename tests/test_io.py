"""File and buffer I/O against NumPy: the same files read back the same, as npflow arrays."""
import io

import numpy as onp
import pytest

import npflow as nf
from support import ALL_DTYPES, DEVICES, SHAPES, assert_same, ids, make, outcomes

TEXT = "# header\n1,2.5,3\n4,,6\n7,8,nan\n"


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_save_load_roundtrip(tmp_path, shape, dtype):
    x = make(shape, dtype)
    nf.save(tmp_path / "a.npy", nf.asarray(x))
    assert_same(nf.load(tmp_path / "a.npy"), onp.load(tmp_path / "a.npy"))
    assert_same(nf.load(tmp_path / "a.npy"), x)


@pytest.mark.parametrize("device", DEVICES)
def test_save_from_a_device_and_load_onto_default(tmp_path, device):
    x = nf.arange(6.0, device=device).reshape(2, 3)
    nf.save(tmp_path / "a.npy", x)
    with nf.default_device(device):
        y = nf.load(tmp_path / "a.npy")
    assert y.device == nf.Device(device)
    assert_same(y.to_device("cpu"), onp.arange(6.0).reshape(2, 3))


def test_load_refuses_pickles_by_default(tmp_path):
    onp.save(tmp_path / "o.npy", onp.array([{"a": 1}, None], dtype=object))
    assert outcomes(lambda m: m.load(tmp_path / "o.npy")) is None  # NumPy's ValueError
    assert nf.load(tmp_path / "o.npy", allow_pickle=True).tolist() == [{"a": 1}, None]
    assert outcomes(lambda m: m.load(tmp_path / "missing.npy")) is None  # FileNotFoundError


@pytest.mark.parametrize("save", ["savez", "savez_compressed"])
def test_npz_is_a_lazy_mapping_of_npflow_arrays(tmp_path, save):
    a, b = make((2, 3), onp.float32), make((4,), onp.int16)
    getattr(nf, save)(tmp_path / "f.npz", nf.asarray(a), b=nf.asarray(b, device="sim"))
    with nf.load(tmp_path / "f.npz") as f, onp.load(tmp_path / "f.npz") as g:
        assert sorted(f) == sorted(g.files) == ["arr_0", "b"] and len(f) == 2 and "b" in f
        for k in g.files:
            assert_same(f[k], g[k])
        assert_same(dict(f.items())["b"], b)
    with pytest.raises(KeyError):
        nf.load(tmp_path / "f.npz")["c"]


@pytest.mark.parametrize("kw", [{}, {"delimiter": ",", "fmt": "%d"}, {"header": "h", "footer": "f"}],
                         ids=str)
@pytest.mark.parametrize("x", [make((3, 4), onp.int32), make((5,), onp.float64)], ids=["2d", "1d"])
def test_savetxt_writes_numpys_text(x, kw):
    got, want = io.StringIO(), io.StringIO()
    nf.savetxt(got, nf.asarray(x, device="sim"), **kw)
    onp.savetxt(want, x, **kw)
    assert got.getvalue() == want.getvalue()


LOADTXT = [
    ("1 2 3\n4 5 6\n", {}),
    ("1,2\n3,4\n5,6\n", {"delimiter": ",", "dtype": onp.int8}),
    ("1 2 3\n4 5 6\n", {"unpack": True, "usecols": (0, 2)}),
    ("1 2 3\n", {"ndmin": 2, "dtype": onp.complex64}),
    ("x 1\n2 3\n", {"skiprows": 1, "max_rows": 1}),
    ("a 1\nb 2\n", {"dtype": [("name", "U1"), ("n", "i4")]}),
    ("1 2\n3\n", {}),  # ragged: NumPy's ValueError
]


@pytest.mark.parametrize("text,kw", LOADTXT, ids=[str(kw) for _, kw in LOADTXT])
def test_loadtxt(text, kw):
    res = outcomes(lambda m: m.loadtxt(io.StringIO(text), **kw))
    if res:
        assert_same(*res)


GENFROMTXT = [
    {"delimiter": ","},
    {"delimiter": ",", "filling_values": -1.0},
    {"delimiter": ",", "skip_header": 2, "usecols": (0, 2)},
    {"delimiter": ",", "names": "a,b,c"},
    {"delimiter": ",", "dtype": None, "skip_footer": 1},
]


@pytest.mark.parametrize("kw", GENFROMTXT, ids=str)
def test_genfromtxt(kw):
    got, want = nf.genfromtxt(io.StringIO(TEXT), **kw), onp.genfromtxt(io.StringIO(TEXT), **kw)
    if want.dtype.names:  # records with NaNs: compared bit for bit
        assert isinstance(got, nf.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        assert onp.asarray(got).tobytes() == want.tobytes()
    else:
        assert_same(got, want)


def test_genfromtxt_refuses_masked_arrays():
    with pytest.raises(TypeError, match="genfromtxt"):
        nf.genfromtxt(io.StringIO(TEXT), delimiter=",", usemask=True)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("read", [
    lambda m, **d: m.loadtxt(io.StringIO("1 2\n3 4\n"), **d),
    lambda m, **d: m.genfromtxt(io.StringIO("1 2\n3 4\n"), **d),
    lambda m, **d: m.fromstring("1 2 3", sep=" ", **d),
    lambda m, **d: m.fromiter(range(4), float, **d),
    lambda m, **d: m.frombuffer(b"\x01\x02\x03\x04", onp.uint8, **d),
], ids=["loadtxt", "genfromtxt", "fromstring", "fromiter", "frombuffer"])
def test_readers_create_on_device(read, device):
    got = read(nf, device=device)
    assert got.device == nf.Device(device)
    assert_same(got.to_device("cpu"), read(onp))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
def test_fromfile_and_frombuffer(tmp_path, dtype):
    x = make((7,), dtype)
    x.tofile(tmp_path / "x.bin")
    for kw in ({}, {"count": 3}, {"offset": x.itemsize}):
        path = tmp_path / "x.bin"
        assert_same(nf.fromfile(path, dtype, **kw), onp.fromfile(path, dtype, **kw))
        assert_same(nf.frombuffer(x.tobytes(), dtype, **kw), onp.frombuffer(x.tobytes(), dtype, **kw))


def test_fromfile_text_and_errors(tmp_path):
    (tmp_path / "t.txt").write_text("1.5, 2, 3")
    assert_same(nf.fromfile(tmp_path / "t.txt", sep=","), onp.fromfile(tmp_path / "t.txt", sep=","))
    assert outcomes(lambda m: m.frombuffer(b"\x01\x02\x03", onp.int16)) is None  # ValueError
    assert outcomes(lambda m: m.fromiter(iter([1, 2]), int, count=5)) is None  # ValueError


def test_frombuffer_views_the_buffer_as_numpy():
    buf = bytearray(8)
    x = nf.frombuffer(buf, onp.uint8)
    buf[3] = 7
    assert int(x[3]) == 7
    y = nf.frombuffer(nf.arange(4, dtype=onp.int16), onp.uint8)  # an npflow array's bytes
    assert_same(y, onp.frombuffer(onp.arange(4, dtype=onp.int16), onp.uint8))


def test_frombuffer_refuses_an_array_being_differentiated():
    with pytest.raises(nf.autodiff.core.AutodiffError, match="frombuffer"):
        nf.grad(lambda x: nf.sum(nf.frombuffer(x, onp.float64)))(nf.asarray([1.0, 2.0]))


@pytest.mark.parametrize("args", [
    (iter([1.5, 2.5]), float), ((i * i for i in range(5)), onp.int8, 3),
    (iter([(1, 2.0), (3, 4.0)]), [("a", "i4"), ("b", "f8")]), ([1j, 2], complex),
], ids=["float", "count", "structured", "complex"])
def test_fromiter(args):
    items = list(args[0])
    res = outcomes(lambda m: m.fromiter(iter(items), *args[1:]))
    assert_same(*res)


def test_fromiter_takes_npflow_scalars():
    assert_same(nf.fromiter(iter(nf.arange(3.0)), float), onp.arange(3.0))


@pytest.mark.parametrize("text,kw", [("1 2 3", {"sep": " "}), ("1,2,x", {"sep": ","}),
                                     ("4;5", {"sep": ";", "dtype": onp.int32}),
                                     ("1 2 3 4", {"sep": " ", "count": 2})], ids=str)
def test_fromstring(text, kw):
    res = outcomes(lambda m: m.fromstring(text, **kw))
    if res:
        assert_same(*res)


def test_fromregex(tmp_path):
    (tmp_path / "r.txt").write_text("a=1 b=2.5\na=3 b=4.5\n")
    dt = [("a", onp.int64), ("b", onp.float64)]
    got = nf.fromregex(tmp_path / "r.txt", r"a=(\d+) b=([\d.]+)", dt)
    assert_same(got, onp.fromregex(tmp_path / "r.txt", r"a=(\d+) b=([\d.]+)", dt))
