"""Docstrings: NumPy's, adopted by reference, and what npflow does differently, from one table.

npflow's functions are NumPy's, name for name, so most of them document nothing of their own:
where a public function has no docstring (or a copy of NumPy's), :func:`adopt` gives it one
that says which NumPy function it is, what differs (``NOTES``, the one table of per-function
differences), and NumPy's own text after a marker line, without NumPy's examples (they show
NumPy's results and were never run on npflow; npflow's own examples run as doctests).
Only ``__doc__`` is set: the function objects and their call paths are untouched. It runs once,
at the end of ``import npflow`` (about 3 ms of its ~220 ms: string joins, no dedenting,
no NumPy submodule loaded that npflow did not load).

:func:`public_names` is the one definition of a namespace's public names: the documentation
site's reference (docs/conf.py) and tests/test_docstrings.py enumerate the namespaces with it,
so a namespace added later (``npflow.scipy``) is documented and checked without a list to edit.
"""
import sys
import types

import numpy

# public name ("linalg.eig" in a namespace) -> what npflow does differently from NumPy. The
# README's "Where npflow differs from NumPy" is the narrative of the same decisions.
_ZERO_D = ("a full reduction or scalar result is a 0-d npflow array, not a NumPy scalar (it acts "
           "as a number: ``float(s)``, ``f\"{s:.3f}\"``, ``if s > 0``)")
NOTES = {
    "argsort": "stable by default: NumPy leaves the order of ties unspecified, the Array API "
               "asks for a stable sort; takes the Array API's ``descending=``",
    "sort": "takes the Array API's ``descending=``",
    "unique_values": "the values are sorted (NumPy leaves their order unspecified)",
    "clip": "the positional bounds are named ``min`` and ``max`` (the Array API's names, NumPy "
            "2.1's keywords); every call NumPy accepts works the same",
    "finfo": "for float32, ``eps``, ``max``, ``min`` and ``smallest_normal`` are Python floats "
             "(the Array API's requirement; NumPy gives float32 scalars of the same values)",
    "expm1": "of complex infinities and NaNs is ``exp(x) - 1``, as NumPy documents it",
    "floor_divide": "follows the Array API's special cases where NumPy's own behaviour is an "
                    "open bug",
    "tanh": "follows the Array API's special cases where NumPy's own behaviour is an open bug",
    "fft.hfft": "honours ``out=`` (NumPy ignores it here)",
    "fft.ifft2": "honours ``out=`` (NumPy ignores it here)",
    "fft.irfft2": "honours ``out=`` (NumPy ignores it here)",
    "fft.fftfreq": "also takes the Array API's ``dtype=``",
    "fft.rfftfreq": "also takes the Array API's ``dtype=``",
    "linalg.eig": "the eigenvalues and eigenvectors are complex always (their dtype follows from "
                  "the input's alone); vector derivatives need distinct eigenvalues",
    "linalg.eigvals": "the eigenvalues are complex always (their dtype follows from the input's "
                      "alone)",
    **{name: _ZERO_D for name in ("sum", "prod", "mean", "std", "var", "max", "min", "amax",
                                  "amin", "all", "any", "median", "average", "dot", "vdot",
                                  "trace", "count_nonzero", "ptp", "linalg.det", "linalg.norm")},
}

_SUBMODULES = ("linalg", "fft", "random")  # NumPy's public subpackages npflow mirrors
MARKER = "NumPy's documentation of ``numpy.{name}`` follows, without its examples."  # (docs/conf.py cuts here)


def public_names(module):
    """A namespace's public names: its ``__all__``; for a namespace that mirrors NumPy's
    (``npflow`` itself, ``linalg``, ``fft``, ``random``, ``emath``) also every name NumPy's has
    there and npflow provides; else the names defined in it that do not start with ``_``."""
    names = set(getattr(module, "__all__", ()))
    reference = numpy_counterpart(module)
    if reference is not None:
        names.update(n for n in dir(reference) if not n.startswith("_") and hasattr(module, n))
    if module.__name__ == "npflow":
        names.update(n for n in dir(module) if not n.startswith("_"))
    elif not names:
        names.update(n for n, v in vars(module).items() if not n.startswith("_")
                     and getattr(v, "__module__", None) == module.__name__)
    return sorted(n for n in names if not isinstance(getattr(module, n), types.ModuleType))


