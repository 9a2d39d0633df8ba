"""Generate the demo video dataset (`kedro run --pipeline=demo_data`)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
