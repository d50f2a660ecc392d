# kubelaunch: one plain Makefile. `make start` and `make test` do all the set-up.
.DEFAULT_GOAL := all
SHELL := /bin/bash

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
# Long builds (the Kubernetes test bench, the guest image) are cached here, outside the clone.
KL_DEV_CACHE ?= /var/cache/kubelaunch-dev
export KL_DEV_CACHE

# libvirt is compiled against but loaded at run time (src/driver/virt.c): linked, it
# would add ~9 ms to every command's start-up. The unit tests link it.
LIBS_PC := libcurl yaml-0.1 openssl libuv libssh jansson libnghttp2
LIBS_PC_CFLAGS_ONLY := libvirt

# Debian packages: to build, to run the tests, and what the fragments below add.
DEPS_BUILD := gcc make pkg-config git libvirt-dev libcurl4-openssl-dev libyaml-dev libssl-dev \
	libuv1-dev libssh-dev libjansson-dev libhttp-parser-dev libnghttp2-dev
DEPS_TEST := openssh-server openssh-client openssl curl python3 qemu-system-x86 qemu-utils \
	libvirt-daemon-system libvirt-clients containerd runc etcd-server containernetworking-plugins \
	iptables nftables conntrack socat ethtool ebtables iproute2 hyperfine jq bind9-dnsutils busybox \
	mmdebstrap squashfs-tools xorriso isolinux syslinux-common cpio zsh dnsmasq-base umoci skopeo \
	wrk chromium
DEPS_EXTRA :=
# make fuzz (tests/fuzz/fuzz.mk): clang and its libFuzzer.
DEPS_TEST += clang libfuzzer-14-dev libclang-rt-14-dev

ifeq ($(SANITIZE),)
BUILD := build/default
SAN_FLAGS :=
else
BUILD := build/san
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
endif

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes -Wno-missing-field-initializers
ifeq ($(CI),true)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) $(LIBS_PC_CFLAGS_ONLY) 2>/dev/null)
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -Iinclude $(PC_CFLAGS) \
	-DKL_GIT_COMMIT='"$(GIT_COMMIT)"' -DKL_DATADIR='"$(PREFIX)/share/kubelaunch"'
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
LDLIBS = $(PC_LIBS) -lhttp_parser -ldl -lpthread

SRCS := $(wildcard src/*.c src/*/*.c)
OBJS := $(SRCS:%.c=$(BUILD)/%.o)
# The addon tree is built into the binary (a copied binary works): tools/embed-addons.sh.
ADDONS_GEN := $(BUILD)/gen/addons_data.c
OBJS += $(ADDONS_GEN:.c=.o)
LIB_OBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
BIN := $(BUILD)/kubelaunch
UNIT_BIN := $(BUILD)/unit-tests

.PHONY: all deps start test test-fast test-unit test-vm bench install clean docs check-docs
.PHONY: testbench-e2e testbench-e2e-env test-conformance test-istio

all: $(BIN) kubelaunch

kubelaunch: $(BIN)
	@if [ -z "$(SANITIZE)" ]; then ln -sf $(BIN) kubelaunch; fi

$(BIN): $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT_BIN): $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) $(shell $(PKG_CONFIG) --libs $(LIBS_PC_CFLAGS_ONLY))

# The guest image this tree builds is the default --iso-url (image.o only).
KL_ISO_DEFAULT := $(shell iso/build.sh path 2>/dev/null)
$(BUILD)/src/driver/image.o: ALL_CFLAGS += -DKL_ISO_DEFAULT='"$(KL_ISO_DEFAULT)"'
$(BUILD)/src/driver/image.o: .iso-path-stamp
.iso-path-stamp: FORCE
	@echo '$(KL_ISO_DEFAULT)' | cmp -s - $@ || echo '$(KL_ISO_DEFAULT)' > $@

# The commit is baked into version.o only.
$(BUILD)/src/cmd/version.o: .git-commit-stamp
.git-commit-stamp: FORCE
	@echo '$(GIT_COMMIT)' | cmp -s - $@ || echo '$(GIT_COMMIT)' > $@