def namespaces(root=None, discover=False):
    """The public namespaces by name: ``npflow``, and within each namespace the submodules it
    holds under public names (those its ``__all__`` lists, where it has one: npflow.autodiff's
    own modules are not namespaces), recursively (``npflow.scipy.special``). With ``discover``,
    npflow's public subpackages are imported first (ones ``import npflow`` leaves to be loaded
    on first use: the documentation and its tests want every one)."""
    root = root or sys.modules["npflow"]
    if discover:
        import importlib
        import pkgutil
        for info in pkgutil.iter_modules(root.__path__):
            if info.ispkg and not info.name.startswith("_"):
                importlib.import_module(f"{root.__name__}.{info.name}")
    found, todo = {}, [root]
    while todo:
        module = todo.pop()
        found[module.__name__] = module
        listed = getattr(module, "__all__", None)
        for n in sorted(dir(module)):
            sub = vars(module).get(n)  # (not getattr: npflow loads linalg, fft, random on first use)
            if not n.startswith("_") and isinstance(sub, types.ModuleType) \
                    and sub.__name__ == f"{module.__name__}.{n}" and (listed is None or n in listed):
                todo.append(sub)
    return dict(sorted(found.items()))


def numpy_counterpart(module):
    """NumPy's module that an npflow namespace mirrors (``numpy.linalg`` for npflow.linalg)."""
    if module.__name__ == "npflow":
        return numpy
    sub = module.__name__.partition(".")[2]
    # (NumPy's loaded submodules only: getattr would import its lazy ones, numpy.testing...)
    ref = sys.modules.get(f"numpy.{sub}") or vars(numpy).get(sub)
    return ref if isinstance(ref, types.ModuleType) else None


def is_numpys(obj, name, reference):
    """Whether ``obj`` is NumPy's own object (a dtype, a constant, an exception), re-exported."""
    return reference is not None and vars(reference).get(name) is obj


def _indent(doc):
    """The indentation of a docstring's body, read from the first text after its first blank
    line (4 spaces in NumPy's Python functions, none in its C functions', whose first line is a
    signature). The texts are joined as they are: dedenting 600 docstrings costs import time."""
    blank = doc.find("\n\n")
    rest = doc[blank + 2:] if blank >= 0 else doc.partition("\n")[2]
    rest = rest.lstrip("\n")
    return rest[:len(rest) - len(rest.lstrip(" "))]


def adopted_doc(qualified, numpy_doc):
    """The docstring of npflow's ``qualified`` (``"linalg.inv"``), from NumPy's and the table:
    a head, the ``NOTES`` entry, ``MARKER``, and NumPy's text without its Examples section."""
    ind = _indent(numpy_doc)
    cut = numpy_doc.find(f"\n{ind}Examples\n{ind}--------")
    text = numpy_doc if cut < 0 else numpy_doc[:cut]
    if ">>>" in text:  # examples inside its Notes too: those paragraphs are left out
        text = "\n\n".join(p for p in text.split("\n\n") if ">>>" not in p)
    base = qualified.rpartition(".")[2]
    head = f"npflow's ``{base}`` is NumPy's ``numpy.{qualified}``, on npflow arrays."
    note = NOTES.get(qualified)
    if note:
        head += f"\n\n{ind}Differences from NumPy: {note}."
    lead = "" if text.startswith("\n") else "\n" + ind  # NumPy's first line may be text
    return f"{head}\n\n{ind}{MARKER.format(name=qualified)}\n{lead}{text.rstrip()}\n"


def slotted_doc(obj):
    """Whether ``obj`` is a class whose instances hold their own ``__doc__`` (a slot: npflow's
    ufunc): the class's ``__doc__`` is that slot's descriptor and cannot be a text."""
    return isinstance(obj, type) and isinstance(vars(obj).get("__doc__"), types.MemberDescriptorType)


