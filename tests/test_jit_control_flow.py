"""The control-flow tests (tests/test_control_flow.py's programs and gradient cases) under
npflow.jit: traced once, then run on other values, each gives eager npflow's values and
gradients; a cond, switch, while_loop, fori_loop or scan on traced values is one graph node
whose bodies are sub-graphs (not unrolled). Each runs with the default backend (its loops of
small ops compiled by numba where numba is installed) and the NumPy replay."""
import numpy as onp
import pytest

import npflow as nf
from npflow.autodiff.pytree import flatten
from npflow.jit import ConcretizationError, JitError
from support import assert_same, make
from test_control_flow import CASES, GRAD_CASES, PROGRAMS


def _same(got, want, rtol):
    g, gt = flatten(got)
    w, wt = flatten(want)
    assert len(g) == len(w)
    for a, b in zip(g, w):
        if isinstance(b, (int, float, complex)) and not isinstance(b, bool):
            # a Python scalar a loop node carried is a 0-d array in a graph (README: jit)
            assert type(a) is type(b) or isinstance(a, nf.ndarray) and a.shape == ()
            assert a == b
        else:
            assert_same(a, onp.asarray(b), rtol=rtol)


def _other(x):
    return x * 2 + 1 if x.dtype.kind in "iu" else x * 0.7 + 0.2


BACKENDS = pytest.mark.parametrize("backend", [None, "replay"], ids=["default", "replay"])


@BACKENDS
@pytest.mark.parametrize("name,shape,dtype", CASES)
def test_programs_under_jit(name, shape, dtype, backend):
    x = nf.asarray(make(shape, dtype, seed=len(name)))
    jf = nf.jit(lambda v: PROGRAMS[name](nf, nf, v), backend=backend)
    rtol = 1e-6 if onp.dtype(dtype) == onp.float32 else 1e-12
    for v in (x, _other(x)):
        _same(jf(v), PROGRAMS[name](nf, nf, v), rtol)
    assert jf.trace_count == 1


# the forms whose decision depends on traced values become nodes (names: graph listing)
NODES = {"cond_tree": "cond", "while_tree": "while_loop", "while_data": "while_loop",
         "fori_euler": "fori_loop", "fori_tree": "fori_loop", "scan": "scan", "scan_reverse": "scan",
         "scan_tree_xs": "scan", "scan_length": None, "map": "map", "map_tree": "map"}


@pytest.mark.parametrize("name", sorted(NODES))
def test_loops_and_branches_are_single_nodes(name):
    x = nf.asarray(make((3, 2), onp.float64, seed=1))
    graph = nf.jit(lambda v: PROGRAMS[name](nf, nf, v)).trace(x)
    node = NODES[name]
    if node is not None:
        assert graph.count(node) == 1
    # a body is traced once: the top-level graph has no op of its per-step arithmetic repeated
    assert len(graph.nodes) < 12


@BACKENDS
@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_under_jit(name, backend):
    f, args = GRAD_CASES[name]
    args = tuple(nf.asarray(a) for a in args)
    loss = lambda *a: sum(nf.sum(o) for o in flatten(f(*a))[0] if isinstance(o, nf.ndarray))  # noqa: E731
    argnums = tuple(range(len(args)))
    jg = nf.jit(nf.grad(loss, argnums=argnums), backend=backend)
    gj = nf.grad(nf.jit(loss, backend=backend), argnums=argnums)
    if name == "switch_data_index":  # its index is int(x.sum()) in the user's code: no graph
        with pytest.raises(ConcretizationError, match=r"int\(\) of a traced value"):
            jg(*args)
        return
    for a in (args, tuple(x * 1.1 for x in args)):
        want = nf.grad(loss, argnums=argnums)(*a)
        _same(jg(*a), want, 1e-12)
        _same(gj(*a), want, 1e-12)


def test_a_body_writing_outside_it_raises():
    """A body writing into an array from outside it cannot be a sub-graph (and tracing it would
    write once more than eager code does): a clear error, never another value."""
    def f(x):
        acc = nf.zeros(3)

        def body(c):
            acc[c[0] % 3] += c[1]
            return c[0] + 1, c[1] * 2
        return nf.while_loop(lambda c: c[1] < 10, body, (0, x)), acc
    with pytest.raises(JitError, match=r"a body of body writes into an array from outside it"):
        nf.jit(f)(nf.asarray(1.0))


def test_a_loop_under_autodiff_inside_jit_is_unrolled_and_guarded():
    """jit(grad(f)) with a data-dependent while_loop: the tape needs the concrete steps, so the
    loop is recorded as it runs and its decisions are guarded: a new trip count traces again."""
    def f(x):
        return nf.sum(nf.while_loop(lambda c: nf.sum(c * c) < 50.0, lambda c: c * 1.3 + nf.sin(c), x))
    jg = nf.jit(nf.grad(f))
    for v in ([0.3, 1.2], [0.31, 1.2], [2.1, -1.7]):
        _same(jg(nf.asarray(v)), nf.grad(f)(nf.asarray(v)), 1e-12)
    assert jg.trace_count == 2 and jg.trace(nf.asarray([0.3, 1.2])).count("guard") > 1
