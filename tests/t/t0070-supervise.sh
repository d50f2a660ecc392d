#!/usr/bin/env bash
# `kubelaunch supervise` (what keeps containerd and kubelet running where there is no
# systemd): it names itself KL_SUPERVISOR_COMM whatever the binary is called, so that
# start, stop and status recognise their supervisors after a user renamed the binary;
# it restarts its child, and the first SIGTERM ends both and removes its pidfile.
. "$(dirname "$0")/test-lib.sh"

cp "$KL_BIN" "$TRASH/bin/kl-renamed"

test_expect_success 'a renamed binary: the supervisor still calls itself kubelaunch-sv' '
	{ kl-renamed supervise --pidfile sv.pid --log child.log -- sh -c "echo run >>runs; sleep 1" & } &&
	pid=$! && test_track_pid "$pid" &&
	for _ in $(seq 100); do test -s sv.pid && break; sleep 0.05; done &&
	test "$(cat sv.pid)" = "$pid" &&
	test "$(cat /proc/$pid/comm)" = kubelaunch-sv
'

test_expect_success 'it restarts the child that exits' '
	for _ in $(seq 100); do test "$(wc -l <runs)" -ge 2 && break; sleep 0.1; done &&
	test "$(wc -l <runs)" -ge 2
'

test_expect_success 'the first SIGTERM ends it and its child; the pidfile is gone' '
	pid=$(cat sv.pid) && kill -TERM "$pid" &&
	for _ in $(seq 100); do test_pid_alive "$pid" || break; sleep 0.05; done &&
	! test_pid_alive "$pid" && test ! -e sv.pid && ! pgrep -f "echo run >>runs" >/dev/null
'

test_done
