"""`encode`: `chunk_plan` → `chunk_embeddings` (one safetensors file per video, incremental) + `encode_report`,
and `text_embeddings`.

The encode node writes into the `chunk_embeddings` store it reads (that is what makes it incremental), so
it returns `encode_report`: nodes that read `chunk_embeddings` take `encode_report` too, to run after it.
"""

from kedro.pipeline import Node, Pipeline

from .nodes import embed_texts, encode_chunks

SHARDED_NODE = "encode_videos_node"  # the node that `nlv_kedro.launchers.encode` runs on every torchrun rank


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(encode_chunks,
                 ["video_index", "unlabeled_index", "chunk_plan", "params:ingest.root", "chunk_embeddings",
                  "params:encode"],
                 "encode_report", name=SHARDED_NODE),
            Node(embed_texts, ["video_index", "params:encode"], "text_embeddings",
                 name="encode_texts_node"),
        ]
    )
