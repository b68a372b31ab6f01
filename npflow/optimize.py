"""``npflow.optimize``: the former home of ``minimize``, kept as an alias of ``npflow.scipy.optimize``."""
from .scipy.optimize import *  # noqa: F401,F403
from .scipy.optimize import __all__  # noqa: F401
