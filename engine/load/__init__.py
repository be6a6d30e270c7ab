"""Stage 1 — what comes in, read and validated once: the period's baseline figures (``baseline``), the
model's dated parameters with their sources (``parameters``) and a scenario file (``scenario``).

Each is immutable data; a bad file is a :class:`engine.common.errors.UserError` naming file, field and value.
"""
