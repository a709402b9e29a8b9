"""The course map: one BERT encoder, eight task models, and which encoder output each head reads."""

from pictures.diagram import DATA, ENCODER, HEAD, arrow, box, canvas, note, save


def head_column(ax, heads, top: float, source: tuple, color: str) -> None:
    """One column of head boxes, top to bottom, each with an arrow from the encoder output it reads."""
    for i, (name, what) in enumerate(heads):
        y = top - i * 0.72
        box(ax, 6.3, y, 4.5, 0.55, f"{name}\n{what}", HEAD, fontsize=8)
        arrow(ax, source, (6.3, y + 0.27), color=color)


if __name__ == "__main__":
    fig, ax = canvas(11.0, 6.4, "One encoder, eight task models: which output each head reads")

    # Encoder column (left)
    box(ax, 0.2, 5.2, 2.2, 0.55, "input_ids, token_type_ids,\nattention_mask   [B, T]", DATA, fontsize=8)
    box(ax, 0.2, 4.2, 2.2, 0.6, "BertEmbeddings\nword + position + type", ENCODER, fontsize=8.5)
    box(ax, 0.2, 2.9, 2.2, 0.9, "BertEncoder\nN x (self-attention\n+ feed-forward)", ENCODER, fontsize=8.5)
    box(ax, 0.2, 1.6, 2.2, 0.6, "BertPooler\ntanh(dense(h[CLS]))", ENCODER, fontsize=8.5)
    arrow(ax, (1.3, 5.2), (1.3, 4.8))
    arrow(ax, (1.3, 4.2), (1.3, 3.8))
    arrow(ax, (1.3, 2.9), (1.3, 2.2), "h[CLS]", offset=(0.05, 0.0))
    note(ax, 0.2, 0.95, "BertModel = these three boxes\n(add_pooling_layer=False drops the pooler)", fontsize=8)

    # The two outputs
    seq = box(ax, 3.0, 4.3, 2.3, 0.6, "last_hidden_state\n[B, T, H]: one vector per token", DATA, fontsize=8)
    pool = box(ax, 3.0, 1.6, 2.3, 0.6, "pooler_output\n[B, H]: one vector per sequence", DATA, fontsize=8)
    arrow(ax, (2.4, 3.6), (3.0, 4.45))
    arrow(ax, (2.4, 1.9), (3.0, 1.9))

    # Heads reading last_hidden_state (token level)
    token_heads = [
        ("BertForMaskedLM", "MLM head -> logits [B, T, V]"),
        ("BertLMHeadModel", "causal mask + MLM head -> [B, T, V]"),
        ("BertForTokenClassification", "dropout + linear -> [B, T, labels]"),
        ("BertForQuestionAnswering", "qa_outputs -> start, end [B, T]"),
    ]
    head_column(ax, token_heads, top=5.55, source=(5.3, 4.6), color="#1f77b4")

    # Heads reading pooler_output (sequence level)
    seq_heads = [
        ("BertForNextSentencePrediction", "linear -> [B, 2]"),
        ("BertForSequenceClassification", "dropout + linear -> [B, labels]"),
        ("BertForMultipleChoice", "[B*C] -> 1 logit each -> [B, C]"),
    ]
    head_column(ax, seq_heads, top=2.2, source=(5.3, 1.9), color="#ff7f0e")

    # Pre-training reads both
    box(ax, 3.0, 2.85, 2.3, 0.75, "BertForPreTraining\nMLM [B, T, V] + NSP [B, 2]\nreads both outputs", HEAD, fontsize=8)
    arrow(ax, (4.15, 4.3), (4.15, 3.6), color="#1f77b4")
    arrow(ax, (4.15, 2.2), (4.15, 2.85), color="#ff7f0e")
    note(ax, 6.3, 6.25, "token-level heads read last_hidden_state (blue)", fontsize=8.5, color="#1f77b4")
    note(ax, 6.3, 2.95, "sequence-level heads read pooler_output (orange)", fontsize=8.5, color="#ff7f0e")
    note(ax, 0.2, 0.45, "B = batch, T = tokens, H = hidden size, V = vocabulary size, C = choices", fontsize=8)
    save(fig, "bert_flow.png")
