"""Gradient-descent optimizers with Keras's names, defaults and update formulas, in two styles.

TensorFlow style, on ``npflow.Variable``s (updated in place; ``iterations`` counts the steps)::

    opt = npflow.optimizers.Adam(1e-3)
    opt.apply_gradients(zip(grads, variables))

optax style, on pytrees of arrays (nothing is mutated)::

    state = opt.init(params)
    updates, state = opt.update(grads, state, params)
    params = npflow.optimizers.apply_updates(params, updates)

Both run the same update math, written in npflow operations, so it runs on every device and
keeps each parameter's dtype. As in Keras, a step clips the gradients (``clipnorm``: each
gradient to that norm; ``global_clipnorm``: all of them together), applies decoupled weight
decay (``p -= p * weight_decay * lr``), then the optimizer's update; ``learning_rate`` is a
number or a schedule (a callable ``step -> lr``, called with the number of steps taken).
"""
import bisect
import collections
import math
import warnings

from ._numpy.creation import asarray, zeros_like, full_like
from ._numpy.reductions import sum as _sum
from ._numpy.ufuncs import sqrt, square, maximum
from .autodiff.pytree import flatten, unflatten
from .variables import Variable
from ._core.ndarray import ndarray

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "apply_updates",
           "OptimizerState", "LearningRateSchedule", "ExponentialDecay", "CosineDecay",
           "PiecewiseConstantDecay"]

OptimizerState = collections.namedtuple("OptimizerState", ["count", "slots"])
OptimizerState.__doc__ = ("The optax-style state: ``count`` steps taken, and ``slots``: one tuple of "
                          "arrays (moments, accumulators) per parameter leaf, in flattening order.")


# -- learning-rate schedules (Keras's formulas) ----------------------------------------------

