#!/bin/sh
# install-deps.sh: install the Debian packages the testbench needs (build,
# fixture, kubeadm baseline). Idempotent; run as root, e.g. from .ci/run
# before `make testbench`. Go 1.26 is expected in /usr/local/go.
set -eu

PKGS="containerd runc iptables nftables iproute2 curl jq openssl mmdebstrap
gcc libc6-dev binutils bind9-dnsutils containernetworking-plugins python3 umoci skopeo"

missing() {
	local p
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$p"
	done
}

main() {
	local need
	need=$(missing)
	[ -n "$need" ] || return 0
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null; then
		apt-get update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
	fi
}

main "$@"; exit $?
