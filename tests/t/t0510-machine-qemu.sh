#!/usr/bin/env bash
# slow: boots the guest image under QEMU (software emulation here).
# The qemu driver's whole lifecycle, and its faults.
. "$(dirname "$0")/test-lib.sh"

ISO=$(make -s -C "$KL_SRC" iso 2>"$TRASH/iso.log" | tail -n1)
P="-p vm"
test_when_finished "kubelaunch -p vm delete; kubelaunch -p crash delete"

if [ ! -f "$ISO" ]; then
	test_skip_or_fail "the guest image could not be built: $(tail -n3 "$TRASH/iso.log")"
	test_done
	exit
fi

qemu_pid() { cat "$KUBELAUNCH_HOME/machines/vm/qemu.pid"; }

test_expect_success 'refused before anything boots: a corrupted image' '
	cp "$ISO" bad.iso && cp "$ISO.sha256" bad.iso.sha256 &&
	printf "\377" | dd of=bad.iso bs=1 seek=100000 conv=notrunc 2>/dev/null &&
	test_expect_code 87 kubelaunch -p bad start --driver=qemu --no-kubernetes --iso-url "file://$PWD/bad.iso" 2>err &&
	grep -q "does not match its checksum" err &&
	test ! -e "$KUBELAUNCH_HOME/machines/bad" && test ! -e "$KUBELAUNCH_HOME/profiles/bad" &&
	rm bad.iso
'

test_expect_success 'a missing image: exit 87' '
	test_expect_code 87 kubelaunch -p bad start --driver=qemu --no-kubernetes --iso-url file:///nonexistent.iso 2>err &&
	grep -q "/nonexistent.iso" err
'

test_expect_success 'resources beyond the host, and a disk too small' '
	test_expect_code 29 kubelaunch -p bad start --driver=qemu --no-kubernetes --iso-url "file://$ISO" --cpus 1000 &&
	test_expect_code 23 kubelaunch -p bad start --driver=qemu --no-kubernetes --iso-url "file://$ISO" --memory 100000g &&
	test_expect_code 14 kubelaunch -p bad start --driver=qemu --no-kubernetes --iso-url "file://$ISO" --disk-size 1g 2>err &&
	grep -q "for .--disk-size.: at least 2GiB" err &&
	test ! -e "$KUBELAUNCH_HOME/machines/bad"
'

test_expect_success 'qemu not installed: exit 55 with advice' '
	PATH=$TRASH/bin test_expect_code 55 kubelaunch -p bad start --driver=qemu --no-kubernetes 2>err &&
	grep -q "qemu-system-x86_64 is not installed" err && grep -q "apt-get install qemu-system-x86" err
'

test_expect_success 'start --no-kubernetes boots the image to an SSH login' '
	kubelaunch $P start --driver=qemu --no-kubernetes --memory 2g --iso-url "file://$ISO" --wait-timeout 6m >out 2>err &&
	grep -q "Waiting for SSH on 127.0.0.1:" out && grep -q "software emulation" err &&
	kubelaunch $P ssh -- cat /etc/kubelaunch-release | grep -q KUBELAUNCH_ISO_VERSION &&
	test "$(stat -c %a "$KUBELAUNCH_HOME/machines/vm/id_ed25519")" = 600 &&
	kubelaunch $P status | grep -q "^host: Running$"
'

test_expect_success 'pause and unpause' '
	kubelaunch $P pause &&
	test_expect_code 1 kubelaunch $P status >st && grep -q "^host: Paused$" st &&
	kubelaunch $P unpause &&
	kubelaunch $P status | grep -q "^host: Running$"
'

test_expect_success 'stop, then start again: the data disk is kept' '
	kubelaunch $P ssh -- sudo sh -c "echo kept >/var/lib/kubelaunch/marker" &&
	kubelaunch $P stop >out && grep -q "1 node stopped" out &&
	test_expect_code 1 kubelaunch $P status >st && grep -q "^host: Stopped$" st &&
	kubelaunch $P start --no-kubernetes --wait-timeout 6m >out &&
	grep -q "Restarting the existing qemu VM" out &&
	test "$(kubelaunch $P ssh -- cat /var/lib/kubelaunch/marker)" = kept
'

test_expect_success 'kill -9 of qemu: status says so, start recovers' '
	kill -9 "$(qemu_pid)" && sleep 1 &&
	test_expect_code 1 kubelaunch $P status >st && grep -q "^host: Stopped$" st &&
	kubelaunch $P start --no-kubernetes --wait-timeout 6m &&
	test "$(kubelaunch $P ssh -- cat /var/lib/kubelaunch/marker)" = kept
'

test_expect_success 'delete leaves no process and no file' '
	pid=$(qemu_pid) &&
	kubelaunch $P delete &&
	! test_pid_alive "$pid" &&
	test ! -e "$KUBELAUNCH_HOME/machines/vm" && test ! -e "$KUBELAUNCH_HOME/profiles/vm"
'

test_expect_success 'a guest that dies while booting: exit 81 with its serial log' '
	{ ( kubelaunch -p crash start --driver=qemu --no-kubernetes --memory 2g --iso-url "file://$ISO" \
		--wait-timeout 6m >out 2>err; echo $? >rc ) & } &&
	for i in $(seq 100); do [ -s "$KUBELAUNCH_HOME/machines/crash/qemu.pid" ] && break; sleep 0.2; done &&
	sleep 3 && kill -9 "$(cat "$KUBELAUNCH_HOME/machines/crash/qemu.pid")" &&
	for i in $(seq 100); do [ -s rc ] && break; sleep 0.2; done &&
	test "$(cat rc)" = 81 &&
	grep -q "stopped while booting" err && grep -q "serial log" err
'

test_done
