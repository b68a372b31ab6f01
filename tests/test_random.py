"""npflow.random against numpy.random: the same seed gives exactly NumPy's numbers, dtypes, shapes.

One table per API (the legacy functions, which are also RandomState's methods, and
Generator's methods), each case run on NumPy and npflow from the same seed; after each
call the next draw must agree too (both consumed the stream alike).
"""
import inspect
import pickle
import types
import warnings

import numpy as onp
import pytest
from hypothesis import given, strategies as st

import npflow as nf
from npflow._core import dispatch
from support import ALL_DTYPES, assert_same, ids, make, outcomes

P = onp.array([0.5, 1.5, 2.0, 3.0])  # positive parameters
Q = onp.array([0.1, 0.4, 0.6, 0.9])  # probabilities
N = onp.array([3, 10, 20, 50])  # counts
PV = onp.array([0.2, 0.3, 0.5])  # probability vectors
A5 = onp.array([1.5, -2.0, 3.25, 4.0, 0.5])
P5 = onp.array([0.1, 0.2, 0.3, 0.25, 0.15])
M34 = onp.arange(12.0).reshape(3, 4)
MEAN, COV = onp.array([0.0, 1.0]), onp.array([[1.0, 0.3], [0.3, 2.0]])


class C:
    """A call of the method under test: ``C(*args, **kwargs)``; NumPy arrays in the
    arguments are given to npflow as npflow arrays."""

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def run(self, r, name, conv):
        return getattr(r, name)(*map(conv, self.args), **{k: conv(v) for k, v in self.kwargs.items()})

    def __repr__(self):
        return ",".join([*map(_short, self.args), *(f"{k}={_short(v)}" for k, v in self.kwargs.items())])


class InPlace(C):
    """shuffle: called on a copy of the array, which is the result."""

    def run(self, r, name, conv):
        x = conv(self.args[0].copy())
        assert getattr(r, name)(x, **self.kwargs) is None
        return x


class Out(C):
    """A call with ``out=`` (an array of ``shape``): the result must be that very array."""

    def __init__(self, *args, shape, **kwargs):
        super().__init__(*args, **kwargs)
        self.shape = shape

    def run(self, r, name, conv):
        out = conv(onp.zeros(self.shape, self.kwargs.get("dtype", float)))
        got = getattr(r, name)(*map(conv, self.args), out=out, **self.kwargs)
        assert got is out
        return got


def _short(v):
    return f"arr{list(onp.shape(v))}" if isinstance(v, (onp.ndarray, list)) else repr(v)


COMMON = {  # the same calls for RandomState (legacy) and Generator
    "beta": [C(2.0, 3.0), C(P, 2.0, size=(2, 4))],
    "binomial": [C(10, 0.3), C(N, Q, size=(3, 4))],
    "bytes": [C(5), C(0)],
    "chisquare": [C(3.0), C(P, size=(2, 4))],
    "dirichlet": [C([1.0, 2.0, 3.0], size=2), C(P)],
    "exponential": [C(), C(P), C(2.0, size=(2, 3))],
    "f": [C(3.0, 5.0), C(P, 4.0)],
    "gamma": [C(2.0), C(P, 2.0, size=(3, 4))],
    "geometric": [C(0.3), C(Q)],
    "gumbel": [C(), C(P, 2.0)],
    "hypergeometric": [C(10, 5, 7), C(N, N, 3, size=(2, 4))],
    "laplace": [C(), C(P, 2.0)],
    "logistic": [C(), C(P, 2.0, size=(5, 4))],
    "lognormal": [C(), C(P, 0.5)],
    "logseries": [C(0.5), C(Q)],
    "multinomial": [C(10, [0.2, 0.3, 0.5]), C(10, PV, size=3)],
    "multivariate_normal": [C(MEAN, COV), C([0.0, 1.0], COV, size=(2, 3))],
    "negative_binomial": [C(5, 0.4), C(N, Q)],
    "noncentral_chisquare": [C(3.0, 2.0), C(P, 1.0)],
    "noncentral_f": [C(3.0, 5.0, 2.0), C(P, 4.0, 1.0)],
    "normal": [C(), C(1.0, 2.0), C(P, P, size=(3, 4)), C(size=0), C(size=()), C(onp.array(1.0))],
    "pareto": [C(2.0), C(P)],
    "poisson": [C(), C(P), C(3.0, size=(2, 2))],
    "power": [C(2.0), C(P)],
    "rayleigh": [C(), C(P)],
    "standard_cauchy": [C(), C(size=(2, 3))],
    "standard_exponential": [C(), C(size=4)],
    "standard_gamma": [C(2.0), C(P, size=(2, 4))],
    "standard_normal": [C(), C(size=(2, 3))],
    "standard_t": [C(3.0), C(P)],
    "triangular": [C(0.0, 1.0, 3.0), C(0.0, P, 4.0)],
    "uniform": [C(), C(P, 5.0), C(-1, 1, size=(2, 2))],
    "vonmises": [C(0.0, 1.0), C(P, 2.0)],
    "wald": [C(1.0, 2.0), C(P, 1.0)],
    "weibull": [C(2.0), C(P)],
    "zipf": [C(2.0), C(P + 1.5)],
    "random": [C(), C(size=(2, 3))],
    "permutation": [C(10), C(onp.int64(4)), C(A5), C(M34)],
    "shuffle": [InPlace(A5), InPlace(M34), InPlace(onp.arange(6)), InPlace(onp.zeros((3, 0)))],
}

