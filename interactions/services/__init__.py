"""Writes. Views, the admin, tasks and commands change domain rows only through these functions."""
