#!/usr/bin/env bash
# slow: the API client (src/kube) against the test bench's real kube-apiserver and
# etcd (tests/testbench/apiserver-fixture.sh): apply, apply again, CRDs, pruning by
# label, rejections, a bad CA, a restarted API server, a watch, and the waits with
# their diagnosis. The C side is tests/unit/test_kube_fixture.c.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-testbench.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}
testbench_or_skip
if [ ! -x "$KL_UNIT" ]; then
	test_skip_or_fail "the unit binary '$KL_UNIT' is not built: run 'make build/default/unit-tests'"
	test_done
	exit
fi
FX=$TRASH/fx
test_when_finished "'$KL_TB_FIXTURE' down '$FX' >/dev/null 2>&1"

unit() { "$KL_UNIT" "$1" | tee "$TRASH/unit.out" && grep -q "^ok .*unit/$1" "$TRASH/unit.out"; }

test_expect_success 'the fixture comes up' '
	"$KL_TB_FIXTURE" up "$FX" >/dev/null &&
	. "$FX/env" &&
	openssl ecparam -name prime256v1 -genkey -noout -out other-ca.key 2>/dev/null &&
	openssl req -x509 -new -key other-ca.key -subj /CN=other -days 1 -out other-ca.crt 2>/dev/null
'
. "$FX/env"
export KL_FX_KUBECONFIG KL_FX_SERVER KL_FX_CA KL_FX_OTHER_CA=$TRASH/other-ca.crt

test_expect_success 'apply creates, and applying again changes no resourceVersion' '
	unit kube_fx_apply_creates_and_twice_changes_nothing &&
	"$KUBECTL" --kubeconfig "$KL_FX_KUBECONFIG" -n fx-apply get deployment web -o json --show-managed-fields >web.json &&
	jq -e ".metadata.managedFields[0].manager == \"kubelaunch\"" web.json &&
	jq -e ".spec.template.spec.containers[0].ports[0].containerPort == 8080" web.json &&
	"$KUBECTL" --kubeconfig "$KL_FX_KUBECONFIG" -n fx-apply get configmap settings -o json >cm.json &&
	jq -e ".data.port == \"53\"" cm.json
'
test_expect_success 'a CRD and its objects in one list: discovery knows the kind once Established' '
	unit kube_fx_crd_discovered_once_established &&
	"$KUBECTL" --kubeconfig "$KL_FX_KUBECONFIG" get widgets.fx.kubelaunch.io w1 -o name
'
test_expect_success 'prune by label keeps what is rendered, and disable leaves none' '
	unit kube_fx_prune_by_label_keeps_the_rendered_and_leaves_none &&
	test -z "$("$KUBECTL" --kubeconfig "$KL_FX_KUBECONFIG" get configmaps,secrets,clusterroles -A \
		-l kubelaunch.io/addon=fx-prune -o name)"
'
test_expect_success 'a rejected object: the server message naming it' '
	unit kube_fx_rejected_object_names_it_with_the_servers_message
'
test_expect_success 'a server certificate from another CA is refused at once' '
	unit kube_fx_bad_ca_is_refused
'
test_expect_success 'a watch streams the events; the callback may use the client' '
	unit kube_fx_watch_streams_events
'
test_expect_success 'waits for Deployments, and the diagnosis of what is not ready' '
	unit kube_fx_wait_available_and_diagnose
'
test_expect_success 'a port nobody listens on fails within the deadline' '
	KL_FX_DEAD_SERVER=https://127.0.0.1:$(free_port) unit kube_fx_down_server_fails_within_the_deadline
'
test_expect_success 'an API server restarted in the middle is waited for' '
	pid=$(cat "$FX/kube-apiserver.pid") &&
	tr "\0" "\n" </proc/$pid/cmdline >apiserver.argv &&
	kill "$pid" &&
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done &&
	{ KL_FX_DOWN=1 "$KL_UNIT" kube_fx_restarted_server_is_waited_for >restart.out 2>&1 & upid=$!; } &&
	sleep 2 &&
	mapfile -t argv <apiserver.argv &&
	{ setsid "${argv[@]}" </dev/null >>"$FX/kube-apiserver.log" 2>&1 & echo $! >"$FX/kube-apiserver.pid"; } &&
	wait "$upid" &&
	cat restart.out &&
	grep -q "^ok .*kube_fx_restarted_server_is_waited_for" restart.out
'

test_done
