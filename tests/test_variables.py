"""npflow.Variable: a mutable named array, written in place, watched by tapes on use."""
import copy
import pickle

import numpy as onp
import pytest

import npflow as np
from npflow.autodiff import AutodiffError


def close(got, want, rtol=1e-12):
    assert type(got) is np.ndarray, f"expected a plain npflow array, got {type(got).__name__}"
    onp.testing.assert_allclose(onp.asarray(got), want, rtol=rtol, atol=1e-14)


W0 = onp.array([0.5, -1.0, 2.0])


# -- construction and attributes ----------------------------------------------------------

@pytest.mark.parametrize("initial, dtype, want_dtype", [
    ([1.0, 2.0], None, onp.float64),
    ([1, 2], None, onp.int64),
    ([1, 2], onp.float32, onp.float32),
    (onp.ones((2, 3), onp.float32), None, onp.float32),
    (np.ones((2, 3), dtype=np.float32), onp.float64, onp.float64),
    (3.5, None, onp.float64),
    (lambda: np.zeros(4), None, onp.float64),
    ([1 + 2j], None, onp.complex128),
], ids=lambda v: getattr(v, "__name__", None) if not isinstance(v, (list, float)) else None)
def test_construction(initial, dtype, want_dtype):
    v = np.Variable(initial, dtype=dtype)
    value = initial() if callable(initial) else initial
    assert isinstance(v, np.ndarray) and type(v) is np.Variable
    assert v.dtype == want_dtype and v.shape == onp.shape(onp.asarray(value))
    onp.testing.assert_array_equal(onp.asarray(v), onp.asarray(value).astype(want_dtype))
    assert v.trainable is True and v.name == "Variable"


def test_the_initial_value_is_copied():
    for source in (onp.array([1.0, 2.0]), np.asarray([1.0, 2.0])):
        v = np.Variable(source, name="w", trainable=False)
        source[0] = 9.0
        assert onp.asarray(v).tolist() == [1.0, 2.0]
        assert v.name == "w" and v.trainable is False
        assert v.base is None  # it owns its memory


def test_trainable_is_settable_and_variables_are_unhashable():
    v = np.Variable(1.0)
    v.trainable = False
    assert v.trainable is False
    with pytest.raises(TypeError):
        hash(v)
    with pytest.raises(AttributeError):
        v.name = "other"


def test_device_is_kept():
    v = np.Variable(np.asarray([1.0, 2.0], device="sim"))
    assert v.device.name == "sim"
    v.assign_add(np.ones(2, device="sim"))
    assert v.device.name == "sim" and onp.asarray(v).tolist() == [2.0, 3.0]
    assert (v * 2).device.name == "sim"


def test_repr():
    v = np.Variable([1.0, 2.0], name="w")
    assert repr(v) == "<npflow.Variable 'w' shape=(2,) dtype=float64, numpy=array([1., 2.])>"
    assert "device='sim'" in repr(np.Variable(np.zeros(1, device="sim")))
    assert str(v) == str(onp.array([1.0, 2.0]))


# -- arithmetic: as on arrays, results are plain arrays -------------------------------------

OPS = [lambda a: a + 1.0, lambda a: 2.0 * a, lambda a: a * a, lambda a: -a, lambda a: a @ a,
       lambda a: a ** 2, lambda a: a / 3, lambda a: a > 0, lambda a: a[1:], lambda a: a[0],
       lambda a: np.sin(a), lambda a: np.sum(a), lambda a: a.sum(), lambda a: a.reshape(3, 1),
       lambda a: np.concatenate([a, a]), lambda a: np.where(a > 0, a, 0.0), lambda a: a.T,
       lambda a: a.astype(onp.float32), lambda a: onp.ones(3) * a]


@pytest.mark.parametrize("op", OPS)
def test_arithmetic_gives_plain_arrays(op):
    v = np.Variable(W0)
    got = op(v)
    assert type(got) is np.ndarray
    want = op(np.asarray(W0))
    assert got.dtype == want.dtype and got.shape == want.shape
    onp.testing.assert_array_equal(onp.asarray(got), onp.asarray(want))


# -- assign ---------------------------------------------------------------------------------

