"""npflow's engine: the array, dtypes, devices, the op registry and dispatch."""
