"""Stage 3 — what goes out: ``result`` (tidy tables from the paths: year-end, monthly, deviations),
``report_table`` (the monitoring report's layout, CSV/XLSX) and ``output`` (the safe ``--out`` folder).
"""