def test_assign_writes_in_place():
    v = np.Variable(W0.copy(), name="w")
    view = v[1:]  # a plain array viewing the Variable's memory
    memory = onp.asarray(v)
    assert v.assign([1.0, 2.0, 3.0]) is v
    assert onp.shares_memory(onp.asarray(v), memory)
    assert onp.asarray(view).tolist() == [2.0, 3.0]
    assert v.assign_add(1.0) is v and onp.asarray(v).tolist() == [2.0, 3.0, 4.0]
    assert v.assign_sub(np.asarray([1.0, 1.0, 1.0])) is v and onp.asarray(v).tolist() == [1.0, 2.0, 3.0]
    assert onp.shares_memory(onp.asarray(v), memory) and type(v) is np.Variable


def test_value_is_a_copy():
    v = np.Variable(W0.copy())
    snapshot = v.value()
    v.assign_add(1.0)
    assert type(snapshot) is np.ndarray
    onp.testing.assert_array_equal(onp.asarray(snapshot), W0)


@pytest.mark.parametrize("dtype", [onp.float32, onp.int32, onp.complex64])
def test_assign_keeps_the_dtype(dtype):
    v = np.Variable(onp.zeros(3, dtype))
    v.assign(onp.array([1.0, 2.0, 3.0]))  # float64 values: cast, as Keras casts to the variable's dtype
    v.assign_add(np.asarray([1.0, 1.0, 1.0]))
    v.assign_sub(1)
    assert v.dtype == dtype
    onp.testing.assert_array_equal(onp.asarray(v), onp.array([1, 2, 3], dtype))


@pytest.mark.parametrize("method, value", [
    ("assign", onp.zeros(4)), ("assign", onp.zeros((1, 3))), ("assign", 1.0), ("assign", [1.0, 2.0]),
    ("assign_add", onp.zeros((2, 3))), ("assign_sub", onp.zeros(2)),
])
def test_assign_shape_mismatch(method, value):
    v = np.Variable(W0.copy(), name="w")
    with pytest.raises(ValueError, match="assign|subtract") as info:
        getattr(v, method)(value)
    if method == "assign":
        assert "'w'" in str(info.value)
    onp.testing.assert_array_equal(onp.asarray(v), W0)  # unchanged


def test_assign_device_mismatch():
    v = np.Variable(W0.copy())
    with pytest.raises(np.DeviceMismatchError):
        v.assign(np.zeros(3, device="sim"))


def test_copy_deepcopy_pickle_give_independent_variables():
    v = np.Variable(W0.copy(), name="w", trainable=False)
    for c in (copy.copy(v), copy.deepcopy(v), pickle.loads(pickle.dumps(v))):
        assert type(c) is np.Variable and c.name == "w" and c.trainable is False
        assert not onp.shares_memory(onp.asarray(c), onp.asarray(v))
        onp.testing.assert_array_equal(onp.asarray(c), W0)


# -- automatic watching ---------------------------------------------------------------------

X = onp.array([1.0, 2.0, 3.0])


def model(w, b):
    return np.sum((np.asarray(X) * w + b) ** 2)


def grads_of_model(w, b):
    r = X * w + b
    return 2 * r * X, 2 * onp.sum(r)


def test_a_tape_watches_trainable_variables_it_reads():
    w, b = np.Variable(W0, name="w"), np.Variable(0.25, name="b")
    with np.GradientTape() as tape:
        loss = model(w, b)
    gw, gb = tape.gradient(loss, [w, b])
    want_w, want_b = grads_of_model(W0, 0.25)
    close(gw, want_w)
    close(gb, want_b)


def test_watched_variables_in_order():
    w, b, c = np.Variable(W0, name="w"), np.Variable(0.25, name="b"), np.Variable(1.0, name="c")
    with np.GradientTape() as tape:
        y = b * 2 + np.sum(w)
        z = np.asarray(X) * 2  # a plain array: not watched
    assert [v.name for v in tape.watched_variables()] == ["b", "w"]
    assert tape.gradient(y + np.sum(z), c) is None


@pytest.mark.parametrize("first_use", [
    lambda w: w[0] * 1.0 + np.sum(w[1:] ** 2),          # indexing (a view) first
    lambda w: np.sum(w.reshape(3, 1) * 2.0, axis=0)[0],  # an op with parameters
    lambda w: np.sum(np.stack([w, w]) ** 2),             # several operands
    lambda w: np.dot(w, w),
])
def test_auto_watch_on_the_general_path(first_use):
    w = np.Variable(W0, name="w")
    with np.GradientTape() as tape:
        y = first_use(w)
    x = np.asarray(W0)
    want = np.grad(first_use)(x)
    close(tape.gradient(y, w), onp.asarray(want))


