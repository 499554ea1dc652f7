"""The expression language: parsing, the function whitelist, compiling, points."""
