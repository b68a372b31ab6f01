"""The Dask device (issue 16): differential tests against the CPU device, op family by op
family, on several chunk layouts; laziness (building a result computes nothing; float, bool,
printing, numpy.asarray, item and npflow.compute do); unknown (NaN) shapes; and the clear
error of every op Dask cannot run."""
import os
import pickle

import numpy as onp
import pytest

import npflow as nf
from support import assert_same

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
from dask.callbacks import Callback  # noqa: E402
from npflow._backends.dask_backend import DaskUnsupportedError, UnknownShapeError  # noqa: E402

RTOL = 1e-12
# chunk layouts of the (6, 4) operands: one chunk, ragged chunks, chunks along each axis
LAYOUTS = {"one": -1, "ragged": ((4, 2), (3, 1)), "axis0": ((2, 2, 2), 4), "axis1": (6, (1, 3))}
SQUARE = {"one": -1, "ragged": ((3, 1), (3, 1)), "axis0": ((2, 2), 4), "axis1": (4, (2, 2))}  # (4, 4)
A = onp.random.default_rng(0).uniform(-2, 2, (6, 4))
B = onp.random.default_rng(1).uniform(-2, 2, (6, 4))
SPD = A.T @ A + 4 * onp.eye(4)


class Computes(Callback):
    """Counts the computations Dask's local schedulers run while it is active."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def _start(self, dsk):
        self.n += 1


def on_dask(x, layout):
    chunks = {A.shape: LAYOUTS, (4, 4): SQUARE}[x.shape][layout]
    return nf.asarray(x, device="dask", chunks=chunks)


def case(family, name, fn, *args, only=None, rtol=RTOL):
    """``fn(*args)``: ``args`` NumPy arrays; ``only``: the layouts Dask runs it on (on the
    others it must raise a clear error naming the op)."""
    return pytest.param(fn, args or (A,), only, rtol, id=f"{family}-{name}")


CASES = [
    # elementwise: ufuncs, operators, where/clip, mixed with Python scalars and NumPy arrays
    case("elementwise", "sin", nf.sin), case("elementwise", "exp-log1p", lambda x: nf.log1p(nf.exp(x))),
    case("elementwise", "ops", lambda x, y: (x + y) * x - y / (1 + x * x) ** 2, A, B),
    case("elementwise", "compare", lambda x, y: (x > y) & (x < 1), A, B),
    case("elementwise", "where", lambda x, y: nf.where(x > 0, x, y), A, B),
    case("elementwise", "clip", lambda x: nf.clip(x, -1, 0.5)),
    case("elementwise", "maximum-numpy", lambda x: nf.maximum(x, onp.linspace(0, 1, 4))),
    case("elementwise", "broadcast", lambda x: x - x[:, :1]),
    case("elementwise", "astype", lambda x: (x * 10).astype(onp.int32) % 3),
    case("elementwise", "floor_divide", lambda x: (x // 0.3, nf.inf // (x + 3), x // nf.inf)),
    case("elementwise", "tanh-abs-sign", lambda x: nf.tanh(x) * nf.abs(x) + nf.sign(x)),
    # reductions
    case("reductions", "sum", lambda x: nf.sum(x)), case("reductions", "sum-axis0", lambda x: x.sum(axis=0)),
    case("reductions", "mean-axis1-keepdims", lambda x: nf.mean(x, axis=1, keepdims=True)),
    case("reductions", "std-var", lambda x: (nf.std(x, axis=0), nf.var(x, ddof=1))),
    case("reductions", "min-max-prod", lambda x: (x.min(axis=1), nf.max(x), nf.prod(x, axis=0))),
    case("reductions", "argmin-argmax", lambda x: (nf.argmin(x, axis=0), nf.argmax(x, axis=1))),
    case("reductions", "any-all", lambda x: (nf.any(x > 1.5, axis=0), nf.all(x > -1.9))),
    case("reductions", "cumsum", lambda x: nf.cumsum(x, axis=1)),
    case("reductions", "add-reduce", lambda x: nf.add.reduce(x, axis=0)),
    case("reductions", "nansum", lambda x: nf.nansum(nf.where(x > 1, nf.nan, x), axis=0)),
    case("reductions", "logsumexp-like", lambda x: nf.log(nf.sum(nf.exp(x - nf.max(x))))),
    case("reductions", "median-axis0", lambda x: nf.median(x, axis=0)),
    # products
    case("products", "matmul", lambda x, y: x @ y.T, A, B), case("products", "matvec", lambda x: x @ x[0]),
    case("products", "dot", lambda x, y: nf.dot(x.T, y), A, B),
    case("products", "tensordot", lambda x, y: nf.tensordot(x, y, axes=([0], [0])), A, B),
    case("products", "einsum", lambda x, y: nf.einsum("ij,ij->i", x, y), A, B),
    case("products", "outer", lambda x: nf.outer(x[0], x[:, 1])),
    case("products", "vecdot", lambda x, y: nf.vecdot(x, y), A, B),
    # indexing
    case("indexing", "slices", lambda x: x[1:5:2, ::-1]), case("indexing", "int", lambda x: x[3]),
    case("indexing", "newaxis-ellipsis", lambda x: x[None, ..., 2]),
    case("indexing", "int-array", lambda x: x[[0, 5, 2]]), case("indexing", "take", lambda x: nf.take(x, [3, 0], axis=1)),
    case("indexing", "mask-sum", lambda x: nf.sum(x[x > 0])),
    # manipulation
    case("manipulation", "reshape", lambda x: nf.reshape(x, (24,))),
    case("manipulation", "transpose", lambda x: x.T), case("manipulation", "ravel", nf.ravel),
    case("manipulation", "concatenate", lambda x, y: nf.concatenate([x, y], axis=1), A, B),
    case("manipulation", "stack", lambda x, y: nf.stack([x, y]), A, B),
    case("manipulation", "expand-squeeze", lambda x: nf.squeeze(nf.expand_dims(x, 1), 1)),
    case("manipulation", "flip-roll", lambda x: nf.roll(nf.flip(x, 0), 2, axis=1)),
    case("manipulation", "broadcast_to", lambda x: nf.broadcast_to(x[0], (3, 4))),
    case("manipulation", "moveaxis", lambda x: nf.moveaxis(x[None], 0, 2)),
    case("manipulation", "repeat-tile", lambda x: (nf.repeat(x, 2, axis=0), nf.tile(x, (1, 2)))),
    case("manipulation", "pad", lambda x: nf.pad(x, 1)), case("manipulation", "diff", lambda x: nf.diff(x, axis=0)),
    case("manipulation", "tril-triu", lambda x: nf.tril(x) + nf.triu(x, 1)),
    # linalg, where Dask has it (its algorithms need chunk layouts of their own)
    case("linalg", "norm", lambda x: (nf.linalg.norm(x), nf.linalg.norm(x, axis=0))),
    case("linalg", "qr", lambda x: nf.abs(nf.linalg.qr(x)[1]), only={"one", "axis0"}),
    case("linalg", "svd", lambda x: nf.linalg.svd(x, full_matrices=False, compute_uv=False),
         only={"one", "axis0", "axis1"}),
    # (LU and Cholesky need every chunk square)
    case("linalg", "solve", lambda m, b: nf.linalg.solve(m, b), SPD, A[:4], only={"one"}),
    case("linalg", "cholesky", nf.linalg.cholesky, SPD, only={"one"}),
    case("linalg", "inv", nf.linalg.inv, SPD, only={"one"}, rtol=1e-10),
    case("linalg", "lstsq", lambda x, y: nf.linalg.lstsq(x, y[:, 0])[0], A, B, only={"one", "axis0"},
         rtol=1e-10),
    # fft: along an axis that is one chunk
    case("fft", "fft-axis0", lambda x: nf.fft.fft(x, axis=0), only={"one", "axis1"}),
    case("fft", "rfft-axis1", lambda x: nf.fft.rfft(x, axis=1), only={"one", "axis0"}),
    # creation on the device, and *_like of Dask arrays
    case("creation", "like", lambda x: (nf.zeros_like(x), nf.ones_like(x[0]), nf.full_like(x, 2.5))),
    case("creation", "arange-linspace", lambda x: x[0] * nf.arange(4, device=x.device)
         + nf.linspace(0, 1, 4, device=x.device)),
]


def _leaves(r):
    return [e for v in r for e in _leaves(v)] if isinstance(r, (tuple, list)) else [r]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("fn,args,only,rtol", CASES)
def test_same_as_cpu(fn, args, only, rtol, layout):
    """The op on Dask-device arrays builds a graph (nothing computed), on the Dask device, and
    its values, dtype and shape are the CPU device's."""
    expected = fn(*(nf.asarray(a) for a in args))
    dargs = [on_dask(a, layout) for a in args]
    with Computes() as c:
        if only is not None and layout not in only:
            with pytest.raises((ValueError, NotImplementedError), match=r"(?s)\(\): .*rechunk"):
                fn(*dargs)
            return
        got = fn(*dargs)
    assert c.n == 0, "building the result computed something"
    for g, e in zip(_leaves(got), _leaves(expected), strict=True):
        assert g.device == "dask" and isinstance(nf.to_dask(g), da.Array)
        assert_same(g.to_device("cpu"), onp.asarray(e), rtol=rtol, atol=RTOL)


