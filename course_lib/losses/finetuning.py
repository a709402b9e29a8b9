"""Fine-tuning losses (sequence classification problem types, multiple choice, token, QA span)."""

__all__: list[str] = []
