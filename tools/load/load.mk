# Load and soak test of durable serve (issue 15). Included from the top-level Makefile.
#   make load                       64 clients for 60 s after a 10 s warm-up
#   make load LOAD_SECONDS=15       what CI runs (a 5 s warm-up)
#   make load LOAD_CLIENTS=16 LOAD_SEED=7 LOAD_REQUESTS=100000
LOAD_CLIENTS  ?= 64
LOAD_SECONDS  ?= 60
LOAD_SEED     ?=
LOAD_REQUESTS ?=
LOAD_BIN      := $(BUILD)/load
LOAD_FN       := $(BUILD)/load_fn
LOAD_SRCS     := tools/load/load.c tools/load/load_client.c tools/load/load_server.c

.PHONY: load load-run

$(LOAD_BIN): $(LOAD_SRCS) tools/load/load.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(LOAD_SRCS) $(LDFLAGS_ALL) $(AWS_LIBS) $(PKG_LIBS)

$(LOAD_FN): tools/load/load_fn.c $(AWS_LIB) $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(AWS_LIB) $(STATIC_LIB) $(LDFLAGS_ALL) $(AWS_LIBS) $(PKG_LIBS)

load: deps
	@$(MAKE) --no-print-directory load-run

load-run: $(BUILD)/durable $(LOAD_BIN) $(LOAD_FN)
	$(LOAD_BIN) --durable $(BUILD)/durable --function $(LOAD_FN) \
	  --clients $(LOAD_CLIENTS) --seconds $(LOAD_SECONDS) \
	  $(if $(LOAD_SEED),--seed $(LOAD_SEED)) $(if $(LOAD_REQUESTS),--requests $(LOAD_REQUESTS))
