#!/bin/sh
# build.sh: build the kubelaunch guest image (a hybrid BIOS ISO: kernel, a small
# busybox initramfs, and a squashfs root file system that runs from RAM under a tmpfs
# overlay) from Debian packages.
#
#   build.sh build   build the image unless the cache holds it; print its path last
#   build.sh path    print the path the current recipe builds to, build nothing
#   build.sh clean   remove this recipe's cached image
#
# The cache lives outside the clone, keyed by a hash of every file under iso/:
#   $KL_DEV_CACHE/iso/<recipehash12>/kubelaunch-<version>.iso (+ .sha256, .packages)
# A 'complete' stamp is written last, so a half-built image is never used.
set -eu
PATH=$PATH:/usr/sbin:/sbin

ISO_DIR=$(cd "$(dirname "$0")" && pwd)
. "$ISO_DIR/config.sh"
KL_DEV_CACHE=${KL_DEV_CACHE:-/var/cache/kubelaunch-dev}

# Modules the initramfs needs to find the image (CD-ROM on IDE/SATA/virtio-scsi, or the
# hybrid image as a virtio/SCSI disk) and mount it; dependencies are added automatically.
INITRAMFS_MODULES="virtio_pci virtio_blk virtio_scsi ata_piix ahci sr_mod sd_mod
	cdrom isofs squashfs loop overlay qemu_fw_cfg virtio_rng"

die() { printf 'iso: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'iso: %s\n' "$*" >&2; }

# recipe_hash [PATH...]: hash of the files (path, executable bit, content) under iso/, or
# under the given paths (relative to iso/). Only the executable bit, as git keeps it, so
# every clone of a commit computes the same hash.
recipe_hash() {
	(cd "$ISO_DIR" && find "${@:-.}" -type f ! -name '*~' ! -name '.*.swp' | LC_ALL=C sort |
		while IFS= read -r f; do
			x=-
			[ ! -x "$f" ] || x=x
			printf '%s %s %s\n' "$f" "$x" "$(sha256sum <"$f" | cut -d' ' -f1)"
		done) | sha256sum | cut -c1-12
}

# Two stages, each cached: the root file system (slow: packages, squashfs) depends on
# everything except the boot files; the image (seconds) depends on everything.
HASH=$(recipe_hash)
ROOTFS_HASH=$(recipe_hash build.sh config.sh customize.sh packages.list rootfs)
OUT_DIR=$KL_DEV_CACHE/iso/$HASH
STAGE_DIR=$KL_DEV_CACHE/iso/rootfs-$ROOTFS_HASH
ISO_NAME=kubelaunch-$KL_ISO_VERSION.iso
ISO_PATH=$OUT_DIR/$ISO_NAME
STAMP=$OUT_DIR/complete

# make_stub_deb DIR: a package that provides linux-initramfs-tool, so the kernel package
# installs without initramfs-tools (we build our own initramfs below).
make_stub_deb() {
	d=$1/stub
	mkdir -p "$d/DEBIAN"
	cat >"$d/DEBIAN/control" <<-EOF
	Package: kubelaunch-initramfs-stub
	Version: 1.0
	Architecture: all
	Maintainer: kubelaunch <kubelaunch@localhost>
	Provides: linux-initramfs-tool
	Description: kubelaunch builds its own initramfs outside the image
	EOF
	SOURCE_DATE_EPOCH=$KL_ISO_EPOCH dpkg-deb --root-owner-group -Zxz --build "$d" "$1/kubelaunch-initramfs-stub.deb" >/dev/null
}

package_list() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$ISO_DIR/packages.list" | paste -sd, -
}

