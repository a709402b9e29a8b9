"""Token-classification loss (ignore index -100) and the question-answering span loss."""

__all__: list[str] = []
