# kubelaunch.test/busybox: Debian's busybox-static (not the upstream busybox
# image: named under kubelaunch.test/), a shell and the usual applets, for
# helper pods (local-path-provisioner's) and test workloads. CMD sh, as the
# busybox image has.
IMAGE=kubelaunch.test/busybox:1.35.0
VAR=BUSYBOX
DEPS=addons/busybox.env
CMD=sh

rootfs() {
	rootfs_static "$ROOT"
	add_busybox
}
