#!/usr/bin/env bash
# The kvm2 driver against a real libvirtd (started here, with virtlogd).
. "$(dirname "$0")/test-lib.sh"

RUN=$TRASH/run
mkdir -p "$RUN"
export LIBVIRT_DEFAULT_URI=qemu:///system

test_expect_success 'libvirtd not running: exit 64 with advice' '
	LIBVIRT_DEFAULT_URI="qemu+unix:///system?socket=$RUN/none.sock" \
		test_expect_code 64 kubelaunch -p lv start --driver=kvm2 --no-kubernetes 2>err &&
	grep -q "libvirt is not running" err && grep -q "start libvirtd and virtlogd" err &&
	test ! -e "$KUBELAUNCH_HOME/profiles/lv"
'

. "$KL_SRC/tests/t/lib-libvirt.sh"
libvirtd_up

test_expect_success 'libvirtd answers' '
	virsh -q version >/dev/null
'

ISO=$(make -s -C "$KL_SRC" iso 2>/dev/null | tail -n1)
test_when_finished "kubelaunch -p lv delete"

if [ -x /usr/sbin/dnsmasq ]; then
	test_expect_success 'start --no-kubernetes boots the image under libvirtd' '
		kubelaunch -p lv start --driver=kvm2 --network=isolated --no-kubernetes --memory 2g --iso-url "file://$ISO" \
			--wait-timeout 8m >out 2>err &&
		virsh domstate kl-lv | grep -q running &&
		virsh net-info kl-lv | grep -q "Active: *yes" &&
		kubelaunch -p lv ssh -- cat /etc/kubelaunch-release | grep -q KUBELAUNCH_ISO_VERSION &&
		kubelaunch -p lv stop && virsh domstate kl-lv | grep -q "shut off"
	'
else
	# Without dnsmasq libvirt cannot run DHCP on the machine's network: the start must
	# say so clearly, and what it defined must still be removed by delete.
	test_expect_success 'no dnsmasq: the network cannot start, with a clear error' '
		test_expect_code 70 kubelaunch -p lv start --driver=kvm2 --no-kubernetes --memory 2g \
			--iso-url "file://$ISO" 2>err &&
		grep -q "cannot start the network .kl-lv." err &&
		virsh net-info kl-lv >/dev/null
	'
fi

test_expect_success 'delete removes the domain, the network and the files' '
	kubelaunch -p lv delete &&
	! virsh dominfo kl-lv >/dev/null 2>&1 &&
	! virsh net-info kl-lv >/dev/null 2>&1 &&
	test ! -e "$KUBELAUNCH_HOME/machines/lv"
'

test_done
