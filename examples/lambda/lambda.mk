# make lambda-package (issue 13): examples/lambda/function.c as `bootstrap`
# and $(BUILD)/lambda/function.zip for the provided.al2023 runtime (x86_64);
# see examples/lambda/package.sh for what is linked statically, what is
# shipped under lib/ and how ldd proves nothing is missing. Included from the
# top-level Makefile.

LAMBDA_DIR       := $(BUILD)/lambda
LAMBDA_BOOTSTRAP := $(LAMBDA_DIR)/stage/bootstrap

.PHONY: lambda-package

lambda-package: deps
	@$(MAKE) --no-print-directory $(LAMBDA_BOOTSTRAP)

$(LAMBDA_BOOTSTRAP): examples/lambda/function.c examples/lambda/package.sh $(AWS_LIB) \
  $(STATIC_LIB) $(HEADERS)
	sh examples/lambda/package.sh '$(CC)' '$(CFLAGS_ALL)' '$(LDFLAGS_ALL)' $(LAMBDA_DIR) \
	  $(AWS_LIB) $(STATIC_LIB)

# Its test runs that very bootstrap as a function of durable serve.
$(BUILD)/tests/test_aws_lambda_example: $(LAMBDA_BOOTSTRAP)
