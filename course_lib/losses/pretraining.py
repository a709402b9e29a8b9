"""Pre-training losses (masked LM, next-sentence prediction, their sum, causal LM)."""

__all__: list[str] = []
