"""The package's layout is what course_lib/__init__.py says it is.

- the lazy top-level names (``course_lib.BertModel``, ...) resolve, to the module the table names;
- the table of layer folders matches the folders on disk, both ways;
- every model class is importable from the top level;
- a layer imports only from the layers before it (no upward imports), so a reader can learn the
  package bottom-up: losses, then models, then training, ...
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import torch

import course_lib

PACKAGE = Path(course_lib.__file__).resolve().parent

# The layers in the order a module may import them: each imports only from layers before it.
LAYERS = ["_checks", "losses", "models", "evaluation", "training", "task_data", "notebook", "exercises"]
# The one module allowed to import from every layer: the fine-tuning command wires the task data, the
# models, the training loop and the notebooks' quiet mode together, like a script would.
TOP_LEVEL_COMMAND = "training/finetune.py"


def layer_folders() -> set[str]:
    return {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_the_table_of_layer_folders_matches_the_folders():
    assert set(course_lib._SUBPACKAGES) == layer_folders()
    assert set(LAYERS) - {"_checks"} == layer_folders()


@pytest.mark.parametrize("name", sorted(course_lib._EXPORTS))
def test_each_top_level_name_comes_from_the_module_the_table_names(name):
    module_name = f"course_lib.{course_lib._EXPORTS[name]}"
    module = importlib.import_module(module_name)
    value = getattr(course_lib, name)
    assert value is getattr(module, name)
    assert value.__module__ == module_name, f"{name} is defined in {value.__module__}, the table says {module_name}"


@pytest.mark.parametrize("folder", sorted(course_lib._SUBPACKAGES))
def test_each_layer_folder_is_an_attribute(folder):
    assert getattr(course_lib, folder) is importlib.import_module(f"course_lib.{folder}")


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'bakbone'"):
        course_lib.bakbone  # noqa: B018


def test_every_model_class_is_a_top_level_name():
    import course_lib.models as models

    model_classes = {
        name for name in dir(models)
        if isinstance(getattr(models, name), type) and issubclass(getattr(models, name), torch.nn.Module)
        and name.startswith("Bert")
    }
    assert model_classes, "course_lib.models exports no model class"
    assert model_classes <= set(course_lib._EXPORTS), sorted(model_classes - set(course_lib._EXPORTS))


def _imported_layers(path: Path) -> list[tuple[str, int]]:
    """The layers a module imports from (top-level and inside functions), with line numbers."""
    parts = ("course_lib",) + path.relative_to(PACKAGE).parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            target = list(parts[: len(parts) - (node.level - 1)]) + (node.module.split(".") if node.module else [])
        elif node.module and node.module.split(".")[0] == "course_lib":
            target = node.module.split(".")
        else:
            continue
        if len(target) > 1:
            found.append((target[1], node.lineno))
        else:  # from course_lib import X (or `from .. import X` at the top): X is a layer or a top-level name
            found += [(alias.name if alias.name in LAYERS else "__init__", node.lineno) for alias in node.names]
    return found


def test_no_layer_imports_from_a_layer_after_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if len(relative.parts) == 1 or relative.as_posix() == TOP_LEVEL_COMMAND:
            continue  # course_lib/__init__.py and _checks.py; the command
        layer = relative.parts[0]
        for target, line in _imported_layers(path):
            if target in LAYERS and target != layer and LAYERS.index(target) > LAYERS.index(layer):
                wrong.append(f"{relative}:{line} ({layer}) imports from {target}")
    assert not wrong, "imports against the layer order " + " < ".join(LAYERS) + ":\n" + "\n".join(wrong)