LEGACY = {  # numpy.random's functions (RandomState's methods): the shared table and these
    **COMMON,
    "choice": [C(5), C(5, 3), C(A5, size=(2, 2), replace=False), C(A5, p=P5), C(A5, 8, p=P5),
               C(A5, 3, replace=False, p=P5), C(["a", "bb", "c"], size=4), C(A5, size=()),
               C(onp.array(7), 2)],
    "rand": [C(), C(2, 3)],
    "randn": [C(), C(3)],
    "randint": [C(5), C(2, 10, size=5), C(0, 100, size=(2, 3), dtype=onp.int8),
                C(N, 100), C(-5, N, dtype=onp.int16)],
    "random_integers": [C(5), C(1, 6, size=4)],
    "random_sample": [C(), C(size=(2, 3))],
    "ranf": [C(), C(size=3)],
    "sample": [C(), C((2, 2))],
    "tomaxint": [C(), C(size=3)],  # RandomState only
}

GENERATOR = {
    **COMMON,
    "choice": [C(5), C(5, 3), C(A5, size=(2, 2), replace=False), C(A5, p=P5),
               C(A5, 3, replace=False, p=P5), C(M34, 2, axis=1), C(M34, axis=0), C(A5, size=()),
               C(30000, 2000, replace=False), C(8, 5, replace=False, shuffle=False)],
    "integers": [C(5), C(2, 10, size=5), C(0, 100, size=(2, 3), dtype=onp.uint8),
                 C(N, 100), C(0, 6, endpoint=True, size=4)],
    "multivariate_hypergeometric": [C(N, 10), C([5, 6, 7], 4, size=3, method="count")],
    "multivariate_normal": COMMON["multivariate_normal"] + [C(MEAN, COV, 2, method="cholesky")],
    "random": [C(), C(size=(2, 3)), C(size=3, dtype=onp.float32), Out(shape=(2, 2))],
    "standard_normal": [C(), C(size=(2, 3), dtype=onp.float32), Out(shape=(3,))],
    "standard_exponential": [C(), C(size=4, method="inv"), Out(shape=(2,), dtype=onp.float32)],
    "standard_gamma": [C(2.0), C(P, size=(2, 4)), Out(2.0, shape=(2, 2))],
    "permutation": COMMON["permutation"] + [C(M34, axis=1)],
    "permuted": [C(M34), C(M34, axis=0), C(M34, axis=1), C(onp.asfortranarray(M34)),
                 C(onp.arange(24).reshape(2, 3, 4), axis=-1), C(A5), Out(M34, shape=(3, 4))],
    "shuffle": COMMON["shuffle"] + [InPlace(M34, axis=1)],
}
# Functions tested on their own below: the global state, and the bit generator machinery.
STATE = {"seed", "get_state", "set_state", "get_bit_generator", "set_bit_generator", "default_rng"}
GENERATOR_OTHER = {"spawn", "bit_generator"}
NOT_MIRRORED = {"test"}  # NumPy's test-suite runner
CLASSES = ["BitGenerator", "MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64", "SeedSequence"]


