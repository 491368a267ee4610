# libdurable — one entry point: build, test, sanitizers, bench, install, deps.
# GNU make. Dependencies are found with pkg-config; `make deps` installs them
# on Debian. Every target that compiles depends on deps being present.

PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
OPTFLAGS  ?= -O2 -g
SANFLAGS  ?=
TEST_WRAPPER ?=

VERSION   := 0.1.0
SOMAJOR   := 0

PKGS      := sqlite3 libcjson uuid libcrypto yaml-0.1
TEST_PKGS := cunit
# The upper layers' own libraries: only what links them pays for them
# (DESIGN.md: a core-only program links neither).
HTTP_PKGS := libmicrohttpd
AWS_PKGS  := libcurl
DEB_PKGS  := libsqlite3-dev libcjson-dev libcunit1-dev uuid-dev libssl-dev libyaml-dev pkg-config sqlite3 \
             libmicrohttpd-dev libcurl4-openssl-dev clang \
             libxml2-utils librsvg2-bin

# Recursive (=) so pkg-config runs only in recipes, after `deps`.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS    = $(shell pkg-config --libs $(PKGS)) -lpthread -lm
CUNIT_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS))
CUNIT_LIBS   = $(shell pkg-config --libs $(TEST_PKGS))
HTTP_CFLAGS  = $(shell pkg-config --cflags $(HTTP_PKGS))
HTTP_LIBS    = $(shell pkg-config --libs $(HTTP_PKGS))
AWS_CFLAGS   = $(shell pkg-config --cflags $(AWS_PKGS))
AWS_LIBS     = $(shell pkg-config --libs $(AWS_PKGS))

WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers -Wno-format-truncation
DEFS      := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS_ALL = $(WARN) $(DEFS) $(OPTFLAGS) $(SANFLAGS) -fPIC -Iinclude -Isrc -Itests -I$(BUILD)/gen $(PKG_CFLAGS) $(HTTP_CFLAGS) $(AWS_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SANFLAGS) $(LDFLAGS)

