#!/usr/bin/env bash
# Machines without a VM: the none driver (this host) and the ssh driver (a real
# sshd on loopback); driver selection, mismatch, locks, and bad input.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-sshd.sh"
SSHD=$TRASH/sshd
SSHD_KEY=$SSHD/id_ed25519
test_when_finished "stop_sshd $SSHD"

test_expect_success 'vfkit on Linux: exit 56 with advice' '
	test_expect_code 56 kubelaunch start --driver=vfkit --no-kubernetes 2>err &&
	grep -q "not supported on this OS" err && grep -q "^advice: " err
'

test_expect_success 'unknown driver: exit 55 with a suggestion' '
	test_expect_code 55 kubelaunch start --driver=qemo --no-kubernetes 2>err &&
	grep -q "did you mean .qemu." err
'

test_expect_success 'status of a profile that does not exist: exit 85' '
	test_expect_code 85 kubelaunch -p nope status 2>err &&
	grep -q "profile .nope. not found" err &&
	test_expect_code 85 kubelaunch -p nope ip
'

test_expect_success 'none: start --no-kubernetes, status, ip' '
	kubelaunch -p host start --driver=none --no-kubernetes >out &&
	grep -q "Using the none driver" out && grep -q "Done!" out &&
	kubelaunch -p host status >st && grep -q "^host: Running$" st &&
	kubelaunch -p host status -o json | jq -e ".Host == \"Running\" and .Driver == \"none\"" &&
	kubelaunch -p host ip | grep -Eq "^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$" &&
	kubelaunch profile list | grep -q "| host .*| none "
'

test_expect_success 'none: no ssh to this host' '
	test_expect_code 16 kubelaunch -p host ssh 2>err && grep -q "nothing to ssh to" err
'

test_expect_success 'an existing profile keeps its driver: a warning with the fix' '
	kubelaunch -p host start --driver=qemu --no-kubernetes >out 2>err &&
	grep -q "created with the none driver, not qemu" err &&
	grep -q "kubelaunch delete -p host" err &&
	test "$(jq -r .Driver "$KUBELAUNCH_HOME/profiles/host/config.json")" = none
'

test_expect_success 'a second start of the same profile waits for the lock' '
	lock="$KUBELAUNCH_HOME/profiles/host.lock" &&
	{ flock "$lock" sleep 2 & holder=$!; } &&
	sleep 0.3 &&
	start=$(date +%s%N) &&
	kubelaunch -p host start --driver=none --no-kubernetes >/dev/null &&
	waited=$(( ($(date +%s%N) - start) / 1000000 )) &&
	wait $holder &&
	test "$waited" -ge 1200
'

test_expect_success 'pause is answered centrally for a driver that cannot' '
	test_expect_code 16 kubelaunch -p host pause 2>err &&
	grep -q "the none driver cannot pause" err
'

test_expect_success 'none: delete leaves nothing' '
	kubelaunch -p host delete >out && grep -q "Removed all traces" out &&
	test ! -e "$KUBELAUNCH_HOME/profiles/host" && test ! -e "$KUBELAUNCH_HOME/machines/host" &&
	kubelaunch -p host delete >out && grep -q "does not exist" out
'

test_expect_success 'ssh driver: a real sshd on loopback' '
	start_sshd "$SSHD" && port=$(sshd_port "$SSHD") &&
	kubelaunch -p remote start --driver=ssh --ssh-ip-address=127.0.0.1 --ssh-port=$port \
		--ssh-user=root --ssh-key="$SSHD_KEY" --no-kubernetes >out &&
	grep -q "Waiting for SSH on 127.0.0.1:$port" out &&
	kubelaunch -p remote status | grep -q "^host: Running$" &&
	test "$(kubelaunch -p remote ip)" = 127.0.0.1 &&
	test "$(kubelaunch -p remote ssh-key)" = "$SSHD_KEY"
'

test_expect_success 'ssh -- CMD: arguments arrive intact, the exit status comes back' '
	kubelaunch -p remote ssh -- printf "%s|" "a b" "\$(echo x)" "it'\''s" "*" >out &&
	printf "%s|" "a b" "\$(echo x)" "it'\''s" "*" >expect &&
	test_cmp expect out &&
	test_expect_code 7 kubelaunch -p remote ssh -- sh -c "exit 7"
'

test_expect_success 'ssh-host prints the pinned host key' '
	kubelaunch -p remote ssh-host >hk &&
	grep -q "$(cut -d" " -f2 "$SSHD/host_ed25519.pub")" hk
'

test_expect_success 'a changed host key is refused' '
	stop_sshd "$SSHD" && rm "$SSHD/host_ed25519"* && start_sshd "$SSHD" &&
	jq ".SSHPort = $(sshd_port "$SSHD")" "$KUBELAUNCH_HOME/machines/remote/state.json" >s &&
	mv s "$KUBELAUNCH_HOME/machines/remote/state.json" &&
	test_expect_code 84 kubelaunch -p remote ssh -- true 2>err &&
	grep -q "GUEST_HOST_KEY_MISMATCH" err
'

test_expect_success 'ssh driver: host down is "host: Error", exit 1' '
	stop_sshd "$SSHD" &&
	test_expect_code 1 kubelaunch -p remote status >st &&
	grep -q "^host: Error$" st &&
	kubelaunch -p remote delete && test ! -e "$KUBELAUNCH_HOME/machines/remote"
'

test_expect_success 'SSH never answering: exit 83 naming the address and port' '
	port=$(free_port) &&
	test_expect_code 83 kubelaunch -p deaf start --driver=ssh --ssh-ip-address=127.0.0.1 \
		--ssh-port=$port --ssh-key="$SSHD_KEY" --no-kubernetes --wait-timeout=3s 2>err &&
	grep -q "127.0.0.1:$port" err
'

test_expect_success 'ssh driver without an address: usage error' '
	test_expect_code 14 kubelaunch -p noaddr start --driver=ssh --no-kubernetes 2>err &&
	grep -q "needs --ssh-ip-address" err
'

test_done
