#!/usr/bin/env bash
# Proof that a notebook works on its own, as in Colab (`make colab-proof`): copy one notebook alone into an
# empty folder, make a fresh virtual environment with only Jupyter and torch, point the set-up cell's install
# source at this checkout (COURSE_LIB_SOURCE), execute it, and check that course_lib was installed by the
# notebook itself and that no cell failed. Takes a minute or two (pip reuses its cache).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NOTEBOOK="${1:-notebooks/01_bert_backbone.ipynb}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
python3 -m venv venv
venv/bin/pip install --quiet torch==2.13.0 jupyter nbclient ipykernel
venv/bin/python -c "import importlib.util as u, sys; sys.exit(u.find_spec('course_lib') is not None)"
cp "$ROOT/$NOTEBOOK" notebook.ipynb
export COURSE_LIB_SOURCE="course_lib[encoder] @ file://$ROOT" HF_HUB_OFFLINE=1
venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 notebook.ipynb --output executed.ipynb
venv/bin/python - <<'PY'
import importlib.util, json
assert importlib.util.find_spec("course_lib") is not None, "the set-up cell did not install course_lib"
nb = json.load(open("executed.ipynb"))
errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "error"]
assert not errors, f"{len(errors)} cell(s) failed"
print("colab proof: course_lib installed by the notebook's first cell; every cell ran without error")
PY
