"""``npflow.Variable``: a mutable, named array for a model's parameters (TensorFlow's tf.Variable).

A Variable is an ``npflow.ndarray`` that owns its memory: arithmetic on it works as on
any array (results are plain arrays), and ``assign``/``assign_add``/``assign_sub`` write
new values into that memory in place, so views, tapes and in-place checks see them. While
a ``GradientTape`` (with ``watch_accessed_variables=True``, the default) records, a
trainable floating-point Variable used in an operation is watched by it automatically.
"""
from ._core import devices as _devices
from ._core.ndarray import ndarray
from ._numpy.creation import array as _array

__all__ = ["Variable"]


class Variable(ndarray):
    """A mutable array holding parameters: ``Variable(initial_value, trainable=True, name=None, dtype=None)``.

    ``initial_value`` (an array, nested list, scalar, or a callable returning one) is copied.

    >>> import npflow as np
    >>> v = np.Variable([1.0, 2.0], name="w")
    >>> with np.GradientTape() as tape:     # trainable Variables are watched when read
    ...     loss = np.sum(v * v)
    >>> tape.gradient(loss, v)
    array([2., 4.])
    >>> _ = v.assign_sub(np.array([0.5, 0.5]))
    >>> v.name, np.asarray(v)
    ('w', array([0.5, 1.5]))
    """

    __slots__ = ("_name", "_trainable")
    __hash__ = None  # mutable, and compared elementwise: use id(v) as a key

    def __new__(cls, initial_value, trainable=True, name=None, dtype=None):
        if callable(initial_value):
            initial_value = initial_value()
        value = _array(initial_value, dtype=dtype)  # a copy the Variable owns (its memory root)
        self = super(ndarray, cls).__new__(cls)  # the storage base (ndarray.__new__ takes a shape)
        self._data = value._data
        self._device = value._device
        self._ad = None
        self._name = "Variable" if name is None else str(name)
        self._trainable = bool(trainable)
        return self

    name = property(lambda self: self._name, doc="The Variable's name (``'Variable'`` unless given).")
    trainable = property(lambda self: self._trainable,
                         doc="Whether tapes watch the Variable when an operation reads it.")

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    def value(self):
        """The current value as a plain ``npflow.ndarray`` (a copy: later assigns do not change it)."""
        return self.copy()

    def assign(self, value):
        """Write ``value`` (of the Variable's shape) into the Variable in place; returns the Variable."""
        if not hasattr(value, "shape"):  # a scalar or nested list: converted as setitem converts it
            value = _array(value, dtype=self._data.dtype, device=self._device)
        if tuple(value.shape) != self._data.shape:
            raise ValueError(f"Variable.assign(): the value's shape {tuple(value.shape)} differs from the "
                             f"shape {self._data.shape} of Variable {self._name!r}")
        self[...] = value
        return self

    def assign_add(self, delta):
        """``self += delta`` in place (``delta`` broadcasts to the Variable's shape); returns the Variable."""
        return self.assign(self + delta)

    def assign_sub(self, delta):
        """``self -= delta`` in place (``delta`` broadcasts to the Variable's shape); returns the Variable."""
        return self.assign(self - delta)

    def __repr__(self):
        text = f"<npflow.Variable {self._name!r} shape={self._data.shape} dtype={self._data.dtype}"
        if self._device.kind != "cpu":
            text += f" device={self._device.name!r}"
        return f"{text}, numpy={self._host()!r}>"

    def __copy__(self):
        return Variable(self, self._trainable, self._name)

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        return (_rebuild, (self._host(), self._device.name, self._trainable, self._name))


def _rebuild(host, device, trainable, name):
    return Variable(_array(host, device=_devices.as_device(device)), trainable, name)


