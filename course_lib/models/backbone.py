"""The BERT encoder, written out in plain PyTorch.

BERT (Devlin et al., 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", arXiv:1810.04805) is a stack of Transformer encoder layers (Vaswani et al., 2017)
on top of three summed embeddings. Every task model in this course is this encoder plus a small
head, so this module is the foundation of everything else.

The module and parameter names copy ``transformers.models.bert.modeling_bert`` one for one
(``embeddings.word_embeddings``, ``encoder.layer.0.attention.self.query``, ``pooler.dense``, ...),
so ``state_dict()`` keys are identical and weights move both ways with ``strict=True``. The code
itself is ours: one readable class per box in the usual BERT diagram, comments that say why.

Data flow (shapes for batch B, sequence T, hidden H):

    input_ids [B, T] --> BertEmbeddings --> [B, T, H] --> BertLayer x N --> last_hidden_state [B, T, H]
                                                                           \\-> BertPooler --> pooler_output [B, H]
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_integer, check_positive, check_probability, check_tensor, is_integer
from .outputs import BaseModelOutputWithPooling

# --------------------------------------------------------------------------------------------
# Activations. BERT's config names its activation by string; these are the ones BERT checkpoints
# use. "gelu" is the exact erf form (what Google's BERT used); "gelu_new" is the tanh approximation.
# --------------------------------------------------------------------------------------------


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _gelu_clipped(x: torch.Tensor) -> torch.Tensor:  # "gelu_10": GELU clipped to [-10, 10] (for int8 export)
    return torch.clip(F.gelu(x), -10.0, 10.0)


def _quick_gelu(x: torch.Tensor) -> torch.Tensor:  # x * sigmoid(1.702 x), the approximation CLIP uses
    return x * torch.sigmoid(1.702 * x)


def _laplace(x: torch.Tensor, mu: float = 0.707107, sigma: float = 0.282095) -> torch.Tensor:  # MEGA
    return 0.5 * (1.0 + torch.erf((x - mu).div(sigma * math.sqrt(2.0))))


def _relu_squared(x: torch.Tensor) -> torch.Tensor:  # relu(x)^2 (Primer, So et al. 2021)
    return torch.square(F.relu(x))


def _sqrt_softplus(x: torch.Tensor) -> torch.Tensor:
    return F.softplus(x).sqrt()


# Every name ``transformers.activations.ACT2FN`` accepts. The GELU variants compute the same curve
# (exact erf form, or the tanh approximation) in slightly different floating-point order, so they
# agree with transformers to float rounding, not bit for bit.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "gelu": F.gelu,
    "gelu_python": F.gelu,
    "gelu_10": _gelu_clipped,
    "gelu_new": _gelu_tanh,
    "gelu_pytorch_tanh": _gelu_tanh,
    "gelu_python_tanh": _gelu_tanh,
    "gelu_fast": _gelu_tanh,
    "gelu_accurate": _gelu_tanh,
    "quick_gelu": _quick_gelu,
    "hardswish": F.hardswish,
    "laplace": _laplace,
    "leaky_relu": F.leaky_relu,  # negative slope 0.01, nn.LeakyReLU's default
    "linear": _identity,
    "mish": F.mish,
    "relu": F.relu,
    "relu2": _relu_squared,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "silu": F.silu,
    "swish": F.silu,
    "sqrtsoftplus": _sqrt_softplus,
    "tanh": torch.tanh,
}


def _xielu() -> nn.Module:
    # xIELU (arXiv:2411.13010) has two learned parameters and two buffers: use transformers' module
    # so that the state-dict keys and the initial values are the reference ones.
    from transformers.activations import ACT2FN

    return ACT2FN["xielu"]


# Activations with learned parameters: a fresh module per layer (its parameters then appear in the
# state dict under ``...intermediate_act_fn.*``, as in transformers).
PARAMETRIC_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "prelu": nn.PReLU,  # one learned negative slope, initialised to 0.25
    "xielu": _xielu,
}


def get_activation(name_or_fn) -> Callable[[torch.Tensor], torch.Tensor]:
    """Turn ``config.hidden_act`` (a name or a callable) into a function (or, for an activation with
    learned parameters, a fresh module)."""
    if callable(name_or_fn):
        return name_or_fn
    if isinstance(name_or_fn, str):
        if name_or_fn in ACTIVATIONS:
            return ACTIVATIONS[name_or_fn]
        if name_or_fn in PARAMETRIC_ACTIVATIONS:
            return PARAMETRIC_ACTIVATIONS[name_or_fn]()
    known = sorted([*ACTIVATIONS, *PARAMETRIC_ACTIVATIONS])
    raise ValueError(f"unknown activation {name_or_fn!r} in config.hidden_act; known: {known}")


# (config field, smallest allowed value): sizes the modules are built from
_SIZE_FIELDS = (
    ("vocab_size", 1),
    ("hidden_size", 1),
    ("num_hidden_layers", 0),
    ("num_attention_heads", 1),
    ("intermediate_size", 1),
    ("max_position_embeddings", 1),
    ("type_vocab_size", 1),
)


def check_config(config) -> None:
    """Reject configurations this course's encoder does not implement (or that no encoder could
    be built from), instead of failing deep inside a module or silently computing something else."""
    if config is None or isinstance(config, (str, bytes, Mapping, os.PathLike)) or not hasattr(config, "hidden_size"):
        raise TypeError(
            f"a model is built from a configuration object (a transformers.BertConfig), got "
            f"{type(config).__name__} {str(config)[:60]!r}: use Cls(BertConfig(vocab_size=..., ...)) for fresh weights, "
            "or Cls.from_pretrained(folder) for a checkpoint (a dict: BertConfig(**d))"
        )
    for name, smallest in _SIZE_FIELDS:
        check_integer(f"config.{name}", getattr(config, name, None), smallest)
    for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
        check_probability(f"config.{name}", getattr(config, name, 0.0))
    check_positive("config.layer_norm_eps", getattr(config, "layer_norm_eps", 1e-12))
    pad = getattr(config, "pad_token_id", None)
    if pad is not None and (not is_integer(pad) or not 0 <= pad < config.vocab_size):
        raise ValueError(f"config.pad_token_id must be None or a token id in [0, {config.vocab_size}), got {pad!r}")
    if config.hidden_size % config.num_attention_heads != 0:
        raise ValueError(
            f"hidden_size ({config.hidden_size}) must be a multiple of num_attention_heads "
            f"({config.num_attention_heads}): each head gets hidden_size / num_heads dimensions"
        )
    kind = getattr(config, "position_embedding_type", "absolute")
    if kind not in (None, "absolute"):
        raise ValueError(
            f"position_embedding_type={kind!r} is not implemented here; this course covers BERT's "
            "learned absolute position embeddings only"
        )
    if getattr(config, "add_cross_attention", False):
        raise ValueError(
            "add_cross_attention=True (BERT as the decoder of an encoder-decoder model) is not "
            "covered by this course"
        )
    get_activation(config.hidden_act)


def check_keep_mask(attention_mask: torch.Tensor) -> None:
    """An attention mask holds 1 (attend) or 0 (padding). An *additive* mask (0 / -10000, or 0 / -inf)
    read as a keep-mask would attend to the padding and ignore the tokens: the masking inverted."""
    if not attention_mask.numel():
        return
    if attention_mask.dtype != torch.bool:
        bad = (attention_mask != 0) & (attention_mask != 1)
        if bool(bad.any()):
            raise ValueError(
                "attention_mask must hold 1 for tokens to attend to and 0 for padding (what the tokenizer "
                f"returns), got values such as {attention_mask[bad].flatten()[:3].tolist()}; an additive "
                "mask (0 / -10000) is built inside the model: pass the 0/1 mask instead"
            )
    # A row of zeros leaves a sequence nothing to attend to: transformers then silently attends to every
    # position (padding included) and returns numbers for it. It is almost always an additive mask
    # (0 = keep) of an unpadded batch, so it is refused here.
    empty = ~attention_mask.reshape(-1, attention_mask.shape[-1]).bool().any(-1)
    if bool(empty.any()):
        raise ValueError(
            f"attention_mask row {int(empty.nonzero()[0])} is all 0: that sequence has no token to attend to "
            "(transformers would silently attend to its padding). 1 marks a real token, 0 padding: an additive "
            "mask (0 = keep) has the meaning the other way round; pass the tokenizer's 0/1 mask"
        )


# The leading dimensions of a model input: [batch, seq_len], or [batch, num_choices, seq_len] for multiple
# choice. dims -> (what the message calls the input, the dimension names, a hint for a wrong layout)
_LAYOUTS = {
    2: ("", ("batch", "seq_len"), ""),
    3: ("multiple-choice ", ("batch", "num_choices", "seq_len"),
        "; stack the tokenized choices of each question along dim 1"),
}


def check_inputs(model, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                 dims: int = 2) -> tuple[int, ...]:
    """The first step of every model's ``forward`` (the arguments in the order ``forward`` takes them):
    name the problem in bad input before the encoder runs, instead of failing deep inside it.

    Checks what needs no look at the values: every input is a tensor of the right kind (integer ids,
    float embeddings), exactly one of ``input_ids`` and ``inputs_embeds`` is given, it has ``dims``
    leading dimensions (``[batch, seq_len]``, or ``[batch, num_choices, seq_len]`` for multiple choice),
    none of them 0, and the other inputs fit that shape. Returns the shape. ``BertModel`` then checks the
    values against the config (ids inside the vocabulary, positions, the 0/1 mask).
    """
    check_tensor("input_ids", input_ids, "ids")
    check_tensor("inputs_embeds", inputs_embeds, "float")
    check_tensor("attention_mask", attention_mask)
    check_tensor("token_type_ids", token_type_ids, "ids")
    check_tensor("position_ids", position_ids, "ids")
    if input_ids is None and inputs_embeds is None:
        raise ValueError(f"{type(model).__name__} needs input_ids or inputs_embeds; neither was given")
    if input_ids is not None and inputs_embeds is not None:
        raise ValueError("give either input_ids or inputs_embeds, not both")
    what, names, hint = _LAYOUTS[dims]
    if input_ids is not None:
        if input_ids.dim() != dims:
            raise ValueError(
                f"{what}input_ids must be {dims}-D [{', '.join(names)}], got shape {tuple(input_ids.shape)}{hint}"
            )
        shape = tuple(input_ids.shape)
    else:
        hidden = model.config.hidden_size
        if inputs_embeds.dim() != dims + 1 or inputs_embeds.shape[-1] != hidden:
            raise ValueError(
                f"{what}inputs_embeds must be {dims + 1}-D [{', '.join(names)}, {hidden}], got shape "
                f"{tuple(inputs_embeds.shape)}{hint}"
            )
        shape = tuple(inputs_embeds.shape[:-1])
    if shape[0] == 0:
        raise ValueError(
            f"the batch is empty (input shape {shape}): give at least one example (an empty slice of the "
            "data?); transformers fails on it too, with a reshape error"
        )
    if dims == 3 and shape[1] == 0:
        raise ValueError(f"the input has 0 choices per question (shape {shape}): give at least one choice")
    if shape[-1] == 0:
        raise ValueError(f"the input has sequence length 0 (shape {shape}): every sequence needs at least one token")
    for name, tensor in (("attention_mask", attention_mask), ("token_type_ids", token_type_ids)):
        if tensor is not None and tuple(tensor.shape) != shape:
            raise ValueError(f"{name} has shape {tuple(tensor.shape)} but the input has shape {shape}")
    # position_ids may also be one row that every sequence shares, [seq_len] or [1, seq_len] (as in transformers)
    seq_len = shape[-1]
    if position_ids is not None and tuple(position_ids.shape) not in ((seq_len,), (1, seq_len), shape):
        raise ValueError(
            f"position_ids has shape {tuple(position_ids.shape)}; expected [{seq_len}], [1, {seq_len}] "
            f"or {list(shape)} (one position per token)"
        )
    return shape


# --------------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------------


class BertEmbeddings(nn.Module):
    """word + position + token type (segment) embeddings, then LayerNorm and dropout.

    The three are *summed*, not concatenated: each is a learned vector of the full hidden size,
    and the encoder learns to read the mixture. Position embeddings are learned, one row per
    position up to ``max_position_embeddings`` (512 for BERT), which is why longer inputs fail.
    Token types tell sentence A (0) from sentence B (1), which next-sentence prediction needs.
    """

    def __init__(self, config):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        # The capital L is transformers' (and TensorFlow BERT's) name; keep it so checkpoints load.
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        batch, seq_len = inputs_embeds.shape[:2]
        device = inputs_embeds.device
        if position_ids is None:
            position_ids = torch.arange(seq_len, device=device).unsqueeze(0)  # [1, T], broadcast over batch
        if token_type_ids is None:
            token_type_ids = torch.zeros(batch, seq_len, dtype=torch.long, device=device)
        embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids) + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))


# --------------------------------------------------------------------------------------------
# Attention
# --------------------------------------------------------------------------------------------


def make_additive_mask(
    attention_mask: torch.Tensor | None,
    batch: int,
    seq_len: int,
    dtype: torch.dtype,
    device: torch.device,
    causal: bool = False,
) -> torch.Tensor | None:
    """Turn a ``[B, T]`` keep-mask (1 = real token, 0 = padding) into an additive ``[B, 1, T, T]``
    bias for the attention scores: 0 where a query may look, a very large negative number where
    it may not. Adding it before the softmax gives those keys weight exp(-huge) = 0.

    With ``causal=True`` (BertLMHeadModel), position i may also not look at keys j > i.
    We use ``finfo(dtype).min`` rather than -inf so a row that is fully masked still gives a
    finite softmax instead of NaN.
    """
    if attention_mask is None and not causal:
        return None
    allowed = torch.ones(batch, 1, seq_len, seq_len, dtype=torch.bool, device=device)
    if attention_mask is not None:
        allowed = allowed & attention_mask.bool()[:, None, None, :]  # mask keys (columns)
    if causal:
        allowed = allowed & torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()
    zero = torch.zeros((), dtype=dtype, device=device)
    return torch.where(allowed, zero, torch.finfo(dtype).min)


class BertSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention, written out as the math.

    For every head h:  softmax(Q_h K_h^T / sqrt(d_head) + mask) V_h.
    Q, K and V are three linear maps of the same hidden states; splitting the hidden size into
    ``num_attention_heads`` slices lets each head attend to something different at no extra cost.
    """

    def __init__(self, config):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.hidden_size // config.num_attention_heads
        self.all_head_size = self.num_attention_heads * self.attention_head_size
        # Dividing by sqrt(d_head) keeps the dot products' variance near 1, so the softmax does
        # not saturate at initialisation (Vaswani et al., 2017, section 3.2.1).
        self.scaling = 1.0 / math.sqrt(self.attention_head_size)
        self.query = nn.Linear(config.hidden_size, self.all_head_size)
        self.key = nn.Linear(config.hidden_size, self.all_head_size)
        self.value = nn.Linear(config.hidden_size, self.all_head_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq_len, _ = x.shape
        # [B, T, H] -> [B, T, heads, d_head] -> [B, heads, T, d_head]
        return x.view(batch, seq_len, self.num_attention_heads, self.attention_head_size).transpose(1, 2)

    def forward(
        self, hidden_states: torch.Tensor, additive_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        batch, seq_len, _ = hidden_states.shape
        q = self._split_heads(self.query(hidden_states))
        k = self._split_heads(self.key(hidden_states))
        v = self._split_heads(self.value(hidden_states))

        scores = torch.matmul(q, k.transpose(-1, -2)) * self.scaling  # [B, heads, T, T]
        if additive_mask is not None:
            scores = scores + additive_mask
        probs = scores.softmax(dim=-1)  # each query's weights over the keys sum to 1
        probs = self.dropout(probs)  # attention dropout: drops whole query->key links in training
        context = torch.matmul(probs, v)  # [B, heads, T, d_head]
        context = context.transpose(1, 2).reshape(batch, seq_len, self.all_head_size)  # heads back side by side
        return context, probs


class BertSelfOutput(nn.Module):
    """Project the concatenated heads back to hidden size, then dropout, residual, LayerNorm
    (the "post-LN" order of the original Transformer and of BERT)."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class BertAttention(nn.Module):
    """Self-attention followed by its output projection and the residual connection."""

    def __init__(self, config):
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config)

    def forward(self, hidden_states, additive_mask=None):
        context, probs = self.self(hidden_states, additive_mask)
        return self.output(context, hidden_states), probs


# --------------------------------------------------------------------------------------------
# Feed-forward, layer, encoder, pooler
# --------------------------------------------------------------------------------------------


class BertIntermediate(nn.Module):
    """First half of the position-wise feed-forward block: widen to ``intermediate_size``
    (4 x hidden in BERT) and apply the activation. Every token is processed independently."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = get_activation(config.hidden_act)

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BertOutput(nn.Module):
    """Second half of the feed-forward block: narrow back to hidden size, dropout, residual,
    LayerNorm."""

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, residual):
        return self.LayerNorm(self.dropout(self.dense(hidden_states)) + residual)


class BertLayer(nn.Module):
    """One Transformer encoder layer: attention sub-block, then feed-forward sub-block."""

    def __init__(self, config):
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertOutput(config)

    def forward(self, hidden_states, additive_mask=None):
        attention_output, probs = self.attention(hidden_states, additive_mask)
        layer_output = self.output(self.intermediate(attention_output), attention_output)
        return layer_output, probs


class BertEncoder(nn.Module):
    """``num_hidden_layers`` identical layers applied in turn."""

    def __init__(self, config):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(self, hidden_states, additive_mask=None, output_hidden_states=False, output_attentions=False):
        all_hidden = [hidden_states] if output_hidden_states else None
        all_attn = [] if output_attentions else None
        for layer in self.layer:
            hidden_states, probs = layer(hidden_states, additive_mask)
            if output_hidden_states:
                all_hidden.append(hidden_states)
            if output_attentions:
                all_attn.append(probs)
        return hidden_states, all_hidden, all_attn


class BertPooler(nn.Module):
    """tanh(dense(h_[CLS])): one vector per sequence, for sentence-level heads.

    It only looks at the first token, [CLS]. Pre-training trained it through the NSP head,
    which is why sequence classification and NSP read ``pooler_output`` while token-level heads
    (MLM, NER, QA) read ``last_hidden_state``.
    """

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


# --------------------------------------------------------------------------------------------
# Base class for every model in course_lib
# --------------------------------------------------------------------------------------------


def _tuple_unless_return_dict(module, args, kwargs, output):
    """transformers' ``return_dict`` rule: ``forward(..., return_dict=False)`` (or, when it is not passed,
    ``config.return_dict`` false) returns ``output.to_tuple()``, the fields that are set, in order, so that
    ``loss, logits = model(..., labels=y, return_dict=False)`` works. The task models call their encoder
    with ``return_dict=True``."""
    return_dict = kwargs.get("return_dict")
    if return_dict is None:
        return_dict = getattr(module.config, "return_dict", True)
    if not return_dict and hasattr(output, "to_tuple"):
        return output.to_tuple()
    return None


class BertPreTrainedModel(nn.Module):
    """What every course_lib BERT model shares: the config, BERT's weight initialisation,
    weight tying after construction and after loading, and ``from_pretrained``.

    It mirrors the role of ``transformers.BertPreTrainedModel`` without its machinery: a
    subclass builds its modules in ``__init__`` and ends with ``self.post_init()``.
    """

    base_model_prefix = "bert"

    def __init__(self, config):
        super().__init__()
        check_config(config)
        self.config = config
        # forward(..., return_dict=False), or config.return_dict False: a plain tuple, as in transformers
        self.register_forward_hook(_tuple_unless_return_dict, with_kwargs=True)

    # -- initialisation ---------------------------------------------------------------------
    def post_init(self) -> None:
        """Initialise every weight as BERT does, then tie the output embedding (if any)."""
        self.apply(self._init_weights)
        self.tie_weights()

    @torch.no_grad()
    def _init_weights(self, module: nn.Module) -> None:
        # Truncation aside, this is BERT's initialiser: N(0, 0.02) weights, zero biases,
        # LayerNorm as the identity. Small weights keep early activations and gradients tame.
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.normal_(0.0, std)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, std)
            if module.padding_idx is not None:
                module.weight[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()

    # -- embeddings and tying ---------------------------------------------------------------
    @property
    def base_model(self) -> BertModel:
        """The bare encoder inside a task model (``model.bert``), or the model itself for ``BertModel``;
        a property, as in transformers."""
        return getattr(self, self.base_model_prefix, self)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        """Replace the word-embedding module, as transformers' ``set_input_embeddings`` does. Like there,
        an output embedding tied to the old matrix is not re-tied by this call: call ``tie_weights()``."""
        if not isinstance(value, nn.Embedding):
            raise TypeError(f"set_input_embeddings expects an nn.Embedding, got {type(value).__name__}")
        if value.embedding_dim != self.config.hidden_size:
            raise ValueError(
                f"the new embedding has {value.embedding_dim} dimensions but the model's hidden_size is "
                f"{self.config.hidden_size}"
            )
        self.base_model.embeddings.word_embeddings = value

    def get_output_embeddings(self) -> nn.Linear | None:
        """The vocabulary-sized output layer, for models that have one (MLM heads)."""
        return None

    def tie_weights(self) -> None:
        """Make the output embedding's weight *the same Parameter* as the input embedding's
        when ``config.tie_word_embeddings`` is true. Models with an LM head override or extend
        this; the base encoder has nothing to tie."""
        output = self.get_output_embeddings()
        if output is not None and getattr(self.config, "tie_word_embeddings", True):
            output.weight = self.get_input_embeddings().weight

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        result = super().load_state_dict(state_dict, strict=strict, assign=assign)
        # With assign=True, loading replaces Parameter objects and would break a tie; re-tie so
        # "decoder.weight is word_embeddings.weight" holds after any load.
        self.tie_weights()
        return result

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of distinct parameters (a tied matrix is counted once, as in transformers)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def encode(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
               output_attentions, output_hidden_states,
               check_labels: Callable[[tuple[int, ...]], None] | None = None) -> BaseModelOutputWithPooling:
        """The first half of every task model's ``forward``: check the inputs, then run the encoder ``self.bert``.

        1. :func:`check_inputs` names bad input (types, shapes) before any computation.
        2. ``check_labels(shape)``, when given, checks the task's labels against that ``[batch, seq_len]``
           shape: still before the encoder runs, so a label bug is reported at once, not after a forward pass.
        3. ``self.bert(...)`` with ``return_dict=True``: the head reads the outputs by name
           (``last_hidden_state``, ``pooler_output``), whatever the caller asked for.

        The task model then puts its head on the result and computes its loss.
        """
        shape = check_inputs(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        if check_labels is not None:
            check_labels(shape)
        return self.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         position_ids=position_ids, inputs_embeds=inputs_embeds, output_attentions=output_attentions,
                         output_hidden_states=output_hidden_states, return_dict=True)

    @classmethod
    def from_pretrained(cls, path=None, *, config=None, output_loading_info: bool = False, **config_overrides):
        """Build this model and load a checkpoint folder (``config.json`` + ``model.safetensors``).

        With no ``path``, loads the course's packaged encoder (see :mod:`course_lib.models.pretrained`).
        Weights the checkpoint lacks (a task head) keep their fresh initialisation; weights the
        model lacks (a pooler, for token classification) are skipped. Both lists are returned
        as a :class:`course_lib.models.pretrained.LoadReport` when ``output_loading_info=True``.
        The model comes back in eval mode, as in transformers: call ``model.train()`` to fine-tune.
        """
        from .pretrained import load_into

        return load_into(cls, path, config=config, output_loading_info=output_loading_info, **config_overrides)


# --------------------------------------------------------------------------------------------
# The encoder model
# --------------------------------------------------------------------------------------------


class BertModel(BertPreTrainedModel):
    """The bare BERT encoder: embeddings -> N encoder layers -> (optional) pooler.

    Built from a ``transformers.BertConfig``. Returns :class:`BaseModelOutputWithPooling` with
    ``last_hidden_state [B, T, H]`` and ``pooler_output [B, H]`` (None without a pooler).
    With ``config.is_decoder=True`` every position attends only to itself and earlier
    positions (the causal mask that ``BertLMHeadModel`` needs).
    """

    def __init__(self, config, add_pooling_layer: bool = True):
        super().__init__(config)
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)
        self.pooler = BertPooler(config) if add_pooling_layer else None
        self.post_init()

    def _check_inputs(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        """:func:`check_inputs` (types and shapes), then the values against this config: ids inside the
        vocabulary, a length the position embeddings cover, a 0/1 attention mask, token types and positions
        in range. Each would otherwise fail deep inside an embedding lookup, or compute a silently wrong number."""
        config = self.config
        shape = check_inputs(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        if input_ids is not None and input_ids.numel() and (input_ids.min() < 0 or input_ids.max() >= config.vocab_size):
            raise ValueError(
                f"input_ids contain ids outside the vocabulary [0, {config.vocab_size}): "
                f"min {int(input_ids.min())}, max {int(input_ids.max())}; was the text tokenized "
                "with a tokenizer for a different vocabulary?"
            )
        if inputs_embeds is not None:
            weight_dtype = self.embeddings.word_embeddings.weight.dtype
            if inputs_embeds.dtype != weight_dtype:
                raise ValueError(
                    f"inputs_embeds has dtype {inputs_embeds.dtype} but the model computes in {weight_dtype}; "
                    f"convert with inputs_embeds.to({weight_dtype})"
                )
        if shape[1] > config.max_position_embeddings:
            raise ValueError(
                f"sequence length {shape[1]} is longer than max_position_embeddings="
                f"{config.max_position_embeddings}: BERT has no position embedding beyond that; "
                "truncate the input (tokenizer(..., truncation=True, max_length=...))"
            )
        if attention_mask is not None:
            check_keep_mask(attention_mask)
        if token_type_ids is not None and token_type_ids.numel():
            if token_type_ids.min() < 0 or token_type_ids.max() >= config.type_vocab_size:
                raise ValueError(
                    f"token_type_ids must lie in [0, {config.type_vocab_size}), got values "
                    f"{int(token_type_ids.min())}..{int(token_type_ids.max())}"
                )
        if position_ids is not None and position_ids.numel():
            if position_ids.min() < 0 or position_ids.max() >= config.max_position_embeddings:
                raise ValueError(
                    f"position_ids must lie in [0, max_position_embeddings={config.max_position_embeddings}), got "
                    f"values {int(position_ids.min())}..{int(position_ids.max())}"
                )
        return shape

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,  # False: a tuple (BertPreTrainedModel's forward hook), as in transformers
    ) -> BaseModelOutputWithPooling:
        batch, seq_len = self._check_inputs(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        # Not passed: the config decides, as in transformers (BertConfig(output_attentions=True), ...).
        if output_attentions is None:
            output_attentions = bool(getattr(self.config, "output_attentions", False))
        if output_hidden_states is None:
            output_hidden_states = bool(getattr(self.config, "output_hidden_states", False))
        embedding_output = self.embeddings(input_ids, token_type_ids, position_ids, inputs_embeds)
        additive_mask = make_additive_mask(
            attention_mask,
            batch,
            seq_len,
            dtype=embedding_output.dtype,
            device=embedding_output.device,
            causal=bool(getattr(self.config, "is_decoder", False)),
        )
        sequence_output, all_hidden, all_attn = self.encoder(
            embedding_output, additive_mask, output_hidden_states, output_attentions
        )
        pooled_output = self.pooler(sequence_output) if self.pooler is not None else None
        return BaseModelOutputWithPooling(
            last_hidden_state=sequence_output,
            pooler_output=pooled_output,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_attn) if all_attn is not None else None,
        )
