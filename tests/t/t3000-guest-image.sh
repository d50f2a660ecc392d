#!/bin/sh
# t3000: the guest image (iso/) boots under QEMU (TCG) and is a usable Kubernetes node:
# key login through fw_cfg, containerd, cgroup v2, modules and sysctls, a persistent data
# disk that survives a reboot, distinct identities for two machines from one image, a
# corrupted image detected by its checksum, and a boot with no identity and no disk.
. "$(dirname "$0")/test-lib.sh"
. "$KL_SRC/tests/t/lib-vm.sh"

if ! command -v qemu-system-x86_64 >/dev/null; then
	test_skip_or_fail 'qemu-system-x86_64 is not installed'
	test_done
	exit
fi
if ! ISO=$(vm_iso) || [ ! -f "$ISO" ]; then
	test_skip_or_fail "cannot build the guest image (make -f iso/iso.mk iso, needs root)"
	test_done
	exit
fi
test_when_finished 'vm_kill_all'

test_expect_success 'image has a checksum that verifies' '
	test -f "$ISO.sha256" &&
	(cd "$(dirname "$ISO")" && sha256sum -c --quiet "$(basename "$ISO").sha256") &&
	test "$(make -s -f "$KL_SRC/iso/iso.mk" iso-path)" = "$ISO"
'

test_expect_success 'a corrupted copy of the image fails its checksum' '
	# TODO(product): kubelaunch start must refuse such an image before booting it
	# (the qemu/libvirt drivers verify <image>.sha256 on download and on first use);
	# this only checks the checksum file catches a flipped byte.
	mkdir bad &&
	cp "$ISO" "$ISO.sha256" bad/ &&
	name=$(basename "$ISO") &&
	printf "\\377" | dd of="bad/$name" bs=1 seek=$((32768 + 4097)) conv=notrunc 2>/dev/null &&
	! cmp -s "$ISO" "bad/$name" &&
	(cd bad && test_must_fail sha256sum -c --quiet "$name.sha256") &&
	rm -rf bad
'

vm_key one
vm_key two
vm_disk "$TRASH/a.raw" 20G
vm_disk "$TRASH/b.raw" 20G

test_expect_success 'boots and accepts the fw_cfg key' '
	VM_DISK="$TRASH/a.raw" VM_KEY="$TRASH/keys/one.pub" VM_HOSTNAME=node-a vm_start a "$ISO" &&
	vm_wait_ssh a "$TRASH/keys/one"
'

test_expect_success 'hostname and user come from fw_cfg; sudo without password' '
	test "$(vm_ssh a "$TRASH/keys/one" hostname)" = node-a &&
	test "$(vm_ssh a "$TRASH/keys/one" id -un)" = kubelaunch &&
	test "$(vm_ssh a "$TRASH/keys/one" sudo -n id -u)" = 0
'

test_expect_success 'containerd is running' '
	vm_ssh a "$TRASH/keys/one" systemctl is-active containerd &&
	vm_ssh a "$TRASH/keys/one" sudo ctr version
'

test_expect_success 'cgroup v2 only' '
	test "$(vm_ssh a "$TRASH/keys/one" stat -fc %T /sys/fs/cgroup)" = cgroup2fs
'

test_expect_success 'br_netfilter and overlay are loaded, sysctls set' '
	vm_ssh a "$TRASH/keys/one" cat /proc/modules >modules &&
	grep "^br_netfilter " modules &&
	grep "^overlay " modules &&
	test "$(vm_ssh a "$TRASH/keys/one" cat /proc/sys/net/ipv4/ip_forward)" = 1 &&
	test "$(vm_ssh a "$TRASH/keys/one" cat /proc/sys/net/bridge/bridge-nf-call-iptables)" = 1 &&
	test -z "$(vm_ssh a "$TRASH/keys/one" tail -n +2 /proc/swaps)"
'

