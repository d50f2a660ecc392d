# lib.sh: shell functions shared by build.sh, images.sh and addons.sh (sourced;
# TB_SRC must be set). Part of every recipe hash: a change here rebuilds all.

KL_DEV_CACHE=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}
KL_TB_NICE=${KL_TB_NICE:-nice}
if [ -z "${GO:-}" ]; then
	if [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; else GO=go; fi
fi
ARCH=amd64
# Fixed timestamps so that the same inputs give the same archives.
EPOCH=0

log() { printf 'testbench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

now() { date +%s; }

sha() { sha256sum "$1" | cut -d' ' -f1; }

# sq VALUE: VALUE quoted for the shell.
sq() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# files_hash FILE...: 12 hex digits over the names and contents of FILEs
# (paths relative to TB_SRC).
files_hash() {
	(cd "$TB_SRC" && printf '%s\n' "$@" | xargs sha256sum) | sha256sum | cut -c1-12
}

# cpu_children: CPU seconds (user + system) of this shell's finished children.
cpu_children() {
	times | sed -n 2p | tr 'ms' '  ' | awk '{ printf "%d\n", $1 * 60 + $2 + $3 * 60 + $4 }'
}

# step NAME FUNCTION: run FUNCTION unless NAME's stamp exists in $DIR; time it
# (.stamps/NAME: seconds; .stamps/NAME.cpu: CPU seconds, user + system).
step() {
	local name=$1 fn=$2 t0 c0
	if [ -e "$DIR/.stamps/$name" ]; then
		return 0
	fi
	t0=$(now)
	c0=$(cpu_children)
	log "building $name ..."
	"$fn"
	mkdir -p "$DIR/.stamps"
	printf '%s\n' "$(($(now) - t0))" >"$DIR/.stamps/$name"
	printf '%s\n' "$(($(cpu_children) - c0))" >"$DIR/.stamps/$name.cpu"
	log "built $name in $(($(now) - t0)) s ($(cat "$DIR/.stamps/$name.cpu") s CPU)"
}

# build_once DIR FUNCTION: run FUNCTION with DIR set unless DIR/.complete
# exists; one builder per DIR (flock on DIR.lock), the others wait for it.
build_once() {
	local t0
	t0=$(now)
	DIR=$1
	if [ -e "$DIR/.complete" ]; then
		log "up to date: $DIR ($(($(now) - t0)) s)"
		return 0
	fi
	mkdir -p "$DIR"
	(
		exec 9>"$DIR.lock"
		if ! flock -n 9; then
			log "waiting for another build of $DIR"
			flock 9
		fi
		if [ -e "$DIR/.complete" ]; then
			log "up to date: $DIR (built by another run)"
			exit 0
		fi
		log "building into $DIR"
		"$2"
		date -u +%Y-%m-%dT%H:%M:%SZ >"$DIR/.complete"
		log "done: $DIR ($(($(now) - t0)) s)"
	)
}

go_env() {
	env CGO_ENABLED=0 GOOS=linux GOARCH=$ARCH GOTOOLCHAIN=local \
		GOFLAGS=-buildvcs=false "$@"
}

# The module proxy gives no git commit; stamp the module's content hash (h1:,
# base64 of a SHA-256, as hex) instead, and the module's publication time as
# the build date, so that the build is reproducible.
# module_info WRAPPER MODULE VERSION FIELD: a field of `go mod download -json`,
# run in the wrapper module WRAPPER (a directory relative to TB_SRC).
module_info() {
	(cd "$TB_SRC/$1" && go_env "$GO" mod download -json "$2@$3") | jq -r ".$4"
}

module_commit() {
	local sum
	sum=$(module_info "$@" Sum)
	printf '%s' "${sum#h1:}" | base64 -d | od -An -tx1 | tr -d ' \n'
}

module_date() {
	jq -r .Time "$(module_info "$@" Info)"
}

# tar_dir SRC DEST: a reproducible tar of directory SRC (sorted entries, fixed
# times, owner root), its entries named without a leading "./" (as `docker
# save` names them).
tar_dir() {
	(cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort) |
		tar -C "$1" --no-recursion --mtime="@$EPOCH" --owner=0 --group=0 \
			--numeric-owner -cf "$2" -T -
}

# rootfs_static DEST FILE:PATH...: an empty root with /tmp, a two-line
# /etc/passwd and /etc/group, and the given files (mode 0755).
rootfs_static() {
	local dest=$1 spec src path
	shift
	rm -rf "$dest"
	mkdir -p "$dest/tmp" "$dest/etc"
	chmod 1777 "$dest/tmp"
	printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' \
		>"$dest/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dest/etc/group"
	for spec in "$@"; do
		src=${spec%%:*}
		path=${spec#*:}
		mkdir -p "$dest$(dirname "$path")"
		cp "$src" "$dest$path"
		chmod 0755 "$dest$path"
	done
}
