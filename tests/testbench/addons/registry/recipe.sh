# The distribution registry, github.com/distribution/distribution/v3
# ./cmd/registry. Stamped as upstream's Dockerfile does (version without the
# "v", revision: here the module's content hash, mainpkg). As upstream's
# image: /bin/registry, its cmd/registry/config-dev.yml as
# /etc/distribution/config.yml, OTEL_TRACES_EXPORTER=none, ENTRYPOINT
# registry, CMD serve /etc/distribution/config.yml; an empty base instead of
# Alpine.
IMAGE=docker.io/library/registry:3.1.1
VAR=REGISTRY
ENTRYPOINT=registry
CMD="serve /etc/distribution/config.yml"
ENVS=OTEL_TRACES_EXPORTER=none
PORTS=5000/tcp

build_bin() {
	local m=github.com/distribution/distribution/v3 v
	v=$(mod_version addons/registry $m)
	[ "$v" = "v$(tag)" ] || die "addons/registry/go.mod requires $m $v, the image is $(tag)"
	go_build addons/registry $m/cmd/registry "$BIN/registry" \
		"-X $m/version.version=${v#v} -X $m/version.revision=$(module_commit addons/registry $m "$v") -X $m/version.mainpkg=$m"
	cp "$(mod_dir addons/registry $m)/cmd/registry/config-dev.yml" "$BIN/config.yml"
}

rootfs() {
	rootfs_static "$ROOT" "$BIN/registry:/bin/registry"
	mkdir -p "$ROOT/etc/distribution" "$ROOT/var/lib/registry"
	install -m 0644 "$BIN/config.yml" "$ROOT/etc/distribution/config.yml"
}
