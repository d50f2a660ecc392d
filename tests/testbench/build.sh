#!/bin/sh
# build.sh: build the testbench (a real Kubernetes for kubelaunch's tests) from
# the Go module proxy and Debian packages, into a cache outside the clone.
#
#   build.sh build      build everything (idempotent; a warm run takes seconds)
#   build.sh env        print eval-able KL_TB_* assignments
#   build.sh dir        print the cache directory of this recipe
#
# Environment: KL_DEV_CACHE (default /var/cache/kubelaunch-dev), GO (default
# /usr/local/go/bin/go if present, else go), KL_TB_NICE (default "nice").
#
# The cache directory is $KL_DEV_CACHE/testbench/<k8s version>-<recipe hash>/,
# where the recipe hash covers every file under tests/testbench/ that affects
# the build. A build writes .complete last; a directory without it is never
# taken as done and is rebuilt (steps that finished keep their own stamps).
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
. "$TB_SRC/versions.env"

KL_DEV_CACHE=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}
KL_TB_NICE=${KL_TB_NICE:-nice}
if [ -z "${GO:-}" ]; then
	if [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else GO=go; fi
fi
ARCH=amd64

# Files that make up the recipe: everything that changes what is built.
recipe_files() {
	(cd "$TB_SRC" && find build.sh images.sh versions.env testbench.mk go pause \
		-type f ! -name '*~' | LC_ALL=C sort)
}

recipe_hash() {
	(cd "$TB_SRC" && recipe_files | xargs sha256sum) | sha256sum | cut -c1-12
}

tb_dir() {
	printf '%s/testbench/%s-%s\n' "$KL_DEV_CACHE" "$K8S_VERSION" "$(recipe_hash)"
}

log() { printf 'testbench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now() { date +%s; }

# step NAME FUNCTION: run FUNCTION unless NAME's stamp exists; time it.
step() {
	local name=$1 fn=$2 t0
	if [ -e "$DIR/.stamps/$name" ]; then
		return 0
	fi
	t0=$(now)
	log "building $name ..."
	"$fn"
	mkdir -p "$DIR/.stamps"
	printf '%s\n' "$(($(now) - t0))" >"$DIR/.stamps/$name"
	log "built $name in $(($(now) - t0)) s"
}

go_env() {
	env CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH GOTOOLCHAIN=local \
		GOFLAGS=-buildvcs=false "$@"
}

# The module proxy gives no git commit; stamp the module's content hash (h1:,
# base64 of a SHA-256, as hex) instead, and the module's publication time as
# the build date, so that the build is reproducible.
# module_info WRAPPER MODULE VERSION FIELD: a field of `go mod download -json`.
module_info() {
	(cd "$TB_SRC/go/$1" && go_env "$GO" mod download -json "$2@$3") | jq -r ".$4"
}

module_commit() {
	local sum
	sum=$(module_info "$@" Sum)
	printf '%s' "${sum#h1:}" | base64 -d | od -An -tx1 | tr -d ' \n'
}

module_date() {
	jq -r .Time "$(module_info "$@" Info)"
}

k8s_ldflags() {
	local commit date minor pkg flags
	commit=$(module_commit k8s k8s.io/kubernetes "$K8S_VERSION")
	date=$(module_date k8s k8s.io/kubernetes "$K8S_VERSION")
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
	sha=$(module_commit etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" | cut -c1-12)
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
			coredns github.com/coredns/coredns "$COREDNS_VERSION" | cut -c1-12)" \
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

cmd_build() {
	local t0
	t0=$(now)
	DIR=$(tb_dir)
	if [ -e "$DIR/.complete" ]; then
		log "up to date: $DIR ($(($(now) - t0)) s)"
		return 0
	fi
	mkdir -p "$DIR"
	# One builder per recipe: others wait here, then find .complete.
	exec 9>"$DIR.lock"
	if ! flock -n 9; then
		log "waiting for another build of $DIR"
		flock 9
	fi
	if [ -e "$DIR/.complete" ]; then
		log "up to date: $DIR (built by another run)"
		return 0
	fi
	log "building into $DIR"
	step k8s build_k8s
	step etcd build_etcd
	step coredns build_coredns
	step pause build_pause
	step release build_release
	step images build_images
	date -u +%Y-%m-%dT%H:%M:%SZ >"$DIR/.complete"
	log "done: $DIR ($(($(now) - t0)) s)"
}

# sq VALUE: VALUE quoted for the shell.
sq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

cmd_env() {
	DIR=$(tb_dir)
	printf 'KL_TB_VERSION=%s\n' "$(sq "$K8S_VERSION")"
	printf 'KL_TB_DIR=%s\n' "$(sq "$DIR")"
	printf 'KL_TB_MIRROR=%s\n' "$(sq "$DIR")"
	printf 'KL_TB_BIN=%s\n' "$(sq "$DIR/bin")"
	printf 'KL_TB_IMAGES=%s\n' "$(sq "$DIR/images")"
	printf 'KL_TB_FIXTURE=%s\n' "$(sq "$TB_SRC/apiserver-fixture.sh")"
	printf 'KL_TB_KUBEADM=%s\n' "$(sq "$TB_SRC/kubeadm-baseline.sh")"
	printf 'export KL_TB_VERSION KL_TB_DIR KL_TB_MIRROR KL_TB_BIN KL_TB_IMAGES KL_TB_FIXTURE KL_TB_KUBEADM\n'
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
