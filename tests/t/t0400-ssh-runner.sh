#!/usr/bin/env bash
# The SSH runner against a real OpenSSH sshd on 127.0.0.1 (a free port, its own host
# keys and config in the trash directory). The checks are the ssh_* unit tests in
# tests/unit/test_runner_ssh.c, run by name with the target in KL_TEST_SSH_*.
. "$(dirname "$0")/test-lib.sh"

KL_UNIT=${KL_UNIT:-$KL_SRC/build/default/unit-tests}
SSHD=/usr/sbin/sshd

# sshd_config NAME PORT HOSTKEY: a config for one of our servers.
sshd_config() {
	cat >"$TRASH/$1.config" <<-EOF
	Port $2
	ListenAddress 127.0.0.1
	HostKey $3
	AuthorizedKeysFile $TRASH/authorized_keys
	PidFile $TRASH/$1.sshd-pid
	StrictModes no
	UsePAM no
	PermitRootLogin prohibit-password
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UseDNS no
	PrintMotd no
	EOF
}

# start_sshd NAME PORT HOSTKEY [DELAY]: sshd -D in the background (after DELAY
# seconds); its PID goes to NAME.bgpid for stop_sshd and the final cleanup.
start_sshd() {
	sshd_config "$1" "$2" "$3"
	(sleep "${4:-0}"; exec "$SSHD" -D -e -f "$TRASH/$1.config") >"$TRASH/$1.log" 2>&1 &
	echo $! >"$TRASH/$1.bgpid"
}

wait_listening() {
	for _ in $(seq 100); do
		grep -q "Server listening" "$TRASH/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$TRASH/$1.log"
	return 1
}

stop_sshd() {
	local pid
	pid=$(cat "$TRASH/$1.bgpid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	rm -f "$TRASH/$1.bgpid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
}

test_when_finished 'for f in "$TRASH"/*.bgpid; do [ -f "$f" ] && kill "$(cat "$f")"; rm -f "$f"; done'

# run_unit FILTER: the named unit tests; all must pass and none may skip.
run_unit() {
	local out="$TRASH/unit-$1.out" rc=0
	"$KL_UNIT" "$1" >"$out" 2>&1 || rc=$?
	cat "$out"
	test "$rc" -eq 0 &&
	grep -q '^# unit: [1-9][0-9]* passed, 0 failed, 0 skipped$' "$out"
}

export KL_TEST_SSH_HOST=127.0.0.1
KL_TEST_SSH_PORT=$(free_port)
KL_TEST_SSH_USER=$(id -un)
KL_TEST_SSH_KEY=$TRASH/id
KL_TEST_SSH_KNOWN_HOSTS=$TRASH/pins
export KL_TEST_SSH_PORT KL_TEST_SSH_USER KL_TEST_SSH_KEY KL_TEST_SSH_KNOWN_HOSTS

# sshd running as root needs its privilege separation directory (systemd makes it).
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	mkdir -p -m 0755 /run/sshd
fi
ssh-keygen -q -t ed25519 -N '' -C host-a -f "$TRASH/host_a" &&
ssh-keygen -q -t ed25519 -N '' -C host-b -f "$TRASH/host_b" || exit 1

test_expect_success 'kl_ssh_keygen: key 0600, .pub 0644, both readable by OpenSSH' '
	test -x "$KL_UNIT" &&
	KL_TEST_SSH_KEYGEN=$KL_TEST_SSH_KEY run_unit ssh_keygen_for_the_test_server &&
	test "$(stat -c %a "$KL_TEST_SSH_KEY")" = 600 &&
	test "$(stat -c %a "$KL_TEST_SSH_KEY.pub")" = 644 &&
	ssh-keygen -y -f "$KL_TEST_SSH_KEY" >derived.pub &&
	test "$(cut -d" " -f1,2 derived.pub)" = "$(cut -d" " -f1,2 "$KL_TEST_SSH_KEY.pub")" &&
	cp "$KL_TEST_SSH_KEY.pub" authorized_keys
'

start_sshd main "$KL_TEST_SSH_PORT" "$TRASH/host_a"

test_expect_success 'sshd is up and accepts the generated key (OpenSSH client)' '
	wait_listening main &&
	ssh -i "$KL_TEST_SSH_KEY" -p "$KL_TEST_SSH_PORT" -o BatchMode=yes -F /dev/null \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		"$KL_TEST_SSH_USER@127.0.0.1" echo hello >out 2>/dev/null &&
	test "$(cat out)" = hello
'

test_expect_success 'first contact pins the host key in a 0600 file' '
	run_unit ssh_pin &&
	test "$(stat -c %a pins)" = 600 &&
	test "$(cut -d" " -f3 pins)" = "$(cut -d" " -f2 host_a.pub)"
'

test_expect_success 'OpenSSH accepts the pin file as its known_hosts' '
	ssh -i "$KL_TEST_SSH_KEY" -p "$KL_TEST_SSH_PORT" -o BatchMode=yes -F /dev/null \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$TRASH/pins" \
		"$KL_TEST_SSH_USER@127.0.0.1" true
'

test_expect_success 'run: hostile arguments, status, stdout/stderr, stdin, streaming, timeout, signal' '
	run_unit ssh_run &&
	test "$(grep -c "^ok " "$TRASH/unit-ssh_run.out")" = 5
'

test_expect_success 'copy: 64 MiB streamed and verified, skipped when identical, awkward names' '
	run_unit ssh_copy &&
	test "$(grep -c "^ok " "$TRASH/unit-ssh_copy.out")" = 2
'

test_expect_success 'an address nobody answers on is GUEST_SSH naming it, after retry_ms' '
	KL_TEST_SSH_DEAD_PORT=$(free_port) run_unit ssh_unreachable
'

test_expect_success 'a port that accepts but never speaks SSH is GUEST_SSH too' '
	{ python3 -c "import socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(120)" >silent.port & } &&
	echo $! >"$TRASH/silent.bgpid" &&
	for _ in $(seq 100); do test -s silent.port && break; sleep 0.05; done &&
	rc=0 &&
	{ KL_TEST_SSH_SILENT_PORT=$(cat silent.port) run_unit ssh_silent || rc=$?; } &&
	kill "$(cat "$TRASH/silent.bgpid")" && rm -f "$TRASH/silent.bgpid" &&
	test $rc = 0
'

test_expect_success 'connecting keeps retrying while sshd comes up' '
	late=$(free_port) &&
	start_sshd late "$late" "$TRASH/host_a" 1.5 &&
	rc=0 &&
	{ KL_TEST_SSH_LATE_PORT=$late run_unit ssh_retry || rc=$?; } &&
	stop_sshd late &&
	test $rc = 0
'

test_expect_success 'a machine offering another host key is refused (GUEST_HOST_KEY_MISMATCH)' '
	cp pins pins.before &&
	stop_sshd main &&
	start_sshd main "$KL_TEST_SSH_PORT" "$TRASH/host_b" &&
	wait_listening main &&
	KL_TEST_SSH_EXPECT_MISMATCH=1 run_unit ssh_hostkey_mismatch &&
	test_cmp pins.before pins
'

grep -h '^# \(copied\|the identical\|timed out\|connected after\|after [0-9]\)' "$TRASH"/unit-*.out 2>/dev/null
stop_sshd main
test_done
