"""diffcli."""
