#!/usr/bin/env bash
# One entry point that sets everything up on a fresh machine (Python >= 3.10 with venv).
#
#   ./run.sh train [options]   train the book's TwoLayerNet on MNIST (`tinynn train`, into runs/)
#   ./run.sh test  [pytest options]   lint, mypy --strict, the whole test suite, doctests, docs build
#   ./run.sh docs              build the HTML docs into docs/_build/html
#
# Each creates .venv (if missing) and installs tinynn into it with the extra it needs. The
# install is redone only when pyproject.toml (or the extra) changed: a stamp in .venv keeps the
# hash of what was installed, so a second call starts at once.
# MNIST is read from $TINYNN_DATA (a folder holding mnist/), else the user cache
# (~/.cache/tinynn), else downloaded. On machines without internet access, point
# TINYNN_DATA at a folder with the four IDX files in mnist/.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

setup() {  # setup EXTRA
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local want have
    want="$1 $("$VENV/bin/python" -c 'import hashlib, sys
print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest(), sys.version.split()[0])')"
    # dev holds every other extra: a dev install serves train and docs too
    for have in "$want" "dev ${want#* }"; do
        if [ "$(cat "$VENV/.tinynn-installed-${have%% *}" 2>/dev/null)" = "$have" ] \
            && [ -x "$VENV/bin/tinynn" ]; then
            return 0
        fi
    done
    echo "run.sh: installing tinynn[$1] into $VENV (pyproject.toml is new or changed)" >&2
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    # setuptools warns on every editable install that a folder named tinynn in the current
    # directory could shadow the package: true, and harmless here
    PYTHONWARNINGS="ignore:Editable installation" \
        "$VENV/bin/python" -m pip install --quiet -e ".[$1]"
    rm -f "$VENV"/.tinynn-installed-*
    echo "$want" >"$VENV/.tinynn-installed-$1"
}

# This project's development machines keep a copy of MNIST beside the checkout.
if [ -z "${TINYNN_DATA:-}" ] && [ -d ../shared/datasets/mnist ]; then
    TINYNN_DATA=$(cd ../shared/datasets && pwd)
    export TINYNN_DATA
    echo "run.sh: using the local MNIST copy in TINYNN_DATA=$TINYNN_DATA" >&2
fi

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    train)
        setup plot
        exec "$VENV/bin/tinynn" train "$@"
        ;;
    test)
        setup dev
        echo "== ruff" && "$VENV/bin/ruff" check .
        echo "== mypy --strict" && "$VENV/bin/mypy" --strict tinynn tests/test_protocols.py
        echo "== pytest" && exec "$VENV/bin/python" -m pytest "$@"
        ;;
    docs)
        setup docs
        "$VENV/bin/python" -m sphinx -W --keep-going -b html -d docs/_build/doctrees \
            docs docs/_build/html
        # run the code on the pages and check what it prints
        exec "$VENV/bin/python" -m sphinx -W --keep-going -b doctest -d docs/_build/doctrees \
            docs docs/_build/doctest
        ;;
    *)
        echo "usage: ./run.sh train|test|docs [options]" >&2
        exit 2
        ;;
esac
