# A stand-in for Headlamp (which cannot be pulled or built here): its
# entrypoint /headlamp/headlamp-server ignores its arguments (-in-cluster,
# -plugins-dir=...) and serves a page on Headlamp's port, 4466.
IMAGE=kubelaunch.test/headlamp-standin:1
VAR=HEADLAMP_STANDIN
DEPS=addons/busybox.env

rootfs() {
	standin_rootfs "Headlamp" 4466 /headlamp/headlamp-server
}
