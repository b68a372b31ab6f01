"""Floating-point exceptions around compiled code: NumPy's warnings and errors, not silence.

A NumPy ufunc clears the CPU's floating-point exception flags, runs its loop and reads them
back: a division by zero, an overflow or an invalid operation then warns or raises as
``numpy.errstate`` says. numba's compiled code computes the same inf and nan but reads no
flags, so a compiled segment would neither warn nor raise. :func:`checked` wraps a compiled
kernel the same way: where errstate does not ignore a category, the flags are cleared before
the kernel runs and read after it; if any was raised, the kernel's results are dropped and the
segment runs again as the NumPy replay (the same ops: eager's values, warnings and errors).
A compiled segment is pure (it writes nothing outside itself), so running it again is safe.

The flags are read with C's ``feclearexcept``/``fetestexcept`` through ctypes, where the
C library has them and the flag bits are known (Linux and macOS on x86-64 and arm64; checked
once against ``log(0)``, ``exp(1000)`` and ``sqrt(-1)``). Elsewhere a segment runs as the
replay whenever errstate would raise or call a handler, and otherwise compiled without warnings.
"""
import ctypes
import ctypes.util
import platform
import sys

import numpy

_BITS = {  # machine -> bits of (invalid, divide, over, under) in <fenv.h>
    "x86_64": (0x01, 0x04, 0x08, 0x10), "amd64": (0x01, 0x04, 0x08, 0x10),
    "aarch64": (0x01, 0x02, 0x04, 0x08), "arm64": (0x01, 0x02, 0x04, 0x08)}
_CATEGORIES = ("invalid", "divide", "over", "under")


def _load():
    """(clear, test, {category: bit}) or None where the flags cannot be read."""
    bits = _BITS.get(platform.machine().lower())
    if bits is None or sys.platform == "win32":
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("m") or ctypes.util.find_library("c"))
        clear, test = lib.feclearexcept, lib.fetestexcept
        clear.argtypes = test.argtypes = [ctypes.c_int]
        clear.restype = test.restype = ctypes.c_int
        every = sum(bits)
        for name, arg, bit in (("log", 0.0, bits[1]), ("exp", 1000.0, bits[2]), ("sqrt", -1.0, bits[0])):
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = [ctypes.c_double], ctypes.c_double
            clear(every)
            fn(arg)
            if test(every) != bit:  # (the bits are not these: do not guess)
                return None
        clear(every)
    except (OSError, AttributeError, TypeError):
        return None
    return clear, test, dict(zip(_CATEGORIES, bits))


_FLAGS = _load()


def available():
    """Whether the flags can be read here."""
    return _FLAGS is not None


def checked(kernel, fallback):
    """``kernel`` (a compiled segment's) run as NumPy would run it: with the flags read where
    errstate asks for them, and ``fallback()`` (the segment's NumPy replay, made on first use)
    run instead where one was raised."""
    made = []

    def replay(*args):
        if not made:
            made.append(fallback())
        return made[0](*args)

    geterr = numpy.geterr
    if _FLAGS is None:
        def run(*args):
            err = geterr()
            if "raise" in err.values() or "call" in err.values():
                return replay(*args)
            return kernel(*args)
    else:
        run = _flagged(kernel, replay, geterr)
    run.__dict__.update(getattr(kernel, "__dict__", {}))  # (the compiled function, for tests)
    return run


def _flagged(kernel, replay, geterr):
    """``kernel`` with the flags errstate asks for cleared before and read after it."""
    clear, test, bits = _FLAGS
    every = sum(bits.values())

    def run(*args):
        err = geterr()
        mask = 0
        for name, bit in bits.items():
            if err[name] != "ignore":
                mask |= bit
        if not mask:
            return kernel(*args)
        clear(every)
        out = kernel(*args)
        if test(mask):
            return replay(*args)
        return out
    return run
