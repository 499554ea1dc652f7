"""The differentiation methods, one module each (see ``engine.registry``)."""
