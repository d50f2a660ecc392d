# tests/fuzz/fuzz.mk: the libFuzzer targets, tests/fuzz/fuzz_<name>.c (docs/fuzzing.md).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="units args"]
#       builds each target with clang -fsanitize=fuzzer,address,undefined (objects in
#       build/fuzz/) and runs it for FUZZ_SECONDS on its corpus (build/fuzz/corpus/<name>,
#       seeded from tests/fuzz/corpus/<name> and tests/fuzz/regressions/<name>). A crash,
#       leak, undefined behaviour or broken invariant keeps its input in
#       build/fuzz/crashes/<name>/ and fails; commit it to regressions/ with the fix.
#   $(BUILD)/fuzz/replay-<name>
#       the same target linked with replay.c by the normal compiler: `make test` and
#       `make test-fast` build them and t0050 replays corpus/ and regressions/ (no clang).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(filter-out src/main.c,$(SRCS)))
# Generated sources (the addon tree, ADDONS_GEN in the Makefile): data, no fuzzer hooks.
FUZZ_GEN_OBJS := $(patsubst $(BUILD)/%.c,$(FUZZ_BUILD)/obj/%.o,$(ADDONS_GEN))
FUZZ_LIB_OBJS += $(FUZZ_GEN_OBJS)
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay-%)

.PHONY: fuzz fuzz-build fuzz-replay
# The targets' own objects are not intermediate files to delete.
.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_NAMES:%=$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o) $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.o) \
	$(BUILD)/tests/fuzz/replay.o

fuzz: deps fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)

fuzz-replay: $(FUZZ_REPLAYS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_GEN_OBJS): $(FUZZ_BUILD)/obj/%.o: $(BUILD)/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz-%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(LDFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/replay-%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_NAMES:%=$(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.d) \
	$(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/fuzz_%.d) $(BUILD)/tests/fuzz/replay.d
