# mayfly — make help lists the targets.
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...
IMAGE_CLOUDRUN ?= mayfly-cloudrun:$(VERSION)
LAMBDA_ARCH    ?= arm64
IMAGE_LAMBDA   ?= mayfly-lambda:$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/mayfly, bin/mayfly-demo and bin/mayfly-cloudrun
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mayfly ./cmd/mayfly
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/mayfly-demo ./cmd/mayfly-demo
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mayfly-cloudrun ./functions/cloudrun

.PHONY: build-lambda
build-lambda: ## build bin/lambda/bootstrap.zip for AWS Lambda provided.al2023 (LAMBDA_ARCH=arm64|amd64)
	mkdir -p $(BIN)/lambda
	GOOS=linux GOARCH=$(LAMBDA_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/lambda/bootstrap ./functions/awslambda
	cd $(BIN)/lambda && rm -f bootstrap.zip && zip -q -X bootstrap.zip bootstrap

.PHONY: image-lambda
image-lambda: ## build the AWS Lambda image (bootstrap, git, ansible-core, terraform); needs docker with BuildKit
	docker build --platform linux/$(LAMBDA_ARCH) -f infra/images/lambda/Dockerfile --build-arg VERSION=$(VERSION) -t $(IMAGE_LAMBDA) .

.PHONY: image-cloudrun
image-cloudrun: ## build the Google Cloud Run image (receiver service + worker job); needs a docker daemon
	docker build -f infra/images/cloudrun/Dockerfile --build-arg VERSION=$(VERSION) -t $(IMAGE_CLOUDRUN) .

.PHONY: test
test: ## run every test with the race detector (needs git, bash, python3; ansible-playbook and terraform where installed)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: lint
lint: ## gofmt, go vet, and the import-direction rule (runner/ never imports cmd/, functions/ or infra/)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@bad=$$($(GO) list -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./runner/... \
	  | grep -E 'mayfly/(cmd|functions|infra)(/| |$$)' || true); \
	  if [ -n "$$bad" ]; then echo "import rule broken (runner/ must not import cmd/, functions/, infra/):"; echo "$$bad"; exit 1; fi
	@echo "lint ok"

.PHONY: tf-check
tf-check: ## offline Terraform checks: fmt, init from the local provider mirror, validate, terraform test, HCL tests
	bash scripts/tf-check.sh

.PHONY: demo
demo: build ## run the whole chain on this machine: in-memory Semaphore, mayfly, a sample task
	$(BIN)/mayfly-demo --mayfly $(BIN)/mayfly

FUZZTIME ?= 1m

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 1m); a crasher is written to <pkg>/testdata/fuzz/<Target>/
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd runner infra functions terraform); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "== $$t ./$$(dirname $$f) ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); \
	  done; \
	done

.PHONY: bench
bench: ## run the Go benchmarks (results: docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem -count 1 $(PKGS)

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)
