# iso.mk: build the kubelaunch guest image. Works included from the top-level
# Makefile and standalone (make -f iso/iso.mk iso). All logic is in iso/build.sh.
KL_ISO_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
KL_DEV_CACHE ?= /var/cache/kubelaunch-dev
export KL_DEV_CACHE

.PHONY: iso iso-path iso-clean

# Build (or reuse from the cache) the image; the last line of output is its path.
iso:
	@"$(KL_ISO_DIR)/build.sh" build

# The path the current recipe builds to, without building.
iso-path:
	@"$(KL_ISO_DIR)/build.sh" path

# Remove cached images of this recipe (other recipes' images are kept).
iso-clean:
	@"$(KL_ISO_DIR)/build.sh" clean
