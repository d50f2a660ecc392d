#!/bin/sh
# addons.sh: build the container images that the addons and their tests run
# (the addons' real upstream programs from the Go module proxy, Debian's
# busybox, stand-ins) as OCI archives, each image in a cache directory of its
# own, and the image bundle: one directory holding the control plane's
# archives (build.sh) and these.
#
#   addons.sh build [NAME...]  build these images (default: all); idempotent
#   addons.sh bundle           the bundle (needs `build.sh build` and `build`)
#   addons.sh env              KL_TB_IMAGES (the bundle), KL_TB_IMG_<VAR> (the
#                              reference) and KL_TB_TAR_<VAR> (its archive)
#   addons.sh dir NAME         the cache directory of NAME's recipe
#   addons.sh list             NAME VAR IMAGE, one image a line
#
# A recipe is addons/NAME/recipe.sh, sourced; it sets
#   IMAGE      the image reference
#   VAR        the suffix of its testbench-env variables
#   DEPS       more files of the recipe, relative to tests/testbench (optional)
#   ENTRYPOINT, CMD, IMAGE_USER, ENVS, PORTS   the image config, space-separated
#              words (ENVS: NAME=VALUE; PORTS: 80/tcp)
# and defines build_bin (binaries into $BIN; optional) and rootfs (fill $ROOT).
#
# NAME's cache directory is $KL_DEV_CACHE/testbench/addons/NAME-<tag>-<hash>/
# (bin/, the archive, .stamps/ with each step's seconds, .complete), the hash
# over lib.sh, this file, addons/NAME/ and DEPS: a change to one recipe
# rebuilds that image only, and none of them rebuilds the control plane. The
# bundle is $KL_DEV_CACHE/testbench/bundle-<hash of the directories it joins>/,
# hard links and images.list (every image name).
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
. "$TB_SRC/lib.sh"
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CREATED=1970-01-01T00:00:00Z
DEBS=$KL_DEV_CACHE/testbench/debs

names() {
	(cd "$TB_SRC/addons" && for r in */recipe.sh; do printf '%s\n' "${r%/recipe.sh}"; done)
}

# load NAME: source NAME's recipe (in a subshell of the caller's).
load() {
	NAME=$1
	[ -f "$TB_SRC/addons/$NAME/recipe.sh" ] || die "no recipe addons/$NAME/recipe.sh"
	IMAGE="" VAR="" DEPS="" ENTRYPOINT="" CMD="" IMAGE_USER="" ENVS="" PORTS=""
	build_bin() { :; }
	. "$TB_SRC/addons/$NAME/recipe.sh"
}

recipe_files() {
	# shellcheck disable=SC2086
	(cd "$TB_SRC" && { find "addons/$NAME" -type f ! -name '*~'; printf '%s\n' lib.sh addons.sh $DEPS; } |
		LC_ALL=C sort)
}

tag() { printf '%s\n' "${IMAGE##*:}"; }

