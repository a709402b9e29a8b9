#!/usr/bin/env bash
# Proof that every notebook works on its own, as in Colab (`make colab-proof`): a fresh virtual environment
# with what Colab preinstalls (CPU torch 2.13.0, transformers, accelerate, numpy, pandas, matplotlib, tqdm, a
# Jupyter kernel) and nothing of the course; a course_lib wheel built from this checkout; then each notebook
# copied ALONE into an empty folder and executed (python -m tools.colab_proof): its own set-up cell must install
# course_lib (COURSE_LIB_SOURCE = the wheel) and fetch the data it reads. About 10 minutes for all 12.
#   bash tools/colab_proof.sh                         # every notebook
#   bash tools/colab_proof.sh notebooks/05_*.ipynb    # some
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$#" -eq 0 ]; then set -- "$ROOT"/notebooks/[0-9][0-9]_*.ipynb; fi
NOTEBOOKS=(); for nb in "$@"; do NOTEBOOKS+=("$(realpath "$nb")"); done
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 -m venv "$WORK/venv"
PIP="$WORK/venv/bin/python -m pip"
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
# Colab's preinstalled stack (scikit-learn included; exact versions from constraints.txt where the course pins them).
quiet $PIP install --quiet -c "$ROOT/constraints.txt" torch==2.13.0 transformers accelerate numpy matplotlib tqdm scikit-learn \
    ipykernel nbclient nbformat pandas==3.1.1
quiet $PIP wheel --quiet --no-deps "$ROOT" -w "$WORK/wheel"
# the distribution name of pyproject.toml (the import name stays course_lib): pip refuses a name that differs
WHEEL="$(ls "$WORK"/wheel/bert_heads_course-*.whl)"
export COURSE_LIB_SOURCE="bert-heads-course[notebooks] @ file://$WHEEL"
export HF_HUB_OFFLINE=1 TQDM_DISABLE=1 PYTHONHASHSEED=0 TOKENIZERS_PARALLELISM=false
# from the checkout, where `-m tools.colab_proof` finds the tools package (the tool asks `python -I` whether
# course_lib is installed, so the checkout's own course_lib folder does not count)
cd "$ROOT"
"$WORK/venv/bin/python" -m tools.colab_proof "${NOTEBOOKS[@]}"
