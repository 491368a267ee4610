# Interoperability with unmodified official clients (issue 12), against a
# real `durable serve`. Included from the top-level Makefile.
#
#   make interop           every part below
#   make interop-boto3     every route and error through boto3 (botocore parses each answer)
#   make interop-python    the official Python SDK's handlers as Runtime API processes
#   make interop-js        the official JS SDK's handlers, driven by its CloudDurableTestRunner
#   make interop-restart   a server killed with SIGKILL mid-run and restarted on the same file
#
# The official clients are never edited: ../shared/interop holds the Python SDK
# and handlers; the JS packages are installed into $(BUILD)/npm by npm-deps.

INTEROP_SHARED ?= ../shared/interop
INTEROP_ENV = DURABLE=$(abspath $(BUILD)/durable) DURABLE_BUILD=$(abspath $(BUILD)) \
              INTEROP_SHARED=$(abspath $(INTEROP_SHARED))

.PHONY: interop interop-run interop-boto3 interop-python interop-js interop-restart

interop: deps
	@$(MAKE) --no-print-directory interop-run

interop-run: interop-boto3 interop-python interop-restart interop-js

interop-boto3: $(BUILD)/durable
	$(INTEROP_ENV) python3 tests/interop/boto3_routes.py

interop-python: $(BUILD)/durable
	$(INTEROP_ENV) python3 tests/interop/python_sdk.py

interop-restart: $(BUILD)/durable
	$(INTEROP_ENV) python3 tests/interop/restart.py

# NODE_NO_WARNINGS: Node 20 runs the JS packages, which ask for 22 and warn so.
interop-js: $(BUILD)/durable npm-deps
	$(INTEROP_ENV) NODE_NO_WARNINGS=1 node tests/interop/js/run.js
