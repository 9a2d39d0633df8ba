"""NExT-QA (multiple choice): ``train.csv`` / ``val.csv`` / ``test.csv`` of the official release.

Columns: ``video,frame_count,width,height,qid,type,question,answer,a0,a1,a2,a3,a4`` where ``answer`` is
the index of the right choice and ``type`` the question type (CW, CH, TN, TC, TP, DL, DC, DO). Each row
becomes a QA row shaped like the demo's ``qa.jsonl`` (``choices`` = [a0..a4], ``answer`` = the right
choice's text); each video one index row, in the split of its file. Layout under ``ingest.root``::

    nextqa/train.csv   nextqa/val.csv   nextqa/test.csv
    NExTVideo/1025/2440175990.mp4

Videos are found by file stem anywhere under ``videos_dir``, so the official ``<group>/<video>.mp4``
folders work without ``map_vid_vidorID.json``. NExT-QA has no class labels.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Literal

import pandas as pd


from nlv_kedro.config import Strict

from .base import (
    QA_COLUMNS, AnnotationError, SourceTables, annotation_file, captions_from_column, index_videos, locate,
    role_tables, video_path
)

logger = logging.getLogger(__name__)
_CHOICE = re.compile(r"^a(\d+)$")


class NextQaSource(Strict):
    """``ingest.source`` for NExT-QA multiple choice (no class labels: ``require_labels`` defaults to off)."""


    format: Literal["nextqa"] = "nextqa"
    train_file: str | None = "nextqa/train.csv"
    val_file: str | None = "nextqa/val.csv"
    test_file: str | None = "nextqa/test.csv"
    videos_dir: str = "NExTVideo"


def read_nextqa(root: Path, source: NextQaSource, extensions: list[str]) -> SourceTables:
    """Videos from the ``video`` column, questions as multiple-choice QA rows."""
    found = index_videos(root, source.videos_dir, extensions, "videos_dir")
    rows, questions, listed_in = [], [], {}
    for role, csv, table in role_tables(root, source):
        choices = sorted((c for c in table.columns if _CHOICE.match(c)), key=lambda c: int(c[1:]))
        missing = {"video", "question", "answer"} - set(table.columns)
        if missing or not choices:
            raise AnnotationError(f"{csv} lacks columns {sorted(missing) or ['a0..a4']} "
                                  "(expected video,qid,question,answer,a0..a4,type)")
        for video_id in dict.fromkeys(table["video"].str.strip()):
            rows.append({"video_id": video_id, "path": video_path(found, source.videos_dir, video_id, extensions),
                         "label": "", "split": role, "caption": ""})
            listed_in[video_id] = csv.name
        questions += _questions(table, choices, csv.name)
    candidates, rejected = locate(root, rows, listed_in)
    qa = pd.DataFrame(questions, columns=QA_COLUMNS)
    qa = qa[qa["video_id"].isin(set(candidates["video_id"]))].reset_index(drop=True)
    return SourceTables(candidates, rejected, captions_from_column(candidates), qa)


def _questions(table: pd.DataFrame, choice_columns: list[str], file_name: str) -> list[dict]:
    """QA rows; a row whose answer is neither a choice index nor a choice text is skipped (and logged)."""
    out, skipped = [], []
    for record in table.to_dict("records"):
        choices = [str(record[c]).strip() for c in choice_columns]
        answer = str(record["answer"]).strip()
        if answer.isdigit() and int(answer) < len(choices):
            answer = choices[int(answer)]
        elif answer not in choices:
            skipped.append(record.get("qid", "?"))
            continue
        out.append({"video_id": str(record["video"]).strip(), "question": str(record["question"]).strip(),
                    "choices": choices, "answer": answer, "type": str(record.get("type", "")).strip()})
    if skipped:
        logger.warning("%s: %d questions skipped, answer not among the choices (qid %s...)", file_name, len(skipped),
                       skipped[:5])
    return out
