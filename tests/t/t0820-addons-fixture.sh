#!/usr/bin/env bash
# slow: addons against the test bench's real kube-apiserver and etcd (no node, so
# nothing runs: --no-wait): every addon's objects with the rendered images, enable
# twice changes no resourceVersion, disable leaves no labelled object, a broken
# manifest names file:line and applies nothing, a manifest the server rejects names
# the object, a restarted API server is waited for, an unreachable one is one line.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-testbench.sh"

testbench_or_skip
FX=$TRASH/fx
test_when_finished "'$KL_TB_FIXTURE' down '$FX' >/dev/null 2>&1"
ALL="dns storage-provisioner default-storageclass dashboard headlamp ingress metrics-server registry"
# Every kind the addons make (the fixture has no aggregated APIs of its own).
KINDS=namespaces,serviceaccounts,configmaps,secrets,services,deployments,roles,rolebindings,clusterroles,clusterrolebindings,storageclasses,ingressclasses,apiservices

k() { "$KUBECTL" --kubeconfig "$KL_FX_KUBECONFIG" "$@"; }
labelled() { k get "$KINDS" -A -l "kubelaunch.io/addon${1:+=$1}" -o json; }

test_expect_success 'the fixture comes up' '
	"$KL_TB_FIXTURE" up "$FX" >/dev/null
'
. "$FX/env"

test_expect_success 'enable the whole set: each addon'"'"'s objects, with the rendered images' '
	kubelaunch addons enable $ALL --kubeconfig "$KL_FX_KUBECONFIG" --no-wait \
		--images Dashboard=kubelaunch.test/dashboard-standin:v2.7.0 >out &&
	for a in $ALL; do
		want=$(grep -c "^kind: " "$KL_SRC/tests/golden/addons/$a.yaml") &&
		got=$(labelled $a | jq ".items | length") &&
		say "$a: $got objects (rendered: $want)" &&
		test "$got" = "$want" || return 1
		kubelaunch addons images $a -o json >img.json &&
		labelled $a | jq -r ".items[] | select(.kind == \"Deployment\") | .spec.template.spec.containers[].image" >used &&
		for ref in $(jq -r "to_entries[] | select(.key != \"Helper\" and .key != \"Dashboard\") | .value" img.json); do
			grep -qx "$ref" used || { say "$a: $ref not used"; return 1; }
		done
	done &&
	k -n kubernetes-dashboard get deployment kubernetes-dashboard -o jsonpath="{.spec.template.spec.containers[0].image}" >img &&
	test "$(cat img)" = kubelaunch.test/dashboard-standin:v2.7.0 &&
	k get ingressclass traefik -o json | jq -e ".metadata.annotations[\"ingressclass.kubernetes.io/is-default-class\"] == \"true\"" &&
	k get storageclass standard -o json | jq -e ".metadata.annotations[\"storageclass.kubernetes.io/is-default-class\"] == \"true\"" &&
	k -n kube-system get service kube-dns -o jsonpath="{.spec.clusterIP}" | grep -qx 10.96.0.10 &&
	k -n kube-system get deployment metrics-server -o json | jq -e ".spec.template.spec.containers[0].args | index(\"--kubelet-insecure-tls\")"
'

test_expect_success 'enable again changes no resourceVersion' '
	labelled | jq -r ".items[] | \"\(.kind) \(.metadata.namespace) \(.metadata.name) \(.metadata.resourceVersion)\"" | sort >rv1 &&
	kubelaunch addons enable $ALL --kubeconfig "$KL_FX_KUBECONFIG" --no-wait \
		--images Dashboard=kubelaunch.test/dashboard-standin:v2.7.0 >/dev/null &&
	labelled | jq -r ".items[] | \"\(.kind) \(.metadata.namespace) \(.metadata.name) \(.metadata.resourceVersion)\"" | sort >rv2 &&
	test -s rv1 && test_cmp rv1 rv2
'

# A private addon tree: the built-in addons' files plus broken ones.
test_expect_success 'a broken manifest names file:line and applies nothing' '
	cp -R "$KL_SRC/addons" tree &&
	mkdir tree/broken &&
	printf "name: broken\nmanifests: [a.yaml]\n" >tree/broken/addon.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  namespace: default\ndata:\n  x: \${images.Nope}\n" >tree/broken/a.yaml &&
	KUBELAUNCH_ADDONS_DIR=$PWD/tree test_expect_code 118 kubelaunch addons enable registry broken \
		--kubeconfig "$KL_FX_KUBECONFIG" --no-wait 2>err &&
	grep -q "^error: $PWD/tree/broken/a.yaml:7: unknown variable .\${images.Nope}. \[SVC_ADDON_MANIFEST\]" err &&
	kubelaunch addons disable registry --kubeconfig "$KL_FX_KUBECONFIG" >/dev/null &&
	kubelaunch addons enable registry --kubeconfig "$KL_FX_KUBECONFIG" --no-wait >/dev/null &&
	labelled registry | jq -r ".items[] | .metadata.resourceVersion" | sort >before &&
	KUBELAUNCH_ADDONS_DIR=$PWD/tree test_expect_code 118 kubelaunch addons enable registry broken \
		--kubeconfig "$KL_FX_KUBECONFIG" --no-wait 2>err &&
	labelled registry | jq -r ".items[] | .metadata.resourceVersion" | sort >after &&
	test_cmp before after &&
	test "$(labelled broken | jq ".items | length")" = 0