# -- what computes -------------------------------------------------------------------------------
X = nf.asarray(A, device="dask", chunks=(3, 2))
CONVERSIONS = [("float", lambda s, v: float(s) == float(v)), ("bool", lambda s, v: bool(s > 0) == bool(v > 0)),
               ("int", lambda s, v: int(s) == int(v)), ("item", lambda s, v: s.item() == v.item()),
               ("numpy", lambda s, v: onp.asarray(s) == v), ("str", lambda s, v: str(s) == str(v)),
               ("repr", lambda s, v: repr(s) == repr(v)[:-1] + ", device='dask')"),
               ("format", lambda s, v: f"{s:.3f}" == f"{v:.3f}"),
               ("tolist", lambda s, v: s.tolist() == v.tolist())]


@pytest.mark.parametrize("name,check", CONVERSIONS, ids=[c[0] for c in CONVERSIONS])
def test_conversions_compute(name, check):
    s = nf.sum(X * X)
    with Computes() as c:
        assert check(s, onp.asarray(nf.sum(nf.asarray(A) ** 2)))
    assert c.n >= 1


def test_item_and_printing_compute_only_what_they_show():
    assert X.item(5) == A.flat[5] and X.item((2, 3)) == A[2, 3]
    assert str(X) == str(A) and X[1].tolist() == A[1].tolist()
    big = nf.zeros((3000, 3000), device="dask")  # printing it would compute 72 MB: it says so
    with Computes() as c:
        text = repr(big)
    assert c.n == 0 and "shape=(3000, 3000)" in text and "not computed" in text and str(big) == text


