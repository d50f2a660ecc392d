#!/usr/bin/env bash
# run.sh: every test, one line each, then "N passed, N failed".
# Usage: tests/run.sh [PATTERN]
#   PATTERN selects tests/t/tNNNN-*.sh by substring; "unit" runs the unit tests only;
#   "fast" runs the unit tests and the scripts that boot no VM and no cluster
#   (those say "# slow" in their first lines, or are listed in SLOW below);
#   "vm" runs only the clusters in VMs (VM below), "conformance" only Kubernetes'
#   conformance tests (CONFORMANCE below), "istio" Istio on a none-driver cluster
#   (ISTIO below); no other run includes those unless PATTERN names them.
set -u
cd "$(dirname "$0")/.."
export KL_SRC=$PWD
: "${KL_BIN:?KL_BIN must name the kubelaunch binary}"
export KL_BIN KL_TRASH_ROOT=${KL_TRASH_ROOT:-$PWD/build/trash}
pattern=${1:-}
# Scripts that boot VMs or bring up clusters (a few minutes each under emulation).
SLOW="t0510 t0520 t0700 t0710 t0750 t3000 t5000 t5010"
# Kubernetes in a VM under emulation: 10-20 minutes each here (`make test-vm`).
VM="t0730 t0731 t0815"
# Kubernetes' own conformance tests on a none-driver cluster (`make test-conformance`).
CONFORMANCE="t0740"
# Istio on a none-driver cluster from the bench's Istio images (`make test-istio`).
ISTIO="t0760"
passed=0 failed=0 skipped=0

tally() {
	local line
	line=$(grep -E '^# [^ ]+: [0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
	if [ -z "$line" ]; then
		echo "not ok - $2 ended without a count (exit $3)"
		failed=$((failed + 1))
		return
	fi
	local p f s
	read -r p f s <<<"$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$f" -eq 0 ] && [ "$3" -ne 0 ]; then
		echo "not ok - $line, but exited $3"
		failed=$((failed + 1))
	fi
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "${KL_UNIT:-}" ] && { [ -z "$pattern" ] || [ "$pattern" = unit ] || [ "$pattern" = fast ]; }; then
	rc=0; "$KL_UNIT" | tee "$log" || rc=$?
	tally "$log" unit "$rc"
fi
for t in tests/t/t[0-9]*.sh; do
	id=$(basename "$t" | cut -c1-5)
	if [ "$pattern" = fast ]; then
		head -n 5 "$t" | grep -q '^# slow' && continue
		case " $SLOW $VM $CONFORMANCE $ISTIO " in *" $id "*) continue ;; esac
	elif [ "$pattern" = vm ]; then
		case " $VM " in *" $id "*) ;; *) continue ;; esac
	elif [ "$pattern" = conformance ]; then
		case " $CONFORMANCE " in *" $id "*) ;; *) continue ;; esac
	elif [ -z "$pattern" ] && case " $VM $CONFORMANCE $ISTIO " in *" $id "*) true ;; *) false ;; esac; then
		continue
	else
		case $t in *"$pattern"*) ;; *) continue ;; esac
	fi
	[ "$pattern" = unit ] && continue
	start=$(date +%s)
	rc=0; bash "$t" >"$log" 2>&1 || rc=$?
	sed -n '/^ok\|^not ok\|^#/p' "$log"
	echo "# $(basename "$t"): $(( $(date +%s) - start ))s"
	tally "$log" "$(basename "$t")" "$rc"
done
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
