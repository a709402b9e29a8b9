"""The course's own command-line tools, one module each, run from the repository root as modules
(``python -m tools.translate --check``, ``python -m tools.build_site --out site``): executing and timing the
notebooks (``run_notebooks``), stamping their Colab badge and set-up cell (``colab``), generating the solutions
(``make_solutions``) and the Chinese edition (``translate``), copying the measured run times everywhere
(``sync_run_times``), building the HTML site and checking it in a real browser (``build_site``, ``site_check``),
and the helpers they share (``output_folder``). A tool imports another as ``from tools import colab``; none of
this folder is part of the installed ``course_lib`` package.
"""
