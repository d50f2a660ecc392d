# testbench.mk: the testbench (a real Kubernetes built from the Go module
# proxy for kubelaunch's tests, and the images of the addons' programs).
# Included from the top Makefile, or used alone:
#   make -f tests/testbench/testbench.mk testbench testbench-env
# The build logic lives in build.sh and addons.sh; see docs/testbench.md.

KL_TESTBENCH_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KL_DEV_CACHE ?= /var/cache/kubelaunch-dev

.PHONY: testbench testbench-addons testbench-env

# Builds into $(KL_DEV_CACHE)/testbench/<version>-<recipe hash>/ and one
# directory per addon image, then joins their archives in one bundle
# directory; a warm run only checks the completion stamps.
testbench:
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/build.sh' build
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/addons.sh' build
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/addons.sh' bundle

# The addons' images alone (CI may build them in a step of their own).
testbench-addons:
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/addons.sh' build

# Prints KL_TB_* shell assignments: eval "$$(make -s testbench-env)"
testbench-env:
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/build.sh' env
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/addons.sh' env
