"""npflow.optimizers against hand-written NumPy references of Keras's formulas, in both styles."""
import math

import numpy as onp
import pytest

import npflow as np
from npflow import optimizers as opts

# The problem: f(params) = sum_i 0.5 * sum(A_i * p_i ** 2) + sum(B_i * p_i), gradient A_i * p_i + B_i.
_rng = onp.random.default_rng(7)
SHAPES = [(3,), (2, 2), ()]
P0 = [_rng.uniform(-2, 2, s) for s in SHAPES]
A = [_rng.uniform(0.5, 3, s) for s in SHAPES]
B = [_rng.uniform(-1, 1, s) for s in SHAPES]
STEPS = 5


def loss(params):
    total = 0.0
    for p, a, b in zip(params, A, B):
        a, b = (np.asarray(c, dtype=p.dtype, device=p.device) for c in (a, b))
        total = total + np.sum(0.5 * a * p ** 2 + b * p)
    return total


# -- the reference: Keras's update rules, one assignment at a time, in NumPy -------------------

def ref_sgd(p, g, s, lr, t, momentum=0.0, nesterov=False):
    if momentum == 0:
        return p - g * lr
    s["m"] = -g * lr + s.get("m", 0 * p) * momentum
    return p + (-g * lr + s["m"] * momentum if nesterov else s["m"])


