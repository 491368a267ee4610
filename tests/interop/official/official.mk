# The official conformance runner, unmodified, against `durable serve`
# (issue 14). Included from the top-level Makefile after interop.mk.
#
#   make interop-official                        both runs (Python, C), pass lists checked
#   make interop-official OFFICIAL_RUNS=python   one run
#   make interop-official INTEROP_REQUIREMENTS=my/reqs INTEROP_PY_TEMPLATES="a.yaml b.yaml"
#
# INTEROP_REQUIREMENTS is the requirement folder laid under the runner's
# test-requirements/ (one sub-folder per suite). INTEROP_PY_TEMPLATES are the
# SAM templates of the Python run (their handlers come from the folder the
# templates sit in, under handlers/). The C run uses the project's conformance
# handlers (tests/conformance/handlers) as Runtime API processes running
# durable_lambda_run, with a template the harness writes.
# A requirement listed in OFFICIAL_EXPECT_PYTHON / OFFICIAL_EXPECT_C that does
# not pass fails the target; set them empty to only report. Everything the
# runner writes (its copy, histories, JSON reports) is under
# $(BUILD)/interop-official/.

INTEROP_SHARED         ?= ../shared/interop
INTEROP_REQUIREMENTS   ?= ../shared/conformance
INTEROP_PY_TEMPLATES   ?= $(sort $(wildcard $(INTEROP_SHARED)/python-handlers/template_*.yaml))
OFFICIAL_RUNS          ?= python c
OFFICIAL_EXPECT_PYTHON ?= tests/interop/official/expected_pass_python.txt
OFFICIAL_EXPECT_C      ?= tests/interop/official/expected_pass_c.txt
OFFICIAL_ARGS          ?=
# Any other SDK: OFFICIAL_RUNS=sdk with its templates and the command that runs
# one function (its Runtime API bootstrap; _HANDLER and TEMPLATE_DIR are set).
OFFICIAL_SDK_TEMPLATES ?=
OFFICIAL_SDK_COMMAND   ?=
OFFICIAL_SDK_LANGUAGE  ?= sdk
OFFICIAL_EXPECT_SDK    ?=

# The C function program: every conformance handler, chosen by _HANDLER.
OFFICIAL_C_SRCS := tests/interop/official/c_function.c tests/conformance/registry.c \
                   tests/conformance/handlers_table.c \
                   $(sort $(wildcard tests/conformance/handlers/*.c))
OFFICIAL_C_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(OFFICIAL_C_SRCS))
OFFICIAL_C_BIN  := $(BUILD)/interop-official/c_function

.PHONY: interop-official interop-official-run

interop-official: deps
	@$(MAKE) --no-print-directory interop-official-run

interop-official-run: $(BUILD)/durable $(if $(filter c,$(OFFICIAL_RUNS)),$(OFFICIAL_C_BIN))
	python3 -B tests/interop/official/test_shims.py
	python3 -B tests/interop/official/harness.py \
	  --durable $(abspath $(BUILD)/durable) \
	  --work $(abspath $(BUILD)/interop-official) \
	  --runner $(abspath $(INTEROP_SHARED)/conformance-runner) \
	  --python-sdk $(abspath $(INTEROP_SHARED)/python-sdk/src) \
	  --requirements $(abspath $(INTEROP_REQUIREMENTS)) \
	  --python-templates "$(abspath $(INTEROP_PY_TEMPLATES))" \
	  --c-function $(abspath $(OFFICIAL_C_BIN)) \
	  --runs "$(OFFICIAL_RUNS)" \
	  $(if $(OFFICIAL_EXPECT_PYTHON),--expect-python $(OFFICIAL_EXPECT_PYTHON)) \
	  $(if $(OFFICIAL_EXPECT_C),--expect-c $(OFFICIAL_EXPECT_C)) \
	  $(if $(filter sdk,$(OFFICIAL_RUNS)),--sdk-templates "$(abspath $(OFFICIAL_SDK_TEMPLATES))" \
	    --sdk-command '$(OFFICIAL_SDK_COMMAND)' --sdk-language $(OFFICIAL_SDK_LANGUAGE) \
	    $(if $(OFFICIAL_EXPECT_SDK),--expect-sdk $(OFFICIAL_EXPECT_SDK))) \
	  $(OFFICIAL_ARGS)

$(OFFICIAL_C_OBJS): $(wildcard tests/conformance/*.h tests/conformance/handlers/*.h)

$(OFFICIAL_C_BIN): $(OFFICIAL_C_OBJS) $(AWS_LIB) $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(OFFICIAL_C_OBJS) $(AWS_LIB) $(STATIC_LIB) $(LDFLAGS_ALL) \
	  $(AWS_LIBS) $(PKG_LIBS)
