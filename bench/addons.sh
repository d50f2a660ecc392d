#!/usr/bin/env bash
# bench/addons.sh: enabling the whole addon set against the test bench's API server
# (tests/testbench/apiserver-fixture.sh, no node: --no-wait), kubelaunch against
# `kubectl apply --server-side -f` of the same rendered manifests (kubelaunch's own
# `addons enable --dry-run`), side by side, each from nothing and again (unchanged).
# kubectl runs with its discovery cache warm (its best case). Target: <= 0.5x.
# Also `addons list`'s cost. Prints one line per figure.
set -eu
: "${KL_BIN:?}"
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/lib.sh"
eval "$(make -s -C "$SRC" testbench-env)"
RUNS=${RUNS:-5}
work=$(mktemp -d)
fx=$work/fx
trap '"$KL_TB_FIXTURE" down "$fx" >/dev/null 2>&1; rm -rf "$work"' EXIT
"$KL_TB_FIXTURE" up "$fx" >/dev/null 2>&1
. "$fx/env"
export KUBELAUNCH_HOME=$work/kl HOME=$work/home
mkdir -p "$HOME"
ALL="dns storage-provisioner default-storageclass dashboard headlamp ingress metrics-server registry"
K() { "$KL_TB_BIN/kubectl" --kubeconfig "$KL_FX_KUBECONFIG" "$@"; }
"$KL_BIN" addons enable $ALL --dry-run >"$work/all.yaml"
objs=$(grep -c '^kind: ' "$work/all.yaml")

# Remove everything the set made. The fixture has no namespace controller: a deleted
# Namespace is finalized by hand, as the controller would once it is empty.
clean() {
	K delete -f "$work/all.yaml" --ignore-not-found --wait=false >/dev/null 2>&1 || true
	for ns in $(grep -A3 '^kind: Namespace' "$work/all.yaml" | sed -n 's/^  name: //p'); do
		K get namespace "$ns" -o json 2>/dev/null | jq '.spec.finalizers = []' |
			K replace --raw "/api/v1/namespaces/$ns/finalize" -f - >/dev/null 2>&1 || true
	done
	while K get namespaces -o name | grep -qE 'namespace/(traefik|headlamp|kubernetes-dashboard|local-path-storage)$'; do
		sleep 0.1
	done
}

# time_ms CMD...: the command's wall time in ms.
time_ms() {
	local s e
	s=$(now)
	"$@" >/dev/null
	e=$(now)
	awk -v s="$s" -v e="$e" 'BEGIN {printf "%.0f\n", (e - s) * 1000}'
}

K apply --server-side -f "$work/all.yaml" >/dev/null # warms kubectl's discovery cache
clean
: >"$work/kl.first" >"$work/kl.again" >"$work/kc.first" >"$work/kc.again"
for _ in $(seq "$RUNS"); do
	time_ms "$KL_BIN" addons enable $ALL --kubeconfig "$KL_FX_KUBECONFIG" --no-wait >>"$work/kl.first"
	time_ms "$KL_BIN" addons enable $ALL --kubeconfig "$KL_FX_KUBECONFIG" --no-wait >>"$work/kl.again"
	clean
	time_ms K apply --server-side -f "$work/all.yaml" >>"$work/kc.first"
	time_ms K apply --server-side -f "$work/all.yaml" >>"$work/kc.again"
	clean
done
klf=$(median <"$work/kl.first") kla=$(median <"$work/kl.again")
kcf=$(median <"$work/kc.first") kca=$(median <"$work/kc.again")
echo "addons: the whole set ($objs objects, 8 addons) against the bench's kube-apiserver, median of $RUNS"
echo "  from nothing: kubelaunch addons enable $klf ms, kubectl apply --server-side $kcf ms: $(awk -v a="$klf" -v b="$kcf" 'BEGIN {printf "%.2f", a / b}')x (target <= 0.5x)"
echo "  unchanged:    kubelaunch addons enable $kla ms, kubectl apply --server-side $kca ms: $(awk -v a="$kla" -v b="$kca" 'BEGIN {printf "%.2f", a / b}')x"
mkdir -p "$KUBELAUNCH_HOME/profiles/bench"
echo '{"Driver": "none"}' >"$KUBELAUNCH_HOME/profiles/bench/config.json"
hyperfine -N --warmup 10 --runs 100 --export-json "$work/list.json" -n true true \
	-n "addons list" "$KL_BIN -p bench addons list" >/dev/null
jq -r '.results[] | "  \(.command): median \(.median * 1000 | . * 100 | round / 100) ms (user+sys \((.user + .system) * 1000 | . * 100 | round / 100) ms, n=\(.times | length))"' "$work/list.json"
echo "  load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs ($(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n1))"
