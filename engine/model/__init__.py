"""Stage 2 — the simulation, in the order :func:`engine.pipeline.simulate` runs it:

``shocks`` (scenario events → monthly arrays) → ``inputs`` (per-path draws, shape (paths, months)) →
``paths``/``kernel`` (the compiled month loop: labour stocks by duration bucket and the TMT cohorts) →
``tmt`` (the subsidy's city share, k€) → ``ledger`` (each unit's lines and year-end, k€).
``labour`` holds the labour model's constants and history; ``calibrate`` fits them to the history;
``reference`` is the one-path oracle the compiled loop is tested against.
"""