# Layers, lowest first. A test tests/test_<layer>*.c links the layers up to
# its own, so a half-written upper layer never breaks a lower layer's tests.
LAYERS    := model store engine sdk testing http aws
layer_srcs = $(sort $(wildcard src/$(1)/*.c))
layer_objs = $(patsubst %.c,$(BUILD)/%.o,$(call layer_srcs,$(1)))
GEN_SCHEMA := $(BUILD)/gen/schema_sql.c
GEN_OBJ    := $(BUILD)/gen/schema_sql.o
GEN_IMAGE  := $(BUILD)/gen/schema_image.c
GEN_IMAGE_OBJ := $(BUILD)/gen/schema_image.o
GEN_IMAGE_TOOL := $(BUILD)/gen/gen_schema_image

OBJS_model   := $(call layer_objs,model)
OBJS_store   := $(OBJS_model) $(call layer_objs,store) $(GEN_OBJ) $(GEN_IMAGE_OBJ)
OBJS_engine  := $(OBJS_store) $(call layer_objs,engine)
OBJS_sdk     := $(OBJS_engine) $(call layer_objs,sdk)
OBJS_testing := $(OBJS_sdk) $(call layer_objs,testing)
LIB_OBJS     := $(OBJS_testing)
# http (the front) and aws (client, runtime loop, cloud runner) are their own
# libraries on top of the core: libdurable-http, libdurable-aws.
HTTP_OBJS    := $(call layer_objs,http)
AWS_OBJS     := $(call layer_objs,aws)
OBJS_http    := $(OBJS_testing) $(HTTP_OBJS)
# aws tests talk to a real front, so they link it too.
OBJS_aws     := $(OBJS_testing) $(HTTP_OBJS) $(AWS_OBJS)
LIBS_http     = $(HTTP_LIBS)
LIBS_aws      = $(AWS_LIBS) $(HTTP_LIBS)

STATIC_LIB := $(BUILD)/libdurable.a
HTTP_LIB   := $(BUILD)/libdurable-http.a
AWS_LIB    := $(BUILD)/libdurable-aws.a
SHARED_LIB := $(BUILD)/libdurable.so.$(VERSION)
SONAME     := libdurable.so.$(SOMAJOR)

SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))
SUPPORT_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SUPPORT_SRCS))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
TEST_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TOOL_SRCS  := $(sort $(wildcard tools/durable/*.c))
TOOL_BIN   := $(if $(TOOL_SRCS),$(BUILD)/durable)
BENCH_SRCS := $(sort $(wildcard tools/bench/*.c))
BENCH_BINS := $(patsubst tools/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))
HEADERS    := $(sort $(wildcard include/durable/*.h))

.PHONY: all lib deps test run-tests check-headers asan valgrind tsan bench install uninstall clean

all: deps
	@$(MAKE) --no-print-directory build-all

build-all: lib $(TOOL_BIN) $(EXAMPLE_BINS) $(BENCH_BINS)

lib: $(STATIC_LIB) $(SHARED_LIB) $(HTTP_LIB) $(AWS_LIB)

# ---- dependencies ---------------------------------------------------------
deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
	  if pkg-config --exists $(PKGS) $(TEST_PKGS) $(HTTP_PKGS) $(AWS_PKGS) 2>/dev/null; then exit 0; fi; \
	  echo "deps: not a Debian system; install: $(PKGS) $(TEST_PKGS) $(HTTP_PKGS) $(AWS_PKGS) (pkg-config names)" >&2; exit 1; \
	fi; \
	missing=""; \
	for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing" >&2; \
	  echo "deps: install them with: sudo apt-get install$$missing" >&2; exit 1; \
	fi; \
	echo "deps: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null && echo "deps: done"

# ---- library --------------------------------------------------------------
$(BUILD)/%.o: %.c $(HEADERS) $(wildcard src/*/*.h) $(wildcard tests/support/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(GEN_SCHEMA): schema/latest.sql $(sort $(wildcard schema/[0-9]*.sql)) tools/gen_schema.sh
	@mkdir -p $(dir $@)
	sh tools/gen_schema.sh schema/latest.sql $(sort $(wildcard schema/[0-9]*.sql)) > $@.tmp && mv $@.tmp $@

$(GEN_OBJ): $(GEN_SCHEMA)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# The image of a new database (schema/latest.sql at the latest version) for
# new in-memory stores; made by a host tool over the same libsqlite3.
$(GEN_IMAGE_TOOL): tools/gen_schema_image.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL) $(PKG_LIBS)

$(GEN_IMAGE): $(GEN_IMAGE_TOOL) schema/latest.sql $(sort $(wildcard schema/[0-9]*.sql))
	$(GEN_IMAGE_TOOL) schema/latest.sql $(words $(wildcard schema/[0-9]*.sql)) > $@.tmp && mv $@.tmp $@

$(GEN_IMAGE_OBJ): $(GEN_IMAGE)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(HTTP_LIB): $(HTTP_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(AWS_LIB): $(AWS_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,$(SONAME) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)
	ln -sf libdurable.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf libdurable.so.$(VERSION) $(BUILD)/libdurable.so

# ---- programs -------------------------------------------------------------
test_layer = $(firstword $(foreach l,$(LAYERS),$(if $(filter test_$(l)%,$(1)),$(l))) testing)

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/%.c $(SUPPORT_OBJS) $$(OBJS_$$(call test_layer,$$*)) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(CUNIT_CFLAGS) -Itests -o $@ $< $(SUPPORT_OBJS) \
	  $(OBJS_$(call test_layer,$*)) $(LDFLAGS_ALL) $(CUNIT_LIBS) $(LIBS_$(call test_layer,$*)) $(PKG_LIBS)

# The CLI serves (durable serve), so it links the front as well.
$(BUILD)/durable: $(TOOL_SRCS) $(STATIC_LIB) $(HTTP_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $(TOOL_SRCS) $(HTTP_LIB) $(STATIC_LIB) $(LDFLAGS_ALL) $(HTTP_LIBS) $(PKG_LIBS)

# bench_http drives the front: it links libdurable-http, libmicrohttpd and libcurl too.
$(BUILD)/bench/bench_http: tools/bench/bench_http.c $(STATIC_LIB) $(HTTP_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(HTTP_LIB) $(STATIC_LIB) $(LDFLAGS_ALL) $(HTTP_LIBS) $(AWS_LIBS) $(PKG_LIBS)

$(BUILD)/bench/%: tools/bench/%.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(STATIC_LIB) $(LDFLAGS_ALL) $(PKG_LIBS)

$(BUILD)/examples/%: examples/%.c $(STATIC_LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(STATIC_LIB) $(LDFLAGS_ALL) $(PKG_LIBS)

# ---- tests ----------------------------------------------------------------
test: deps
	@$(MAKE) --no-print-directory run-tests

# Each suite binary prints CUnit's summary; the loop totals them and fails
# if any binary fails. Tests find the build folder through DURABLE_BUILD.
run-tests: build-all $(TEST_BINS) check-headers check-install
	@failed=""; \
	for t in $(TEST_BINS); do \
	  echo "=== $$t"; \
	  DURABLE_BUILD=$(BUILD) $(TEST_WRAPPER) $$t || failed="$$failed $$(basename $$t)"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED suites:$$failed"; exit 1; fi; \
	echo "all $(words $(TEST_BINS)) test suites passed"

# Each public header compiles on its own.
check-headers: $(HEADERS)
	@mkdir -p $(BUILD)/hdr
	@for h in $(HEADERS); do \
	  n=$$(basename $$h .h); \
	  printf '#include "durable/%s.h"\nint durable_header_check_%s;\n' $$n $$n > $(BUILD)/hdr/$$n.c; \
	  $(CC) $(WARN) $(DEFS) -Iinclude $(PKG_CFLAGS) -c $(BUILD)/hdr/$$n.c -o $(BUILD)/hdr/$$n.o || exit 1; \
	done; echo "headers: $(words $(HEADERS)) compile alone"

# make install into a temporary prefix, then the README quick start built
# with `pkg-config --cflags --libs libdurable` alone, and run. Not under
# sanitizers: pkg-config's flags alone cannot link an instrumented library.
.PHONY: check-install
check-install: build-all
	@if [ -n "$(SANFLAGS)" ]; then echo "install check: skipped (sanitizer build)"; \
	else sh tests/install_check.sh '$(MAKE)' '$(BUILD)' '$(CC)'; fi

asan: deps
	@$(MAKE) --no-print-directory run-tests BUILD=build-asan OPTFLAGS="-O1 -g" \
	  SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  ASAN_OPTIONS=detect_leaks=1

valgrind: deps
	@$(MAKE) --no-print-directory run-tests BUILD=build-valgrind OPTFLAGS="-O1 -g" \
	  TEST_WRAPPER="valgrind -q --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-fds=no"

# ThreadSanitizer over the threaded suites: the server thread, parallel/map
# workers, the batcher, and the runner (its server thread, background runs,
# responders and time skipping) and the SDK composites run through it, and
# the store's background WAL checkpointer.
TSAN_TESTS ?= $(filter %server %engine_group %thread %batcher %batcher_worker %parallel %concurrency %sdk_engine_composites \
                %testing_runner %testing_callbacks %testing_orch %testing_time \
                %store_wal_checkpointer \
                %aws_client %aws_lambda %aws_cloud_runner %http_front,$(TEST_BINS:$(BUILD)/%=%))
tsan: deps
	@$(MAKE) --no-print-directory run-tests BUILD=build-tsan OPTFLAGS="-O1 -g" SANFLAGS="-fsanitize=thread" \
	  TEST_BINS="$(patsubst %,build-tsan/%,$(TSAN_TESTS))"

bench: deps
	@$(MAKE) --no-print-directory $(BENCH_BINS)
	@for b in $(BENCH_BINS); do echo "=== $$b"; $$b || exit 1; done

# The order pipeline on demo.db: its worker is killed while charging the
# payment and the run resumes from the file; then `durable show`, `durable
# history`, demo.svg drawn by `durable timeline`, and what to try next
# (tools/demo.sh; tests/test_testing_examples.c runs it too).
.PHONY: demo
demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/examples/order_workflow $(BUILD)/durable
	@sh tools/demo.sh $(BUILD) demo.db

# ---- npm packages for the interop tests (issue 12) ------------------------
# The official JS clients, installed into the build folder only (never
# globally). The stamp makes it run once per build folder; delete it (or the
# folder) to reinstall. client-lambda has no version: the registry does not
# serve every number.
NPM_DIR   := $(BUILD)/npm
NPM_PKGS  := @aws/durable-execution-sdk-js@2.4.0 @aws/durable-execution-sdk-js-testing@1.1.4 @aws-sdk/client-lambda
NPM_STAMP := $(NPM_DIR)/.installed
.PHONY: npm-deps
npm-deps: $(NPM_STAMP)
$(NPM_DIR)/node_modules: $(NPM_STAMP)
$(NPM_STAMP):
	@mkdir -p $(NPM_DIR)
	@echo "npm: installing into $(NPM_DIR)"
	@npm install --prefix $(NPM_DIR) --no-audit --no-fund --loglevel=error $(NPM_PKGS) >/dev/null
	@touch $@

# ---- install --------------------------------------------------------------
# libcjson is public (Requires): the headers expose cJSON types, so a program
# using them links cJSON itself. Remade on every install so it names the
# PREFIX of this install.
PC_PUBLIC  := libcjson
$(BUILD)/libdurable.pc: Makefile FORCE
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nexec_prefix=$${prefix}\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: libdurable\nDescription: Durable execution for C over one SQLite file\nVersion: %s\nRequires: %s\nRequires.private: %s\nLibs: -L$${libdir} -ldurable\nLibs.private: -lpthread -lm\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$(VERSION)' '$(PC_PUBLIC)' '$(filter-out $(PC_PUBLIC),$(PKGS))' > $@

# The front and the aws layer are static libraries on top of libdurable; their
# own dependency is public (Requires) since a static archive needs it to link.
$(BUILD)/libdurable-http.pc $(BUILD)/libdurable-aws.pc: $(BUILD)/libdurable-%.pc: Makefile FORCE
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nexec_prefix=$${prefix}\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: libdurable-%s\nDescription: %s\nVersion: %s\nRequires: libdurable %s\nLibs: -L$${libdir} -ldurable-%s\nCflags: -I$${includedir}\n' \
	  '$(PREFIX)' '$*' '$(if $(filter http,$*),libdurable HTTP front: the Lambda durable API over a file (durable serve),libdurable AWS side: Lambda API client and runtime loop)' \
	  '$(VERSION)' '$(if $(filter http,$*),$(HTTP_PKGS),$(AWS_PKGS)) libcrypto uuid' '$*' > $@

.PHONY: FORCE
FORCE:

install: all $(BUILD)/libdurable.pc $(BUILD)/libdurable-http.pc $(BUILD)/libdurable-aws.pc
	install -d $(DESTDIR)$(PREFIX)/include/durable $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/durable/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libdurable.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf libdurable.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libdurable.so
	install -m 644 $(BUILD)/libdurable.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(HTTP_LIB) $(AWS_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/libdurable-http.pc $(BUILD)/libdurable-aws.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	$(if $(TOOL_BIN),install -m 755 $(TOOL_BIN) $(DESTDIR)$(PREFIX)/bin/)

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/include/durable
	rm -f $(DESTDIR)$(PREFIX)/lib/libdurable.a $(DESTDIR)$(PREFIX)/lib/libdurable.so* \
	  $(DESTDIR)$(PREFIX)/lib/libdurable-http.a $(DESTDIR)$(PREFIX)/lib/libdurable-aws.a \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/libdurable.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/libdurable-http.pc \
	  $(DESTDIR)$(PREFIX)/lib/pkgconfig/libdurable-aws.pc $(DESTDIR)$(PREFIX)/bin/durable

clean:
	rm -rf build build-asan build-valgrind build-tsan demo.db demo.db-wal demo.db-shm demo.db.ledger demo.svg

# ---- conformance (issue 7) ----------------------------------------------
include tests/conformance/conformance.mk

# ---- fuzzing (issue 15) ---------------------------------------------------
include tests/fuzz/fuzz.mk

# ---- interop with the official clients (issue 12) -------------------------
include tests/interop/interop.mk
include tests/interop/official/official.mk

# ---- conformance over HTTP (issue 13) ---------------------------------------
include tests/conformance/http/http.mk

# ---- the Lambda example and its zip (issue 13) ------------------------------
include examples/lambda/lambda.mk

# ---- crash torture (issue 15) ----------------------------------------------
include tools/torture/torture.mk

# ---- load and soak (issue 15) ----------------------------------------------
include tools/load/load.mk
