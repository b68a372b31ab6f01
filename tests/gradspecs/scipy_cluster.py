"""Gradient specs for npflow.scipy.cluster.vq: vq's distances, in the observations and the code
book (the codes are an argmin: no derivative)."""
from npflow.scipy.cluster.vq import vq
from gradspecs import Case, rand

SPECS = [
    Case("np.scipy.cluster.vq.vq", lambda obs, book: vq(obs, book)[1], (rand(6, 3, seed=170), rand(4, 3, seed=171))),
    Case("np.scipy.cluster.vq.vq", lambda obs, book: vq(obs, book)[1], (rand(5, seed=172), rand(3, seed=173)), "1-d"),
]
