"""Sequence-classification losses (regression / single-label / multi-label) and the multiple-choice loss."""

__all__: list[str] = []
