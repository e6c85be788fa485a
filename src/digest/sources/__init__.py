"""Where posts come from: one module per kind of input (a folder of Markdown, feeds).

Each source turns its input into the same :class:`~digest.models.Post`
records and :class:`~digest.models.Problem` reports (see ``docs/architecture.md``).
"""
