"""Video QA nodes: the library's QA comparison (:mod:`nlv_kedro.qa.compare`), typed with `params:video_qa`.

`qa_metrics` schema: see :mod:`nlv_kedro.qa.compare`.
"""

from nlv_kedro.qa.compare import (
    collect_video_vectors,
    evaluate_video_qa,
    export_qa_projector,
    prepare_qa_pairs,
    train_qa_projectors,
)

__all__ = ["collect_video_vectors", "evaluate_video_qa", "export_qa_projector", "prepare_qa_pairs",
           "train_qa_projectors"]
