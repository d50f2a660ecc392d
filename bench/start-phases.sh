#!/usr/bin/env bash
# bench/start-phases.sh: the phases of `kubelaunch start --driver=none` that talk to
# the API server (RBAC and labels, the waits), first start and restart, BENCH_RUNS
# times (default 3), medians in ms. Run it with two binaries to compare them; it owns
# the host while it runs (take /run/kl-host-cluster.lock around it).
# Then, on a started cluster, one round trip of each kind the start makes, the old way
# (the node's kubectl on admin.conf, as start ran it) against the API from the host
# (curl with the profile's client certificate, what the client does per request).
# Environment: KL_BIN, KL_SRC; BENCH_RUNS.
set -eu
: "${KL_BIN:?}" "${KL_SRC:?}"
RUNS=${BENCH_RUNS:-3}
make -s -C "$KL_SRC" testbench >/dev/null
eval "$(make -s -C "$KL_SRC" testbench-env)"
. "$KL_SRC/bench/lib.sh"
bench_cluster_home

START=("$KL_BIN" start --driver=none --kubernetes-version "$KL_TB_VERSION" --binary-mirror "$MIRROR"
	--image-bundle "$KL_TB_IMAGES" --dns-upstream=none -v=1)
for i in $(seq "$RUNS"); do
	for kind in first restart; do
		"${START[@]}" >"$work/out" 2>&1 || { tail -n 20 "$work/out"; exit 1; }
		sed -n "s/.*phase \([^:]*\): \([0-9]*\) ms.*/$kind \1=\2/p" "$work/out" >>"$work/phases"
		[ "$kind" = first ] && "$KL_BIN" stop >/dev/null
	done
	"$KL_BIN" delete >/dev/null
done
for kind in first restart; do
	for p in "wait apiserver" "rbac, labels, dns" "rbac and labels" "kubeconfig" "addons" "waits"; do
		v=$(grep -F "$kind $p=" "$work/phases" | sed 's/.*=//' | median)
		printf '%-8s %-18s %6s ms\n' "$kind" "$p" "$v"
	done
	total=$(grep "^$kind " "$work/phases" | sed 's/.*=//' | awk '{s+=$1} END {print s}')
	printf '%-8s %-18s %6s ms (sum of all phases, %s runs)\n' "$kind" "all" "$((total / RUNS))" "$RUNS"
done

"${START[@]}" >"$work/out" 2>&1 || { tail -n 20 "$work/out"; exit 1; }
KC="$(ls -d /var/lib/kubelaunch/binaries/*/ | head -n1)kubectl --kubeconfig=/etc/kubernetes/admin.conf"
node=kubelaunch
server=$(sed -n 's/.*"APIServer": "\(.*\)".*/\1/p' "$KUBELAUNCH_HOME/profiles/kubelaunch/config.json")
P=$KUBELAUNCH_HOME/profiles/kubelaunch/certs
CURL="curl -fsS -o /dev/null --cacert $KUBELAUNCH_HOME/certs/ca.crt --cert $P/client.crt --key $P/client.key"
hyperfine -N --warmup 2 --runs 10 --export-markdown "$work/probes.md" \
	-n "kubectl: RBAC (create --dry-run | apply)" \
	"sh -c '$KC create clusterrolebinding kubelaunch-rbac --clusterrole=cluster-admin --serviceaccount=kube-system:default --dry-run=client -o yaml | $KC apply -f -'" \
	-n "kubectl: label node" "$KC label nodes $node kubelaunch.io/primary=true --overwrite" \
	-n "kubectl: get --raw /readyz" "$KC get --raw /readyz" \
	-n "API from the host: GET /readyz" "$CURL $server/readyz" \
	-n "API from the host: GET node" "$CURL $server/api/v1/nodes/$node" >/dev/null
cat "$work/probes.md"

