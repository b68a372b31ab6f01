"""Transform utilities real scripts need: npflow.flatten_util (JAX's ravel_pytree, autograd's
flatten) and grad of a function whose output has size 1 (as autograd allows)."""
import numpy as onp
import pytest

import npflow as nf
import npflow.flatten_util as fu
from support import assert_same

TREES = [
    ("dict", {"w": onp.arange(6.0).reshape(2, 3), "b": [onp.array([7.0, 8.0]), 9.5]}),
    ("tuple-none", (onp.ones((2, 2), onp.float32), None, [onp.array(3.0, onp.float32)])),
    ("mixed-dtypes", [onp.ones(3, onp.float32), onp.arange(2.0), onp.array([1 + 2j])]),
    ("ints", {"n": onp.arange(3), "x": onp.array([0.5])}),
    ("empty", {"a": [], "b": None}),
    ("leaf", onp.arange(4.0).reshape(2, 2)),
]


def _np_leaves(tree):
    if isinstance(tree, dict):
        return [v for k in sorted(tree) for v in _np_leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [v for t in tree for v in _np_leaves(t)]
    return [] if tree is None else [onp.asarray(tree)]


@pytest.mark.parametrize("label,tree", TREES, ids=[t[0] for t in TREES])
def test_ravel_pytree_round_trip(label, tree):
    flat, unravel = fu.ravel_pytree(tree)
    leaves = _np_leaves(tree)
    expected = onp.concatenate([v.ravel() for v in leaves]) if leaves else onp.zeros(0)
    assert_same(flat, expected)
    back = unravel(flat * 1)
    assert [None if v is None else onp.asarray(v).dtype for v in nf.autodiff.pytree.flatten(back)[0]] == \
        [None if v is None else onp.asarray(v).dtype for v in nf.autodiff.pytree.flatten(tree)[0]]
    for got, want in zip(_np_leaves(back), leaves):
        assert_same(nf.asarray(got), want)
    with pytest.raises(ValueError, match=r"unravel_pytree\(\).*shape"):
        unravel(nf.zeros(flat.size + 1))
    flat2, _ = fu.flatten(tree)
    assert_same(flat2, expected)


def test_same_order_as_jax():
    jfu = pytest.importorskip("jax.flatten_util")
    tree = {"z": [onp.arange(3.0), {"b": onp.array([4.0]), "a": onp.array([5.0, 6.0])}], "a": onp.array(7.0)}
    onp.testing.assert_array_equal(onp.asarray(fu.ravel_pytree(tree)[0]),
                                   onp.asarray(jfu.ravel_pytree(tree)[0]).astype(onp.float64))


def test_optimizing_a_flat_vector_of_a_tree():
    """The JAX idiom: differentiate a loss of the tree through its flat vector."""
    params = {"w": nf.asarray([[1.0, 2.0], [3.0, 4.0]]), "b": nf.asarray([0.5, -0.5])}
    flat, unravel = fu.ravel_pytree(params)

    def loss(v):
        p = unravel(v)
        return nf.sum((p["w"] @ nf.asarray([1.0, -1.0]) + p["b"]) ** 2)
    g_flat = nf.grad(loss)(flat)
    g_tree = nf.grad(lambda p: loss(fu.ravel_pytree(p)[0]))(params)
    assert_same(g_flat, onp.concatenate([onp.asarray(g_tree["b"]), onp.asarray(g_tree["w"]).ravel()]))


SIZE_ONE = [lambda x: nf.sum(x * x, keepdims=True), lambda x: nf.sum(x * x).reshape(1, 1),
            lambda x: (x * x)[:1], lambda x: nf.atleast_3d(nf.dot(x, x))]


@pytest.mark.parametrize("i", range(len(SIZE_ONE)))
def test_grad_of_a_size_one_output(i):
    f = SIZE_ONE[i]
    x = nf.asarray([1.0, -2.0, 0.5])
    scalar = lambda x: f(x).reshape(())  # noqa: E731  (the same function with a 0-d output)
    assert_same(nf.grad(f)(x), onp.asarray(nf.grad(scalar)(x)))
    value, g = nf.value_and_grad(f)(x)
    assert value.shape == f(x).shape
    assert_same(g, onp.asarray(nf.grad(scalar)(x)))


def test_grad_of_a_larger_output_is_an_error():
    for out in (lambda x: x * x, lambda x: nf.zeros((1, 2)) + x[0], lambda x: nf.zeros(0) + x[0]):
        with pytest.raises(TypeError, match=r"grad\(\): the function must return a real scalar"):
            nf.grad(out)(nf.asarray([1.0, 2.0]))
