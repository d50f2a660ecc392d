#!/usr/bin/env bash
# kubelaunch's certificates and kubeconfig entry against a real kube-apiserver (with
# etcd) of the testbench on loopback: the API server serves our apiserver.crt, trusts
# our CA for clients and our front-proxy CA for aggregation, signs service-account
# tokens with our sa.key; kubectl reaches it through our merged kubeconfig entry as
# kubelaunch-user (system:masters), by path and embedded, and after update-context.
. "$(dirname "$0")/test-lib.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}

. "$KL_SRC/tests/t/lib-testbench.sh"

# KL_TB_BIN set by hand (a built testbench directory) is used as it is.
if [ -z "${KL_TB_BIN:-}" ]; then
	if ! env_out=$(tb_env 2>/dev/null) || ! eval "$env_out"; then
		test_skip_or_fail "make testbench-env failed"
		test_done
		exit
	fi
	if [ ! -e "$KL_TB_DIR/.complete" ]; then
		test_skip_or_fail "the testbench is not built in '$KL_TB_DIR': run 'make testbench'"
		test_done
		exit
	fi
fi
for b in etcd kube-apiserver kubectl; do
	if [ ! -x "$KL_TB_BIN/$b" ]; then
		test_skip_or_fail "'$KL_TB_BIN/$b' is missing: run 'make testbench'"
		test_done
		exit
	fi
done
if [ ! -x "$KL_UNIT" ]; then
	test_skip_or_fail "the unit binary '$KL_UNIT' is not built: run 'make build/default/unit-tests'"
	test_done
	exit
fi

CA=$KUBELAUNCH_HOME/certs
P=$KUBELAUNCH_HOME/profiles/dev/certs
kubectl() { "$KL_TB_BIN/kubectl" --kubeconfig "$TRASH/kubeconfig" "$@"; }


# bg NAME CMD...: start CMD in the background, stopped (by its PID) at the end.
bg() {
	local name=$1
	shift
	"$@" </dev/null >"$TRASH/$name.log" 2>&1 &
	test_track_pid $!
}

kc() {
	local op=$1
	shift
	env KL_KC_OP="$op" KL_KC_PROFILE=dev KL_KC_PATH="$TRASH/kubeconfig" KL_KC_CA="$CA/ca.crt" \
		KL_KC_CERT="$P/client.crt" KL_KC_KEY="$P/client.key" "$@" "$KL_UNIT" kubeconfig_helper_from_env
}

test_expect_success 'certificates for node 127.0.0.1' '
	env KL_CERTS_HOME="$KUBELAUNCH_HOME" KL_CERTS_PROFILE=dev KL_CERTS_NODE_NAME=kubelaunch \
		KL_CERTS_NODE_IP=127.0.0.1 "$KL_UNIT" certs_helper_from_env
'

test_expect_success 'etcd and kube-apiserver start with them and become ready' '
	eport=$(free_port) && pport=$(free_port) && aport=$(free_port) && echo "$aport" >aport &&
	bg etcd "$KL_TB_BIN/etcd" --name t0640 --data-dir "$TRASH/etcd" \
		--listen-client-urls "http://127.0.0.1:$eport" --advertise-client-urls "http://127.0.0.1:$eport" \
		--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "t0640=http://127.0.0.1:$pport" --unsafe-no-fsync --log-level warn &&
	bg kube-apiserver "$KL_TB_BIN/kube-apiserver" --bind-address=127.0.0.1 --secure-port="$aport" \
		--advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
		--etcd-servers="http://127.0.0.1:$eport" \
		--tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
		--client-ca-file="$CA/ca.crt" \
		--kubelet-client-certificate="$P/apiserver-kubelet-client.crt" \
		--kubelet-client-key="$P/apiserver-kubelet-client.key" \
		--proxy-client-cert-file="$P/front-proxy-client.crt" --proxy-client-key-file="$P/front-proxy-client.key" \
		--requestheader-client-ca-file="$CA/front-proxy-ca.crt" \
		--requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-cluster-ip-range=10.96.0.0/12 --authorization-mode=Node,RBAC \
		--cert-dir="$TRASH/apiserver-generated" &&
	for i in $(seq 300); do
		curl -fsS --max-time 2 --cacert "$CA/ca.crt" "https://127.0.0.1:$aport/readyz" >/dev/null 2>&1 && break
		sleep 0.2
	done &&
	{ curl -fsS --cacert "$CA/ca.crt" "https://127.0.0.1:$aport/readyz" ||
		{ tail -n 20 kube-apiserver.log; false; }; }
'
APORT=$(cat "$TRASH/aport" 2>/dev/null)

test_expect_success 'TLS: the serving certificate verifies for every SAN a client uses' '
	for host in 127.0.0.1 localhost kubernetes.default.svc control-plane.kubelaunch.internal; do
		curl -fsS --cacert "$CA/ca.crt" --resolve "$host:$APORT:127.0.0.1" \
			"https://$host:$APORT/readyz" >/dev/null || return 1
	done &&
	test_must_fail curl -fsS --cacert "$CA/ca.crt" --resolve "other.example:$APORT:127.0.0.1" \
		"https://other.example:$APORT/readyz"
'

test_expect_success 'kubectl through our kubeconfig entry is kubelaunch-user in system:masters' '
	kc merge KL_KC_SERVER="https://127.0.0.1:$APORT" &&
	kubectl get --raw /readyz &&
	test "$(kubectl auth can-i "*" "*")" = yes &&
	kubectl auth whoami -o json >who.json &&
	jq -e ".status.userInfo.username == \"kubelaunch-user\"" who.json &&
	jq -e ".status.userInfo.groups | index(\"system:masters\")" who.json &&
	kubectl get namespaces kube-system
'

test_expect_success 'service-account tokens are signed with our sa.key and accepted' '
	kubectl create serviceaccount t0640 &&
	token=$(kubectl create token t0640) &&
	curl -fsS --cacert "$CA/ca.crt" -H "Authorization: Bearer $token" \
		"https://127.0.0.1:$APORT/apis/authentication.k8s.io/v1/selfsubjectreviews" \
		-X POST -H "Content-Type: application/json" \
		-d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}" >review.json &&
	jq -e ".status.userInfo.username == \"system:serviceaccount:default:t0640\"" review.json
'

test_expect_success 'embedded certificates work the same' '
	kc merge KL_KC_SERVER="https://localhost:$APORT" KL_KC_EMBED=1 &&
	! grep -q "client-key:" kubeconfig &&
	test "$(kubectl auth can-i "*" "*")" = yes
'

test_expect_success 'update-context: a wrong server, then fixed' '
	kc update KL_KC_SERVER="https://127.0.0.1:$(free_port)" &&
	test_must_fail kubectl get --raw /readyz --request-timeout=3s &&
	kc update KL_KC_SERVER="https://127.0.0.1:$APORT" &&
	kubectl get --raw /readyz
'

test_done
