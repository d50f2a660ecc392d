#!/bin/sh
# e2e/build.sh: build Kubernetes' end-to-end test binary (e2e.test, from
# k8s.io/kubernetes/test/e2e at the bench's version) and the ginkgo runner, into
# a cache of their own next to the bench's, sharing its Go build cache.
#
#   build.sh build      build both (idempotent; a warm run takes a second)
#   build.sh env        print eval-able KL_E2E_* assignments
#   build.sh dir        print the cache directory of this recipe
#
# Environment: as ../build.sh (KL_DEV_CACHE, GO, KL_TB_NICE). The bench must be
# built first: e2e.test carries the same version stamp as its kubectl.
#
# The cache directory is $KL_DEV_CACHE/testbench-e2e/<k8s version>-<hash>/, the
# hash covering this directory and ../versions.env. It is separate from the
# bench's recipe so that neither rebuilds the other; both use one Go build
# cache, and the wrapper module resolves every module as ../go/k8s does, so
# the packages they share are compiled once.
set -eu

E2E_SRC=$(cd "$(dirname "$0")" && pwd)
TB_SRC=$(dirname "$E2E_SRC")
. "$TB_SRC/versions.env"

KL_DEV_CACHE=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}
KL_TB_NICE=${KL_TB_NICE:-nice}
if [ -z "${GO:-}" ]; then
	if [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else GO=go; fi
fi

log() { printf 'testbench-e2e: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s; }

recipe_hash() {
	(cd "$E2E_SRC" && find . ../versions.env -maxdepth 1 -type f ! -name '*~' |
		LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-12
}

e2e_dir() {
	printf '%s/testbench-e2e/%s-%s\n' "$KL_DEV_CACHE" "$K8S_VERSION" "$(recipe_hash)"
}

go_build() {
	(cd "$E2E_SRC" && env CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOTOOLCHAIN=local \
		GOFLAGS="-buildvcs=false -mod=readonly" $KL_TB_NICE "$GO" "$@")
}

# The -X stamps of the bench's Kubernetes build, read back from its kubectl.
version_ldflags() {
	local kubectl=$1 v flags="-s -w" pkg
	v=$("$kubectl" version --client -o json | jq -r '.clientVersion |
		"gitVersion=\(.gitVersion) gitMajor=\(.major) gitMinor=\(.minor) gitCommit=\(.gitCommit) gitTreeState=\(.gitTreeState) buildDate=\(.buildDate)"')
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		flags="$flags $(printf '%s\n' $v | sed "s|^|-X $pkg.|" | tr '\n' ' ')"
	done
	printf '%s\n' "$flags"
}

# timed NAME CMD...: run CMD unless NAME's stamp exists; the stamp holds seconds.
timed() {
	local name=$1 t0
	shift
	[ -e "$DIR/.stamps/$name" ] && return 0
	t0=$(now)
	log "building $name ..."
	"$@"
	mkdir -p "$DIR/.stamps"
	printf '%s\n' "$(($(now) - t0))" >"$DIR/.stamps/$name"
	log "built $name in $(($(now) - t0)) s"
}

cmd_build() {
	local kubectl
	DIR=$(e2e_dir)
	[ -e "$DIR/.complete" ] && { log "up to date: $DIR"; return 0; }
	kubectl=$("$TB_SRC/build.sh" env | sed -n "s/^KL_TB_BIN='\(.*\)'$/\1/p")/kubectl
	[ -x "$kubectl" ] || die "the bench is not built ($kubectl): run 'make testbench' first"
	mkdir -p "$DIR/bin"
	exec 9>"$DIR.lock"
	if ! flock -n 9; then
		log "waiting for another build of $DIR"
		flock 9
	fi
	[ -e "$DIR/.complete" ] && { log "up to date: $DIR (built by another run)"; return 0; }
	log "building into $DIR"
	timed e2e.test go_build test -c -trimpath -ldflags "$(version_ldflags "$kubectl")" \
		-o "$DIR/bin/e2e.test" k8s.io/kubernetes/test/e2e
	timed ginkgo go_build build -trimpath -ldflags "-s -w" -o "$DIR/bin/ginkgo" \
		github.com/onsi/ginkgo/v2/ginkgo
	date -u +%Y-%m-%dT%H:%M:%SZ >"$DIR/.complete"
	log "done: $DIR"
}

cmd_env() {
	DIR=$(e2e_dir)
	printf "KL_E2E_DIR='%s'\nKL_E2E_BIN='%s'\nexport KL_E2E_DIR KL_E2E_BIN\n" "$DIR" "$DIR/bin"
}

case "${1:-}" in
build) cmd_build ;;
env) cmd_env ;;
dir) e2e_dir ;;
*) die "usage: build.sh build|env|dir" ;;
esac
