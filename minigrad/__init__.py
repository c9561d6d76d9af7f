"""minigrad: a small tensor autograd library on NumPy (CuPy on a GPU)."""
