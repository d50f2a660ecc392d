#!/bin/sh
# build.sh: build the testbench (a real Kubernetes for kubelaunch's tests) from
# the Go module proxy and Debian packages, into a cache outside the clone.
#
#   build.sh build      build everything (idempotent; a warm run takes seconds)
#   build.sh env        print eval-able KL_TB_* assignments (the image bundle
#                       with the addons' images: addons.sh env)
#   build.sh dir        print the cache directory of this recipe
#
# Environment: KL_DEV_CACHE (default /var/cache/kubelaunch-dev), GO (default
# /usr/local/go/bin/go if present, else go), KL_TB_NICE (default "nice").
#
# The cache directory is $KL_DEV_CACHE/testbench/<k8s version>-<recipe hash>/,
# where the recipe hash covers the files of this build (recipe_files; the
# addons' images are addons.sh's). A build writes .complete last; a directory without it is never
# taken as done and is rebuilt (steps that finished keep their own stamps).
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
. "$TB_SRC/versions.env"

. "$TB_SRC/lib.sh"

# Files that make up the recipe: everything that changes what is built. The
# addons' images have recipes of their own (addons.sh, addons/).
recipe_files() {
	(cd "$TB_SRC" && find build.sh images.sh lib.sh versions.env go pause \
		-type f ! -name '*~' | LC_ALL=C sort)
}

tb_dir() {
	# shellcheck disable=SC2046
	printf '%s/testbench/%s-%s\n' "$KL_DEV_CACHE" "$K8S_VERSION" "$(files_hash $(recipe_files))"
}

k8s_ldflags() {
	local commit date minor pkg flags
	commit=$(module_commit go/k8s k8s.io/kubernetes "$K8S_VERSION")
	date=$(module_date go/k8s k8s.io/kubernetes "$K8S_VERSION")
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	flags="-s -w"
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags="$flags -X $pkg.gitVersion=$K8S_VERSION"
		flags="$flags -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		flags="$flags -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean"
		flags="$flags -X $pkg.buildDate=$date"
	done
	printf '%s\n' "$flags"
}

K8S_CMDS="kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy"

build_k8s() {
	local pkgs="" c
	for c in $K8S_CMDS; do pkgs="$pkgs k8s.io/kubernetes/cmd/$c"; done
	mkdir -p "$DIR/bin"
	# One invocation: shared packages are compiled once for all commands.
	# shellcheck disable=SC2086
	(cd "$TB_SRC/go/k8s" && go_env $KL_TB_NICE "$GO" build -trimpath \
		-ldflags "$(k8s_ldflags)" -o "$DIR/bin/" $pkgs)
}

build_etcd() {
	local sha
	sha=$(module_commit go/etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" | cut -c1-12)
	mkdir -p "$DIR/bin"
	(cd "$TB_SRC/go/etcd" && go_env $KL_TB_NICE "$GO" build -trimpath \
		-ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$sha" \
		-o "$DIR/bin/etcd" go.etcd.io/etcd/server/v3)
	(cd "$TB_SRC/go/etcd" && go_env $KL_TB_NICE "$GO" build -trimpath \
		-ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$sha" \
		-o "$DIR/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3)
}

build_coredns() {
	mkdir -p "$DIR/bin"
	(cd "$TB_SRC/go/coredns" && go_env $KL_TB_NICE "$GO" build -trimpath \
		-ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$(module_commit \
			go/coredns github.com/coredns/coredns "$COREDNS_VERSION" | cut -c1-12)" \
		-o "$DIR/bin/coredns" github.com/coredns/coredns)
}

build_pause() {
	mkdir -p "$DIR/bin"
	$KL_TB_NICE gcc -static -Os -Wall -Wextra -DVERSION="\"$PAUSE_VERSION\"" \
		-o "$DIR/bin/pause" "$TB_SRC/pause/pause.c"
	strip "$DIR/bin/pause"
}

# The layout of the official release site:
# release/<ver>/bin/linux/<arch>/<name> and <name>.sha256 (hex digest only).
build_release() {
	local rel="$DIR/release/$K8S_VERSION/bin/linux/$ARCH" c
	mkdir -p "$rel"
	for c in $K8S_CMDS; do
		ln -f "$DIR/bin/$c" "$rel/$c"
		sha256sum "$rel/$c" | cut -d' ' -f1 >"$rel/$c.sha256"
	done
}

build_images() {
	"$TB_SRC/images.sh" "$DIR"
}

build_all() {
	step k8s build_k8s
	step etcd build_etcd
	step coredns build_coredns
	step pause build_pause
	step release build_release
	step images build_images
}

cmd_build() {
	build_once "$(tb_dir)" build_all
}

cmd_env() {
	DIR=$(tb_dir)
	printf 'KL_TB_VERSION=%s\n' "$(sq "$K8S_VERSION")"
	printf 'KL_TB_DIR=%s\n' "$(sq "$DIR")"
	printf 'KL_TB_MIRROR=%s\n' "$(sq "$DIR")"
	printf 'KL_TB_BIN=%s\n' "$(sq "$DIR/bin")"
	printf 'KL_TB_K8S_IMAGES=%s\n' "$(sq "$DIR/images")"
	printf 'KL_TB_FIXTURE=%s\n' "$(sq "$TB_SRC/apiserver-fixture.sh")"
	printf 'KL_TB_KUBEADM=%s\n' "$(sq "$TB_SRC/kubeadm-baseline.sh")"
	printf 'export KL_TB_VERSION KL_TB_DIR KL_TB_MIRROR KL_TB_BIN KL_TB_K8S_IMAGES KL_TB_FIXTURE KL_TB_KUBEADM\n'
}

main() {
	case "${1:-}" in
	build) cmd_build ;;
	env) cmd_env ;;
	dir) tb_dir ;;
	step) DIR=$(tb_dir); mkdir -p "$DIR"; step "$2" "build_$2" ;;
	*) die "usage: build.sh build|env|dir" ;;
	esac
}

# One line: the shell has read all of it before running it (safe to edit).
main "$@"; exit $?
