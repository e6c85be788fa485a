"""Where posts come from: one module per kind of input (today, a folder of Markdown).

Each source turns its input into the same :class:`~digest.models.Post`
records and :class:`~digest.models.Problem` reports (see ``docs/architecture.md``).
"""