def test_compute_evaluates_several_results_in_one_pass_sharing_work():
    runs = []

    def expensive(block):
        runs.append(block.shape)
        return block * 2

    y = nf.from_dask(da.from_array(A, chunks=(3, 2)).map_blocks(expensive, meta=A[:0]))
    with Computes() as c:
        s, m, first = nf.compute(nf.sum(y), nf.mean(y, axis=0), y[0])
    assert c.n == 1 and len(runs) == 4  # one pass, each chunk computed once for all three
    assert all(r.device == "cpu" for r in (s, m, first))
    assert_same(s, onp.sum(2 * A), rtol=RTOL)
    assert_same(m, onp.mean(2 * A, axis=0), rtol=RTOL)
    assert_same(first, 2 * A[0])
    assert nf.compute(nf.asarray(A), 3)[1] == 3  # other devices' arrays and other values too


def test_persist_keeps_the_chunks_in_memory():
    runs = []
    y = nf.from_dask(da.from_array(A, chunks=(3, 2)).map_blocks(lambda b: runs.append(1) or b + 1,
                                                                 meta=A[:0]))
    p = y.persist()
    n = len(runs)
    assert n == 4 and p.device == "dask" and p.chunks == ((3, 3), (2, 2))
    assert_same(nf.sum(p).to_device("cpu"), onp.sum(A + 1), rtol=RTOL)
    assert_same((p * 2).to_device("cpu"), 2 * (A + 1))
    assert len(runs) == n  # later results start from the persisted chunks
    assert nf.persist(nf.asarray(A)).device == "cpu"  # elsewhere: the array itself