def to_nf(v):
    return nf.asarray(v.copy(order="K")) if isinstance(v, onp.ndarray) else v


def same(name, call, np_src, nf_src, next_np, next_nf):
    """``call`` on NumPy's source and npflow's: identical results, then identical next draws."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = call.run(np_src(), name, lambda v: v)
        after = next_np()
        got = call.run(nf_src(), name, to_nf)
        assert next_nf() == after, "the stream advanced differently"
    assert_same(got, expected)
    return got


def cases(table):
    return [(n, c) for n, calls in table.items() for c in calls]


@pytest.mark.parametrize("name,call", cases(LEGACY), ids=[f"{n}({c})" for n, c in cases(LEGACY)])
def test_legacy_functions(name, call):
    if name == "tomaxint":
        return  # a RandomState method only (no function of that name)
    seed = 1234
    same(name, call, lambda: (onp.random.seed(seed), onp.random)[1],
         lambda: (nf.random.seed(seed), nf.random)[1], onp.random.random_sample, onp.random.random_sample)


@pytest.mark.parametrize("name,call", cases(LEGACY), ids=[f"{n}({c})" for n, c in cases(LEGACY)])
def test_randomstate_methods(name, call):
    if name in ("ranf", "sample"):
        return  # functions only
    box = {}
    same(name, call, lambda: box.setdefault("np", onp.random.RandomState(7)),
         lambda: box.setdefault("nf", nf.random.RandomState(7)),
         lambda: box["np"].random_sample(), lambda: box["nf"].random_sample())


@pytest.mark.parametrize("name,call", cases(GENERATOR), ids=[f"{n}({c})" for n, c in cases(GENERATOR)])
def test_generator_methods(name, call):
    box = {}
    same(name, call, lambda: box.setdefault("np", onp.random.default_rng(11)),
         lambda: box.setdefault("nf", nf.random.default_rng(11)),
         lambda: box["np"].random(), lambda: box["nf"].random())


def _public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def test_tables_cover_numpy():
    """Every public name of numpy.random, RandomState and Generator is in npflow and tested."""
    funcs = {n for n in _public(onp.random)
             if not isinstance(getattr(onp.random, n), (type, types.ModuleType))}
    assert not funcs - set(LEGACY) - STATE - NOT_MIRRORED, "numpy.random functions without a case"
    assert not _public(onp.random.RandomState) - set(LEGACY) - STATE, "RandomState methods without a case"
    assert not _public(onp.random.Generator) - set(GENERATOR) - GENERATOR_OTHER, \
        "Generator methods without a case"
    for n in funcs - NOT_MIRRORED:
        assert callable(getattr(nf.random, n)), n
    for cls in ("RandomState", "Generator"):
        for n in _public(getattr(onp.random, cls)):
            assert hasattr(getattr(nf.random, cls), n), f"{cls}.{n}"
    for n in CLASSES:  # NumPy's classes, or subclasses that also take npflow arrays as seeds
        assert issubclass(getattr(nf.random, n), getattr(onp.random, n))


def _params(fn):
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "device"]


@pytest.mark.parametrize("owner", ["", "RandomState", "Generator"])
def test_signatures(owner):
    """NumPy's signatures, with ``device=`` (keyword-only) where an array is made."""
    src, mine = ((onp.random, nf.random) if not owner
                 else (getattr(onp.random, owner), getattr(nf.random, owner)))
    for n in _public(src) - NOT_MIRRORED - GENERATOR_OTHER:
        theirs = getattr(src, n)
        if isinstance(theirs, (type, types.ModuleType)):
            continue
        assert _params(getattr(mine, n)) == list(inspect.signature(theirs).parameters.values()), n
        dev = inspect.signature(getattr(mine, n)).parameters.get("device")
        assert dev is None or dev.kind is inspect.Parameter.KEYWORD_ONLY


def test_scalars_and_arrays():
    """Python scalars where NumPy gives them; NumPy scalars are 0-d arrays; arrays otherwise."""
    nf.random.seed(0)
    assert type(nf.random.normal()) is float
    assert type(nf.random.randint(5)) is int
    assert type(nf.random.bytes(2)) is bytes
    assert type(nf.random.choice(5)) is int
    x = nf.random.normal(size=())
    assert isinstance(x, nf.ndarray) and x.shape == ()
    g = nf.random.default_rng(0)
    i = g.integers(5)
    assert isinstance(i, nf.ndarray) and i.shape == () and i.dtype == onp.int64
    assert type(g.random()) is float
    assert isinstance(g.normal(size=2), nf.ndarray)
    assert isinstance(nf.random.choice(nf.asarray(A5)), nf.ndarray)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=ids(ALL_DTYPES))
