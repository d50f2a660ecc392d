# istioctl, as upstream's istioctl/docker/Dockerfile.istioctl; the binary is
# also what tests run on the host (KL_TB_ISTIOCTL_BIN).
. "$TB_SRC/istio/istio.sh"
IMAGE=$ISTIO_HUB/istioctl:1.31-dev
VAR=ISTIOCTL
ENV_BIN=istioctl
ENTRYPOINT=/usr/local/bin/istioctl
IMAGE_USER=1000:1000

build_bin() { istio_build istioctl/cmd/istioctl istioctl; }
rootfs() { istio_rootfs istioctl; }
