"""Stage 4 — the ``ennuste`` command line: ``cli`` (argument parsing, exit codes), ``batch`` (many
scenarios, processes), ``explain`` (a scenario in words). Built only on the stages below.
"""
