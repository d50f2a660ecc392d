# testbench.mk: the testbench (a real Kubernetes built from the Go module
# proxy for kubelaunch's tests). Included from the top Makefile, or used alone:
#   make -f tests/testbench/testbench.mk testbench testbench-env
# The build logic lives in build.sh; see docs/testbench.md.

KL_TESTBENCH_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
KL_DEV_CACHE ?= /var/cache/kubelaunch-dev

.PHONY: testbench testbench-env

# Builds into $(KL_DEV_CACHE)/testbench/<version>-<recipe hash>/; a warm run
# only checks the completion stamp.
testbench:
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/build.sh' build

# Prints KL_TB_* shell assignments: eval "$$(make -s testbench-env)"
testbench-env:
	@KL_DEV_CACHE='$(KL_DEV_CACHE)' '$(KL_TESTBENCH_DIR)/build.sh' env
