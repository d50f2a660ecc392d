#!/usr/bin/env bash
# bench/run.sh: every benchmark, side by side with its baseline. `make bench` runs it.
# Usage: bench/run.sh [NAME...]  (default: all of bench/*.sh but this one)
set -eu
cd "$(dirname "$0")/.."
: "${KL_BIN:?KL_BIN must name the kubelaunch binary}"
export KL_BIN KL_SRC=$PWD
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
if [ $# -eq 0 ]; then
	set -- $(ls bench/*.sh | grep -v '/run.sh$\|/lib.sh$' | xargs -n1 basename | sed 's/\.sh$//')
fi
for b in "$@"; do
	echo "== $b"
	bash "bench/$b.sh"
done
