"""Gradient specs for npflow.lib.stride_tricks (sliding_window_view is a primitive view)."""
import npflow as np
from gradspecs import Case, rand

swv = np.lib.stride_tricks.sliding_window_view

SPECS = [
    Case("sliding_window_view", lambda x: swv(x, 3), (rand(6),)),
    Case("sliding_window_view", lambda x: swv(x, (2, 2)), (rand(3, 4),), "2-d"),
    Case("sliding_window_view", lambda x: swv(x, (2, 2), axis=(1, 1)), (rand(2, 5),), "repeated-axis"),
    Case("sliding_window_view", lambda x: swv(x, 2, axis=-1) ** 2, (rand(2, 3, complex=True),), "complex"),
]
