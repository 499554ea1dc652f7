"""The use cases: diff, grad, hessian, sweep and descend, options in, reports out."""
