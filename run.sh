#!/usr/bin/env bash
# congvan's one set-up script.
#   bash run.sh demo    install everything, ingest the bundled corpus, print a summary
#   bash run.sh test    install everything, run the test suite
#   bash run.sh bench   install everything, print the benchmarks
# "Install everything" = the Debian packages in packages.apt (when run as root and missing),
# a virtual environment in .venv and this project with its test extras.
set -euo pipefail
cd "$(dirname "$0")"

install_system() {
    local missing=()
    for pkg in $(grep -v '^\s*#' packages.apt | tr -s ' \n' ' '); do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "run.sh: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
        return 1
    fi
    echo "run.sh: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_python() {
    local py=python3.11
    command -v "$py" >/dev/null || py=python3
    if [ ! -x .venv/bin/python ] && ! "$py" -m venv .venv 2>/dev/null; then
        # Debian's python3 ships venv separately
        [ "$(id -u)" -eq 0 ] && apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        rm -rf .venv && "$py" -m venv .venv
    fi
    .venv/bin/python -m pip install -q --upgrade pip 2>/dev/null || true
    .venv/bin/python -m pip install -q -e ".[test]"
}

cmd="${1:-demo}"
shift || true
install_system
install_python
export PATH="$PWD/.venv/bin:$PATH" OMP_THREAD_LIMIT=1
case "$cmd" in
    demo)
        rm -f congvan-demo.db congvan-demo.db-wal congvan-demo.db-shm
        congvan ingest corpus/ --db congvan-demo.db --quiet "$@"
        echo
        echo "Try:  .venv/bin/congvan search 'quyet dinh 2629' --db congvan-demo.db"
        ;;
    test)
        python -m pytest "$@"
        ;;
    bench)
        for b in bench/bench_*.py; do python "$b" "$@"; done
        ;;
    *)
        echo "usage: bash run.sh demo|test|bench" >&2
        exit 2
        ;;
esac
