# LuoYun OS Manager: build, test and lay out the /LuoYun tree.
# `make help` lists the targets.

GO        ?= go
PREFIX    ?= /LuoYun
DESTDIR   ?=
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
MODULE    := github.com/luoyun/osmanager
# Build tags of the shipped binaries and of every go command below; tests
# that build a binary themselves use internal/testbin, which must agree.
# nethttpomithttp2: no bundled HTTP/2 in net/http (web and webssh serve
# HTTP/1.1), 0.4 MB less code per binary, all of it mapped at run time.
TAGS      ?= nethttpomithttp2
LDFLAGS   := -s -w -X $(MODULE)/pkg/version.Version=$(VERSION) -X $(MODULE)/pkg/version.Commit=$(COMMIT)
CMDS      := $(sort $(notdir $(patsubst %/main.go,%,$(wildcard cmd/*/main.go))))
BINS      := $(addprefix bin/,$(CMDS))
TREE      := $(DESTDIR)$(PREFIX)
TESTFLAGS ?= -race -timeout 30m
DISTDIR   := dist

export CGO_ENABLED ?= 0

.PHONY: all build test fmt-check vet unit vmtest fuzz bench install dist demo clean help

all: build ## build every cmd/* into ./bin (static, stripped, version stamped)

build: $(BINS)

bin/%: FORCE
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $@ ./cmd/$*

FORCE:

test: fmt-check vet unit ## gofmt check, go vet, go test -race ./...

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet ./...
	$(GO) vet -tags '$(TAGS)' ./...

unit: build ## go test -race ./... (browser, netns and VM tests skip with a message when their tools are missing)
	CGO_ENABLED=1 LUOYUN_BIN=$(CURDIR)/bin $(GO) test -tags '$(TAGS)' $(TESTFLAGS) ./...

vmtest: build ## boot the appliance under qemu (three boots, docs/vmtest.md); also part of `make test`
	LUOYUN_BIN=$(CURDIR)/bin $(GO) test -tags '$(TAGS)' -count=1 -v -timeout 15m ./internal/vmboot ./test/vmtest

fuzz: ## run every fuzz target for FUZZTIME (default 20s) each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -tags '$(TAGS)' -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -tags '$(TAGS)' -run '^$$' -fuzz "^$$f$$" -fuzzminimizetime 1s -fuzztime $${FUZZTIME:-20s} $$pkg || exit 1; \
	  done; \
	done

bench: ## go test -bench for every package
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./...

install: build ## lay the tree out under $(DESTDIR)$(PREFIX), keeping an existing custom/ and build/
	install -d -m 0755 $(TREE) $(TREE)/bin $(TREE)/log $(TREE)/init $(TREE)/run
	install -d -m 0700 $(TREE)/conf
	$(if $(BINS),install -m 0755 $(BINS) $(TREE)/bin/)
	@for f in osmanager.sh install.sh uninstall.sh; do \
	  if [ -f $$f ]; then install -m 0755 $$f $(TREE)/$$f; fi; done
	@if [ -n "$$(ls -A init 2>/dev/null)" ]; then cp -R init/. $(TREE)/init/; fi
	@for d in custom build; do \
	  if [ -e $(TREE)/$$d ]; then echo "keeping existing $(TREE)/$$d"; \
	  else cp -R $$d $(TREE)/$$d; find $(TREE)/$$d -name .keep -delete; fi; done
	@echo "installed into $(TREE)"

dist: ## build dist/luoyun-osmanager-VERSION.tar.gz of the installed tree
	rm -rf $(DISTDIR)/stage
	$(MAKE) install DESTDIR=$(abspath $(DISTDIR))/stage
	tar -C $(DISTDIR)/stage --owner=0 --group=0 -czf $(DISTDIR)/luoyun-osmanager-$(VERSION).tar.gz .$(PREFIX)
	rm -rf $(DISTDIR)/stage
	@echo $(DISTDIR)/luoyun-osmanager-$(VERSION).tar.gz

demo: ## run the whole chain in a sandbox against the controller simulator, loopback only (Ctrl-C stops it)
	@echo "demo: make build"
	@$(MAKE) --no-print-directory -s build
	@scripts/demo.sh

clean: ## remove build outputs
	rm -rf bin $(DISTDIR)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
