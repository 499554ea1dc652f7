"""Automatic differentiation on diffcli's own tree: reverse mode, Taylor-mode forward, and
forward-over-reverse Hessians, in float64 NumPy (no SymPy)."""

from .derivatives import derivative, derivatives_along, gradient, gradient_at_points, hessian
from .scalar import ScalarPlan, plannable

__all__ = [
    "ScalarPlan",
    "derivative",
    "derivatives_along",
    "gradient",
    "gradient_at_points",
    "hessian",
    "plannable",
]
