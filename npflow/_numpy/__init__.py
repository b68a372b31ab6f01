"""NumPy's namespace: functions with NumPy's signatures, by family."""
