#!/usr/bin/env bash
# kubeadm config goldens against the real kubeadm of the testbench: `config validate`
# on every golden whose Kubernetes version that kubeadm accepts (its own minor and the
# one before), `config images list`, and `init phase certs all` taking kubelaunch's
# certificates as they are.
. "$(dirname "$0")/test-lib.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}
GOLDEN=$KL_SRC/tests/golden/kubeadm

. "$KL_SRC/tests/t/lib-testbench.sh"

# KL_KUBEADM overrides the testbench's kubeadm (to run this test by hand).
KUBEADM=${KL_KUBEADM:-}
if [ -z "$KUBEADM" ]; then
	if ! env_out=$(tb_env 2>/dev/null) || ! eval "$env_out"; then
		test_skip_or_fail "make testbench-env failed"
		test_done
		exit
	fi
	if [ ! -e "$KL_TB_DIR/.complete" ] || [ ! -x "$KL_TB_BIN/kubeadm" ]; then
		test_skip_or_fail "the testbench is not built in '$KL_TB_DIR': run 'make testbench'"
		test_done
		exit
	fi
	KUBEADM=$KL_TB_BIN/kubeadm
fi
if [ ! -x "$KL_UNIT" ]; then
	test_skip_or_fail "the unit binary '$KL_UNIT' is not built: run 'make build/default/unit-tests'"
	test_done
	exit
fi

kubeadm_version=$("$KUBEADM" version -o short) || exit 1
kminor=$(echo "$kubeadm_version" | sed -E 's/^v1\.([0-9]+)\..*/\1/')
say "# kubeadm $kubeadm_version"

# accepted FILE: the golden's Kubernetes version is one this kubeadm deploys.
accepted() {
	local v minor
	v=$(sed -n 's/^kubernetesVersion: //p' "$1")
	minor=$(echo "$v" | sed -E 's/^v1\.([0-9]+)\..*/\1/')
	[ "$minor" -eq "$kminor" ] || [ "$minor" -eq $((kminor - 1)) ]
}

validated=0
for f in "$GOLDEN"/*.yaml; do
	name=$(basename "$f" .yaml)
	if ! accepted "$f"; then
		say "# not validated: $name (kubeadm $kubeadm_version deploys v1.$((kminor - 1)) and v1.$kminor only)"
		continue
	fi
	validated=$((validated + 1))
	test_expect_success "kubeadm config validate accepts $name" '
		{ "$KUBEADM" config validate --config "$f" >out 2>&1 || { cat out; false; }; } &&
		grep -qx ok out
	'
done

test_expect_success 'at least one golden matches the testbench version' '
	test "$validated" -ge 1 &&
	{ ls "$GOLDEN" | grep -q "^$kubeadm_version-default.yaml$" || {
		echo "add a golden for $kubeadm_version to tests/unit/test_kubeadm.c"; false; }; }
'

test_expect_success 'kubeadm config images list reads the repository and version' '
	"$KUBEADM" config images list --config "$GOLDEN/$kubeadm_version-default.yaml" >images &&
	grep -qx "registry.k8s.io/kube-apiserver:$kubeadm_version" images &&
	"$KUBEADM" config images list --config "$GOLDEN/$kubeadm_version-options.yaml" >images &&
	grep -qx "mirror.local:5000/k8s/kube-apiserver:$kubeadm_version" images &&
	grep -q "^mirror.local:5000/k8s/etcd:" images
'

test_expect_success 'kubeadm init phase certs takes the certificates as they are' '
	env KL_CERTS_HOME="$TRASH/klhome" KL_CERTS_PROFILE=dev KL_CERTS_NODE_NAME=kubelaunch \
		KL_CERTS_NODE_IP=192.168.39.10 "$KL_UNIT" certs_helper_from_env &&
	mkdir -p pki &&
	for f in ca.crt ca.key front-proxy-ca.crt front-proxy-ca.key; do
		cp "$TRASH/klhome/certs/$f" pki/ || return 1
	done &&
	for f in sa.key sa.pub apiserver.crt apiserver.key apiserver-kubelet-client.crt \
		apiserver-kubelet-client.key front-proxy-client.crt front-proxy-client.key; do
		cp "$TRASH/klhome/profiles/dev/certs/$f" pki/ || return 1
	done &&
	md5sum pki/* >before.md5 &&
	env KL_KUBEADM_OUT="$TRASH/cfg.yaml" KL_KUBEADM_CASE="$kubeadm_version-default" \
		KL_KUBEADM_CERT_DIR="$TRASH/pki" "$KL_UNIT" kubeadm_helper_from_env &&
	{ "$KUBEADM" init phase certs all --config cfg.yaml >certs.log 2>&1 || { cat certs.log; false; }; } &&
	cat certs.log &&
	grep -q "Using existing apiserver certificate" certs.log &&
	grep -q "Using existing ca certificate authority" certs.log &&
	grep -q "Using the existing \"sa\" key" certs.log &&
	md5sum -c --quiet before.md5 &&
	test -s pki/etcd/server.crt && test -s pki/apiserver-etcd-client.crt
'

test_done
