"""Shared leaves every stage uses: user errors (exit 2), months (``YYYY-MM``), distributions, schema types.

Nothing here imports from another ``engine`` folder.
"""
