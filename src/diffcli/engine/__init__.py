"""The differentiation engine: methods, the fixed-step kernel, kinks, SymPy."""
