#!/usr/bin/env bash
# bench/start-qemu.sh: `kubelaunch start --driver=qemu` (software emulation on a host
# without usable KVM) from nothing to DNS answering, with --preload=false (the archives
# imported in the guest) and from the preload (the default), side by side; then a restart
# of the stopped VM, with the phase breakdown of each. Context for the none driver's figures (start.sh):
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
# The binaries and the preload (the store and its disk image) are cached before anything
# is timed, as a user's would be.
"$KL_BIN" start --driver=qemu --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR" \
	--image-bundle "$KL_TB_IMAGES" --download-only >/dev/null

# The start returns when DNS answers in the cluster (its default --wait=all).
run_one() { # NAME [FLAG...]: time a start
	local name=$1 t0
	shift
	t0=$(now)
	"${START[@]}" "$@" >"$work/$name.out" 2>&1
	awk "BEGIN{print $(now) - $t0}" >>"$work/$name"
	grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$work/$name.out" >"$work/phases.$name"
}
for _ in $(seq "$RUNS"); do
	run_one import --preload=false
	"$KL_BIN" delete >/dev/null
	run_one first
	"$KL_BIN" stop >/dev/null
	run_one restart
	"$KL_BIN" delete >/dev/null
done
for n in import first restart; do
	printf '%-8s start to DNS answering: %.1f s (median of %s)\n' "$n" "$(median <"$work/$n")" "$RUNS"
done
printf 'ratio preload/--preload=false: %.2f (target <= 0.6)\n' \
	"$(awk "BEGIN{print $(median <"$work/first") / $(median <"$work/import")}")"
printf 'ratio restart/first start: %.2f (target <= 0.4)\n' \
	"$(awk "BEGIN{print $(median <"$work/restart") / $(median <"$work/first")}")"
echo "phases of a start with --preload=false (last run):"; sed 's/^/  /' "$work/phases.import"
echo "phases of a first start (last run):"; sed 's/^/  /' "$work/phases.first"
echo "phases of a restart (last run):"; sed 's/^/  /' "$work/phases.restart"
