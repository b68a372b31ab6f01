"""Gradient specs for npflow.scipy.fft (the DCTs: composites)."""
import npflow.scipy.fft as sf
from gradspecs import Case, rand

A = rand(3, 5, seed=140)
Z = rand(3, 5, seed=141, complex=True)
SPECS = [
    *[Case(f"np.scipy.fft.{f}", lambda x, f=f, t=t, norm=norm: getattr(sf, f)(x, t, norm=norm), (A,), f"{t}-{norm}")
      for f in ("dct", "idct") for t in (2, 3) for norm in (None, "ortho")],
    Case("np.scipy.fft.dct", lambda z: sf.dct(z, n=7, axis=0), (Z,), "complex-padded"),
    Case("np.scipy.fft.dctn", lambda x: sf.dctn(x, s=(2, 4)), (A,)),
    Case("np.scipy.fft.idctn", lambda x: sf.idctn(x, norm="ortho"), (A,)),
]
