#!/bin/sh
# images.sh DIR: build the control-plane container images as docker-archive
# tarballs (importable with `ctr -n k8s.io images import`) into DIR/images,
# from the binaries in DIR/bin, named exactly as
# `kubeadm config images list --kubernetes-version <ver>` prints them.
#
# Static binaries go on an empty base. kube-proxy needs iptables, nft and
# conntrack: its base layer is a minimal Debian made by mmdebstrap from the
# Debian archive.
set -eu

TB_SRC=$(cd "$(dirname "$0")" && pwd)
. "$TB_SRC/versions.env"
. "$TB_SRC/lib.sh"
DIR=$1
BIN=$DIR/bin
OUT=$DIR/images
WORK=$DIR/images.work
SUITE=${KL_TB_DEBIAN_SUITE:-bookworm}
MIRROR=${KL_TB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# debian_base DEST.tar: minimal Debian with the tools kube-proxy runs.
debian_base() {
	local dest=$1
	[ -s "$dest" ] && return 0
	rm -rf "$dest.tmp"
	command -v mmdebstrap >/dev/null || die "mmdebstrap is needed (apt-get install mmdebstrap)"
	SOURCE_DATE_EPOCH=$EPOCH mmdebstrap --quiet --variant=essential \
		--include=iptables,nftables,conntrack,ipset,kmod,libcap2-bin \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--format=tar "$SUITE" "$dest.tmp" "$MIRROR" >&2
	mv "$dest.tmp" "$dest"
}

# image NAME ENTRYPOINT_JSON LAYER.tar...: write $OUT/<file>.tar, a docker
# archive of the given layers tagged NAME.
image() {
	local name=$1 entry=$2 d layer diffid ids="" layers="" cfg cfgsha file
	shift 2
	d=$WORK/archive
	rm -rf "$d"
	mkdir -p "$d"
	for layer in "$@"; do
		diffid=$(sha "$layer")
		mkdir -p "$d/$diffid"
		cp "$layer" "$d/$diffid/layer.tar"
		ids="$ids\"sha256:$diffid\","
		layers="$layers\"$diffid/layer.tar\","
	done
	cfg=$d/config.json
	jq -n -S -c --argjson entry "$entry" --argjson ids "[${ids%,}]" \
		--arg path "$PATH_ENV" '{
			architecture: "amd64", os: "linux",
			created: "1970-01-01T00:00:00Z",
			config: {Env: [$path], Entrypoint: $entry, WorkingDir: "/"},
			rootfs: {type: "layers", diff_ids: $ids},
			history: [$ids[] | {created: "1970-01-01T00:00:00Z",
				created_by: "kubelaunch tests/testbench/images.sh"}]
		}' >"$cfg"
	cfgsha=$(sha "$cfg")
	mv "$cfg" "$d/$cfgsha.json"
	jq -n -c --arg cfg "$cfgsha.json" --arg name "$name" \
		--argjson layers "[${layers%,}]" \
		'[{Config: $cfg, RepoTags: [$name], Layers: $layers}]' >"$d/manifest.json"
	file=$(printf '%s' "${name##*/}" | tr ':' '_').tar
	tar_dir "$d" "$OUT/$file.tmp"
	mv "$OUT/$file.tmp" "$OUT/$file"
	log "image $name -> images/$file"
}

# static_image NAME ENTRYPOINT_JSON FILE:PATH...
static_image() {
	local name=$1 entry=$2
	shift 2
	rootfs_static "$WORK/root" "$@"
	tar_dir "$WORK/root" "$WORK/layer.tar"
	image "$name" "$entry" "$WORK/layer.tar"
}

kube_proxy_image() {
	local name=$1
	debian_base "$WORK/debian-base.tar"
	rm -rf "$WORK/root"
	mkdir -p "$WORK/root/usr/local/bin"
	cp "$BIN/kube-proxy" "$WORK/root/usr/local/bin/kube-proxy"
	tar_dir "$WORK/root" "$WORK/layer.tar"
	image "$name" '["/usr/local/bin/kube-proxy"]' "$WORK/debian-base.tar" "$WORK/layer.tar"
}

# The etcd tag kubeadm wants must be the etcd we built.
check_etcd_tag() {
	local tag=$1 got
	[ "$tag" = "$ETCD_IMAGE_TAG" ] ||
		die "kubeadm wants etcd:$tag but versions.env says $ETCD_IMAGE_TAG"
	got=$("$BIN/etcd" --version | sed -n 's/^etcd Version: //p')
	[ "v$got" = "$ETCD_VERSION" ] || die "built etcd is $got, wanted $ETCD_VERSION"
}

build_one() {
	local name=$1 repo tag
	repo=${name%:*}
	tag=${name##*:}
	case "${repo##*/}" in
	kube-apiserver | kube-controller-manager | kube-scheduler)
		static_image "$name" "[\"/usr/local/bin/${repo##*/}\"]" \
			"$BIN/${repo##*/}:/usr/local/bin/${repo##*/}" ;;
	kube-proxy) kube_proxy_image "$name" ;;
	etcd)
		check_etcd_tag "$tag"
		static_image "$name" '["/usr/local/bin/etcd"]' \
			"$BIN/etcd:/usr/local/bin/etcd" "$BIN/etcdctl:/usr/local/bin/etcdctl" ;;
	coredns)
		[ "$tag" = "$COREDNS_VERSION" ] || die "kubeadm wants coredns $tag, versions.env says $COREDNS_VERSION"
		static_image "$name" '["/coredns"]' "$BIN/coredns:/coredns" ;;
	pause)
		[ "$tag" = "$PAUSE_VERSION" ] || die "kubeadm wants pause $tag, versions.env says $PAUSE_VERSION"
		static_image "$name" '["/pause"]' "$BIN/pause:/pause" ;;
	*) die "no recipe for image $name" ;;
	esac
}

main() {
	local list name
	mkdir -p "$OUT" "$WORK"
	list=$("$BIN/kubeadm" config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null)
	printf '%s\n' "$list" >"$OUT/images.list"
	for name in $list; do
		build_one "$name"
	done
	rm -rf "$WORK/root" "$WORK/archive" "$WORK/layer.tar"
}

main
