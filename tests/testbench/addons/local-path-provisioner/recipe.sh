# local-path-provisioner (storage-provisioner), the root package of
# github.com/rancher/local-path-provisioner. Stamped as scripts/build does
# (-X main.VERSION=<tag>; unstamped it says 0.0.1). At /usr/bin with CMD
# local-path-provisioner, as upstream's package/Dockerfile (its manifests give
# a command); an empty base instead of Alpine. Its helper pods run a busybox
# image: kubelaunch.test/busybox.
IMAGE=docker.io/rancher/local-path-provisioner:v0.0.30
VAR=LOCAL_PATH_PROVISIONER
CMD=local-path-provisioner

build_bin() {
	local m=github.com/rancher/local-path-provisioner v
	v=$(mod_version addons/local-path-provisioner $m)
	[ "$v" = "$(tag)" ] || die "addons/local-path-provisioner/go.mod requires $m $v, the image is $(tag)"
	go_build addons/local-path-provisioner $m "$BIN/local-path-provisioner" "-X main.VERSION=$v"
}

rootfs() {
	rootfs_static "$ROOT" "$BIN/local-path-provisioner:/usr/bin/local-path-provisioner"
}
