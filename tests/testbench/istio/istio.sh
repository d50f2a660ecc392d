# istio.sh: sourced by the Istio recipes. The snapshot of istio.io/istio the
# wrapper module (go.mod here) requires; programs stamped as upstream's
# common/scripts/report_build_info.sh does, with what the module proxy gives:
# buildVersion = the VERSION file + "-dev" (as Makefile.core.mk), the git
# revision = the commit in the pseudo-version (12 hex digits), buildTag = the
# pseudo-version, buildHub = kubelaunch.test/istio.
ISTIO_MOD=istio.io/istio
ISTIO_HUB=kubelaunch.test/istio
DEPS="istio/go.mod istio/go.sum istio/istio.sh addons/busybox.env"

istio_src() { mod_dir istio "$ISTIO_MOD"; }

istio_version() { printf '%s-dev\n' "$(cat "$(istio_src)/VERSION")"; }

# istio_build PKG NAME: the program PKG (under istio.io/istio) as $BIN/NAME.
istio_build() {
	local v ver p=istio.io/istio/pkg/version
	v=$(mod_version istio "$ISTIO_MOD")
	ver=$(istio_version)
	[ "$ver" = "$(tag)" ] || die "the snapshot $v is $ver, the image is $(tag): change istio/istio.sh"
	go_build istio "$ISTIO_MOD/$1" "$BIN/$2" "-X $p.buildVersion=$ver -X $p.buildGitRevision=${v##*-} -X $p.buildStatus=Clean -X $p.buildTag=$v -X $p.buildHub=$ISTIO_HUB -X $p.buildOS=linux -X $p.buildArch=$ARCH"
}

# istio_rootfs NAME...: busybox (upstream's debug base has a shell) and
# /usr/local/bin/NAME for each NAME.
istio_rootfs() {
	local n
	rootfs_static "$ROOT"
	add_busybox
	mkdir -p "$ROOT/usr/local/bin"
	for n in "$@"; do
		install -m 0755 "$BIN/$n" "$ROOT/usr/local/bin/$n"
	done
}
