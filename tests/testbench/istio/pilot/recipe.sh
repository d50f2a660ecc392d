# pilot-discovery (istiod), as upstream's pilot/docker/Dockerfile.pilot: the
# image istioctl installs as <hub>/pilot:<tag>.
. "$TB_SRC/istio/istio.sh"
IMAGE=$ISTIO_HUB/pilot:1.31-dev
VAR=ISTIO_PILOT
ENTRYPOINT=/usr/local/bin/pilot-discovery
IMAGE_USER=1337:1337

build_bin() { istio_build pilot/cmd/pilot-discovery pilot-discovery; }
rootfs() { istio_rootfs pilot-discovery; }
