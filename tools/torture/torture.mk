# Crash torture of durable serve (issue 15). Included from the top-level Makefile.
#   make torture                                   1,000 cycles, seed from the clock
#   make torture TORTURE_CYCLES=30 TORTURE_SEED=7  what CI runs (the seed is printed)
TORTURE_CYCLES ?= 1000
TORTURE_SEED   ?=
TORTURE_FN     := $(BUILD)/torture_fn

.PHONY: torture torture-run

$(TORTURE_FN): tools/torture/torture_fn.c $(AWS_LIB) $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(AWS_LIB) $(STATIC_LIB) $(LDFLAGS_ALL) $(AWS_LIBS) $(PKG_LIBS)

torture: deps
	@$(MAKE) --no-print-directory torture-run

torture-run: $(BUILD)/durable $(TORTURE_FN)
	python3 tools/torture/torture.py --durable $(BUILD)/durable --function $(TORTURE_FN) \
	  --cycles $(TORTURE_CYCLES) $(if $(TORTURE_SEED),--seed $(TORTURE_SEED))