def ref_adam(p, g, s, lr, t, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v = s.get("m", 0 * p), s.get("v", 0 * p)
    alpha = lr * onp.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    s["m"] = m = m + (g - m) * (1 - beta_1)
    s["v"] = v = v + (onp.square(g) - v) * (1 - beta_2)
    return p - m * alpha / (onp.sqrt(v) + epsilon)


def ref_rmsprop(p, g, s, lr, t, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    s["v"] = v = rho * s.get("v", 0 * p) + (1 - rho) * onp.square(g)
    if centered:
        s["a"] = a = rho * s.get("a", 0 * p) + (1 - rho) * g
        denominator = v - onp.square(a) + epsilon
    else:
        denominator = v + epsilon
    increment = lr * g / onp.sqrt(denominator)
    if momentum > 0:
        s["mom"] = momentum * s.get("mom", 0 * p) + increment
        return p - s["mom"]
    return p - increment


def ref_adagrad(p, g, s, lr, t, initial_accumulator_value=0.1, epsilon=1e-7):
    s["acc"] = acc = s.get("acc", onp.full_like(p, initial_accumulator_value)) + onp.square(g)
    return p - lr * g / onp.sqrt(acc + epsilon)


def ref_exponential(step, initial_learning_rate, decay_steps, decay_rate, staircase=False):
    p = step / decay_steps
    return initial_learning_rate * decay_rate ** (onp.floor(p) if staircase else p)


def ref_cosine(step, initial_learning_rate, decay_steps, alpha=0.0):
    step = min(step, decay_steps)
    decayed = (1 - alpha) * 0.5 * (1 + onp.cos(onp.pi * step / decay_steps)) + alpha
    return initial_learning_rate * decayed


def ref_piecewise(step, boundaries, values):
    for b, v in zip(boundaries, values):
        if step <= b:
            return v
    return values[-1]


SCHEDULES = {opts.ExponentialDecay: ref_exponential, opts.CosineDecay: ref_cosine,
             opts.PiecewiseConstantDecay: ref_piecewise}


def reference(update, lr, steps, weight_decay=None, clipnorm=None, global_clipnorm=None, **hp):
    """The parameters after each of ``steps`` steps, as Keras computes them (float64)."""
    params = [p.copy() for p in P0]
    states = [{} for _ in params]
    history = []
    for it in range(steps):
        rate = SCHEDULES[type(lr)](it, **vars(lr)) if isinstance(lr, opts.LearningRateSchedule) else lr
        grads = [a * p + b for p, a, b in zip(params, A, B)]
        if clipnorm is not None:
            grads = [g * clipnorm / max(onp.sqrt(onp.sum(g ** 2)), clipnorm) for g in grads]
        if global_clipnorm is not None:
            norm = onp.sqrt(sum(onp.sum(g ** 2) for g in grads))
            grads = [g * global_clipnorm * min(1 / norm, 1 / global_clipnorm) for g in grads]
        if weight_decay:
            params = [p - p * weight_decay * rate for p in params]
        params = [update(p, g, s, rate, it + 1, **hp) for p, g, s in zip(params, grads, states)]
        history.append([p.copy() for p in params])
    return history


# (optimizer class, constructor arguments, reference update, its hyperparameters)
CASES = {
    "sgd": (opts.SGD, dict(learning_rate=0.1), ref_sgd, {}),
    "sgd-momentum": (opts.SGD, dict(learning_rate=0.1, momentum=0.9), ref_sgd, dict(momentum=0.9)),
    "sgd-nesterov": (opts.SGD, dict(learning_rate=0.1, momentum=0.8, nesterov=True), ref_sgd,
                     dict(momentum=0.8, nesterov=True)),
    "sgd-weight-decay": (opts.SGD, dict(learning_rate=0.1, weight_decay=0.05), ref_sgd, {}),
    "adam": (opts.Adam, dict(learning_rate=0.1), ref_adam, {}),
    "adam-betas": (opts.Adam, dict(learning_rate=0.2, beta_1=0.5, beta_2=0.7, epsilon=1e-3), ref_adam,
                   dict(beta_1=0.5, beta_2=0.7, epsilon=1e-3)),
    "adamw": (opts.AdamW, dict(learning_rate=0.1, weight_decay=0.1), ref_adam, {}),
    "adamw-default-decay": (opts.AdamW, dict(learning_rate=0.1), ref_adam, {}),
    "rmsprop": (opts.RMSprop, dict(learning_rate=0.05), ref_rmsprop, {}),
    "rmsprop-momentum": (opts.RMSprop, dict(learning_rate=0.05, rho=0.8, momentum=0.5), ref_rmsprop,
                         dict(rho=0.8, momentum=0.5)),
    "rmsprop-centered": (opts.RMSprop, dict(learning_rate=0.05, momentum=0.5, centered=True),
                         ref_rmsprop, dict(momentum=0.5, centered=True)),
    "adagrad": (opts.Adagrad, dict(learning_rate=0.3), ref_adagrad, {}),
    "adagrad-accumulator": (opts.Adagrad, dict(learning_rate=0.3, initial_accumulator_value=1.0,
                                               epsilon=1e-3), ref_adagrad,
                            dict(initial_accumulator_value=1.0, epsilon=1e-3)),
    "sgd-clipnorm": (opts.SGD, dict(learning_rate=0.1, clipnorm=2.0), ref_sgd, {}),
    "adam-clipnorm": (opts.Adam, dict(learning_rate=0.1, clipnorm=2.0), ref_adam, {}),
    "sgd-global-clipnorm": (opts.SGD, dict(learning_rate=0.1, momentum=0.9, global_clipnorm=5.5),
                            ref_sgd, dict(momentum=0.9)),
    "adam-global-clipnorm": (opts.Adam, dict(learning_rate=0.1, global_clipnorm=1.0), ref_adam, {}),
    "exponential-decay": (opts.SGD, dict(learning_rate=opts.ExponentialDecay(0.2, 2, 0.5)), ref_sgd, {}),
    "exponential-staircase": (opts.Adam, dict(learning_rate=opts.ExponentialDecay(
        0.2, 2, 0.5, staircase=True)), ref_adam, {}),
    "cosine-decay": (opts.SGD, dict(learning_rate=opts.CosineDecay(0.2, 3, alpha=0.1)), ref_sgd, {}),
    "piecewise-constant": (opts.RMSprop, dict(learning_rate=opts.PiecewiseConstantDecay(
        [0, 2], [0.1, 0.05, 0.01])), ref_rmsprop, {}),
}
DEFAULT_DECAY = {opts.AdamW: 0.004}


def expected(name, steps=STEPS):
    cls, kwargs, update, hp = CASES[name]
    extra = {k: kwargs[k] for k in ("clipnorm", "global_clipnorm", "weight_decay") if k in kwargs}
    extra.setdefault("weight_decay", DEFAULT_DECAY.get(cls))
    return reference(update, kwargs["learning_rate"], steps, **extra, **hp)


def run_tf(opt, dtype=None, device=None, steps=STEPS):
    """TensorFlow style: Variables, an auto-watching tape, apply_gradients; the values after each step."""
    variables = [np.Variable(np.asarray(p, dtype=dtype, device=device), name=f"p{i}")
                 for i, p in enumerate(P0)]
    history = []
    for _ in range(steps):
        with np.GradientTape() as tape:
            value = loss(variables)
        opt.apply_gradients(zip(tape.gradient(value, variables), variables))
        history.append([v.value() for v in variables])
    return history, variables


def run_optax(opt, dtype=None, device=None, steps=STEPS):
    """optax style: a params pytree, np.grad, init/update/apply_updates."""
    params = {"p": [np.asarray(p, dtype=dtype, device=device) for p in P0]}
    state = opt.init(params)
    history = []
    for _ in range(steps):
        grads = np.grad(lambda q: loss(q["p"]))(params)
        updates, state = opt.update(grads, state, params)
        params = opts.apply_updates(params, updates)
        history.append(params["p"])
    return history, state


RUNS = {"tf": run_tf, "optax": run_optax}


@pytest.mark.parametrize("style", RUNS)
@pytest.mark.parametrize("name", CASES)
def test_update_matches_the_reference(name, style):
    cls, kwargs, _, _ = CASES[name]
    got, _ = RUNS[style](cls(**kwargs))
    for step, (g, want) in enumerate(zip(got, expected(name))):
        for p, w in zip(g, want):
            assert type(p) is np.ndarray and p.dtype == onp.float64 and p.shape == w.shape
            onp.testing.assert_allclose(onp.asarray(p), w, rtol=1e-12, atol=1e-14,
                                        err_msg=f"{name}, step {step + 1}")


@pytest.mark.parametrize("style", RUNS)
@pytest.mark.parametrize("name", ["sgd-nesterov", "adamw", "rmsprop-centered", "adagrad",
                                  "sgd-clipnorm", "sgd-global-clipnorm", "cosine-decay"])
def test_updates_keep_dtype_and_device(name, style):
    cls, kwargs, _, _ = CASES[name]
    opt = cls(**kwargs)
    got, extra = RUNS[style](opt, dtype=np.float32, device="sim", steps=3)
    want = expected(name, steps=3)
    for p, w in zip(got[-1], want[-1]):
        assert p.dtype == onp.float32 and p.device.name == "sim"
        onp.testing.assert_allclose(onp.asarray(p), w, rtol=2e-5, atol=1e-6)
    slots = extra.slots if style == "optax" else [opt._slots[id(v)][1] for v in extra]
    for slot in slots:
        assert all(s.dtype == onp.float32 and s.device.name == "sim" for s in slot)
    if style == "tf":
        assert all(type(v) is np.Variable and v.dtype == onp.float32 for v in extra)


@pytest.mark.parametrize("schedule", [opts.ExponentialDecay(0.1, 3, 0.7),
                                      opts.ExponentialDecay(0.1, 3, 0.7, staircase=True),
                                      opts.CosineDecay(0.1, 4), opts.CosineDecay(1.0, 4, alpha=0.25),
                                      opts.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]),
                                      opts.PiecewiseConstantDecay([], [0.3])], ids=repr)
