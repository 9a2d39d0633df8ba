"""`encode`: `chunk_plan` → `chunk_embeddings` (one safetensors file per video, incremental), `text_embeddings`."""

from kedro.pipeline import Node, Pipeline

from .nodes import encode_texts, encode_videos


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(encode_videos,
                 ["video_index", "chunk_plan", "params:ingest.root", "chunk_embeddings_cache", "params:encode"],
                 ["chunk_embeddings", "encode_report"], name="encode_videos_node"),
            Node(encode_texts, ["video_index", "params:ingest.root", "params:encode"], "text_embeddings",
                 name="encode_texts_node"),
        ]
    )
