# pilot-agent, as upstream's pilot/docker/Dockerfile.proxyv2 (<hub>/proxyv2:
# <tag>, the sidecar and gateway image) but WITHOUT Envoy, which cannot be
# had here (no registry has it; its build fetches from the network): enough
# for the proxyless gRPC mesh (the grpc-agent injection template runs
# pilot-agent alone), not for Envoy sidecars or gateways.
. "$TB_SRC/istio/istio.sh"
IMAGE=$ISTIO_HUB/proxyv2:1.31-dev
VAR=ISTIO_PROXYV2
ENTRYPOINT=/usr/local/bin/pilot-agent

build_bin() {
	istio_build pilot/cmd/pilot-agent pilot-agent
	cp "$(istio_src)/tools/packaging/common/envoy_bootstrap.json" "$BIN/"
}

rootfs() {
	istio_rootfs pilot-agent
	mkdir -p "$ROOT/var/lib/istio/envoy"
	install -m 0644 "$BIN/envoy_bootstrap.json" "$ROOT/var/lib/istio/envoy/envoy_bootstrap_tmpl.json"
}
