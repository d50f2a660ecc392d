#!/usr/bin/env bash
# bench/start-qemu.sh: `kubelaunch start --driver=qemu` (software emulation on a host
# without usable KVM) from nothing to DNS answering, then a restart of the stopped VM,
# with the phase breakdown of each. Context for the none driver's figures (start.sh):
# the machine-level baseline, bare QEMU on the same image, is in machine.sh.
# Environment: KL_BIN, KL_SRC; BENCH_RUNS (default 1: a run takes ~10 minutes here).
set -eu
: "${KL_BIN:?}" "${KL_SRC:?}"
RUNS=${BENCH_RUNS:-1}
make -s -C "$KL_SRC" testbench iso >/dev/null
eval "$(make -s -C "$KL_SRC" testbench-env)"
work=$(mktemp -d)
export KUBELAUNCH_HOME=$work/home HOME=$work/userhome
mkdir -p "$HOME"

. "$KL_SRC/bench/lib.sh"
serve_tb_mirror "$work"
cleanup() {
	"$KL_BIN" delete >/dev/null 2>&1 || true
	kill "$MIRROR_PID" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

START=("$KL_BIN" start --driver=qemu --network=isolated --kubernetes-version "$KL_TB_VERSION"
	--binary-mirror "$MIRROR" --image-bundle "$KL_TB_IMAGES" --dns-upstream=none --wait-timeout 30m -v=1)
"$KL_BIN" start --driver=qemu --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR" --download-only >/dev/null

# The start returns when DNS answers in the cluster (its default --wait=all).
run_one() { # NAME: time a start
	local t0; t0=$(now)
	"${START[@]}" >"$work/$1.out" 2>&1
	awk "BEGIN{print $(now) - $t0}" >>"$work/$1"
	grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$work/$1.out" >"$work/phases.$1"
}
for _ in $(seq "$RUNS"); do
	run_one first
	"$KL_BIN" stop >/dev/null
	run_one restart
	"$KL_BIN" delete >/dev/null
done
for n in first restart; do
	printf '%-8s start to DNS answering: %.1f s (median of %s)\n' "$n" "$(median <"$work/$n")" "$RUNS"
done
printf 'ratio restart/first start: %.2f\n' "$(awk "BEGIN{print $(median <"$work/restart") / $(median <"$work/first")}")"
echo "phases of a first start (last run):"; sed 's/^/  /' "$work/phases.first"
echo "phases of a restart (last run):"; sed 's/^/  /' "$work/phases.restart"
