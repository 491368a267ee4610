# The conformance runner's HTTP mode (issue 13): each requirement's C handler
# runs in a durable_lambda_run process (the conformance function program of
# tests/interop/official, chosen by _HANDLER) hosted by a `durable serve`
# started for that requirement, and is driven by the cloud runner through
# the HTTP API; the same matcher judges it. Included from the top-level
# Makefile after official.mk (it uses OFFICIAL_C_BIN and the conformance
# variables).
#
#   make conformance-http                                   the shared suite
#   make conformance-http CONFORMANCE_HTTP_ARGS="--only 4-1 -v"

CONFORMANCE_HTTP_ARGS ?= -j 4
CONF_HTTP_OBJ := $(BUILD)/tests/conformance/http/run_http.o
CONF_HTTP_BIN := $(BUILD)/conformance-http

.PHONY: conformance-http conformance-http-run

conformance-http: deps
	@$(MAKE) --no-print-directory conformance-http-run

conformance-http-run: $(CONF_HTTP_BIN) $(OFFICIAL_C_BIN)
	$(CONF_HTTP_BIN) --http $(abspath $(OFFICIAL_C_BIN)) \
	  $(if $(CONFORMANCE_EXPECT),--expect $(CONFORMANCE_EXPECT)) $(CONFORMANCE_HTTP_ARGS) \
	  $(CONFORMANCE_DIR) $(CONFORMANCE_EXTRA_DIRS)

$(CONF_HTTP_OBJ): $(CONF_HDRS)

$(CONF_HTTP_BIN): $(CONF_OBJS) $(CONF_HTTP_OBJ) $(AWS_LIB) $(HTTP_LIB) $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(CONF_OBJS) $(CONF_HTTP_OBJ) $(AWS_LIB) $(HTTP_LIB) $(STATIC_LIB) \
	  $(LDFLAGS_ALL) $(AWS_LIBS) $(HTTP_LIBS) $(PKG_LIBS)