def test_no_auto_watch_when_not_asked():
    w, b = np.Variable(W0, name="w"), np.Variable(0.25, name="b")
    with np.GradientTape(watch_accessed_variables=False) as tape:
        loss = model(w, b)
    assert tape.gradient(loss, [w, b]) == [None, None]
    with np.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)  # an explicit watch still works
        loss = model(w, b)
    gw, gb = tape.gradient(loss, [w, b])
    close(gw, grads_of_model(W0, 0.25)[0])
    assert gb is None
    assert tape.watched_variables() == ()  # (released with the tape)


def test_no_auto_watch_for_frozen_or_integer_variables():
    frozen = np.Variable(W0, name="frozen", trainable=False)
    counts = np.Variable([1, 2, 3], name="counts")
    w = np.Variable(W0, name="w")
    with np.GradientTape(persistent=True) as tape:
        loss = np.sum(frozen * w * counts)
    assert tape.gradient(loss, frozen) is None
    assert tape.gradient(loss, counts) is None
    close(tape.gradient(loss, w), W0 * [1, 2, 3])
    assert [v.name for v in tape.watched_variables()] == ["w"]
    with np.GradientTape() as tape:
        tape.watch(frozen)  # explicitly: yes
        loss = np.sum(frozen ** 2)
    close(tape.gradient(loss, frozen), 2 * W0)


def test_functional_transforms_treat_variables_as_inputs_or_constants():
    w = np.Variable(W0, name="w")
    close(np.grad(lambda v: np.sum(v ** 3))(w), 3 * W0 ** 2)
    close(np.grad(lambda x: np.sum(x * w))(np.asarray(X)), W0)  # a closed-over Variable: a constant
    _, t = np.jvp(lambda v: np.sum(v ** 2), (w,), (np.ones(3),))
    close(t, onp.sum(2 * W0))


def test_nested_tapes_watch_a_variable_once_each():
    w = np.Variable(W0, name="w")
    with np.GradientTape() as outer:
        with np.GradientTape() as inner:
            y = np.sum(w ** 3)
        g = inner.gradient(y, w)
        total = np.sum(g)
    close(g, 3 * W0 ** 2)
    close(outer.gradient(total, w), 6 * W0)


def test_a_training_loop_reuses_variables_across_tapes():
    """Each step's tape watches the Variables afresh after the previous step's in-place update."""
    w, b = np.Variable(W0, name="w"), np.Variable(0.25, name="b")
    wn, bn = W0.copy(), 0.25
    for _ in range(5):
        with np.GradientTape() as tape:
            loss = model(w, b)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.01 * gw)
        b.assign_sub(0.01 * gb)
        rw, rb = grads_of_model(wn, bn)
        wn, bn = wn - 0.01 * rw, bn - 0.01 * rb
    onp.testing.assert_allclose(onp.asarray(w), wn, rtol=1e-12)
    onp.testing.assert_allclose(float(b), bn, rtol=1e-12)


def test_an_update_inside_the_tape_block():
    """As TensorFlow: a non-persistent tape stops recording once its gradient is taken."""
    w = np.Variable(W0, name="w")
    opt = np.optimizers.SGD(0.1)
    for _ in range(3):
        with np.GradientTape() as tape:
            loss = np.sum(w ** 2)
            opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    onp.testing.assert_allclose(onp.asarray(w), W0 * 0.8 ** 3, rtol=1e-12)


def test_an_assign_after_recording_is_detected():
    w = np.Variable(W0, name="w")
    with np.GradientTape(persistent=True) as tape:
        loss = np.sum(w ** 2)
    w.assign_add(1.0)
    with pytest.raises(AutodiffError, match="written in place"):
        tape.gradient(loss, w)


def test_an_assign_inside_the_tape_is_recorded():
    w = np.Variable(W0, name="w")
    with np.GradientTape() as tape:
        w.assign(w * 3.0)  # read (watched), then overwritten: later reads see the new history
        loss = np.sum(w ** 2)
    close(tape.gradient(loss, w), 2 * (3 * W0))  # with respect to the value it now holds


def test_asarray_of_a_variable_is_a_plain_array_on_its_memory():
    """As NumPy does for subclasses: asarray gives the base class, asanyarray keeps it;
    the plain array shares the Variable's memory and gradients flow through it."""
    v = np.Variable([1.0, 2.0], name="w")
    a = np.asarray(v)
    assert type(a) is np.ndarray and type(np.asanyarray(v)) is np.Variable
    assert onp.shares_memory(onp.asarray(a), onp.asarray(v))
    onp.testing.assert_allclose(onp.asarray(np.grad(lambda v: np.sum(np.asarray(v) ** 2))(v)), [2.0, 4.0])