@pytest.mark.parametrize("shape", [(6,), (4, 3), (1,), (0,)], ids=str)
def test_permutation_shuffle_choice_dtypes(dtype, shape):
    """Every dtype: the same rows in the same order as NumPy; permutation copies, shuffle is in place."""
    a = make(shape, dtype, seed=3)
    for np_src, nf_src in [(onp.random.RandomState(5), nf.random.RandomState(5)),
                           (onp.random.default_rng(5), nf.random.default_rng(5))]:
        x = nf.asarray(a.copy())
        got = nf_src.permutation(x)
        assert_same(got, np_src.permutation(a))
        assert not onp.shares_memory(onp.asarray(got), onp.asarray(x))
        y, b = nf.asarray(a.copy()), a.copy()
        data = onp.asarray(y)
        nf_src.shuffle(y)
        np_src.shuffle(b)
        assert_same(y, b)
        assert onp.asarray(y).ctypes.data == data.ctypes.data  # in place (the same memory)
        if len(a) and (a.ndim == 1 or isinstance(np_src, onp.random.Generator)):
            assert_same(nf_src.choice(x, 4), np_src.choice(a, 4))


def test_shuffle_a_view_writes_its_base():
    base, nbase = onp.arange(10.0), nf.arange(10.0)
    onp.random.RandomState(2).shuffle(base[::2])
    nf.random.RandomState(2).shuffle(nbase[::2])
    assert_same(nbase, base)


def test_shuffle_foreign_objects_in_place():
    """Lists and NumPy arrays are shuffled in place, as NumPy does."""
    for np_src, nf_src in [(onp.random.RandomState(4), nf.random.RandomState(4)),
                           (onp.random.default_rng(4), nf.random.default_rng(4))]:
        lst, lst2 = list(range(8)), list(range(8))
        np_src.shuffle(lst)
        nf_src.shuffle(lst2)
        assert lst2 == lst
        a, b = onp.arange(8.0), onp.arange(8.0)
        np_src.shuffle(a)
        nf_src.shuffle(b)
        onp.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("device", ["cpu", "sim"])
def test_device(device):
    """device= places the result; array parameters keep theirs; one stream for CPU and sim."""
    onp.random.seed(9)
    expected = [onp.random.normal(size=3), onp.random.normal(P, 2.0), onp.random.permutation(A5),
                onp.random.choice(A5, 2), onp.random.rand(2)]
    nf.random.seed(9)
    d = nf.Device(device)
    got = [nf.random.normal(size=3, device=device),
           nf.random.normal(nf.asarray(P, device=device), 2.0),
           nf.random.permutation(nf.asarray(A5, device=device)),
           nf.random.choice(A5, 2, device=device), nf.random.rand(2, device=device)]
    for g, e in zip(got, expected):
        assert g.device is d
        assert_same(g, e)
    rng, nrng = onp.random.default_rng(3), nf.random.default_rng(3)
    for call in (lambda r, c: r.integers(0, 10, size=4, **c), lambda r, c: r.normal(P, **c),
                 lambda r, c: r.permuted(M34, axis=1, **c), lambda r, c: r.choice(M34, 2, axis=1, **c)):
        g = call(nrng, {"device": device})
        assert g.device is d
        assert_same(g, call(rng, {}))
    y = nf.asarray(A5, device=device)
    nf.random.RandomState(1).shuffle(y)
    assert y.device is d


def test_mixed_devices_are_an_error():
    with pytest.raises(nf.DeviceMismatchError, match="random.normal"):
        nf.random.normal(nf.asarray(P), nf.asarray(P, device="sim"))
    moved = nf.random.normal(nf.asarray(P), nf.asarray(P, device="sim"), device="sim")
    assert moved.device is nf.Device("sim")


def test_default_device():
    with nf.default_device("sim"):
        assert nf.random.uniform(size=2).device is nf.Device("sim")
        assert nf.random.default_rng(0).random(size=2).device is nf.Device("sim")


