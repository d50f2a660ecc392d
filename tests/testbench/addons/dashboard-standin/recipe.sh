# A stand-in for the Kubernetes Dashboard v2.7.0 (which cannot be pulled or
# built here): /dashboard, the Dashboard's entrypoint, takes the Dashboard's
# arguments, ignores them and serves a page on the Dashboard's port, 9090.
IMAGE=kubelaunch.test/dashboard-standin:v2.7.0
VAR=DASHBOARD_STANDIN
DEPS=addons/busybox.env

rootfs() {
	standin_rootfs "the Kubernetes Dashboard v2.7.0" 9090 /dashboard
}