FORCE:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(ADDONS_GEN): tools/embed-addons.sh $(shell find addons -type f) $(wildcard addons addons/*/)
	@mkdir -p $(dir $@)
	@tools/embed-addons.sh addons $@
$(ADDONS_GEN:.c=.o): $(ADDONS_GEN)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d) $(UNIT_OBJS:.o=.d)

include iso/iso.mk
include tests/testbench/testbench.mk
include tests/fuzz/fuzz.mk

# Installs only what is missing (a no-op when everything is present).
deps:
	@missing=$$(for p in $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_EXTRA); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# A start with the default driver. With no internet, use the locally built release.
start: deps all iso
	@if curl -fsS --max-time 5 -o /dev/null https://dl.k8s.io/release/stable.txt 2>/dev/null; then \
		./kubelaunch start $(START_ARGS); \
	else \
		echo "make start: the official release site cannot be reached; using the locally built release (test bench mirror and image archives), with nothing reaching out (--network=isolated --dns-upstream=none)"; \
		$(MAKE) -s testbench >&2 && eval "$$($(MAKE) -s testbench-env)" || exit 1; \
		rm -f "$(KL_DEV_CACHE)/mirror-http.log"; \
		( cd "$$KL_TB_MIRROR" && exec python3 -m http.server --bind 127.0.0.1 0 >"$(KL_DEV_CACHE)/mirror-http.log" 2>&1 ) & \
		srv=$$!; trap 'kill $$srv 2>/dev/null; exit 130' INT TERM; \
		for i in $$(seq 50); do port=$$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$(KL_DEV_CACHE)/mirror-http.log" 2>/dev/null | head -n1); [ -n "$$port" ] && break; sleep 0.1; done; \
		./kubelaunch start --binary-mirror "http://127.0.0.1:$$port/release" --image-bundle "$$KL_TB_IMAGES" \
			--kubernetes-version "$$KL_TB_VERSION" --network=isolated --dns-upstream=none $(START_ARGS); \
		rc=$$?; kill $$srv; exit $$rc; \
	fi

# The guest image and the Kubernetes test bench are cached outside the clone: built
# once (cold), then seconds.
test: deps all $(UNIT_BIN) fuzz-replay check-docs iso testbench
	@KL_BIN=$(abspath $(BIN)) KL_UNIT=$(abspath $(UNIT_BIN)) tests/run.sh $(T)

# Only what needs no VM and no cluster (what the sanitizer build runs in CI).
test-fast: deps all $(UNIT_BIN) fuzz-replay check-docs
	@KL_BIN=$(abspath $(BIN)) KL_UNIT=$(abspath $(UNIT_BIN)) tests/run.sh fast

# Kubernetes in VMs (qemu, kvm2 under a real libvirtd; software emulation here): 10-20
# minutes each. T=t0730 runs one. CI runs t0730 when its budget allows (.ci/run).
test-vm: deps all iso testbench
	@KL_BIN=$(abspath $(BIN)) tests/run.sh $(if $(T),$(T),vm)

# Kubernetes' conformance tests (tests/conformance/set.txt) on a none-driver cluster from
# the bench; the host holds one such cluster at a time. Reports: build/conformance/.
test-conformance: deps all testbench-e2e
	@flock /run/kl-host-cluster.lock env KL_BIN=$(abspath $(BIN)) tests/run.sh conformance

# Istio on a none-driver cluster from the bench's Istio images (tests/t/t0760-istio.sh;
# docs/istio.md); not in `make test`: the images' cold build is long (docs/testbench.md).
test-istio: deps all testbench-istio
	@flock /run/kl-host-cluster.lock env KL_BIN=$(abspath $(BIN)) tests/run.sh istio

# e2e.test and ginkgo, cached next to the bench (tests/testbench/e2e/build.sh); they take
# their version stamp from the bench's Kubernetes build, not its addons.
testbench-e2e:
	@tests/testbench/build.sh build && tests/testbench/e2e/build.sh build

testbench-e2e-env:
	@tests/testbench/e2e/build.sh env

test-unit: $(UNIT_BIN)
	@$(UNIT_BIN)

bench: deps all
	@KL_BIN=$(abspath $(BIN)) bench/run.sh

# Generated documentation: the exit-code table comes from the reason table.
GENERATED_DOCS := exitcodes.md:exit-codes kubelaunch.1:man
docs: $(BIN)
	@for d in $(GENERATED_DOCS); do $(BIN) help $${d#*:} > docs/$${d%%:*}; done

check-docs: $(BIN)
	@for d in $(GENERATED_DOCS); do $(BIN) help $${d#*:} | cmp -s docs/$${d%%:*} - || \
		{ echo "docs/$${d%%:*} is stale: run 'make docs'"; exit 1; }; done

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kubelaunch/addons \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/vendor-completions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/kubelaunch
	cp -R addons/. $(DESTDIR)$(PREFIX)/share/kubelaunch/addons/
	install -m 0644 docs/kubelaunch.1 $(DESTDIR)$(PREFIX)/share/man/man1/kubelaunch.1
	$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kubelaunch
	$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_kubelaunch
	$(BIN) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/kubelaunch.fish

clean:
	rm -rf build kubelaunch .git-commit-stamp .iso-path-stamp
