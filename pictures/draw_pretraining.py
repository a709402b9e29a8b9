"""BertForPreTraining: which output each head reads, what it returns, and how the loss is built.

    python -m pictures.draw_pretraining   ->   pictures/pretraining.png
"""

from pictures.diagram import DATA, ENCODER, HEAD, LOSS, arrow, box, canvas, note, save


def main():
    fig, ax = canvas(11.0, 6.6, title="BertForPreTraining: one encoder, two heads, one summed loss")

    # input and encoder (left column)
    box(ax, 0.2, 0.35, 3.6, 0.75, "input_ids [B, T]\n[CLS] A ... [SEP] B ... [SEP]  (15 % masked)", DATA, fontsize=8)
    box(ax, 0.2, 1.6, 3.6, 1.5, "BertModel (self.bert)\nembeddings + N encoder layers", ENCODER, bold=True)
    arrow(ax, (2.0, 1.1), (2.0, 1.6))
    box(ax, 0.2, 3.55, 1.6, 0.9, "last_hidden_state\n[B, T, H]", ENCODER, fontsize=8)
    box(ax, 2.1, 3.55, 1.7, 0.9, "pooler_output [B, H]\ntanh(dense(h_[CLS]))", ENCODER, fontsize=7.5)
    arrow(ax, (1.0, 3.1), (1.0, 3.55))
    arrow(ax, (2.95, 3.1), (2.95, 3.55))

    # MLM head (top) and NSP head (middle)
    box(ax, 4.3, 4.6, 2.3, 1.3, "MLM head: cls.predictions\ntransform: dense, act,\nLayerNorm\ndecoder: h E^T + bias", HEAD, fontsize=8)
    arrow(ax, (1.0, 4.45), (4.3, 5.25), label="every token", offset=(-0.5, 0.3))
    box(ax, 4.3, 2.6, 2.3, 1.0, "NSP head: cls.seq_relationship\nLinear(H, 2)", HEAD, fontsize=7.5)
    arrow(ax, (3.8, 4.0), (4.3, 3.1), label="[CLS] only", offset=(-0.05, 0.35))

    # logits
    box(ax, 6.9, 4.85, 1.6, 0.8, "prediction_logits\n[B, T, vocab]", HEAD, fontsize=8)
    arrow(ax, (6.6, 5.25), (6.9, 5.25))
    box(ax, 6.9, 2.7, 1.6, 0.8, "seq_relationship_\nlogits [B, 2]", HEAD, fontsize=8)
    arrow(ax, (6.6, 3.1), (6.9, 3.1))

    # losses
    box(ax, 8.8, 4.75, 2.0, 1.0, "MLM loss: mean CE\nover labels != -100", LOSS, fontsize=8)
    arrow(ax, (8.5, 5.25), (8.8, 5.25))
    box(ax, 8.8, 2.7, 1.5, 0.8, "NSP loss: mean\nCE, 2 classes", LOSS, fontsize=8)
    arrow(ax, (8.5, 3.1), (8.8, 3.1))
    box(ax, 8.8, 0.5, 2.0, 0.9, "loss = MLM + NSP\n(plain sum)", LOSS, bold=True, fontsize=9)
    arrow(ax, (10.6, 4.75), (10.6, 1.4))
    arrow(ax, (9.55, 2.7), (9.55, 1.4))

    # the tie
    note(ax, 4.3, 6.25, "tie_word_embeddings=True: decoder.weight IS bert.embeddings.word_embeddings.weight (E)")
    note(ax, 4.3, 1.2, "labels [B, T]: token id at masked positions, -100 elsewhere\nnext_sentence_label [B]: 0 = B follows A, 1 = random B")
    return fig


if __name__ == "__main__":
    save(main(), "pretraining.png")
