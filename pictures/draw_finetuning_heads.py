"""The four fine-tuning heads on one BERT encoder: which encoder output each head reads, what it
does to it, and the shape of what comes out.

Sentence-level heads (sequence classification, multiple choice) read ``pooler_output``, the
tanh-dense transform of the [CLS] vector. Token-level heads (token classification, question
answering) read ``last_hidden_state``, one vector per token, and are built without a pooler.
Multiple choice first flattens [B, C, T] to [B*C, T] so the encoder sees ordinary sequences.

    python -m pictures.draw_finetuning_heads      -> pictures/finetuning_heads.png
"""

from pictures.diagram import DATA, ENCODER, HEAD, LOSS, arrow, box, canvas, note, save


def head(ax, x, y, title, steps, output, loss, reads):
    """One head column: its title, its layers, its output shape and its loss."""
    w = 2.8
    box(ax, x, y, w, 0.5, title, HEAD, fontsize=8.3, bold=True)
    box(ax, x, y - 0.85, w, 0.6, steps, HEAD, fontsize=7.5)
    box(ax, x, y - 1.65, w, 0.55, output, DATA, fontsize=7.8)
    box(ax, x, y - 2.45, w, 0.55, loss, LOSS, fontsize=7.5)
    cx = x + w / 2
    arrow(ax, (cx, y), (cx, y - 0.25))
    arrow(ax, (cx, y - 0.85), (cx, y - 1.1))
    arrow(ax, (cx, y - 1.65), (cx, y - 1.9))
    note(ax, cx + 0.08, y + 0.72, f"reads {reads}", ha="left", fontsize=8, color="#333333")
    return cx


if __name__ == "__main__":
    fig, ax = canvas(11.8, 7.6, "Four fine-tuning heads on one BERT encoder: what each reads and produces")

    # Encoder, across the top
    box(ax, 0.5, 6.55, 3.6, 0.6, "input_ids, token_type_ids, attention_mask\n[B, T]   (multiple choice: [B, C, T])",
        DATA, fontsize=7.8)
    enc = box(ax, 4.7, 6.5, 3.4, 0.7, "BertModel\nembeddings -> N encoder layers", ENCODER, fontsize=9, bold=True)
    arrow(ax, (4.1, 6.85), (4.7, 6.85))

    # The two outputs, each above the heads that read it
    pool = box(ax, 0.9, 5.35, 4.6, 0.6, "pooler_output   [B, H]\ntanh(W h[CLS] + b): one vector per sequence",
               ENCODER, fontsize=8)
    seq = box(ax, 6.6, 5.35, 4.6, 0.6, "last_hidden_state   [B, T, H]\none vector per token",
              ENCODER, fontsize=8)
    arrow(ax, (5.6, 6.5), (pool[0] + 1.0, 5.95), color="#1f77b4")
    arrow(ax, (7.2, 6.5), (seq[0] - 1.0, 5.95), color="#ff7f0e")

    top = 4.2
    xs = [0.15, 3.05, 5.95, 8.85]
    c1 = head(ax, xs[0], top, "BertForSequenceClassification",
              "dropout -> Linear(H, num_labels)", "logits   [B, num_labels]",
              "MSE (num_labels = 1) | CE (int\nlabels) | BCE (float multi-hot)", "pooler_output")
    c2 = head(ax, xs[1], top, "BertForMultipleChoice",
              "flatten [B, C, T] -> [B*C, T],\ndropout -> Linear(H, 1), reshape",
              "logits   [B, C]", "CE over the C choices", "pooler_output")
    c3 = head(ax, xs[2], top, "BertForTokenClassification",
              "(built without a pooler)\ndropout -> Linear(H, num_labels)", "logits   [B, T, num_labels]",
              "CE per token; label -100 =\nsub-word / padding, ignored", "last_hidden_state")
    c4 = head(ax, xs[3], top, "BertForQuestionAnswering",
              "(built without a pooler)\nLinear(H, 2), split the last dim", "start_logits, end_logits\n[B, T] each",
              "(CE(start) + CE(end)) / 2; positions\n> T clamped to T and ignored", "last_hidden_state")

    for cx in (c1, c2):
        arrow(ax, (cx, 5.35), (cx, top + 0.52), color="#1f77b4")
    for cx in (c3, c4):
        arrow(ax, (cx, 5.35), (cx, top + 0.52), color="#ff7f0e")
    note(ax, 0.3, 1.1, "Blue: sentence-level heads read the pooled [CLS] vector (for multiple choice, one per "
         "(question, choice) pair).", fontsize=8.2)
    note(ax, 0.3, 0.75, "Orange: token-level heads read every token's final vector; a checkpoint's pooler weights "
         "load into them as 'unexpected'.", fontsize=8.2)
    note(ax, 0.3, 0.4, "B = batch, T = tokens per sequence, H = hidden size (384 for the course's MiniLM, "
         "768 for bert-base), C = number of choices.", fontsize=8.2)
    save(fig, "finetuning_heads.png")