class LearningRateSchedule:
    """A learning rate as a function of the step (the number of updates made so far)."""

    def __call__(self, step):
        return self.rate(float(step))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _positive(name, value):
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return value


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored if staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive("ExponentialDecay(): decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase

    def rate(self, step):
        """The learning rate after ``step`` updates."""
        p = step / self.decay_steps
        return self.initial_learning_rate * self.decay_rate ** (math.floor(p) if self.staircase else p)


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` to ``alpha * initial_learning_rate`` over ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive("CosineDecay(): decay_steps", decay_steps)
        self.alpha = alpha

    def rate(self, step):
        """The learning rate after ``step`` updates."""
        done = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * done))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while step <= boundaries[0], ``values[i]`` while boundaries[i-1] < step <= boundaries[i],
    ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay(): values must have one more entry than boundaries, "
                             f"got {len(values)} values and {len(boundaries)} boundaries")
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay(): boundaries must increase, got {boundaries!r}")
        self.boundaries = list(boundaries)
        self.values = list(values)

    def rate(self, step):
        """The learning rate after ``step`` updates."""
        return self.values[bisect.bisect_left(self.boundaries, step)]


# -- the optimizers --------------------------------------------------------------------------

class Optimizer:
    """The shared machinery: schedules, clipping, weight decay, both styles' bookkeeping.

    A subclass gives ``_init_slots(p)`` (its per-parameter state, a tuple of arrays) and
    ``_update(g, slots, lr, t) -> (update, slots)`` (the change to add to the parameter at step t >= 1).
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, global_clipnorm=None):
        name = type(self).__name__
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{name}(): give only one of clipnorm and global_clipnorm, got "
                             f"clipnorm={clipnorm!r} and global_clipnorm={global_clipnorm!r}")
        for arg, v in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm)):
            if v is not None and not v > 0:
                raise ValueError(f"{name}(): {arg} must be positive, got {v!r}")
        if not callable(learning_rate) and not learning_rate >= 0:
            raise ValueError(f"{name}(): learning_rate must be a non-negative number or a schedule, "
                             f"got {learning_rate!r}")
        self._learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.iterations = 0  # TensorFlow style: the number of apply_gradients calls
        self._slots = {}  # TensorFlow style: id(variable) -> (variable, its slots)

    @property
    def learning_rate(self):
        """The learning rate of the next apply_gradients step."""
        return self._lr(self.iterations)

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = value

    def _lr(self, step):
        lr = self._learning_rate
        return float(lr(step)) if callable(lr) else lr

    def _clip(self, grads):
        if self.clipnorm is not None:
            c = self.clipnorm
            return [g if g is None else g * c / maximum(sqrt(_sum(square(g))), c) for g in grads]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            norm = sqrt(sum(_sum(square(g)) for g in grads if g is not None))
            scale = c / maximum(norm, c) + (norm - norm)  # NaN (as Keras) when the norm is not finite
            return [g if g is None else g * scale.astype(g.dtype) for g in grads]
        return grads

    def _step(self, grads, params, slots, count):
        """(updates, new slots) for parallel lists of gradients (None: skipped), parameters and slots."""
        lr = self._lr(count)
        grads = [g if g is None or p is None else asarray(g, dtype=p.dtype) for g, p in zip(grads, params)]
        grads = self._clip(grads)
        updates, new_slots = [], []
        for g, p, s in zip(grads, params, slots):
            if g is None:
                updates.append(None)
                new_slots.append(s)
                continue
            u, s = self._update(g, s, lr, count + 1)
            if self.weight_decay:
                if p is None:
                    raise ValueError(f"{type(self).__name__}.update(): weight decay needs the parameters: "
                                     f"call update(grads, state, params)")
                u = u - p * (self.weight_decay * lr)
            updates.append(u)
            new_slots.append(s)
        return updates, new_slots

    # TensorFlow style -------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Update each Variable in place from its gradient (pairs with a None gradient are skipped)."""
        _refuse_under_jit(f"{type(self).__name__}.apply_gradients()")
        pairs = list(grads_and_vars)
        for g, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}.apply_gradients(): expected (gradient, "
                                f"npflow.Variable) pairs, got a {type(v).__name__} to update; use "
                                f"opt.init/opt.update for plain arrays")
        missing = [v.name for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError(f"{type(self).__name__}.apply_gradients(): no gradients provided for any variable")
        if missing:
            warnings.warn(f"{type(self).__name__}.apply_gradients(): no gradient for {missing}; "
                          f"they are not updated", stacklevel=2)
        grads = [g for g, v in pairs]
        variables = [v for g, v in pairs]
        slots = [self._slots[id(v)][1] if id(v) in self._slots else self._init_slots(v)
                 for v in variables]
        updates, slots = self._step(grads, variables, slots, self.iterations)
        for v, u, s in zip(variables, updates, slots):
            v.assign_add(u)
            self._slots[id(v)] = (v, s)
        self.iterations += 1

    # optax style ------------------------------------------------------------------------
    def init(self, params):
        """The state for a pytree of parameters (arrays)."""
        return OptimizerState(0, tuple(self._init_slots(p) for p in flatten(params)[0]))

    def update(self, grads, state, params=None):
        """``(updates, new_state)``: updates have the gradients' structure; add them with apply_updates."""
        leaves, tree = flatten(grads)
        if len(leaves) != len(state.slots):
            raise ValueError(f"{type(self).__name__}.update(): {len(leaves)} gradients for a state of "
                             f"{len(state.slots)} parameters")
        ps = [None] * len(leaves) if params is None else flatten(params)[0]
        if len(ps) != len(leaves):
            raise ValueError(f"{type(self).__name__}.update(): {len(leaves)} gradients for "
                             f"{len(ps)} parameters")
        updates, slots = self._step(leaves, ps, state.slots, state.count)
        return unflatten(tree, updates), OptimizerState(state.count + 1, tuple(slots))

    def __repr__(self):
        return f"<npflow.optimizers.{type(self).__name__} learning_rate={self._learning_rate!r} " \
               f"iterations={self.iterations}>"


def _refuse_under_jit(what):
    """The TensorFlow-style step keeps its step count and slots as Python state: a jitted
    function would update them once, at trace time, and its later calls would take steps from
    the stale count and moments, silently wrong. It raises there instead."""
    from ._core import dispatch
    if dispatch.concrete_check is None:  # (no graph is traced anywhere: the common case)
        return
    from .jit.graph import JitError, active_trace
    if active_trace() is not None:
        raise JitError(f"{what} inside npflow.jit: the optimizer's step count and slots are Python "
                       f"state, which a compiled graph does not update on its later calls; use the "
                       f"optax style: state = opt.init(params) outside, and inside the jitted "
                       f"function updates, state = opt.update(grads, state, params), returning state")


def apply_updates(params, updates):
    """``params + updates`` leaf by leaf, each result in its parameter's dtype (a None update keeps it)."""
    ps, tree = flatten(params)
    us, _ = flatten(updates)
    if len(ps) != len(us):
        raise ValueError(f"apply_updates(): {len(us)} updates for {len(ps)} parameters")
    return unflatten(tree, [p if u is None else (p + u).astype(asarray(p).dtype, copy=False)
                            for p, u in zip(ps, us)])


def _unit(name, value):
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return value


class SGD(Optimizer):
    """Gradient descent, with momentum and Nesterov momentum (Keras's formulation)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, global_clipnorm)
        self.momentum = _unit("SGD(): momentum", momentum)
        self.nesterov = nesterov

    def _init_slots(self, p):
        return (zeros_like(p),) if self.momentum else ()

    def _update(self, g, slots, lr, t):
        if not self.momentum:
            return -(g * lr), ()
        m = slots[0] * self.momentum - g * lr
        return (m * self.momentum - g * lr if self.nesterov else m), (m,)


class Adam(Optimizer):
    """Adam with Keras's bias correction (folded into the step size)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, global_clipnorm)
        self.beta_1 = _unit(f"{type(self).__name__}(): beta_1", beta_1)
        self.beta_2 = _unit(f"{type(self).__name__}(): beta_2", beta_2)
        self.epsilon = epsilon

    def _init_slots(self, p):
        return zeros_like(p), zeros_like(p)

    def _update(self, g, slots, lr, t):
        m, v = slots
        b1, b2 = self.beta_1, self.beta_2
        if isinstance(t, ndarray):  # a step count held as an array (a jitted step: npflow.jit)
            alpha = (lr * sqrt(1 - b2 ** t) / (1 - b1 ** t)).astype(g.dtype)
        else:
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (square(g) - v) * (1 - b2)
        return -(m * alpha / (sqrt(v) + self.epsilon)), (m, v)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p -= p * weight_decay * lr`` before each Adam step."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 clipnorm=None, global_clipnorm=None):
        if weight_decay is None:
            raise ValueError("AdamW(): weight_decay must be a number, got None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, clipnorm, global_clipnorm)


class RMSprop(Optimizer):
    """RMSprop (Keras's: epsilon inside the square root), with optional momentum and centering."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, global_clipnorm)
        self.rho = _unit("RMSprop(): rho", rho)
        self.momentum = _unit("RMSprop(): momentum", momentum)
        self.epsilon = epsilon
        self.centered = centered

    def _init_slots(self, p):  # (velocity, [momentum], [average gradient])
        return tuple(zeros_like(p) for _ in range(1 + (self.momentum > 0) + bool(self.centered)))

    def _update(self, g, slots, lr, t):
        rho = self.rho
        v = rho * slots[0] + (1 - rho) * square(g)
        new = [v]
        if self.centered:
            avg = rho * slots[-1] + (1 - rho) * g
            denominator = v - square(avg) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * g / sqrt(denominator)
        if self.momentum > 0:
            increment = self.momentum * slots[1] + increment
            new.append(increment)
        if self.centered:
            new.append(avg)
        return -increment, tuple(new)


class Adagrad(Optimizer):
    """Adagrad: steps scaled by the root of the running sum of squared gradients."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, global_clipnorm)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _init_slots(self, p):
        return (full_like(p, self.initial_accumulator_value),)

    def _update(self, g, slots, lr, t):
        acc = slots[0] + square(g)
        return -(lr * g / sqrt(acc + self.epsilon)), (acc,)
