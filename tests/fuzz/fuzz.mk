# Fuzzing with clang's libFuzzer (issue 15). Included from the top-level
# Makefile after the library rules (it uses BUILD, CFLAGS_ALL, LDFLAGS_ALL,
# PKG_LIBS, HEADERS and `deps`).
#
#   make fuzz                                  every target for FUZZ_SECONDS (60) each
#   make fuzz FUZZ_SECONDS=20                  what .ci/run does
#   make fuzz FUZZ_TARGETS="wire ids"          some targets only
#   make fuzz FUZZ_ARGS="-jobs=2 -workers=2"   any libFuzzer option
#
# Targets are tests/fuzz/fuzz_<name>.c; each is built in FUZZ_BUILD with the
# whole library under clang -fsanitize=fuzzer-no-link,address,undefined and
# linked with libFuzzer. It starts from its seed corpus,
# tests/fuzz/corpus/<name>/ (and tests/fuzz/regress/<name>/, the inputs of
# crashes found and fixed); inputs it finds go to FUZZ_BUILD/corpus/<name>/,
# crashes to FUZZ_BUILD/crashes/. The last line sums the executions.
#
# `make test` does not need clang: tests/test_http_fuzz_replay.c links the
# same target sources (entry renamed) with the ordinary compiler and replays
# every seed and regression input through them.

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   ?= $(BUILD)-libfuzzer
FUZZ_ARGS    ?=
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
                 -fno-omit-frame-pointer
FUZZ_ALL     := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_HELPERS := $(filter-out tests/fuzz/fuzz_%.c,$(sort $(wildcard tests/fuzz/*.c)))
FUZZ_HDRS    := $(wildcard tests/fuzz/*.h)
# The front (and libmicrohttpd) for the http target.
FUZZ_OBJS_http = $(HTTP_OBJS)
FUZZ_LIBS_http = $(HTTP_LIBS)
# Its handler threads outlive the request that started them (Event
# invokes), which libFuzzer's per-input leak check takes for leaks.
FUZZ_FLAGS_http = -detect_leaks=0
# Its store lives across 20 inputs, so an input's allocations outlive it
# and the per-input check would scan the heap after every input (most of
# the time). Leaks still show at exit, and in `make asan` over the replay.
FUZZ_FLAGS_checkpoint = -detect_leaks=0
# The SigV4 files of the front, without the rest of it (no libmicrohttpd).
FUZZ_OBJS_sigv4 = $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/http/sigv4.c src/http/sigv4_keys.c \
                    src/http/sigv4_parse.c))

.PHONY: fuzz fuzz-bins fuzz-run fuzz-clean

fuzz: deps
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || \
	  { echo "fuzz: $(FUZZ_CC) not found (make deps installs clang)" >&2; exit 1; }
	@$(MAKE) --no-print-directory fuzz-bins BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  OPTFLAGS="-O1 -g" SANFLAGS="$(FUZZ_SANFLAGS)" CFLAGS="$(CFLAGS) -Wno-unknown-warning-option"
	@$(MAKE) --no-print-directory fuzz-run BUILD=$(FUZZ_BUILD)

# Built with BUILD=FUZZ_BUILD and the fuzzing flags (see `fuzz`).
fuzz-bins: $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TARGETS))

# The core layers only: a target of an upper layer adds its objects and
# libraries with FUZZ_OBJS_<target> / FUZZ_LIBS_<target>.
$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c $(patsubst %.c,$(BUILD)/%.o,$(FUZZ_HELPERS)) $(FUZZ_HDRS) \
  $(OBJS_testing) $$(FUZZ_OBJS_$$*) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(patsubst %.c,$(BUILD)/%.o,$(FUZZ_HELPERS)) $(OBJS_testing) \
	  $(FUZZ_OBJS_$*) -fsanitize=fuzzer $(LDFLAGS_ALL) $(FUZZ_LIBS_$*) $(PKG_LIBS)

# Each target for FUZZ_SECONDS from its seeds; its executions are summed
# from libFuzzer's final stats.
fuzz-run:
	@total=0; failed=""; $(foreach t,$(FUZZ_TARGETS),flags_$(t)='$(FUZZ_FLAGS_$(t))';) \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/corpus/$$t $(BUILD)/crashes; \
	  seeds="tests/fuzz/corpus/$$t"; \
	  [ -d tests/fuzz/regress/$$t ] && seeds="$$seeds tests/fuzz/regress/$$t"; \
	  echo "=== fuzz $$t ($(FUZZ_SECONDS) s)"; \
	  ASAN_OPTIONS=detect_leaks=1 $(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
	    -artifact_prefix=$(BUILD)/crashes/$$t- $$(eval echo \$$flags_$$t) $(FUZZ_ARGS) \
	    $(BUILD)/corpus/$$t $$seeds \
	    > $(BUILD)/fuzz-$$t.log 2>&1 || failed="$$failed $$t"; \
	  n=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(BUILD)/fuzz-$$t.log | tail -1); \
	  cov=$$(grep -o 'cov: [0-9]*' $(BUILD)/fuzz-$$t.log | tail -1); \
	  echo "fuzz: $$t execs=$${n:-0} $$cov corpus=$$(ls $(BUILD)/corpus/$$t | wc -l)"; \
	  total=$$((total + $${n:-0})); \
	done; \
	if [ -n "$$failed" ]; then \
	  for t in $$failed; do echo "=== $$t failed:"; \
	    grep -E 'ERROR|SUMMARY|fuzz: |^    #[0-9] |^MS:|^Base64' $(BUILD)/fuzz-$$t.log | head -30; done; \
	  echo "fuzz: FAILED:$$failed (inputs in $(BUILD)/crashes/)"; exit 1; \
	fi; \
	echo "fuzz: targets=$(words $(FUZZ_TARGETS)) seconds=$(FUZZ_SECONDS) execs=$$total crashes=0"

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

clean: fuzz-clean

# ---- replay in `make test` (ordinary compiler, no libFuzzer) -------------
FUZZ_REPLAY_OBJS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/fuzz/replay_%.o,$(sort $(wildcard tests/fuzz/fuzz_*.c))) \
                    $(patsubst %.c,$(BUILD)/%.o,$(FUZZ_HELPERS))

$(BUILD)/tests/fuzz/replay_%.o: tests/fuzz/fuzz_%.c $(FUZZ_HDRS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DLLVMFuzzerTestOneInput=durable_fuzz_$*_one -c $< -o $@

$(BUILD)/tests/fuzz/%.o: $(FUZZ_HDRS)

# An http-layer suite: it links the front (the http and sigv4 targets use it).
# `private`: the objects are for this link only, not for the prerequisites
# it builds (the schema image tool, the libraries).
$(BUILD)/tests/test_http_fuzz_replay: $(FUZZ_REPLAY_OBJS)
$(BUILD)/tests/test_http_fuzz_replay: private LDFLAGS += $(FUZZ_REPLAY_OBJS)