BAD = [  # (function, args, kwargs): NumPy raises; npflow must raise the same type
    ("normal", (0.0, -1.0), {}), ("normal", (0.0, onp.array([1.0, -1.0])), {}),
    ("normal", (), {"size": (2.5,)}), ("normal", (1, 2, 3, 4), {}), ("uniform", (), {"size": -1}),
    ("binomial", (-1, 0.5), {}), ("binomial", (5, 1.5), {}), ("beta", (onp.array([-1.0]), 1.0), {}),
    ("poisson", (-1.0,), {}), ("randint", (5, 2), {}), ("randint", (), {}), ("choice", (0,), {}),
    ("choice", (M34,), {}), ("choice", (A5,), {"p": onp.ones(5)}), ("choice", (A5, 9), {"replace": False}),
    ("choice", (2.5,), {}), ("permutation", (onp.array(3.0),), {}), ("shuffle", (onp.array(3.0),), {}),
    ("dirichlet", ([1.0, -1.0],), {}), ("multinomial", (5, [1.5, 0.5]), {}),
    ("multivariate_normal", (MEAN, onp.eye(3)), {}), ("hypergeometric", (2, 2, 9), {}),
    ("zipf", (0.5,), {}), ("rand", (2.5,), {}), ("seed", (-1,), {}), ("set_state", ("junk",), {}),
]
GBAD = [
    ("integers", (5, 2), {}), ("integers", (0, 300), {"dtype": onp.uint8}),
    ("choice", (M34, 2), {"axis": 2}), ("choice", (A5, 3), {"p": P5[:4]}),
    ("permutation", (onp.array(3.0),), {}), ("permutation", (M34,), {"axis": 3}),
    ("permuted", (M34,), {"axis": 2}), ("shuffle", (M34,), {"axis": -3}), ("shuffle", (onp.array(1.0),), {}),
    ("random", (), {"dtype": onp.int32}), ("multivariate_hypergeometric", ([1, 2], 5), {}),
    ("standard_normal", (), {"size": 3, "out": onp.zeros(4)}), ("normal", (), {"scale": -2.0}),
]


def _raises_like(np_src, nf_src, name, args, kwargs):
    conv = {onp: lambda v: v, nf: to_nf}
    res = outcomes(lambda m: getattr(np_src() if m is onp else nf_src(), name)(
        *map(conv[m], args), **{k: conv[m](v) for k, v in kwargs.items()}))
    assert res is None, f"NumPy did not raise for {name}{args}"


@pytest.mark.parametrize("name,args,kwargs", BAD, ids=[b[0] for b in BAD])
def test_errors(name, args, kwargs):
    _raises_like(lambda: onp.random, lambda: nf.random, name, args, kwargs)
    _raises_like(lambda: onp.random.RandomState(0), lambda: nf.random.RandomState(0), name, args, kwargs)


@pytest.mark.parametrize("name,args,kwargs", GBAD, ids=[b[0] for b in GBAD])
def test_generator_errors(name, args, kwargs):
    _raises_like(lambda: onp.random.default_rng(0), lambda: nf.random.default_rng(0), name, args, kwargs)


def test_error_messages_name_the_function():
    with pytest.raises(ValueError, match="normal"):
        nf.random.normal(0.0, -1.0)
    with pytest.raises(TypeError, match="normal"):
        nf.random.normal(1, 2, 3, 4)
    with pytest.raises(IndexError, match="permutation"):
        nf.random.permutation(nf.asarray(3.0))


def test_global_state_is_numpys():
    """npflow's legacy functions draw from NumPy's global RandomState (documented)."""
    nf.random.seed(21)
    a = onp.random.normal(size=2)
    onp.random.seed(21)
    assert_same(nf.random.normal(size=2), a)
    state = nf.random.get_state()
    assert state[0] == "MT19937"
    x = nf.random.random_sample(3)
    nf.random.set_state(state)
    assert_same(nf.random.random_sample(3), onp.asarray(x))
    d = nf.random.get_state(legacy=False)
    assert d["bit_generator"] == "MT19937"
    assert nf.random.get_bit_generator() is onp.random.get_bit_generator()


