"""Building blocks of the `report` pipeline: figures, sections, HTML/Markdown rendering, the summary schema,
compute accounting (parameters and FLOPs) and the loadable plot dataset."""
