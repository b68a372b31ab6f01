"""Gradient specs for npflow.fft: the three primitives (c2c, r2c, c2r) over odd and even lengths,
padding and cropping, every norm, real and complex inputs; and every public function."""
import numpy as onp

import npflow as np
from gradspecs import Case, rand

R5, R6 = rand(2, 5, seed=90), rand(2, 6, seed=91)
Z5, Z6 = rand(2, 5, seed=92, complex=True), rand(2, 6, seed=93, complex=True)
R3D, Z3D = rand(3, 4, 5, seed=94), rand(3, 4, 5, seed=95, complex=True)
NORMS = (None, "ortho", "forward")
fft = np.fft

SPECS = [
    # c2c: forward and inverse, real and complex input, padding and cropping, each norm
    *[Case("fft.c2c", lambda a, nm=nm: fft.fft(a, norm=nm), (Z5,), f"complex-{nm}") for nm in NORMS],
    *[Case("fft.c2c", lambda a, nm=nm: fft.ifft(a, n=8, norm=nm), (R5,), f"ifft-pad-{nm}")
      for nm in NORMS],
    Case("fft.c2c", lambda a: fft.fft(a, n=3, axis=0), (Z6.T,), "crop-axis0-complex"),
    Case("fft.c2c", lambda a: fft.ifftn(a, s=(5, 3), axes=(2, 0), norm="ortho"), (Z3D,),
         "2d-complex"),
    # r2c: odd and even lengths, padding and cropping, each norm, several axes
    *[Case("fft.r2c", lambda a, nm=nm: fft.rfft(a, norm=nm), (x,), f"n{x.shape[-1]}-{nm}")
      for nm in NORMS for x in (R5, R6)],
    Case("fft.r2c", lambda a: fft.rfft(a, n=9), (R6,), "pad-odd"),
    Case("fft.r2c", lambda a: fft.rfft(a, n=4, axis=0, norm="forward"), (R5.T,), "crop-even"),
    Case("fft.r2c", lambda a: fft.rfftn(a, s=(3, 6), axes=(0, 2), norm="ortho"), (R3D,), "2d"),
    Case("fft.r2c", lambda a: fft.rfftn(a), (R3D,), "3d"),
    # c2r: odd and even output lengths, real and complex input, each norm, several axes
    *[Case("fft.c2r", lambda a, nm=nm, n=n: fft.irfft(a, n=n, norm=nm), (Z5,), f"n{n}-complex-{nm}")
      for nm in NORMS for n in (8, 9)],
    Case("fft.c2r", lambda a: fft.irfft(a), (R6,), "real"),
    Case("fft.c2r", lambda a: fft.irfft(a, n=3, axis=0), (Z6.T,), "crop-axis0-complex"),
    Case("fft.c2r", lambda a: fft.irfftn(a, s=(3, 5), axes=(2, 0), norm="ortho"), (Z3D,),
         "2d-complex"),
    Case("fft.c2r", lambda a: fft.irfftn(a, s=(2, 4, 4), axes=(0, 1, 2), norm="forward"), (Z3D,),
         "3d-complex"),
    # the public functions (composites of the above)
    Case("np.fft.fft", lambda a: fft.fft(a, n=7, norm="ortho"), (Z6,), "complex"),
    Case("np.fft.ifft", lambda a: fft.ifft(a, axis=0), (R5,)),
    Case("np.fft.rfft", lambda a: fft.rfft(a, n=4), (R5,)),
    Case("np.fft.irfft", lambda a: fft.irfft(a, n=7, norm="forward"), (Z6,), "complex"),
    Case("np.fft.hfft", lambda a: fft.hfft(a), (Z5,), "complex"),
    Case("np.fft.hfft", lambda a: fft.hfft(a, n=5, norm="ortho"), (R6,), "odd"),
    Case("np.fft.ihfft", lambda a: fft.ihfft(a, norm="forward"), (R5,)),
    Case("np.fft.ihfft", lambda a: fft.ihfft(a, n=8), (R6,), "pad"),
    Case("np.fft.fftn", lambda a: fft.fftn(a), (Z3D,), "complex"),
    Case("np.fft.fftn", lambda a: fft.fftn(a, s=(3, 4, 2), axes=(1, 1, 2)), (R3D,), "repeated-axes"),
    Case("np.fft.ifftn", lambda a: fft.ifftn(a, axes=(0, 2), norm="ortho"), (R3D,)),
    Case("np.fft.fft2", lambda a: fft.fft2(a, s=(5, 3)), (Z3D,), "complex"),
    Case("np.fft.ifft2", lambda a: fft.ifft2(a, norm="forward"), (R3D,)),
    Case("np.fft.rfftn", lambda a: fft.rfftn(a, s=(2, 3), axes=(2, 1)), (R3D,)),
    Case("np.fft.irfftn", lambda a: fft.irfftn(a), (Z3D,), "complex"),
    Case("np.fft.irfftn", lambda a: fft.irfftn(a, s=(4, 3), axes=(0, 0)), (Z3D,),
         "repeated-axes-complex"),
    Case("np.fft.rfft2", lambda a: fft.rfft2(a, norm="ortho"), (R3D,)),
    Case("np.fft.irfft2", lambda a: fft.irfft2(a, s=(4, 7)), (Z3D,), "complex"),
    Case("np.fft.fftshift", lambda a: fft.fftshift(a), (R3D,)),
    Case("np.fft.fftshift", lambda a: fft.fftshift(a, axes=1), (Z5,), "complex"),
    Case("np.fft.ifftshift", lambda a: fft.ifftshift(a, axes=(0, 2)), (R3D,)),
    Case("np.fft.fftfreq", lambda d: fft.fftfreq(7, d), (onp.asarray(0.3),), "spacing"),
    Case("np.fft.rfftfreq", lambda d: fft.rfftfreq(8, d), (onp.asarray(1.7),), "spacing"),
]
