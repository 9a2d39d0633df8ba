"""Video question answering: contextual chunk vectors as soft tokens of a frozen LLM."""
