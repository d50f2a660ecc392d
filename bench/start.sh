#!/usr/bin/env bash
# bench/start.sh: time to node Ready and to DNS answering of `kubelaunch start
# --driver=none`, against the test bench's plain scripted `kubeadm init` on the same
# host, side by side, alternating, in one run: kubelaunch from its preload (the default)
# and with --preload=false (the archives imported); then restart against first start,
# and the phase breakdown of kubelaunch's start. Both own the host while they run.
# Environment: KL_BIN, KL_SRC; BENCH_RUNS (default 3); KL_BIN_BASE (optional: another
# build, e.g. main's, whose first start and restart alternate with KL_BIN's; its file
# must be called kubelaunch too, as stop finds its supervisors by that name).
set -eu
: "${KL_BIN:?}" "${KL_SRC:?}"
RUNS=${BENCH_RUNS:-3}
make -s -C "$KL_SRC" testbench >/dev/null
eval "$(make -s -C "$KL_SRC" testbench-env)"
work=$(mktemp -d)
export KUBELAUNCH_HOME=$work/home HOME=$work/userhome
mkdir -p "$HOME"
ADMIN=/etc/kubernetes/admin.conf

. "$KL_SRC/bench/lib.sh"
serve_tb_mirror "$work"
poller=
cleanup() {
	[ -n "$poller" ] && kill "$poller" 2>/dev/null
	"$KL_BIN" delete >/dev/null 2>&1 || true
	"$KL_TB_KUBEADM" down >/dev/null 2>&1 || true
	kill "$MIRROR_PID" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT


# poll T0 OUT: write the seconds since T0 at which the node is first Ready and DNS first
# answers (the same probe for both contenders).
poll() {
	local t0=$1 out=$2 ready= dns=
	while [ -z "$ready" ] || [ -z "$dns" ]; do
		if [ -z "$ready" ] && "$KL_TB_BIN/kubectl" --kubeconfig "$ADMIN" get nodes \
			-o 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -qx True; then
			ready=$(awk "BEGIN{print $(now) - $t0}")
		fi
		if [ -z "$dns" ] && dig +time=1 +tries=1 +short @10.96.0.10 kubernetes.default.svc.cluster.local A 2>/dev/null |
			grep -qx 10.96.0.1; then
			dns=$(awk "BEGIN{print $(now) - $t0}")
		fi
		sleep 0.2
	done
	echo "$ready $dns" >"$out"
}

run_one() { # NAME CMD...: time the command, and Ready/DNS as seen by the poller
	local name=$1 t0
	shift
	t0=$(now)
	poll "$t0" "$work/poll" &
	poller=$!
	"$@" >"$work/$name.out" 2>&1
	local total; total=$(awk "BEGIN{print $(now) - $t0}")
	wait "$poller" || true
	poller=
	read -r ready dns <"$work/poll"
	echo "$total $ready $dns" >>"$work/$name"
}

START=("$KL_BIN" start --driver=none --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR"
	--image-bundle "$KL_TB_IMAGES" --dns-upstream=none -v=1)
# The binaries and the preload are cached before anything is timed (as a user's would be).
"$KL_BIN" start --driver=none --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR" \
	--image-bundle "$KL_TB_IMAGES" --download-only >/dev/null
for i in $(seq "$RUNS"); do
	run_one baseline "$KL_TB_KUBEADM" up
	"$KL_TB_KUBEADM" down >/dev/null 2>&1
	run_one import "${START[@]}" --preload=false
	"$KL_BIN" delete >/dev/null
	run_one first "${START[@]}"
	[ "$i" = 1 ] && grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$work/first.out" >"$work/phases.first"
	"$KL_BIN" stop >/dev/null
	run_one restart "${START[@]}"
	[ "$i" = 1 ] && grep -o "phase [^:]*: [0-9]* ms\|waited [0-9]* ms for .*" "$work/restart.out" >"$work/phases.restart"
	"$KL_BIN" delete >/dev/null
	if [ -n "${KL_BIN_BASE:-}" ]; then
		run_one base-first "$KL_BIN_BASE" "${START[@]:1}"
		"$KL_BIN_BASE" stop >/dev/null
		run_one base-restart "$KL_BIN_BASE" "${START[@]:1}"
		"$KL_BIN_BASE" delete >/dev/null
	fi
done
col() { awk -v c="$2" '{print $c}' "$work/$1" | median; }
contenders="baseline import first restart${KL_BIN_BASE:+ base-first base-restart}"
for n in $contenders; do
	printf '%-9s command %.1f s, node Ready %.1f s, DNS answering %.1f s (medians of %s)\n' \
		"$n" "$(col $n 1)" "$(col $n 2)" "$(col $n 3)" "$RUNS"
done
printf 'ratio kubelaunch/kubeadm: node Ready %.2f, DNS %.2f (target: DNS <= 0.75)\n' \
	"$(awk "BEGIN{print $(col first 2) / $(col baseline 2)}")" "$(awk "BEGIN{print $(col first 3) / $(col baseline 3)}")"
printf 'ratio preload/--preload=false (to DNS): %.2f\n' "$(awk "BEGIN{print $(col first 3) / $(col import 3)}")"
printf 'ratio restart/first start (to DNS): %.2f (target <= 0.2)\n' \
	"$(awk "BEGIN{print $(col restart 3) / $(col first 3)}")"
if [ -n "${KL_BIN_BASE:-}" ]; then
	printf 'KL_BIN_BASE: ratio restart/first start (to DNS): %.2f; KL_BIN/KL_BIN_BASE: first start %.2f, restart %.2f (to DNS)\n' \
		"$(awk "BEGIN{print $(col base-restart 3) / $(col base-first 3)}")" \
		"$(awk "BEGIN{print $(col first 3) / $(col base-first 3)}")" "$(awk "BEGIN{print $(col restart 3) / $(col base-restart 3)}")"
fi
echo "phases of a first start:"; sed 's/^/  /' "$work/phases.first"
echo "phases of a restart:"; sed 's/^/  /' "$work/phases.restart"
