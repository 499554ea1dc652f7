"""One module per sub-command; each reads options, calls the library and renders."""