def test_in_and_out_of_dask():
    d = da.from_array(A, chunks=2)
    x = nf.from_dask(d)
    assert x.device == "dask" and x.chunks == d.chunks and x.shape == A.shape and x.dtype == A.dtype
    back = nf.to_dask(x * 2)
    assert type(back) is da.Array and onp.array_equal(back.compute(), 2 * A)
    assert nf.to_dask(x).name == d.name  # the same graph, not a copy
    assert x.rechunk((3, 4)).chunks == ((3, 3), (4,)) and nf.asarray(A).chunks is None
    assert nf.asarray(x, device="dask", chunks=3).chunks == ((3, 3), (3, 1))
    assert_same(x.to_device("cpu"), A)
    assert_same(nf.asarray(A).to_device("dask").to_device("sim").to_device("cpu"), A)
    for bad, exc in [(lambda: nf.from_dask(A), TypeError), (lambda: nf.to_dask(nf.asarray(A)), TypeError),
                     (lambda: nf.asarray(A, chunks=2), ValueError)]:
        with pytest.raises(exc, match="(from_dask|to_dask|asarray)\\(\\).*(dask|Dask)"):
            bad()


def test_writes_through_to_device_do_not_reach_dask_chunks():
    host = A.copy()
    x = nf.asarray(host).to_device("dask")
    host[0, 0] = 99.0
    assert float(x[0, 0]) == A[0, 0]


def test_arrays_pickle_as_graphs():
    y = nf.from_dask(da.from_array(A, chunks=3).map_blocks(onp.negative, meta=A[:0]))
    with Computes() as c:
        z = pickle.loads(pickle.dumps(y * 3))
    assert c.n == 0 and z.device == "dask" and nf.to_dask(z).name == nf.to_dask(y * 3).name
    assert_same(z.to_device("cpu"), -3 * A)


# -- unknown shapes ------------------------------------------------------------------------------
def test_unknown_shapes_follow_dask_with_clear_errors():
    m = X[X > 0]
    assert m.device == "dask" and onp.isnan(m.shape[0])
    assert_same(nf.sum(m).to_device("cpu"), onp.sum(A[A > 0]), rtol=RTOL)  # reductions need no shape
    assert_same((m * 2).to_device("cpu"), 2 * A[A > 0])
    with pytest.raises(UnknownShapeError, match=r"reshape\(\): the shape .* unknown .*persist"):
        m.reshape(-1, 1)
    assert isinstance(UnknownShapeError("x"), ValueError)
    known = m.persist()
    assert known.shape == A[A > 0].shape
    assert_same(known.reshape(-1, 1).to_device("cpu"), A[A > 0].reshape(-1, 1))
    u = nf.unique(nf.round(X))
    assert onp.isnan(u.shape[0]) and isinstance(nf.to_dask(u), da.Array)
    assert_same(u.to_device("cpu"), onp.unique(onp.round(A)))


