# Traefik (ingress), github.com/traefik/traefik/v3 ./cmd/traefik. Stamped as
# upstream's release (.goreleaser.yml.tmpl: Version without the "v",
# Codename from .github/workflows/release.yaml, BuildDate; here the module's
# publication time). The binary sits where the docker.io/library/traefik
# image has it, on an empty base (upstream: Alpine, whose /entrypoint.sh only
# prefixes "traefik" to arguments; here the entrypoint is traefik itself).
# The web UI's assets are not in the module (webui/static is empty): the API
# and dashboard routes answer, the UI pages do not.
IMAGE=docker.io/library/traefik:v3.6.12
VAR=TRAEFIK
ENTRYPOINT=/usr/local/bin/traefik
PORTS=80/tcp
CODENAME=ramequin

build_bin() {
	local m=github.com/traefik/traefik/v3 v pkg=github.com/traefik/traefik/v3/pkg/version
	v=$(mod_version addons/traefik $m)
	[ "$v" = "$(tag)" ] || die "addons/traefik/go.mod requires $m $v, the image is $(tag)"
	go_build addons/traefik $m/cmd/traefik "$BIN/traefik" \
		"-X $pkg.Version=${v#v} -X $pkg.Codename=$CODENAME -X $pkg.BuildDate=$(module_date addons/traefik $m "$v")"
}

rootfs() {
	rootfs_static "$ROOT" "$BIN/traefik:/usr/local/bin/traefik"
}
