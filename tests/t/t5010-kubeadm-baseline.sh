#!/bin/sh
# t5010: a plain `kubeadm init` with the testbench binaries and images on this
# host reaches node Ready, system pods Running and DNS answering, and
# `down` removes all that it created. Slow (a minute or two); needs root.

. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip
if [ "$(id -u)" -ne 0 ]; then
	test_skip_or_fail "kubeadm init needs root"
	test_done
	exit
fi

# A private state directory, so that this test never touches another baseline.
export KL_BASELINE_STATE="$TRASH/baseline"

# What the host looks like, to compare after down. Counters are dropped.
host_snapshot() {
	{
		ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
		echo ---
		for t in raw mangle nat filter; do
			iptables-save -t "$t" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
		done
		echo ---
		nft list tables | sort
		echo ---
		for d in /etc/kubernetes /var/lib/kubelet /var/lib/etcd; do
			test -e "$d" && echo "$d"
		done
		echo ---
		for s in net.ipv4.ip_forward vm.overcommit_memory kernel.panic kernel.panic_on_oops; do
			echo "$s=$(sysctl -n "$s")"
		done
		echo ---
		grep -E ' (/var/lib/kubelet|/run/netns)' /proc/mounts | awk '{print $2}' | sort
		echo ---
		# What is in them: kubelaunch's delete removes the directories themselves.
		for d in /var/log/pods /var/log/containers; do
			if test -d "$d"; then ls -A "$d"; fi
		done
	}
}

test_expect_success 'snapshot the host before' '
	host_snapshot >"$TRASH/before"
'

# At the top level: a test body runs in a subshell, where this would be lost.
test_when_finished "\"$KL_TB_KUBEADM\" down"

test_expect_success 'kubeadm-baseline up reaches Ready and DNS' '
	{ "$KL_TB_KUBEADM" up >timings 2>up.log || { cat up.log; false; }; } &&
	cat up.log timings &&
	grep "^node Ready: " timings &&
	grep "^DNS answering: " timings
'

test_expect_success 'the node is Ready and kube-system pods run' '
	kc="$KL_TB_BIN/kubectl --kubeconfig /etc/kubernetes/admin.conf" &&
	$kc get nodes --no-headers >nodes &&
	grep " Ready " nodes &&
	$kc -n kube-system get pods --no-headers >pods &&
	cat pods &&
	for p in etcd kube-apiserver kube-controller-manager kube-scheduler kube-proxy coredns; do
		grep "^$p-" pods | grep -q " Running " || return 1
	done
'

test_expect_success 'the server reports the testbench version' '
	"$KL_TB_BIN/kubectl" --kubeconfig /etc/kubernetes/admin.conf version -o json >v.json &&
	jq -r .serverVersion.gitVersion v.json >actual &&
	echo "$KL_TB_VERSION" >expect && test_cmp expect actual
'

test_expect_success 'the containerd it runs holds every image kubeadm lists' '
	ctr -a "$KL_BASELINE_STATE/containerd/containerd.sock" -n k8s.io images ls -q |
		grep -v "^sha256:" | sort >actual &&
	sort "$KL_TB_K8S_IMAGES/images.list" >expect &&
	test_cmp expect actual
'

test_expect_success 'CoreDNS answers for the kubernetes service' '
	dig +short +time=2 +tries=3 @10.96.0.10 kubernetes.default.svc.cluster.local A >answer &&
	echo 10.96.0.1 >expect && test_cmp expect answer
'

test_expect_success 'up refuses while a baseline is up' '
	test_must_fail "$KL_TB_KUBEADM" up 2>err &&
	grep "is up already" err
'

test_expect_success 'down removes everything up created' '
	"$KL_TB_KUBEADM" down &&
	test ! -e "$KL_BASELINE_STATE" &&
	host_snapshot >"$TRASH/after" &&
	test_cmp "$TRASH/before" "$TRASH/after"
'

test_expect_success 'no process of the baseline is left' '
	! pgrep -f "$KL_BASELINE_STATE" &&
	! pgrep -f "$KL_TB_BIN/kubelet"
'

test_done