'

test_expect_success 'a manifest the server rejects: its message, the object, what was applied' '
	mkdir tree/rejected &&
	printf "name: rejected\nmanifests: [a.yaml]\n" >tree/rejected/addon.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, namespace: default}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: default}\nspec:\n  ports: [{port: 99999}]\n" >tree/rejected/a.yaml &&
	KUBELAUNCH_ADDONS_DIR=$PWD/tree test_expect_code 118 kubelaunch addons enable rejected \
		--kubeconfig "$KL_FX_KUBECONFIG" --no-wait 2>err &&
	cat err &&
	test "$(grep -c "^error: " err)" = 1 &&
	grep "^error: " err | grep -q "half applied (1 of 2 objects" &&
	grep "^error: " err | grep -q "Service .default/bad." &&
	grep "^error: " err | grep -q "99999" &&
	KUBELAUNCH_ADDONS_DIR=$PWD/tree kubelaunch addons disable rejected --kubeconfig "$KL_FX_KUBECONFIG" &&
	test "$(labelled rejected | jq ".items | length")" = 0
'

# The fixture runs no namespace controller: a deleted Namespace stays Terminating
# (deletionTimestamp set) where a cluster would remove it.
test_expect_success 'disable leaves no labelled object' '
	kubelaunch addons disable $ALL --kubeconfig "$KL_FX_KUBECONFIG" >out &&
	labelled | jq -r ".items[] | select(.metadata.deletionTimestamp == null) | \"\(.kind) \(.metadata.name)\"" >left &&
	test_cmp /dev/null left
'

test_expect_success 'an API server restarted in the middle of an enable is waited for' '
	pid=$(cat "$FX/kube-apiserver.pid") &&
	tr "\0" "\n" </proc/$pid/cmdline >apiserver.argv &&
	kill "$pid" &&
	while test_pid_alive "$pid"; do sleep 0.1; done &&
	{ kubelaunch addons enable registry metrics-server --kubeconfig "$KL_FX_KUBECONFIG" --no-wait \
		--wait-timeout 90s -v 2 >restart.out 2>&1 & epid=$!; } &&
	sleep 2 &&
	mapfile -t argv <apiserver.argv &&
	{ setsid "${argv[@]}" </dev/null >>"$FX/kube-apiserver.log" 2>&1 & echo $! >"$FX/kube-apiserver.pid"; } &&
	rc=0 && { wait "$epid" || rc=$?; } &&
	cat restart.out &&
	{ test "$rc" = 0 || { say "enable exited $rc; the API server said:"; tail -n 5 "$FX/kube-apiserver.log"; false; }; } &&
	k -n kube-system get deployment registry -o name &&
	k get apiservice v1beta1.metrics.k8s.io -o name
'

# No controller-manager and no node: a Deployment never gets its pods.
test_expect_success 'workloads not available within --wait-timeout: the error names them' '
	s=$(date +%s) &&
	test_expect_code 116 kubelaunch addons enable metrics-server --kubeconfig "$KL_FX_KUBECONFIG" --wait-timeout 4s 2>err &&
	cat err &&
	test $(($(date +%s) - s)) -lt 30 &&
	test "$(grep -c "^error: " err)" = 1 &&
	grep "^error: " err | grep -q "addon .metrics-server. is applied but not available" &&
	grep "^error: " err | grep -q "Deployment .kube-system/metrics-server." &&
	grep -q "SVC_UNAVAILABLE" err && grep -q "^advice: " err
'

test_expect_success 'an API server nobody answers for: one line, within the wait' '
	sed "s|$KL_FX_SERVER|https://127.0.0.1:$(free_port)|" "$KL_FX_KUBECONFIG" >dead.conf &&
	s=$(date +%s) &&
	test_expect_code 119 kubelaunch addons enable dns --kubeconfig dead.conf --wait-timeout 3s 2>err &&
	test $(($(date +%s) - s)) -lt 15 &&
	test "$(grep -c "^error: " err)" = 1 &&
	grep -q "SVC_ADDON_CLUSTER" err
'

# The fixture has no namespace controller: the namespaces that test 6's disable deleted
# stay Terminating, as one with a finalizer that never runs would.
test_expect_success 'an enable waits for its namespace that a disable left terminating; one that stays is named' '
	test "$(k get namespace local-path-storage -o jsonpath={.status.phase})" = Terminating &&
	s=$(date +%s) &&
	test_expect_code 106 kubelaunch addons enable storage-provisioner --kubeconfig "$KL_FX_KUBECONFIG" \
		--no-wait --wait-timeout 3s 2>err &&
	cat err &&
	test $(($(date +%s) - s)) -lt 20 &&
	test "$(grep -c "^error: " err)" = 1 &&
	grep -q "Namespace .local-path-storage. is still there" err &&
	! grep -q "being terminated" err
'

test_done