build_rootfs() {
	work=$1
	make_stub_deb "$work"
	note "mmdebstrap $KL_ISO_SUITE ($(package_list | tr ',' ' ' | wc -w) packages + dependencies)"
	# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
	SOURCE_DATE_EPOCH=$KL_ISO_EPOCH KL_ISO_DIR=$ISO_DIR KL_WORK=$work KL_HASH=$ROOTFS_HASH \
	KL_ISO_VERSION=$KL_ISO_VERSION \
	mmdebstrap --quiet --mode=root --format=directory --variant=essential \
		--aptopt='Acquire::Retries "3"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		--dpkgopt='path-exclude=/usr/share/bash-completion/*' \
		--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
		--include="$(package_list)" \
		--include="$work/kubelaunch-initramfs-stub.deb" \
		--customize-hook='"$KL_ISO_DIR/customize.sh" "$1"' \
		"$KL_ISO_SUITE" "$work/rootfs" \
		"deb $KL_ISO_MIRROR $KL_ISO_SUITE main" \
		"deb $KL_ISO_MIRROR $KL_ISO_SUITE-updates main" \
		"deb $KL_ISO_SECURITY_MIRROR $KL_ISO_SUITE-security main"
}

# stage_modules ROOT DIR: copy the modules the initramfs loads (with dependencies, in
# load order) from ROOT into DIR, and list them in DIR/lib/modules/load.list.
stage_modules() {
	root=$1 dir=$2
	kver=$(ls "$root/lib/modules")
	mkdir -p "$dir/lib/modules"
	: >"$dir/lib/modules/load.list"
	for m in $INITRAMFS_MODULES; do
		chroot "$root" /sbin/modprobe -S "$kver" --show-depends "$m" ||
			die "module '$m' not found for kernel $kver"
	done >"$dir/deps"
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' "$dir/deps" | while IFS= read -r ko; do
		rel=$ko
		mkdir -p "$dir$(dirname "$rel")"
		cp "$root$rel" "$dir$rel"
		printf '%s\n' "$rel" >>"$dir/lib/modules/load.list"
	done
	rm "$dir/deps"
	[ -s "$dir/lib/modules/load.list" ] || die "no initramfs modules staged"
}

# build_stage WORK: stage 1, the slow part. Leaves in STAGE_DIR: rootfs.squashfs,
# vmlinuz, busybox, initramfs modules, packages.txt, release.
build_stage() {
	work=$1
	t0=$(date +%s)
	build_rootfs "$work"
	t1=$(date +%s)
	note "root file system: $((t1 - t0)) s ($(du -sm "$work/rootfs" | cut -f1) MiB unpacked)"
	stage=$work/stage
	mkdir -p "$stage"
	stage_modules "$work/rootfs" "$stage/initramfs-modules"
	mv "$work/vmlinuz" "$work/busybox" "$work/packages.txt" "$stage/"
	cp "$work/rootfs/etc/kubelaunch-release" "$stage/release"
	note "mksquashfs (zstd)"
	mksquashfs "$work/rootfs" "$stage/rootfs.squashfs" -noappend -quiet \
		-comp zstd -Xcompression-level 15 -b 256K -mkfs-time "$KL_ISO_EPOCH" \
		-all-time "$KL_ISO_EPOCH" -processors "${KL_ISO_JOBS:-2}" >/dev/null
	note "squashfs: $(($(date +%s) - t1)) s"
	rm -rf "$STAGE_DIR"
	mv "$stage" "$STAGE_DIR"
	: >"$STAGE_DIR/complete"
}

# build_initramfs DIR: busybox (from the package set), the staged modules and
# iso/initramfs/init, as a gzip'd cpio at DIR/boot/initrd.img.
build_initramfs() {
	dir=$1 ird=$1.initramfs
	mkdir -p "$ird/bin" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/image" \
		"$ird/ro" "$ird/rw"
	cp -R "$STAGE_DIR/initramfs-modules/." "$ird/"
	install -m 0755 "$STAGE_DIR/busybox" "$ird/bin/busybox"
	for a in sh mount umount mkdir sleep cat insmod switch_root grep cp seq chroot; do
		ln -s busybox "$ird/bin/$a"
	done
	install -m 0755 "$ISO_DIR/initramfs/init" "$ird/init"
	printf '%s\n' "$HASH" >"$ird/build-id"
	find "$ird" -exec touch -h -d "@$KL_ISO_EPOCH" {} +
	(cd "$ird" && find . | LC_ALL=C sort | cpio --quiet --reproducible -o -H newc) |
		gzip -n -6 >"$dir/boot/initrd.img"
	rm -rf "$ird"
}

# build_iso WORK: stage 2, seconds. The hybrid ISO at WORK/ISO_NAME.
build_iso() {
	work=$1 dir=$1/iso
	mkdir -p "$dir/boot" "$dir/isolinux" "$dir/kubelaunch"
	cp "$STAGE_DIR/vmlinuz" "$dir/boot/vmlinuz"
	build_initramfs "$dir"
	printf '%s\n' "$HASH" >"$dir/kubelaunch/build-id"
	cp "$STAGE_DIR/release" "$dir/kubelaunch/release"
	ln "$STAGE_DIR/rootfs.squashfs" "$dir/kubelaunch/rootfs.squashfs" 2>/dev/null ||
		cp "$STAGE_DIR/rootfs.squashfs" "$dir/kubelaunch/rootfs.squashfs"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$dir/isolinux/"
	cp "$ISO_DIR/isolinux.cfg" "$dir/isolinux/isolinux.cfg"
	find "$dir" -exec touch -h -d "@$KL_ISO_EPOCH" {} +
	SOURCE_DATE_EPOCH=$KL_ISO_EPOCH xorriso -as mkisofs -quiet -o "$work/$ISO_NAME" \
		-V KUBELAUNCH -R \
		-isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
		-c isolinux/boot.cat -b isolinux/isolinux.bin \
		-no-emul-boot -boot-load-size 4 -boot-info-table \
		"$dir" 2>&1 | grep -v -e '^xorriso : NOTE : Environment variable SOURCE_DATE_EPOCH' \
		-e '^xorriso .* : RockRidge filesystem manipulator' -e '^$' >&2 || true
	[ -s "$work/$ISO_NAME" ] || die "xorriso produced no image"
}

cmd_build() {
	if [ -f "$STAMP" ] && [ -f "$ISO_PATH" ]; then
		note "cached: $(du -m --apparent-size "$ISO_PATH" | cut -f1) MiB"
		printf '%s\n' "$ISO_PATH"
		return 0
	fi
	for t in mmdebstrap mksquashfs xorriso cpio dpkg-deb flock; do
		command -v "$t" >/dev/null || die "'$t' is missing: apt-get install mmdebstrap squashfs-tools xorriso isolinux syslinux-common cpio"
	done
	[ "$(id -u)" = 0 ] || die "building the image needs root (mmdebstrap --mode=root)"
	mkdir -p "$KL_DEV_CACHE/iso"
	# One builder at a time; a second caller waits, then finds the stamp.
	exec 9>"$KL_DEV_CACHE/iso/.lock"
	flock 9
	if [ -f "$STAMP" ] && [ -f "$ISO_PATH" ]; then
		printf '%s\n' "$ISO_PATH"
		return 0
	fi
	renice -n 10 -p $$ >/dev/null 2>&1 || true
	start=$(date +%s)
	work=$KL_DEV_CACHE/iso/.work-$HASH
	rm -rf "$work" "$OUT_DIR"
	mkdir -p "$work"
	note "building $ISO_NAME (recipe $HASH, root file system $ROOTFS_HASH)"
	if [ -f "$STAGE_DIR/complete" ]; then
		note "root file system: cached in $STAGE_DIR"
	else
		build_stage "$work"
	fi
	build_iso "$work"
	mkdir -p "$OUT_DIR.tmp"
	cp "$STAGE_DIR/packages.txt" "$OUT_DIR.tmp/kubelaunch-$KL_ISO_VERSION.packages"
	mv "$work/$ISO_NAME" "$OUT_DIR.tmp/$ISO_NAME"
	(cd "$OUT_DIR.tmp" && sha256sum "$ISO_NAME" >"$ISO_NAME.sha256")
	: >"$OUT_DIR.tmp/complete"
	rm -rf "$OUT_DIR"
	mv "$OUT_DIR.tmp" "$OUT_DIR"
	rm -rf "$work"
	note "built in $(($(date +%s) - start)) s, size $(du -m --apparent-size "$ISO_PATH" | cut -f1) MiB ($(stat -c %s "$ISO_PATH") bytes)"
	printf '%s\n' "$ISO_PATH"
}

cmd_clean() {
	rm -rf "$OUT_DIR" "$STAGE_DIR"
}

case ${1:-build} in
build) cmd_build ;;
path) printf '%s\n' "$ISO_PATH" ;;
clean) cmd_clean ;;
*) die "usage: build.sh build|path|clean" ;;
esac
