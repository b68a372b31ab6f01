"""The public namespace, ``npflow`` itself, for the code below it that calls it at run time.

Gradient rules (npflow/_ops), the transforms and a few composites are written in npflow's own
functions (invariant 3 in docs/architecture.md), so at run time they call the package whose import imports
them. ``import npflow`` in those modules would put the op layer into one import cycle with the
package; they take the package's module object from here instead: the same object, complete by
the time any rule runs, with no import edge upwards (tests/test_layering.py keeps npflow/ free of
import cycles). Nothing may call into it while ``import npflow`` is still running.
"""
import sys

npflow = sys.modules[__name__.partition(".")[0]]
