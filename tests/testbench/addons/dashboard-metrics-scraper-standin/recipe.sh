# A stand-in for the Dashboard's metrics scraper v1.0.8
# (kubernetesui/metrics-scraper, which Dashboard v2.7.0's manifest runs): its
# entrypoint /metrics-sidecar ignores its arguments and serves a page on the
# scraper's port, 8000.
IMAGE=kubelaunch.test/dashboard-metrics-scraper-standin:v1.0.8
VAR=METRICS_SCRAPER_STANDIN
DEPS=addons/busybox.env

rootfs() {
	standin_rootfs "the Kubernetes Dashboard metrics scraper v1.0.8" 8000 /metrics-sidecar
}