def adopt(root=None):
    """Give every public function of npflow's NumPy namespaces its docstring (see above), the
    members of npflow's classes that mirror NumPy's theirs, and each entry of ``NOTES`` to its
    function's docstring."""
    root = root or sys.modules["npflow"]
    mirrored = []  # (module, NumPy's, public names): computed once (import time)
    for module in namespaces(root).values():
        reference = numpy_counterpart(module)  # (None for NumPy's submodules not loaded: fft)
        if reference is not None:
            mirrored.append((module, reference, public_names(module)))
    for module, reference, names in mirrored:
        prefix = module.__name__.partition(".")[2]
        for name in names:
            obj = getattr(module, name)
            theirs = vars(reference).get(name)
            if not callable(obj) or theirs is None or is_numpys(obj, name, reference) \
                    or slotted_doc(obj) or not isinstance(theirs.__doc__, str):
                continue
            own = obj.__doc__
            if not isinstance(own, str) or not own.strip() or own == theirs.__doc__:
                _set_doc(obj, adopted_doc(f"{prefix}.{name}" if prefix else name, theirs.__doc__))
    for cls, theirs_cls in mirrored_classes(root, mirrored):
        where = theirs_cls.__module__.partition(".")[2].partition(".")[0]  # "random", or ""
        prefix = f"{where}.{theirs_cls.__name__}" if where in _SUBMODULES else theirs_cls.__name__
        for name in public_members(cls):
            member = inspect_static(cls, name)
            theirs = vars(theirs_cls).get(name)
            own = getattr(member, "__doc__", None)
            if isinstance(getattr(theirs, "__doc__", None), str) and \
                    (not isinstance(own, str) or not own.strip()):
                _set_doc(member, adopted_doc(f"{prefix}.{name}", theirs.__doc__))
    for qualified, note in NOTES.items():
        sub, _, name = qualified.rpartition(".")
        # (a namespace not loaded yet gets its notes when it loads: it calls adopt itself)
        module = sys.modules.get(f"npflow.{sub}" if sub else "npflow")
        obj = getattr(module, name, None)
        own = getattr(obj, "__doc__", None)
        if isinstance(own, str) and note not in own:
            _set_doc(obj, f"{own.rstrip()}\n\n{_indent(own)}Differences from NumPy: {note}.\n")


def mirrored_classes(root=None, mirrored=None):
    """(npflow's class, NumPy's class of the same name) of npflow's NumPy namespaces (ndarray,
    flatiter, ufunc, poly1d, random.Generator, ...): NumPy documents their members.
    ``mirrored``: adopt's (module, NumPy's module, public names), else computed here."""
    if mirrored is None:
        mirrored = [(m, numpy_counterpart(m), public_names(m)) for m in namespaces(root).values()
                    if numpy_counterpart(m) is not None]
    pairs = []
    for module, reference, names in mirrored:
        for name in names:
            cls, theirs = getattr(module, name), vars(reference).get(name)
            if isinstance(cls, type) and isinstance(theirs, type) and cls is not theirs \
                    and cls.__module__.startswith("npflow") and (cls, theirs) not in pairs:
                pairs.append((cls, theirs))
    return pairs


def public_members(cls):
    """The public members npflow's class ``cls`` defines (in it or an npflow base class)."""
    names = set()
    for base in cls.__mro__:
        if base.__module__.startswith("npflow"):
            names.update(n for n in vars(base) if not n.startswith("_"))
    return sorted(names)


def inspect_static(cls, name):
    """``cls``'s member ``name`` as defined (a function, a property), not bound."""
    for base in cls.__mro__:
        if name in vars(base):
            return vars(base)[name]
    return None


def _set_doc(obj, doc):
    try:
        getattr(obj, "__func__", obj).__doc__ = doc  # a bound method's is its function's
    except (AttributeError, TypeError):  # tests/test_docstrings.py names any left bare
        pass
