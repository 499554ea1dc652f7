"""``diffcli shell``: named expressions, ``ans``, line editing and batch mode over the commands."""
