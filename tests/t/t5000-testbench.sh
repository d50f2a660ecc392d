#!/bin/sh
# t5000: the testbench (tests/testbench) gives real, version-stamped
# Kubernetes binaries, images named as kubeadm lists them, and an API-server
# fixture that comes up on free loopback ports and goes away completely.

. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip

test_expect_success 'testbench-env names existing paths' '
	test -n "$KL_TB_VERSION" &&
	test -d "$KL_TB_BIN" &&
	test -d "$KL_TB_IMAGES" && test -d "$KL_TB_K8S_IMAGES" &&
	test -d "$KL_TB_MIRROR/release/$KL_TB_VERSION/bin/linux/amd64" &&
	test -x "$KL_TB_FIXTURE" &&
	test -x "$KL_TB_KUBEADM"
'

test_expect_success 'the env output is eval-able and stable' '
	tb_env >env1 && tb_env >env2 && test_cmp env1 env2 &&
	(unset KL_TB_DIR; eval "$(cat env1)"; test -n "$KL_TB_DIR")
'

test_expect_success 'kubeadm version -o short prints the stamped release' '
	echo "$KL_TB_VERSION" >expect &&
	"$KL_TB_BIN/kubeadm" version -o short >actual &&
	test_cmp expect actual
'

test_expect_success 'kubeadm does not think it is a placeholder version' '
	"$KL_TB_BIN/kubeadm" version -o json >v.json &&
	jq -r .clientVersion.gitTreeState v.json >actual &&
	echo clean >expect && test_cmp expect actual &&
	! grep -q placeholder v.json
'

test_expect_success 'the server binaries print the stamped release' '
	for c in kubelet kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
		echo "Kubernetes $KL_TB_VERSION" >expect &&
		"$KL_TB_BIN/$c" --version >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'kubectl prints the stamped client version' '
	"$KL_TB_BIN/kubectl" version --client -o json >kv.json &&
	jq -r .clientVersion.gitVersion kv.json >actual &&
	echo "$KL_TB_VERSION" >expect && test_cmp expect actual
'

test_expect_success 'etcd, etcdctl, coredns and pause run and print their versions' '
	. "$KL_SRC/tests/testbench/versions.env" &&
	"$KL_TB_BIN/etcd" --version | grep -x "etcd Version: ${ETCD_VERSION#v}" &&
	"$KL_TB_BIN/etcdctl" version | grep -x "etcdctl version: ${ETCD_VERSION#v}" &&
	"$KL_TB_BIN/coredns" -version | grep -x "CoreDNS-${COREDNS_VERSION#v}" &&
	"$KL_TB_BIN/pause" --version | grep -x "pause.c $PAUSE_VERSION"
'

# Static: an ELF executable with no program interpreter and no DT_NEEDED.
test_expect_success 'all binaries are static' '
	for f in "$KL_TB_BIN"/*; do
		readelf -hW "$f" | grep -q "Type: *EXEC" &&
		! readelf -lW "$f" | grep -q INTERP &&
		! readelf -dW "$f" 2>/dev/null | grep -q NEEDED || { echo "not static: $f"; return 1; }
	done
'

test_expect_success 'the release mirror has each binary with its sha256' '
	rel="$KL_TB_MIRROR/release/$KL_TB_VERSION/bin/linux/amd64" &&
	for c in kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
		sha256sum "$rel/$c" | cut -d" " -f1 >expect &&
		test_cmp expect "$rel/$c.sha256" || return 1
	done
'

# The names and tags of the image archives, as in their manifests.
archive_names() {
	for f in "$KL_TB_K8S_IMAGES"/*.tar; do
		tar -xOf "$f" manifest.json | jq -r ".[].RepoTags[]"
	done | sort
}

test_expect_success 'the image archives are exactly what kubeadm lists' '
	"$KL_TB_BIN/kubeadm" config images list --kubernetes-version "$KL_TB_VERSION" 2>/dev/null |
		sort >expect &&
	archive_names >actual &&
	test_cmp expect actual
'

# test_when_finished only works at the top level (a test body runs in a
# subshell): register every fixture's teardown here, before the trash
# directory (holding etcd's data) can be removed under it.
for fx in fx fx2 fx3 fx4; do
	test_when_finished "\"$KL_TB_FIXTURE\" down \"$TRASH/$fx\""
done

test_expect_success 'the API-server fixture answers /readyz and kubectl' '
	"$KL_TB_FIXTURE" up "$TRASH/fx" >kc &&
	echo "$TRASH/fx/kubeconfig" >expect && test_cmp expect kc &&
	. "$TRASH/fx/env" &&
	curl -fsS --cacert "$KL_FX_CA" "$KL_FX_SERVER/readyz" >ready &&
	grep -qx ok ready &&
	"$KL_TB_BIN/kubectl" --kubeconfig "$(cat kc)" get namespaces -o name >ns &&
	grep -x namespace/default ns &&
	grep -x namespace/kube-system ns &&
	"$KL_TB_FIXTURE" down "$TRASH/fx"
'

test_expect_success 'the API-server fixture listens on loopback only' '
	"$KL_TB_FIXTURE" up "$TRASH/fx2" >/dev/null &&
	for n in etcd kube-apiserver; do
		pid=$(cat "$TRASH/fx2/$n.pid") &&
		ss -Htlnp | grep "pid=$pid," >listen &&
		! grep -v " 127\.0\.0\.1:" listen || return 1
	done &&
	"$KL_TB_FIXTURE" down "$TRASH/fx2"
'


test_expect_success 'fixture down leaves no process behind' '
	"$KL_TB_FIXTURE" up "$TRASH/fx3" >/dev/null &&
	pids="$(cat "$TRASH/fx3/etcd.pid") $(cat "$TRASH/fx3/kube-apiserver.pid")" &&
	"$KL_TB_FIXTURE" down "$TRASH/fx3" &&
	for pid in $pids; do
		! test_pid_alive "$pid" || return 1
	done &&
	! ls "$TRASH/fx3"/*.pid 2>/dev/null &&
	! pgrep -f "$TRASH/fx3" >/dev/null
'

test_expect_success 'fixture down is idempotent and up twice is refused' '
	"$KL_TB_FIXTURE" up "$TRASH/fx4" >/dev/null &&
	test_must_fail "$KL_TB_FIXTURE" up "$TRASH/fx4" 2>err &&
	grep "already running" err &&
	"$KL_TB_FIXTURE" down "$TRASH/fx4" &&
	"$KL_TB_FIXTURE" down "$TRASH/fx4"
'

test_done
