# metrics-server, sigs.k8s.io/metrics-server ./cmd/metrics-server. Stamped as
# its Makefile does (k8s.io/client-go/pkg/version gitVersion, gitCommit,
# buildDate; the commit is the module's content hash, the date its
# publication time, as for Kubernetes). /metrics-server, user 65534, as
# upstream's Dockerfile (distroless/static there, an empty base here).
IMAGE=registry.k8s.io/metrics-server/metrics-server:v0.9.0
VAR=METRICS_SERVER
ENTRYPOINT=/metrics-server
IMAGE_USER=65534

build_bin() {
	local m=sigs.k8s.io/metrics-server v pkg=k8s.io/client-go/pkg/version
	v=$(mod_version addons/metrics-server $m)
	[ "$v" = "$(tag)" ] || die "addons/metrics-server/go.mod requires $m $v, the image is $(tag)"
	go_build addons/metrics-server $m/cmd/metrics-server "$BIN/metrics-server" \
		"-X $pkg.gitVersion=$v -X $pkg.gitCommit=$(module_commit addons/metrics-server $m "$v") -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(module_date addons/metrics-server $m "$v")"
}

rootfs() {
	rootfs_static "$ROOT" "$BIN/metrics-server:/metrics-server"
}
