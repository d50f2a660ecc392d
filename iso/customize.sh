#!/bin/sh
# customize.sh ROOT: mmdebstrap customize hook. Turns the installed package set into the
# kubelaunch guest: overlay files, units, identity reset, pruning. Runs with ROOT's
# /dev, /proc and /sys mounted by mmdebstrap. Environment: KL_ISO_DIR, KL_WORK, KL_HASH,
# KL_ISO_VERSION, SOURCE_DATE_EPOCH.
set -eu
R=$1

in_root() { chroot "$R" "$@"; }

take_build_only_files() {
	# The initramfs is built from the same package set: take busybox and the kernel,
	# then drop the kernel from the root file system. busybox stays: its nslookup is
	# how start checks the cluster's DNS from the node.
	cp "$R/bin/busybox" "$KL_WORK/busybox"
	cp "$R"/boot/vmlinuz-* "$KL_WORK/vmlinuz"
	rm -f "$R"/boot/vmlinuz-* "$R"/boot/initrd.img* "$R"/vmlinuz* "$R"/initrd.img*
}

install_overlay() {
	cp -R --no-preserve=ownership "$KL_ISO_DIR/rootfs/." "$R/"
	chmod 0755 "$R"/usr/lib/kubelaunch/*
	chmod 0440 "$R"/etc/sudoers.d/kubelaunch
	mkdir -p "$R/opt/cni"
	ln -sfn /usr/lib/cni "$R/opt/cni/bin"
	mkdir -p "$R/mnt/kubelaunch-data" "$R/var/lib/kubelaunch" "$R/var/lib/kubelet" \
		"$R/var/lib/cni" "$R/var/lib/etcd" "$R/etc/kubernetes/manifests" \
		"$R/etc/kubernetes/addons" "$R/etc/cni/net.d" "$R/var/lib/containerd"
}

reset_identity() {
	# Every machine gets its own machine-id and SSH host key at first boot.
	: >"$R/etc/machine-id"
	rm -f "$R/var/lib/dbus/machine-id"
	ln -s /etc/machine-id "$R/var/lib/dbus/machine-id"
	rm -f "$R"/etc/ssh/ssh_host_*
	printf 'kubelaunch\n' >"$R/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tkubelaunch\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
	: >"$R/etc/fstab"
	# The default login user exists already (its home is made on the data disk at first
	# boot); the identity service only adds a user when fw_cfg names another.
	in_root useradd -u 1000 -U -G sudo -M -d /home/kubelaunch -s /bin/bash -p '*' kubelaunch
	# resolv.conf: systemd-resolved's stub (the package sets the link; make sure)
	ln -sfn ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
}

configure_units() {
	in_root systemctl enable systemd-networkd.service systemd-resolved.service \
		ssh.service containerd.service kubelaunch-identity.service >/dev/null 2>&1
	# Nothing here is needed to run Kubernetes in a throwaway VM, and each costs boot
	# time under emulation. Masked (not disabled) so a first-boot preset cannot revive them.
	for u in e2scrub_all.timer e2scrub_all.service e2scrub_reap.service fstrim.timer \
		dpkg-db-backup.timer dpkg-db-backup.service systemd-timesyncd.service \
		apt-daily.timer apt-daily-upgrade.timer man-db.timer \
		systemd-udev-settle.service systemd-pstore.service \
		ssh.socket rescue.service emergency.service \
		systemd-remount-fs.service systemd-sysusers.service \
		systemd-network-generator.service \
		modprobe@drm.service modprobe@dm_mod.service modprobe@efi_pstore.service \
		modprobe@configfs.service modprobe@fuse.service modprobe@loop.service \
		systemd-firstboot.service systemd-hwdb-update.service \
		systemd-journal-catalog-update.service systemd-update-done.service \
		systemd-ask-password-wall.path systemd-ask-password-console.path \
		sys-kernel-debug.mount sys-kernel-tracing.mount \
		dev-hugepages.mount dev-mqueue.mount sys-fs-fuse-connections.mount \
		sys-kernel-config.mount; do
		ln -sfn /dev/null "$R/etc/systemd/system/$u"
	done
	# Generators run at every boot and daemon-reload; these have nothing to find here.
	mkdir -p "$R/etc/systemd/system-generators"
	for g in gpt-auto cryptsetup veritysetup integritysetup hibernate-resume sysv \
		rc-local system-update; do
		ln -sfn /dev/null "$R/etc/systemd/system-generators/systemd-$g-generator"
	done
	# Debian's unit ran "sshd -t" at every start; check the configuration here instead.
	mkdir -p "$R/run/sshd"
	in_root ssh-keygen -q -t ed25519 -N '' -f /tmp/sshd-test-key
	in_root /usr/sbin/sshd -t -o HostKey=/tmp/sshd-test-key 2>&1 |
		grep -v 'Unable to load host key: /etc/ssh/' >&2 || true
	in_root /usr/sbin/sshd -t -o HostKey=/tmp/sshd-test-key >/dev/null 2>&1 ||
		{ echo "customize: sshd -t failed" >&2; exit 1; }
	rm -rf "$R"/tmp/sshd-test-key* "$R/run/sshd"
	# No hardware database: virtual hardware needs no vendor names or key maps (-35 MB).
	rm -rf "$R"/usr/lib/udev/hwdb.d "$R"/usr/lib/udev/hwdb.bin "$R"/etc/udev/hwdb.bin
	in_root systemctl set-default multi-user.target >/dev/null 2>&1
}

prune_modules() {
	kver=$(ls "$R/lib/modules")
	k=$R/lib/modules/$kver/kernel
	# Hardware no VM of ours has: GPUs, sound, wireless, media, InfiniBand, exotic
	# file systems. Kept: virtio, common emulated NICs/disks, netfilter, 9p, nfs, ext4...
	for d in drivers/gpu drivers/media drivers/staging drivers/infiniband \
		drivers/net/wireless drivers/net/wwan drivers/net/can drivers/net/usb \
		drivers/net/ieee802154 drivers/net/hamradio drivers/net/arcnet drivers/net/fddi \
		drivers/net/wan drivers/net/plip drivers/net/slip drivers/net/ppp \
		drivers/bluetooth drivers/isdn drivers/iio drivers/nfc drivers/atm \
		drivers/thunderbolt drivers/mmc drivers/memstick drivers/firewire \
		drivers/pcmcia drivers/parport drivers/mtd drivers/w1 drivers/gnss drivers/fpga \
		drivers/leds drivers/platform/x86 drivers/input/touchscreen drivers/input/joystick \
		drivers/input/tablet drivers/input/misc drivers/hwmon drivers/edac \
		drivers/crypto drivers/usb/serial drivers/usb/gadget drivers/usb/misc \
		drivers/usb/atm drivers/usb/image drivers/usb/typec drivers/hid/intel-ish-hid \
		drivers/target drivers/scsi/qla2xxx drivers/scsi/qla4xxx drivers/scsi/lpfc \
		drivers/scsi/mpt3sas drivers/scsi/bfa drivers/scsi/be2iscsi drivers/scsi/qedf \
		drivers/scsi/qedi drivers/scsi/bnx2fc drivers/scsi/bnx2i drivers/scsi/csiostor \
		drivers/scsi/megaraid drivers/scsi/aacraid drivers/scsi/mpi3mr drivers/scsi/fnic \
		drivers/scsi/elx drivers/scsi/smartpqi drivers/scsi/cxgbi drivers/scsi/pm8001 \
		drivers/scsi/isci drivers/scsi/hisi_sas drivers/scsi/snic drivers/scsi/aic7xxx \
		drivers/scsi/aic94xx drivers/scsi/arcmsr drivers/scsi/esas2r drivers/scsi/mvsas \
		drivers/net/ethernet/mellanox drivers/net/ethernet/chelsio drivers/net/ethernet/qlogic \
		drivers/net/ethernet/broadcom drivers/net/ethernet/huawei drivers/net/ethernet/cavium \
		drivers/net/ethernet/emulex drivers/net/ethernet/sfc drivers/net/ethernet/netronome \
		drivers/net/ethernet/marvell drivers/net/ethernet/pensando drivers/net/ethernet/amd \
		drivers/net/ethernet/aquantia drivers/net/ethernet/cisco drivers/net/ethernet/microsoft \
		drivers/net/ethernet/mscc drivers/net/ethernet/freescale drivers/net/ethernet/atheros \
		drivers/net/ethernet/neterion drivers/net/ethernet/myricom drivers/net/ethernet/brocade \
		drivers/net/ethernet/ti drivers/net/ethernet/dec drivers/net/ethernet/sun \
		sound net/bluetooth net/wireless net/mac80211 net/nfc net/can net/atm \
		net/ieee802154 net/mac802154 net/rxrpc net/rds net/tipc net/smc \
		fs/ocfs2 fs/gfs2 fs/ubifs fs/nilfs2 fs/jfs fs/reiserfs fs/f2fs fs/ntfs3 fs/ntfs \
		fs/hfs fs/hfsplus fs/affs fs/befs fs/ufs fs/omfs fs/qnx4 fs/qnx6 fs/romfs \
		fs/sysv fs/minix fs/orangefs fs/coda fs/jffs2 fs/erofs fs/bfs fs/efs fs/freevxfs \
		fs/hpfs fs/adfs fs/cramfs fs/udf fs/dlm fs/afs; do
		rm -rf "${k:?}/$d"
	done
	rm -rf "$R/lib/firmware"
	in_root depmod -a "$kver"
}

write_release() {
	kver=$(ls "$R/lib/modules")
	cat >"$R/etc/kubelaunch-release" <<-EOF
	KUBELAUNCH_ISO_VERSION=$KL_ISO_VERSION
	KUBELAUNCH_ISO_RECIPE=$KL_HASH
	KUBELAUNCH_ISO_BUILD_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
	KUBELAUNCH_ISO_DEBIAN=$(cat "$R/etc/debian_version")
	KUBELAUNCH_ISO_KERNEL=$kver
	KUBELAUNCH_ISO_CONTAINERD=$(in_root dpkg-query -W -f '${Version}' containerd)
	KUBELAUNCH_ISO_RUNC=$(in_root dpkg-query -W -f '${Version}' runc)
	EOF
	mkdir -p "$R/usr/share/kubelaunch"
	in_root dpkg-query -W -f '${Package} ${Version}\n' | LC_ALL=C sort >"$KL_WORK/packages.txt"
	cp "$KL_WORK/packages.txt" "$R/usr/share/kubelaunch/packages.txt"
}

drop_unused() {
	# containerd's v1 shims serve the runtime API Kubernetes stopped using (runc.v2 only).
	rm -f "$R/usr/bin/containerd-shim" "$R/usr/bin/containerd-shim-runc-v1"
}

clean_caches() {
	rm -rf "$R"/var/cache/apt/* "$R"/var/lib/apt/lists/* "$R"/var/cache/debconf/*-old \
		"$R"/var/lib/dpkg/*-old "$R"/var/log/* "$R"/tmp/* "$R"/var/tmp/* \
		"$R"/var/cache/ldconfig/aux-cache
	mkdir -p "$R/var/log/journal"
	# Python byte code, if anything pulled Python in
	find "$R/usr" -name '__pycache__' -type d -prune -exec rm -rf {} +
}

take_build_only_files
install_overlay
reset_identity
configure_units
prune_modules
write_release
drop_unused
clean_caches
