"""Packaging of the trained top model: safetensors artifact, MLflow pyfunc, registry."""
