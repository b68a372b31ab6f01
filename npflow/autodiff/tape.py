"""``npflow.GradientTape``: TensorFlow's reverse-mode door onto the engine."""
import contextlib

from . import core
from .pytree import flatten, unflatten


class GradientTape:
    """Records operations on watched arrays for reverse-mode differentiation::

        with np.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        dy_dx = tape.gradient(y, x)

    A non-persistent tape frees what it saved once ``gradient`` returns and
    cannot be used again; ``persistent=True`` keeps it for several calls.
    A tape is active in the thread that entered it, and records every op on an array it
    tracks, whichever thread runs the op. With ``watch_accessed_variables=True`` (the default) a
    trainable floating-point ``npflow.Variable`` is watched when an operation reads it.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._rec = self._recorder()
        self._depth = 0

    def _recorder(self):
        rec = core.Recorder(persistent=self._persistent)
        rec.watch_accessed = bool(self.watch_accessed_variables)
        return rec

    def __enter__(self):
        core._activate(self._rec)
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        core._deactivate(self._rec)
        return False

    def __del__(self):
        # Arrays the tape tagged (a long-lived watched array) keep its recorder object;
        # what it saved is freed when the tape goes.
        rec = getattr(self, "_rec", None)
        if rec is not None:
            rec.__del__()

    def watch(self, tensor):
        """Track ``tensor`` (an array or a nested structure of arrays) from now on."""
        for x in flatten(tensor)[0]:
            self._rec.watch(x)

    def watched_variables(self):
        """The Variables this tape watches (by ``watch`` or on use), in the order it began to."""
        from ..variables import Variable
        return tuple(x for x in (r() for r in self._rec.watched) if isinstance(x, Variable))

    @contextlib.contextmanager
    def stop_recording(self):
        """Operations in this block are not recorded on this tape."""
        if self._rec not in core._state.stack:
            raise ValueError("GradientTape.stop_recording(): the tape is not recording "
                             "(use it inside the tape's `with` block)")
        with core.only(core.outer_than(self._rec)):
            yield

    def reset(self):
        """Forget everything recorded; watched arrays must be watched again."""
        active = self._rec in core._state.stack
        if active:
            core._deactivate(self._rec)
        self._rec.release()
        self._rec = self._recorder()
        if active:
            core._activate(self._rec)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(sum of target) / d sources, with ``sources``' structure; ``output_gradients``
        weights the targets (their cotangents)."""
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"GradientTape.gradient(): unconnected_gradients must be 'none' or "
                             f"'zero', got {unconnected_gradients!r}")
        targets = _arrays_of(target, "target", "gradient", numbers=True)
        if output_gradients is None:
            seeds = [_ones_like(t) for t in targets]
        else:
            seeds, _ = flatten(output_gradients)
            if len(seeds) != len(targets):
                raise ValueError(f"GradientTape.gradient(): {len(seeds)} output_gradients for "
                                 f"{len(targets)} targets")
            for s, t in zip(seeds, targets):
                _check_output_gradient(s, t)
        srcs, tree = flatten(sources)
        _arrays_of(sources, "sources", "gradient")
        grads = self._rec.backward(targets, seeds, srcs, unconnected_gradients)
        self._stop_if_used()
        return unflatten(tree, grads)

    def _stop_if_used(self):
        """A non-persistent tape used inside its block stops recording there (as TensorFlow pops it):
        what it tracked is released, so later writes (an optimizer step) must not be checked against it."""
        if not self._persistent:
            core._deactivate(self._rec)

    def jacobian(self, target, sources, unconnected_gradients="none"):
        """d target / d source for every element of ``target``: shape target.shape + source.shape."""
        import npflow as np
        _arrays_of(target, "target", "jacobian", leaf=True)
        srcs, tree = flatten(sources)
        _arrays_of(sources, "sources", "jacobian")
        persistent = self._rec.persistent
        self._rec.persistent = True
        try:
            rows = []
            for k in range(target.size):
                seed = np.zeros(target.size, dtype=target.dtype, device=target.device)
                seed[k] = 1
                rows.append(self._rec.backward([target], [seed.reshape(target.shape)], srcs,
                                               unconnected_gradients))
        finally:
            self._rec.persistent = persistent
        if not persistent:
            self._rec.release()
            self._rec.used = True
            self._stop_if_used()
        out = []
        for i, s in enumerate(srcs):
            col = [r[i] for r in rows]
            if all(c is None for c in col):
                out.append(None)
                continue
            col = [np.zeros_like(s) if c is None else c for c in col]
            out.append(np.stack(col).reshape(target.shape + s.shape) if col else
                       np.zeros(target.shape + s.shape, dtype=s.dtype, device=s.device))
        return unflatten(tree, out)


_NUMBERS = (int, float, complex)


def _arrays_of(tree, what, method, numbers=False, leaf=False):
    """The leaves of ``tree``, each an npflow array (or, with ``numbers``, a number), else TypeError."""
    import npflow as np
    leaves, _ = flatten(tree) if not leaf else ([tree], None)
    for x in leaves:
        if not (isinstance(x, np.ndarray) or numbers and type(x) in _NUMBERS):
            raise TypeError(f"GradientTape.{method}(): {what} must be "
                            f"{'an npflow array' if leaf else 'npflow arrays (or nested lists, tuples, dicts of them)'}"
                            f", got {type(x).__name__} {x!r:.60}")
    return leaves


def _check_output_gradient(s, t):
    import numpy
    import npflow as np
    if not (isinstance(s, (np.ndarray, numpy.ndarray, numpy.generic)) or type(s) in _NUMBERS):
        raise TypeError(f"GradientTape.gradient(): output_gradients must be arrays or numbers, got "
                        f"{type(s).__name__} {s!r:.60}")
    if numpy.shape(s) != numpy.shape(t):
        raise ValueError(f"GradientTape.gradient(): an output gradient of shape {numpy.shape(s)} "
                         f"for a target of shape {numpy.shape(t)}")


def _ones_like(t):
    import npflow as np
    return np.ones_like(t)
