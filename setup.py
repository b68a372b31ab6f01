"""Builds npflow's optional C accelerator (the dispatch fast path).

``optional=True``: where no C compiler is available the build goes on and
npflow runs in pure Python (slower per call, the same results).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("npflow._core._fastpath", ["npflow/_core/_fastpath.c"],
                             optional=True)])