# archive_name: the archive's file name, as images.sh names them.
archive_name() { printf '%s.tar\n' "$(printf '%s' "${IMAGE##*/}" | tr ':' '_')"; }

image_dir() {
	# shellcheck disable=SC2046
	printf '%s/testbench/addons/%s-%s-%s\n' "$KL_DEV_CACHE" "$NAME" "$(tag)" "$(files_hash $(recipe_files))"
}

# ---- helpers for recipes ----

# go_build WRAPPER PKG OUT LDFLAGS: a static, stripped build of PKG in the
# wrapper module tests/testbench/WRAPPER.
go_build() {
	mkdir -p "$(dirname "$3")"
	(cd "$TB_SRC/$1" && go_env $KL_TB_NICE "$GO" build -trimpath -ldflags "-s -w $4" -o "$3" "$2")
}

# mod_version WRAPPER MODULE: the version of MODULE the wrapper requires.
mod_version() {
	(cd "$TB_SRC/$1" && go_env "$GO" list -m -f '{{.Version}}' "$2")
}

# mod_dir WRAPPER MODULE: MODULE's source in the module cache.
mod_dir() {
	module_info "$1" "$2" "$(mod_version "$1" "$2")" Dir
}

# busybox_deb: Debian's busybox-static of BUSYBOX_DEB_VERSION (addons/
# busybox.env), downloaded once into $DEBS. Installing the package would take
# the host's busybox away (they conflict); the image only needs its file.
busybox_deb() {
	local deb tmp
	. "$TB_SRC/addons/busybox.env"
	deb=$DEBS/busybox-static_$(printf '%s' "$BUSYBOX_DEB_VERSION" | tr ':' '_')_$ARCH.deb
	if [ ! -s "$deb" ]; then
		mkdir -p "$DEBS"
		tmp=$(mktemp -d "$DEBS/dl.XXXXXX")
		(cd "$tmp" && apt-get download -q "busybox-static=$BUSYBOX_DEB_VERSION" >&2 ||
			{ apt-get update -qq && apt-get download -q "busybox-static=$BUSYBOX_DEB_VERSION" >&2; }) ||
			die "cannot download busybox-static $BUSYBOX_DEB_VERSION from the Debian archive (change addons/busybox.env to the version 'apt-cache policy busybox-static' offers)"
		mv "$tmp"/*.deb "$deb"
		rm -rf "$tmp"
	fi
	printf '%s\n' "$deb"
}

# add_busybox: /bin/busybox and a symbolic link for each of its applets.
add_busybox() {
	local x applet
	x=$WORK/busybox-deb
	rm -rf "$x"
	dpkg-deb -x "$(busybox_deb)" "$x"
	mkdir -p "$ROOT/bin"
	cp "$x/bin/busybox" "$ROOT/bin/busybox"
	for applet in $("$x/bin/busybox" --list-full); do
		[ -e "$ROOT/$applet" ] && continue
		mkdir -p "$ROOT/$(dirname "$applet")"
		ln -s /bin/busybox "$ROOT/$applet"
	done
	rm -rf "$x"
}

# standin_rootfs WHAT PORT ENTRY: busybox and a shell script at ENTRY that
# ignores its arguments and serves, with busybox httpd on PORT, a page saying
# that it stands in for WHAT. Sets ENTRYPOINT.
standin_rootfs() {
	local what=$1 port=$2 entry=$3
	rootfs_static "$ROOT"
	add_busybox
	mkdir -p "$ROOT/www" "$ROOT$(dirname "$entry")"
	cat >"$ROOT/www/index.html" <<EOF
<!DOCTYPE html>
<html><head><title>kubelaunch test stand-in for $what</title></head>
<body><h1>kubelaunch test stand-in for $what</h1>
<p>This is not $what: kubelaunch's tests run this page in its place
($IMAGE, busybox httpd on port $port).</p></body></html>
EOF
	cat >"$ROOT$entry" <<EOF
#!/bin/sh
# $IMAGE: stands in for $what; takes its arguments and ignores them.
exec /bin/busybox httpd -f -p $port -h /www
EOF
	chmod 0755 "$ROOT$entry"
	ENTRYPOINT=$entry
	PORTS=$port/tcp
}

# ---- building ----

# umoci_config: the image config from the recipe's variables.
umoci_config() {
	local w args
	args="--created=$CREATED --no-history --config.workingdir=/ --config.env=$PATH_ENV"
	for w in $ENTRYPOINT; do args="$args --config.entrypoint=$w"; done
	for w in $CMD; do args="$args --config.cmd=$w"; done
	for w in $ENVS; do args="$args --config.env=$w"; done
	for w in $PORTS; do args="$args --config.exposedports=$w"; done
	[ -n "$IMAGE_USER" ] && args="$args --config.user=$IMAGE_USER"
	# shellcheck disable=SC2086
	umoci config --image "$WORK/oci:$(tag)" $args
}

# build_image: $ROOT as the one layer of an OCI image; the layout (the
# manifest annotated with io.containerd.image.name, so that `ctr images
# import` names the image) as a reproducible tar.
build_image() {
	local oci=$WORK/oci t
	t=$(tag)
	command -v umoci >/dev/null || die "umoci is needed (apt-get install umoci)"
	ROOT=$WORK/root
	rm -rf "$WORK"
	mkdir -p "$WORK"
	rootfs
	tar_dir "$ROOT" "$WORK/layer.tar"
	umoci init --layout "$oci"
	umoci new --image "$oci:$t"
	umoci raw add-layer --image "$oci:$t" --history.created="$CREATED" \
		--history.created_by="kubelaunch tests/testbench/addons.sh ($NAME)" "$WORK/layer.tar"
	umoci_config
	umoci gc --layout "$oci"
	jq -c --arg name "$IMAGE" '.manifests[0].annotations["io.containerd.image.name"] = $name' \
		"$oci/index.json" >"$oci/index.json.new"
	mv "$oci/index.json.new" "$oci/index.json"
	tar_dir "$oci" "$DIR/$(archive_name).tmp"
	mv "$DIR/$(archive_name).tmp" "$DIR/$(archive_name)"
	rm -rf "$WORK"
	log "image $IMAGE -> $DIR/$(archive_name)"
}

build_steps() {
	BIN=$DIR/bin
	WORK=$DIR/work
	step bin build_bin
	step image build_image
}

build_one() {
	(load "$1" && build_once "$(image_dir)" build_steps)
}

cmd_build() {
	local n
	[ $# -gt 0 ] || set -- $(names)
	for n in "$@"; do
		build_one "$n"
	done
}

# describe: NAME VAR IMAGE ARCHIVE DIR of every recipe, one a line.
describe() {
	local n
	for n in $(names); do
		(load "$n" && printf '%s %s %s %s %s\n' "$NAME" "$VAR" "$IMAGE" "$(archive_name)" "$(image_dir)")
	done
}

k8s_dir() { "$TB_SRC/build.sh" dir; }

# bundle_dir DESCRIPTION: the bundle of the control plane and these images.
bundle_dir() {
	printf '%s/testbench/bundle-%s\n' "$KL_DEV_CACHE" \
		"$({ k8s_dir; printf '%s\n' "$1" | cut -d' ' -f5; } | sha256sum | cut -c1-12)"
}

# The bundle joins complete directories only; made anew (seconds) if missing.
cmd_bundle() {
	local all b k name var image archive d
	all=$(describe)
	b=$(bundle_dir "$all")
	[ -e "$b/images.list" ] && return 0
	k=$(k8s_dir)
	[ -e "$k/.complete" ] || die "the control plane is not built: run 'make testbench'"
	rm -rf "$b.tmp"
	mkdir -p "$b.tmp"
	ln "$k"/images/*.tar "$b.tmp/"
	cp "$k/images/images.list" "$b.tmp/images.list"
	printf '%s\n' "$all" | while read -r name var image archive d; do
		[ -e "$d/.complete" ] || die "image $name is not built: run 'make testbench'"
		ln "$d/$archive" "$b.tmp/"
		printf '%s\n' "$image" >>"$b.tmp/images.list"
	done
	rm -rf "$b"
	mv "$b.tmp" "$b"
	log "bundle: $b"
}

cmd_env() {
	local all b name var image archive d vars=KL_TB_IMAGES
	all=$(describe)
	b=$(bundle_dir "$all")
	printf 'KL_TB_IMAGES=%s\n' "$(sq "$b")"
	printf '%s\n' "$all" | while read -r name var image archive d; do
		printf 'KL_TB_IMG_%s=%s\n' "$var" "$(sq "$image")"
		printf 'KL_TB_TAR_%s=%s\n' "$var" "$(sq "$b/$archive")"
	done
	for var in $(printf '%s\n' "$all" | cut -d' ' -f2); do
		vars="$vars KL_TB_IMG_$var KL_TB_TAR_$var"
	done
	printf 'export %s\n' "$vars"
}

main() {
	local cmd=${1:-}
	[ $# -gt 0 ] && shift
	case "$cmd" in
	build) cmd_build "$@" ;;
	bundle) cmd_bundle ;;
	env) cmd_env ;;
	dir) (load "$1" && image_dir) ;;
	list) describe | cut -d' ' -f1-3 ;;
	*) die "usage: addons.sh build [NAME...]|bundle|env|dir NAME|list" ;;
	esac
}

# One line: the shell has read all of it before running it (safe to edit).
main "$@"; exit $?
