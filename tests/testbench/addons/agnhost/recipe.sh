# agnhost, Kubernetes' e2e test image: test/images/agnhost of the
# k8s.io/kubernetes module the bench builds (versions.env); its tag is that
# directory's VERSION file, stamped as its Makefile does (-X main.Version).
# As upstream's image: /agnhost (ENTRYPOINT, CMD pause), /agnhost-2, /uploads,
# porter's localhost.crt/.key, the user user-defined-in-image (1000) in group
# group-defined-in-image (50000). Upstream's Alpine tools (sh, nc, wget ...)
# come from Debian's busybox-static; its dig, curl, iperf, CoreDNS 1.6.2 and
# fake registry content are not there.
IMAGE=registry.k8s.io/e2e-test-images/agnhost:2.66.1
VAR=AGNHOST
DEPS="versions.env addons/busybox.env"
ENTRYPOINT=/agnhost
CMD=pause
PORTS="80/tcp 8080/tcp 8081/tcp 9376/tcp 5000/tcp"

agnhost_src() {
	. "$TB_SRC/versions.env"
	[ "$(mod_version addons/agnhost k8s.io/kubernetes)" = "$K8S_VERSION" ] ||
		die "addons/agnhost/go.mod is not at $K8S_VERSION: run tests/testbench/update-modules.sh"
	printf '%s/test/images/agnhost\n' "$(mod_dir addons/agnhost k8s.io/kubernetes)"
}

build_bin() {
	local src v
	src=$(agnhost_src)
	v=$(cat "$src/VERSION")
	[ "$v" = "$(tag)" ] || die "agnhost's VERSION is $v, the image is $(tag): change addons/agnhost/recipe.sh"
	go_build addons/agnhost k8s.io/kubernetes/test/images/agnhost "$BIN/agnhost" "-X main.Version=$v"
	cp "$src/porter/localhost.crt" "$src/porter/localhost.key" "$BIN/"
}

rootfs() {
	rootfs_static "$ROOT" "$BIN/agnhost:/agnhost"
	add_busybox
	ln -s agnhost "$ROOT/agnhost-2"
	mkdir -p "$ROOT/uploads"
	install -m 0644 "$BIN/localhost.crt" "$BIN/localhost.key" "$ROOT/"
	printf 'user-defined-in-image:x:1000:1000::/home/user-defined-in-image:/bin/sh\n' >>"$ROOT/etc/passwd"
	printf 'user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n' >>"$ROOT/etc/group"
}