def test_schedule_matches_the_reference(schedule):
    ref = SCHEDULES[type(schedule)]
    for step in range(8):
        assert math.isclose(schedule(step), ref(step, **vars(schedule)), rel_tol=1e-14)
        assert schedule(np.asarray(step)) == schedule(step)  # an array step works too


def test_iterations_and_learning_rate_follow_the_steps():
    schedule = opts.PiecewiseConstantDecay([0, 1], [0.3, 0.2, 0.1])
    opt = opts.SGD(schedule)
    w = np.Variable([1.0, 2.0])
    rates = []
    for _ in range(4):
        rates.append(opt.learning_rate)
        opt.apply_gradients([(np.ones(2), w)])
    assert opt.iterations == 4 and rates == [0.3, 0.2, 0.1, 0.1]
    onp.testing.assert_allclose(onp.asarray(w), [1.0 - 0.7, 2.0 - 0.7])
    opt.learning_rate = 0.5  # a constant again
    assert opt.learning_rate == 0.5


def test_functional_style_does_not_mutate_and_counts_in_its_state():
    params = [np.asarray([1.0, -1.0])]
    opt = opts.Adam(0.1)
    state = opt.init(params)
    updates, new_state = opt.update([np.asarray([0.5, 0.5])], state, params)
    assert state.count == 0 and new_state.count == 1 and opt.iterations == 0
    assert all(onp.all(onp.asarray(s) == 0) for s in state.slots[0])
    new = opts.apply_updates(params, updates)
    onp.testing.assert_allclose(onp.asarray(params[0]), [1.0, -1.0])
    onp.testing.assert_allclose(onp.asarray(new[0]), [0.9, -1.1], rtol=1e-6)