@pytest.mark.parametrize("seed", [0, 2**32 - 1, [1, 2, 3], onp.array([4, 5], dtype=onp.uint32)], ids=str)
def test_seeds(seed):
    nf.random.seed(seed)
    got = nf.random.randn(3)
    onp.random.seed(seed)
    assert_same(got, onp.random.randn(3))
    assert_same(nf.random.RandomState(seed).rand(2), onp.random.RandomState(seed).rand(2))
    s = seed if not isinstance(seed, onp.ndarray) else seed.tolist()
    assert_same(nf.random.default_rng(s).random(2), onp.random.default_rng(s).random(2))


def test_set_bit_generator():
    old = nf.random.get_bit_generator()
    try:
        nf.random.set_bit_generator(onp.random.PCG64(5))
        got = nf.random.normal(size=3)
        nf.random.seed(8)  # NumPy's seed re-seeds a non-MT19937 global bit generator by its type
        got2 = nf.random.uniform()
        onp.random.set_bit_generator(onp.random.PCG64(5))
        assert_same(got, onp.random.normal(size=3))
        onp.random.seed(8)
        assert got2 == onp.random.uniform()
    finally:
        onp.random.set_bit_generator(old)


def test_default_rng_and_generator():
    g = nf.random.default_rng(3)
    assert nf.random.default_rng(g) is g
    for seed in (onp.random.SeedSequence(4), onp.random.PCG64(4), onp.random.Philox(4),
                 onp.random.SFC64(4), onp.random.PCG64DXSM(4), onp.random.MT19937(4)):
        twin = pickle.loads(pickle.dumps(seed))  # a copy of the same state
        assert_same(nf.random.default_rng(twin).random(3), onp.random.default_rng(seed).random(3))
    bg = onp.random.PCG64(6)
    assert_same(nf.random.Generator(bg).normal(size=2),
                onp.random.Generator(onp.random.PCG64(6)).normal(size=2))
    assert nf.random.Generator(bg).bit_generator is bg
    npg = onp.random.default_rng(2)  # a NumPy Generator: wrapped, sharing its state
    ng = nf.random.default_rng(npg)
    ng.random()
    assert npg.random() == onp.random.default_rng(2).random(2)[1]
    assert_same(nf.random.default_rng(nf.random.RandomState(5)).random(2),
                onp.random.default_rng(onp.random.RandomState(5)).random(2))
    kids, nkids = onp.random.default_rng(1).spawn(2), nf.random.default_rng(1).spawn(2)
    for k, nk in zip(kids, nkids):
        assert isinstance(nk, nf.random.Generator)
        assert_same(nk.normal(size=2), k.normal(size=2))
    assert repr(g).startswith("Generator(PCG64)")
    assert repr(nf.random.RandomState(0)).startswith("RandomState(MT19937)")


def test_pickle_keeps_the_state():
    for src in (nf.random.RandomState(3), nf.random.default_rng(3)):
        src.random(size=2) if hasattr(src, "integers") else src.random_sample(2)
        copy = pickle.loads(pickle.dumps(src))
        draw = (lambda s: s.random(size=3)) if hasattr(src, "integers") else (lambda s: s.random_sample(3))
        assert_same(draw(copy), onp.asarray(draw(src)))


def test_randomstate_state_round_trip():
    rs, ref = nf.random.RandomState(0), onp.random.RandomState(0)
    rs.normal(size=3)
    ref.normal(size=3)
    st_ = rs.get_state()
    assert all(onp.array_equal(a, b) for a, b in zip(st_[1:2], ref.get_state()[1:2]))
    a = rs.uniform(size=2)
    rs.set_state(st_)
    assert_same(rs.uniform(size=2), onp.asarray(a))
    rs.seed(5)
    ref.seed(5)
    assert rs.randn() == ref.randn()


@given(seed=st.integers(0, 2**32 - 1), shape=st.lists(st.integers(0, 4), max_size=3).map(tuple))
def test_streams_hypothesis(seed, shape):
    np_rs, nf_rs = onp.random.RandomState(seed), nf.random.RandomState(seed)
    np_g, nf_g = onp.random.default_rng(seed), nf.random.default_rng(seed)
    assert_same(nf_rs.normal(size=shape), np_rs.normal(size=shape))
    assert_same(nf_rs.randint(-3, 9, size=shape), np_rs.randint(-3, 9, size=shape))
    assert_same(nf_g.integers(0, 7, size=shape), np_g.integers(0, 7, size=shape))
    assert_same(nf_g.standard_gamma(2.5, size=shape), np_g.standard_gamma(2.5, size=shape))
    n = 1 + seed % 7
    assert_same(nf_g.choice(n, size=shape), np_g.choice(n, size=shape))
    assert_same(nf_rs.permutation(n), np_rs.permutation(n))


