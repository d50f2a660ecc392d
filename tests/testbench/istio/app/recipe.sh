# Istio's echo test app (pkg/test/echo: server and client), as upstream's
# pkg/test/echo/docker/Dockerfile.app: <hub>/app:<tag>, user 1338 (named
# application), the test certificate as /cert.crt and /cert.key.
. "$TB_SRC/istio/istio.sh"
IMAGE=$ISTIO_HUB/app:1.31-dev
VAR=ISTIO_APP
ENTRYPOINT=/usr/local/bin/server
IMAGE_USER=1338

build_bin() {
	istio_build pkg/test/echo/cmd/server server
	istio_build pkg/test/echo/cmd/client client
	cp "$(istio_src)/tests/testdata/certs/dns/cert-chain.pem" "$(istio_src)/tests/testdata/certs/dns/key.pem" "$BIN/"
}

rootfs() {
	istio_rootfs server client
	install -m 0644 "$BIN/cert-chain.pem" "$ROOT/cert.crt"
	install -m 0644 "$BIN/key.pem" "$ROOT/cert.key"
	printf 'application:x:1338:1338::/home/application:/bin/sh\n' >>"$ROOT/etc/passwd"
	printf 'application:x:1338:\n' >>"$ROOT/etc/group"
	mkdir -p "$ROOT/home/application"
	chown 1338:1338 "$ROOT/home/application"
}
