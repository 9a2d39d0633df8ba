"""Pure video functions: probing, decoding, writing, sampling and chunking."""
