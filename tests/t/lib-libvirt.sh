# lib-libvirt.sh: a real libvirtd for the kvm2 tests.
#   libvirtd_up    start virtlogd and libvirtd (this host has no systemd to do it) unless
#                  one runs already; stopped by PID when the test ends

libvirtd_up() {
	export LIBVIRT_DEFAULT_URI=qemu:///system
	pgrep -x libvirtd >/dev/null && return 0
	mkdir -p "$TRASH/libvirt"
	virtlogd --daemon --pid-file="$TRASH/libvirt/virtlogd.pid" &&
		libvirtd --daemon --pid-file="$TRASH/libvirt/libvirtd.pid" || return
	for _ in $(seq 50); do virsh -q version >/dev/null 2>&1 && break; sleep 0.2; done
	test_when_finished "kill \$(cat $TRASH/libvirt/libvirtd.pid) \$(cat $TRASH/libvirt/virtlogd.pid)"
}