def test_one_door():
    """Sampling runs through dispatch.apply (op random.<method>); gathers through getitem/take."""
    seen = []
    rec = lambda op, operands, params, result: seen.append(op.name)  # noqa: E731
    dispatch.recorders.append(rec)
    try:
        nf.random.normal(nf.asarray(P))
        nf.random.permutation(nf.asarray(A5))
        nf.random.default_rng(0).choice(nf.asarray(M34), 2, axis=1)
        nf.random.default_rng(0).permuted(nf.asarray(M34), axis=0)
    finally:
        dispatch.recorders.remove(rec)
    for name in ("random.normal", "random.permutation", "getitem", "random.choice", "take",
                 "random.permuted"):
        assert name in seen, name


def test_gradients_flow_through_gathers_only():
    """permutation(x) is differentiable (a gather); sampled values are constants."""
    x = nf.asarray(A5)
    g = nf.grad(lambda v: nf.sum(nf.random.RandomState(0).permutation(v) * nf.arange(5.0)))(x)
    perm = onp.random.RandomState(0).permutation(5)
    expected = onp.zeros(5)
    expected[perm] = onp.arange(5.0)
    assert_same(g, expected)
    g2 = nf.grad(lambda m: nf.sum(nf.random.RandomState(0).normal(m, 1.0) + m))(x)
    assert_same(g2, onp.ones(5))


BIT_GENERATORS = ["MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64"]
SEEDS = [onp.array([1, 2, 3]), [onp.int64(5), 6], onp.int64(7), onp.arange(4, dtype=onp.uint32)]


@pytest.mark.parametrize("name", BIT_GENERATORS)
def test_bit_generators_take_npflow_arrays_as_seeds(name):
    """Every bit generator (and Philox's key), SeedSequence, default_rng, RandomState and seed()."""
    for seed in SEEDS:
        nf_seed = [nf.asarray(s) for s in seed] if isinstance(seed, list) else nf.asarray(seed)
        ours, theirs = getattr(nf.random, name)(nf_seed), getattr(onp.random, name)(seed)
        assert isinstance(ours, getattr(onp.random, name))
        assert ours.random_raw(3).tolist() == theirs.random_raw(3).tolist()
        assert pickle.loads(pickle.dumps(ours)).random_raw() == theirs.random_raw()
    assert nf.random.Philox(key=nf.asarray([1, 2])).random_raw() == onp.random.Philox(key=[1, 2]).random_raw()


def test_seeding_functions_take_npflow_arrays():
    seed = onp.array([1, 2, 3])
    assert (nf.random.SeedSequence(nf.asarray(seed)).generate_state(2).tolist()
            == onp.random.SeedSequence(seed).generate_state(2).tolist())
    assert float(nf.random.default_rng(nf.asarray(seed)).random()) == onp.random.default_rng(seed).random()
    assert float(nf.random.RandomState(nf.asarray(seed)).random()) == onp.random.RandomState(seed).random()
    nf.random.seed(nf.asarray(seed))
    ours = float(nf.random.random())
    onp.random.seed(seed)
    assert ours == onp.random.random()


class _Untyped:
    """Indexable with a length but not a Sequence: NumPy's shuffle warns that it may misbehave."""

    def __init__(self):
        self.items = [1, 2, 3, 4]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]

    def __setitem__(self, i, v):
        self.items[i] = v


@pytest.mark.parametrize("make_source", [lambda m: m.random.default_rng(3), lambda m: m.random.RandomState(3)],
                         ids=["Generator", "RandomState"])
def test_shuffle_untyped_sequence_warns_at_the_callers_line(make_source):
    got = {}
    for m in (onp, nf):
        x = _Untyped()
        with pytest.warns(UserWarning, match="not a subclass of 'Sequence'") as record:
            make_source(m).shuffle(x)
        got[m] = x.items, [r.filename for r in record]
    assert got[nf] == got[onp] and got[nf][1] == [__file__]