# -- what Dask cannot run ------------------------------------------------------------------------
UNSUPPORTED = [
    ("sort", lambda x: nf.sort(x, axis=0)), ("argsort", lambda x: nf.argsort(x)),
    ("partition", lambda x: nf.partition(x, 1)), ("linalg.det", lambda x: nf.linalg.det(x[:4])),
    ("linalg.eig", lambda x: nf.linalg.eig(x[:4])), ("maximum.accumulate", lambda x: nf.maximum.accumulate(x)),
    ("take_along_axis", lambda x: nf.take_along_axis(x, nf.zeros((6, 1), dtype=int, device="dask"), 1)),
    ("mean", lambda x: nf.mean(x, where=x > 0)), ("multiply.at", lambda x: nf.multiply.at(x, [0], 2.0)),
    ("fill", lambda x: x.fill(0.0)), ("kron", lambda x: nf.kron(x, x)),
]


@pytest.mark.parametrize("name,fn", UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_ops_dask_lacks_raise_naming_the_op_and_what_to_do(name, fn):
    x = nf.asarray(A, device="dask", chunks=3)
    with Computes() as c, pytest.raises(DaskUnsupportedError) as info:
        fn(x)
    assert c.n == 0  # nothing computed: the whole array is never pulled into this process
    msg = str(info.value)
    assert msg.startswith(f"{name}():") and "to_device('cpu')" in msg and "rechunk" in msg
    assert isinstance(info.value, NotImplementedError)


AT_KEYS = [(slice(1, 5), 2), ([0, 0, 5],), (Ellipsis, [1, 1]), (None, Ellipsis, [2, 2, 0]), (3,)]


@pytest.mark.parametrize("key", AT_KEYS, ids=repr)
def test_add_at_accumulates_repeated_indices_lazily(key):
    want = A.copy()
    v = onp.arange(want[key].size, dtype=float).reshape(want[key].shape) + 1
    onp.add.at(want, key, v)
    x = nf.asarray(A, device="dask", chunks=(4, 3))
    with Computes() as c:
        nf.add.at(x, key, nf.asarray(v, device="dask"))
    assert c.n == 0
    assert_same(x.to_device("cpu"), want)


WRITES = [("setitem", lambda y: y.__setitem__(0, 1.0)), ("add.at", lambda y: nf.add.at(y, [0], 1.0)),
          ("add", lambda y: nf.add(y, 1, out=y))]
VIEWS = [("T", lambda x: (x.T, x)), ("slice", lambda x: (x[1:], x)), ("reshape", lambda x: (x.reshape(24), x)),
         ("base", lambda x: (x, x[0]))]


@pytest.mark.parametrize("view,make", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("name,write", WRITES, ids=[w[0] for w in WRITES])
def test_writes_through_views_are_refused(name, write, view, make):
    """On NumPy a write into a view reaches its base (and the other way round); Dask arrays
    share no memory, so such a write would silently differ: it raises instead. A copy, or an
    array no view was taken of, is written as on NumPy."""
    written, other = make(nf.asarray(A, device="dask"))
    with pytest.raises(DaskUnsupportedError, match=rf"^{name}\(\): it writes into an array that shares"):
        write(written)
    y = nf.asarray(A, device="dask").copy()
    write(y)
    expected = nf.asarray(A).copy()  # (the same write on the CPU device)
    write(expected)
    assert_same(y.to_device("cpu"), onp.asarray(expected))


def test_a_kernel_that_would_compute_is_refused():
    """npflow's interp looks its points up with values read on the host (a hidden pass over
    the data in this process): on Dask it is refused, naming the op."""
    with Computes() as c, pytest.raises(DaskUnsupportedError, match=r"^interp_index\(\): .*would compute"):
        nf.interp(X, [0.0, 1.0, 2.0], [0.0, 1.0, 4.0])
    assert c.n == 0


def test_import_npflow_does_not_import_dask():
    from test_devices import run_python
    rc, out = run_python("import sys, npflow as np; np.asarray([1.0]) + 1; "
                         "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    assert rc == 0 and out.strip() == "[]", out


def test_without_dask_the_device_says_how_to_install_it(tmp_path):
    from test_devices import run_python
    (tmp_path / "dask").mkdir()
    (tmp_path / "dask" / "__init__.py").write_text("raise ImportError('no dask here')\n")
    rc, out = run_python("import npflow as np\ntry:\n    np.asarray([1.0], device='dask')\n"
                         "except np.BackendUnavailableError as e:\n    print('ok', e)",
                         path=[str(tmp_path)])
    assert rc == 0 and out.startswith("ok") and "npflow[dask]" in out, out


@pytest.mark.skipif(not os.environ.get("NPFLOW_FAKE_CUPY"), reason="CuPy chunks: NPFLOW_FAKE_CUPY=1 "
                    "(or a GPU) runs it")
def test_cuda_arrays_become_dask_arrays_of_gpu_chunks():
    g = nf.asarray(A, device="cuda")
    x = g.to_device("dask")
    assert isinstance(nf.to_dask(x)._meta, nf.Device("cuda").backend.array_type)
    assert_same(nf.sum(x * 2).to_device("cuda").to_device("cpu"), onp.sum(2 * A), rtol=RTOL)


# -- benchmarks/dask_bench.py --------------------------------------------------------------------
def test_dask_benchmark_measures_checked_gradients_and_replaces_its_section():
    """The benchmark's rows at a tiny size (its gradients checked against the CPU device's), and
    its section of RESULTS.md replaced in place by `benchmarks/run.py --dask`, or added."""
    from benchmarks import dask_bench
    rows = dask_bench.measure(rows=256, features=3, rounds=1, workers=())
    assert [r[1] for r in rows] == ["-"] + [256, 64, 16, 4, 256] * 2
    table = dask_bench.table(rows)
    assert table.count("\n") == len(rows) + 1 and "dask.array by hand, this process, 1 thread | 256 |" in table
    new = f"{dask_bench.HEADING}\n\nnew table\n"
    for old, want in [(f"# A\n\n{dask_bench.HEADING}\n\nold\n\n## B\n\nb\n", f"# A\n\n{new}\n## B\n\nb\n"),
                      (f"# A\n\n{dask_bench.HEADING}\n\nold\n", f"# A\n\n{new}"),
                      ("# A\n\n## B\n", f"# A\n\n## B\n\n{new}"),
                      (f"{dask_bench.HEADING}\nold\n# GPU benchmarks\n", f"{new}\n# GPU benchmarks\n")]:
        assert dask_bench.replace_section(old, new) == want


# -- npflow.random on the Dask device ------------------------------------------------------------
def _shuffled(g, x, **kw):
    x = x.copy()
    g.shuffle(x, **kw)
    return x


# name -> draw(generator, device): NumPy's stream drawn in this process, then chunked, so the Dask
# device gives the CPU device's numbers; gathers (permutation, choice, permuted, shuffle of an
# array) stay lazy on Dask
RANDOM = {
    "normal-size": lambda g, dev: g.normal(size=(3, 2), device=dev),
    "normal-params": lambda g, dev: g.normal(nf.asarray([0.0, 10.0], device=dev), 2.0),
    "integers": lambda g, dev: g.integers(0, 9, size=5, device=dev),
    "permutation-int": lambda g, dev: g.permutation(6, device=dev),
    "permutation-axis1": lambda g, dev: g.permutation(nf.asarray(A, device=dev), axis=1),
    "choice-int": lambda g, dev: g.choice(5, 3, replace=False, device=dev),
    "choice-p-axis1": lambda g, dev: g.choice(nf.asarray(A, device=dev), 3, axis=1,
                                              p=nf.asarray([0.2, 0.3, 0.1, 0.4], device=dev)),
    "permuted-axis1": lambda g, dev: g.permuted(nf.asarray(A, device=dev), axis=1),
    "permuted-all": lambda g, dev: g.permuted(nf.asarray(A, device=dev)),
    "permuted-out": lambda g, dev: g.permuted(nf.asarray(A, device=dev), axis=0, out=nf.zeros((6, 4), device=dev)),
    "shuffle-axis1": lambda g, dev: _shuffled(g, nf.asarray(A, device=dev), axis=1),
    "legacy-shuffle": lambda g, dev: _shuffled(nf.random.RandomState(5), nf.asarray(A, device=dev)),
    "legacy-choice": lambda g, dev: nf.random.RandomState(2).choice(nf.asarray(A[0], device=dev), 6),
    "legacy-permutation": lambda g, dev: nf.random.RandomState(2).permutation(7, device=dev),
}


@pytest.mark.parametrize("name", RANDOM)
def test_random_draws_on_dask_are_the_cpu_devices(name):
    want = RANDOM[name](nf.random.default_rng(3), "cpu")
    got = RANDOM[name](nf.random.default_rng(3), "dask")
    assert got.device == "dask"
    assert_same(got.to_device("cpu"), onp.asarray(want))


# -- integer-array indexing Dask lacks -----------------------------------------------------------
# Dask (2026.x) indexes with one-dimensional integer arrays only: on others it fails with an
# AssertionError or a TypeError that says nothing of the index (never a wrong shape or values:
# 1-d NumPy and Dask integer arrays, 0-d ones, unknown lengths and every chunk layout give
# NumPy's). npflow gathers with an n-d integer array as NumPy does (the flattened gather, its
# axis split into the index's shape); what Dask still cannot take raises a clear error.
A3 = onp.arange(60.0).reshape(3, 4, 5)
K2 = onp.array([[2, 0], [1, 1], [0, 2]])
ND_KEYS = {"first": (K2,), "axis1": (slice(None), K2), "int-then": (1, K2), "ellipsis": (Ellipsis, K2),
           "slice-ellipsis": (slice(1, 3), Ellipsis, K2), "list": ([[0, 1], [2, 2]],),
           "middle": (slice(None), K2, slice(1, 4)), "ellipsis-int": (Ellipsis, K2, 2)}


@pytest.mark.parametrize("index_on", ["numpy", "dask"])
@pytest.mark.parametrize("chunks", [-1, (1, 4, 2)], ids=["one", "ragged"])
@pytest.mark.parametrize("name", ND_KEYS)
def test_nd_integer_index_gathers_as_numpy(name, chunks, index_on):
    key = ND_KEYS[name]
    if index_on == "dask":
        key = tuple(nf.asarray(k, device="dask") if isinstance(k, onp.ndarray) else k for k in key)
    x = nf.asarray(A3, device="dask", chunks=chunks)
    with Computes() as c:
        got = x[key]
        grad = nf.grad(lambda v: nf.sum(v[key] ** 2))(x)
    assert c.n == 0
    assert_same(got.to_device("cpu"), A3[ND_KEYS[name]])
    want = onp.zeros_like(A3)
    onp.add.at(want, ND_KEYS[name], 2 * A3[ND_KEYS[name]])
    assert_same(grad.to_device("cpu"), want)


@pytest.mark.parametrize("name,fn", [
    ("none", lambda x: x[None, K2]), ("two-arrays", lambda x: x[K2, K2]),
    ("none-dask-index", lambda x: x[None, nf.asarray([1, 0], device="dask")]),
    ("setitem", lambda x: x.__setitem__(K2, -1.0))], ids=lambda v: v if isinstance(v, str) else "")
def test_integer_indices_dask_cannot_take_raise_clearly(name, fn):
    with pytest.raises(DaskUnsupportedError, match=r"^(get|set)item\(\): .*to_device\('cpu'\)"):
        fn(nf.asarray(A3, device="dask", chunks=2).copy())
