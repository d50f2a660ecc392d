#!/usr/bin/env bash
# slow: the none driver on this host (run it under `flock /run/kl-host-cluster.lock`).
# One Kubernetes fits on a host: a start refuses at once a host whose services belong
# to another KUBELAUNCH_HOME (or to no profile), saying what runs, whose it is and how to
# remove it; and what a failed start started (containerd here) is stopped by delete.
# The failed start is real: an image archive that containerd cannot import.
. "$(dirname "$0")/test-lib.sh"

. "$KL_SRC/tests/t/lib-testbench.sh"
testbench_or_skip

if pid=$(pgrep -x kubelet); then
	test_skip_or_fail "a kubelet that no test here started runs on this host (pid $pid): this test needs a free host"
	test_done
	exit
fi

serve_mirror
OTHER=$TRASH/other-home
mkdir -p bad && head -c 4096 /dev/urandom >bad/broken.tar
START="start --driver=none --kubernetes-version $KL_TB_VERSION --binary-mirror $MIRROR --image-bundle $TRASH/bad"
test_when_finished "KUBELAUNCH_HOME=$OTHER kubelaunch -p alpha delete; kubelaunch delete"

test_expect_success 'a failed start: its containerd runs, owned by its profile' '
	rc=0 && { env KUBELAUNCH_HOME="$OTHER" kubelaunch -p alpha $START >out 2>err || rc=$?; } &&
	cat out err && test "$rc" = 91 && grep -q "RUNTIME_IMAGE_IMPORT" err &&
	pid=$(cat /var/lib/kubelaunch/containerd.pid) && test_pid_alive "$pid" &&
	jq -e --arg h "$OTHER" ".Home == \$h and .Profile == \"alpha\"" /var/lib/kubelaunch/owner.json
'

test_expect_success 'a start from another home is refused at once: what runs, whose, how to remove it' '
	pid=$(cat /var/lib/kubelaunch/containerd.pid) && t0=$(date +%s) &&
	rc=0 && { kubelaunch $START >out 2>err || rc=$?; } && cat err && test "$rc" = 35 &&
	test $(( $(date +%s) - t0 )) -lt 20 &&
	grep -q "HOST_CLUSTER_FOREIGN" err &&
	grep -q "containerd under kubelaunch supervise (pid $pid)" err &&
	grep -q "belongs to profile .alpha. of KUBELAUNCH_HOME=$OTHER" err &&
	grep -q "KUBELAUNCH_HOME=$OTHER kubelaunch delete -p alpha" err &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch" && test_pid_alive "$pid"
'

test_expect_success 'an orphan (its profile is gone) is named as one' '
	mv "$OTHER/profiles/alpha" alpha.saved &&
	rc=0 && { kubelaunch $START >out 2>err || rc=$?; } && mv alpha.saved "$OTHER/profiles/alpha" &&
	cat err && test "$rc" = 35 &&
	grep -q "that profile is gone (an orphan)" err && grep -q "kubeadm reset --force" err
'

test_expect_success 'the advice works: delete stops what the failed start started' '
	pid=$(cat /var/lib/kubelaunch/containerd.pid) &&
	KUBELAUNCH_HOME="$OTHER" kubelaunch -p alpha delete &&
	for _ in $(seq 100); do test_pid_alive "$pid" || break; sleep 0.1; done &&
	! test_pid_alive "$pid" && test ! -e /var/lib/kubelaunch/owner.json
'

test_expect_success 'a failed start with --delete-on-failure leaves nothing running' '
	test_expect_code 91 kubelaunch $START --delete-on-failure >out 2>err &&
	grep -q "deleting .kubelaunch. after the failed start" err &&
	test ! -e "$KUBELAUNCH_HOME/profiles/kubelaunch" &&
	test ! -e /var/lib/kubelaunch/containerd.pid &&
	! pgrep -f "supervise --pidfile=/var/lib/kubelaunch/containerd.pid" >/dev/null
'

test_done