test_expect_success 'the blank disk was formatted and mounted; state paths live on it' '
	vm_ssh a "$TRASH/keys/one" findmnt -n -o SOURCE,FSTYPE /mnt/kubelaunch-data >mnt &&
	echo "/dev/vda ext4" >expect &&
	test_cmp expect mnt &&
	test "$(vm_ssh a "$TRASH/keys/one" sudo blkid -s LABEL -o value /dev/vda)" = kubelaunch-data &&
	for p in /var/lib/kubelaunch /var/lib/containerd /var/lib/kubelet /etc/kubernetes /var/log; do
		vm_ssh a "$TRASH/keys/one" findmnt -n -o SOURCE "$p" >src &&
		grep "^/dev/vda\\[" src || return 1
	done
'

test_expect_success '/etc/kubelaunch-release names the image version' '
	vm_ssh a "$TRASH/keys/one" cat /etc/kubelaunch-release >release &&
	grep "^KUBELAUNCH_ISO_VERSION=v[0-9]" release
'

test_expect_success 'state survives a power cycle; a changed key replaces the old one' '
	vm_ssh a "$TRASH/keys/one" "echo persisted-$$ | sudo tee /var/lib/kubelaunch/marker" &&
	vm_ssh a "$TRASH/keys/one" cat /etc/machine-id >id.before &&
	vm_ssh a "$TRASH/keys/one" cat /etc/ssh/ssh_host_ed25519_key.pub >hostkey.before &&
	vm_stop a "$TRASH/keys/one" &&
	VM_DISK="$TRASH/a.raw" VM_KEY="$TRASH/keys/two.pub" VM_HOSTNAME=node-a vm_start a "$ISO" &&
	vm_wait_ssh a "$TRASH/keys/two" &&
	echo "persisted-$$" >expect &&
	vm_ssh a "$TRASH/keys/two" cat /var/lib/kubelaunch/marker >actual &&
	test_cmp expect actual &&
	vm_ssh a "$TRASH/keys/two" cat /etc/machine-id >id.after &&
	test_cmp id.before id.after &&
	vm_ssh a "$TRASH/keys/two" cat /etc/ssh/ssh_host_ed25519_key.pub >hostkey.after &&
	test_cmp hostkey.before hostkey.after &&
	vm_login_refused a "$TRASH/keys/one"
'

# User-mode networking gives every guest 10.0.2.15 in its own private network, so the
# address criterion is the DHCP client identifier, which the image derives from the MAC
# (and the MACs the driver assigns differ).
test_expect_success 'two machines from one image at once get distinct identities' '
	VM_DISK="$TRASH/b.raw" VM_KEY="$TRASH/keys/one.pub" vm_start b "$ISO" &&
	vm_wait_ssh b "$TRASH/keys/one" &&
	vm_running a &&
	vm_ssh a "$TRASH/keys/two" cat /etc/machine-id >id.a &&
	vm_ssh b "$TRASH/keys/one" cat /etc/machine-id >id.b &&
	grep -x "[0-9a-f]\{32\}" id.a && grep -x "[0-9a-f]\{32\}" id.b &&
	! cmp -s id.a id.b &&
	vm_ssh a "$TRASH/keys/two" "cat /run/systemd/netif/leases/*" >lease.a &&
	vm_ssh b "$TRASH/keys/one" "cat /run/systemd/netif/leases/*" >lease.b &&
	grep "^CLIENTID=01$(tr -d : <"$VM_ROOT/a/mac")\$" lease.a &&
	grep "^CLIENTID=01$(tr -d : <"$VM_ROOT/b/mac")\$" lease.b &&
	grep "^ADDRESS=" lease.a && grep "^ADDRESS=" lease.b
'

test_expect_success 'stop both machines' '
	vm_stop a "$TRASH/keys/two" &&
	vm_stop b "$TRASH/keys/one"
'

test_expect_success 'no identity and no data disk: boots to a running sshd nobody can use' '
	VM_DISK= VM_KEY= vm_start bare "$ISO" &&
	vm_wait_banner bare &&
	vm_login_refused bare "$TRASH/keys/one" &&
	grep "no data disk" "$VM_ROOT/bare/serial.log" &&
	vm_kill bare
'

test_done
