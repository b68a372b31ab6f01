"""Builds npflow's optional C accelerator (the dispatch fast path).

``optional=True``: where no C compiler is available the build goes on and
npflow runs in pure Python (slower per call, the same results).
"""
import numpy
from setuptools import Extension, setup

# NumPy's C API reads an array's dtype, shape and base without attribute lookups.
setup(ext_modules=[Extension("npflow._core._fastpath", ["npflow/_core/_fastpath.c"],
                             include_dirs=[numpy.get_include()], optional=True)])