def test_apply_updates_keeps_the_parameter_dtype():
    new = opts.apply_updates({"w": np.ones(2, dtype=np.float32)}, {"w": np.ones(2) * 0.5})
    assert new["w"].dtype == onp.float32
    onp.testing.assert_allclose(onp.asarray(new["w"]), [1.5, 1.5])


def test_missing_gradients():
    w, b = np.Variable([1.0, 2.0], name="w"), np.Variable(3.0, name="b")
    opt = opts.SGD(0.5)
    with pytest.warns(UserWarning, match="'b'"):
        opt.apply_gradients([(np.ones(2), w), (None, b)])
    assert onp.asarray(w).tolist() == [0.5, 1.5] and float(b) == 3.0
    with pytest.raises(ValueError, match="no gradients"):
        opt.apply_gradients([(None, w)])
    # optax style: a None gradient leaves its parameter alone
    params = [np.ones(2), np.ones(3)]
    state = opt.init(params)
    updates, state = opt.update([np.ones(2), None], state, params)
    assert updates[1] is None
    assert onp.asarray(opts.apply_updates(params, updates)[1]).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("make, error, match", [
    (lambda: opts.SGD(0.1, clipnorm=1.0, global_clipnorm=1.0), ValueError, "only one"),
    (lambda: opts.SGD(0.1, clipnorm=0.0), ValueError, "clipnorm must be positive"),
    (lambda: opts.SGD(-0.1), ValueError, "learning_rate"),
    (lambda: opts.SGD(0.1, momentum=1.5), ValueError, "momentum"),
    (lambda: opts.Adam(beta_1=-0.1), ValueError, "beta_1"),
    (lambda: opts.AdamW(weight_decay=None), ValueError, "weight_decay"),
    (lambda: opts.RMSprop(rho=2.0), ValueError, "rho"),
    (lambda: opts.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), ValueError, "one more"),
    (lambda: opts.PiecewiseConstantDecay([2, 1], [0.1, 0.2, 0.3]), ValueError, "increase"),
    (lambda: opts.ExponentialDecay(0.1, 0, 0.5), ValueError, "decay_steps"),
    (lambda: opts.CosineDecay(0.1, -1), ValueError, "decay_steps"),
    (lambda: opts.SGD(0.1).apply_gradients([(np.ones(2), np.ones(2))]), TypeError, "npflow.Variable"),
    (lambda: opts.SGD(0.1).update([np.ones(2)], opts.SGD(0.1).init([np.ones(2)] * 2)), ValueError,
     "1 gradients for a state of 2"),
    (lambda: opts.AdamW().update([np.ones(2)], opts.AdamW().init([np.ones(2)])), ValueError,
     "needs the parameters"),
    (lambda: opts.apply_updates([np.ones(2)], []), ValueError, "0 updates for 1"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("style", RUNS)
def test_linear_regression_converges_with_adam(style):
    rng = onp.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ onp.array([1.5, -2.0, 0.5]) + 0.3 + 0.01 * rng.normal(size=200)
    want = onp.linalg.lstsq(onp.c_[X, onp.ones(200)], y, rcond=None)[0]
    Xn, yn = np.asarray(X), np.asarray(y)

    def mse(w, b):
        return np.mean((Xn @ w + b - yn) ** 2)

    opt = opts.Adam(0.1)
    if style == "tf":
        w, b = np.Variable(np.zeros(3), name="w"), np.Variable(0.0, name="b")
        for _ in range(300):
            with np.GradientTape() as tape:
                value = mse(w, b)
            opt.apply_gradients(zip(tape.gradient(value, [w, b]), [w, b]))
    else:
        params = {"w": np.zeros(3), "b": np.asarray(0.0)}
        state = opt.init(params)
        for _ in range(300):
            grads = np.grad(lambda p: mse(p["w"], p["b"]))(params)
            updates, state = opt.update(grads, state, params)
            params = opts.apply_updates(params, updates)
        w, b = params["w"], params["b"]
    onp.testing.assert_allclose(onp.r_[onp.asarray(w), float(b)], want, atol=2e-3)
