"""Builds npflow's optional C accelerator (the dispatch fast path).

``optional=True``: where no C compiler is available the build goes on and
npflow runs in pure Python (slower per call, the same results).

One extension module, ``npflow._core._fastpath``, from the files of
``npflow/_core/fastpath/`` (split by concern; ``fastpath.h`` is what they share).
"""
import numpy
from setuptools import Extension, setup

SRC = "npflow/_core/fastpath/"
SOURCES = [SRC + f + ".c" for f in ("array", "apply", "version", "recorder", "tangent", "backward",
                                     "callables", "module")]

# NumPy's C API reads an array's dtype, shape and base without attribute lookups.
setup(ext_modules=[Extension("npflow._core._fastpath", SOURCES, depends=[SRC + "fastpath.h"],
                             include_dirs=[numpy.get_include()], optional=True)])
