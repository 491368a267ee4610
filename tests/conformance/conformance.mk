# Conformance runner (issue 7). Included from the top-level Makefile with
#     include tests/conformance/conformance.mk
# after the library rules (it uses BUILD, CC, CFLAGS_ALL, LDFLAGS_ALL, PKG_LIBS,
# STATIC_LIB, HEADERS and the `deps` target defined there).
#
#   make conformance                                   the shared suite
#   make conformance CONFORMANCE_DIR=dir               another requirement folder
#   make conformance CONFORMANCE_EXTRA_DIRS="d1 d2"    more folders, added to it
#   make conformance EXTRA_HANDLERS="a.c b.c"          more handler files (see
#                                                      tests/conformance/conformance.h)
#   make conformance CONFORMANCE_ARGS="--only 4-19 -v" any runner option
#
# It fails when a requirement listed in CONFORMANCE_EXPECT (one id per line)
# ran and did not PASS; set CONFORMANCE_EXPECT= to only report.

CONFORMANCE_DIR        ?= ../shared/conformance
CONFORMANCE_EXTRA_DIRS ?=
CONFORMANCE_EXPECT     ?= tests/conformance/expected_pass.txt
CONFORMANCE_ARGS       ?=
EXTRA_HANDLERS         ?=

CONF_SRCS    := $(sort $(wildcard tests/conformance/*.c tests/conformance/handlers/*.c))
CONF_OBJS    := $(patsubst %.c,$(BUILD)/%.o,$(CONF_SRCS))
CONF_HDRS    := $(wildcard tests/conformance/*.h tests/conformance/handlers/*.h)
CONF_BIN     := $(BUILD)/conformance
# Rewritten only when the EXTRA_HANDLERS list changes, so the binary relinks
# when handler files are added or removed on the command line.
CONF_EXTRA_LIST := $(BUILD)/tests/conformance/extra-handlers.list

.PHONY: conformance conformance-run conformance-force

conformance: deps
	@$(MAKE) --no-print-directory conformance-run

conformance-run: $(CONF_BIN)
	$(CONF_BIN) $(if $(CONFORMANCE_EXPECT),--expect $(CONFORMANCE_EXPECT)) $(CONFORMANCE_ARGS) \
	  $(CONFORMANCE_DIR) $(CONFORMANCE_EXTRA_DIRS)

$(CONF_OBJS): $(CONF_HDRS)

$(CONF_EXTRA_LIST): conformance-force
	@mkdir -p $(dir $@)
	@echo '$(EXTRA_HANDLERS)' | cmp -s - $@ || echo '$(EXTRA_HANDLERS)' > $@

$(CONF_BIN): $(CONF_OBJS) $(EXTRA_HANDLERS) $(CONF_EXTRA_LIST) $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(CONF_OBJS) $(EXTRA_HANDLERS) $(STATIC_LIB) $(LDFLAGS_ALL) $(PKG_LIBS)

# The CUnit suite compiles the loader and matcher sources in (see the test).
$(BUILD)/tests/test_testing_conformance_matcher: tests/conformance/loader.c \
  tests/conformance/matcher.c tests/conformance/pyjson.c $(CONF_HDRS)
