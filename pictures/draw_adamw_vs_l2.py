"""AdamW vs Adam + L2 as data flow: where the weight decay enters one optimiser step.

Two lanes share the Adam machinery (moments, bias correction, adaptive denominator). In the left
lane the decay term wd * p joins the gradient *before* the moments, so it is divided by
sqrt(v_hat) + eps with everything else. In the right lane the weight is shrunk directly, outside
the adaptive part. Replaces the screenshot of the paper's Algorithm 2 (Loshchilov & Hutter,
"Decoupled Weight Decay Regularization", ICLR 2019).

    python -m pictures.draw_adamw_vs_l2      -> pictures/adamw_vs_l2.png
"""

from pictures.diagram import DATA, ENCODER, HEAD, LOSS, arrow, box, canvas, note, save, tr


def lane(ax, x0, title, coupled):
    w, h = 3.8, 0.55
    cx = x0 + w / 2
    ax.text(cx, 9.55, tr(title), ha="center", va="center", fontsize=11, fontweight="bold")
    box(ax, x0, 8.5, w, h, "gradient  g = dL/dp", DATA)
    if coupled:
        dec = box(ax, x0, 7.5, w, h, "g <- g + wd * p   (L2 term)", LOSS, bold=True)
        arrow(ax, (cx, 8.5), (cx, 8.05))
        top = 7.5
    else:
        top = 8.5
    m = box(ax, x0, 6.3, w * 0.47, h, "m <- b1*m + (1-b1)*g", ENCODER, fontsize=7.5)
    v = box(ax, x0 + w * 0.53, 6.3, w * 0.47, h, "v <- b2*v + (1-b2)*g^2", ENCODER, fontsize=7.5)
    arrow(ax, (cx, top), (m[0], 6.85))
    arrow(ax, (cx, top), (v[0], 6.85))
    mh = box(ax, x0, 5.2, w * 0.47, h, "m_hat = m / (1 - b1^t)", ENCODER, fontsize=7.5)
    vh = box(ax, x0 + w * 0.53, 5.2, w * 0.47, h, "sqrt(v / (1 - b2^t)) + eps", ENCODER, fontsize=7.5)
    arrow(ax, (m[0], 6.3), (mh[0], 5.75))
    arrow(ax, (v[0], 6.3), (vh[0], 5.75))
    box(ax, x0, 4.0, w, h, "u = m_hat / (sqrt(v_hat) + eps)", HEAD)
    arrow(ax, (mh[0], 5.2), (cx - 0.4, 4.55))
    arrow(ax, (vh[0], 5.2), (cx + 0.4, 4.55), label="divides", offset=(0.08, 0.05))
    if coupled:
        box(ax, x0, 2.8, w, h, "p <- p - lr * u", HEAD)
        arrow(ax, (cx, 4.0), (cx, 3.35))
        note(ax, cx, 2.1, "the decay went through sqrt(v_hat):\nlarge/noisy-gradient weights are barely decayed",
             ha="center")
    else:
        dec = box(ax, x0, 2.8, w, h, "p <- p * (1 - lr * wd)  then  p <- p - lr * u", LOSS, bold=True, fontsize=8)
        arrow(ax, (cx, 4.0), (cx, 3.35))
        note(ax, cx, 2.1, "the decay never meets sqrt(v_hat):\nevery weight shrinks at the same rate lr * wd",
             ha="center")
    return dec


fig, ax = canvas(9.2, 10.2, title="Where the weight decay enters one Adam step")
lane(ax, 0.4, "Adam + L2\ntorch.optim.Adam(weight_decay=wd)", coupled=True)
lane(ax, 5.0, "AdamW (decoupled decay)\ntorch.optim.AdamW(weight_decay=wd)", coupled=False)
ax.plot([4.6, 4.6], [1.6, 9.9], color="#999999", linewidth=0.8, linestyle="--")
note(ax, 4.6, 1.1, "With plain SGD both lanes are the same update (L2 with wd equals decay with lr*wd).\n"
     "Adam's division by sqrt(v_hat) is what makes them differ (Loshchilov & Hutter, ICLR 2019).",
     ha="center", fontsize=8.5, color="#333333")
save(fig, "adamw_vs_l2.png")
