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
LDFLAGS   := -s -w -X $(MODULE)/pkg/release.Version=$(VERSION) -X $(MODULE)/pkg/release.Commit=$(COMMIT)
# The five commands; cmd/luoyun is all of them in one binary.
CMDS      := $(filter-out luoyun,$(sort $(notdir $(patsubst %/main.go,%,$(wildcard cmd/*/main.go)))))
BINS      := $(addprefix bin/,$(CMDS))
# MULTICALL=1: build, install and dist the one-binary flavour: bin/luoyun,
# with each command's name a symbolic link to it (docs/integration.md,
# "One binary"). It is built into MCDIR: luoyun and the five links, a
# bin/ directory of its own (LUOYUN_BIN=$(MCDIR) runs the tests on it).
MULTICALL ?=
MCDIR     := bin/multicall
MCBIN     := bin/multicall/luoyun
TESTFLAGS ?= -race -timeout 30m
DISTDIR   := dist

export CGO_ENABLED ?= 0

.PHONY: all build test fmt-check vet unit vmtest fuzz bench install stage dist demo clean help

all: build ## build the five cmd/* into ./bin (static, stripped, version stamped); MULTICALL=1: cmd/luoyun and five links into bin/multicall

build: $(if $(filter 1,$(MULTICALL)),$(MCBIN),$(BINS))

# NOINLINE: commands built without inlining (-gcflags=all=-l), smaller
# (floppyconf -0.13 MB, osc -0.27 MB, osm -0.27 MB on disk and in idle
# PSS) and no slower where it shows: floppyconf and osc run once per boot
# for a few milliseconds, osm mostly sleeps (docs/integration.md, "Idle
# memory"). web and webssh serve pages and stay inlined, as does the one
# binary (MULTICALL=1), which holds them.
NOINLINE  ?= floppyconf osc osm
# web links TLS, certificates and public-key crypto through net/http but
# serves plain HTTP and never runs them: those packages (WEB_COLD) are
# built without inlining, 0.24 MB less. The cookie check's SHA-256 and
# constant-time compare run on every request and keep it (WEB_HOT; built
# without, CPU per request rose by about 10%). docs/integration.md, "Idle
# memory", has the figures.
WEB_COLD  := crypto/... vendor/golang.org/x/crypto/... math/big
WEB_HOT   := crypto/sha256 crypto/subtle crypto/fips140 crypto/internal/fips140 \
	crypto/internal/fips140/sha256 crypto/internal/fips140/subtle crypto/internal/constanttime \
	crypto/internal/fips140deps/... crypto/internal/impl crypto/internal/fips140only crypto/internal/boring
GCFLAGS_web := $(foreach p,$(WEB_COLD),-gcflags=$(p)=-l) $(foreach p,$(WEB_HOT),-gcflags=$(p)=)

# SPANSETS: the shipped binaries' runtime keeps the spans of a size class
# in span sets of 1 kB blocks and 128 B spines instead of 4.6 kB and 2 kB,
# and the spans' mark bits in 8 kB arenas instead of 64 kB
# (internal/tools/spansets writes the `go build -overlay` from GOROOT's
# own runtime/mspanset.go and mheap.go): 0.4-0.7 MB less per daemon once
# it has collected, and 0.1-0.2 MB less again (the arenas) after minutes
# of collections (docs/integration.md, "Idle memory").
GOROOT_   := $(shell $(GO) env GOROOT)
SPANSETS  := bin/.spansets/overlay.json

$(SPANSETS): internal/tools/spansets/main.go $(GOROOT_)/src/runtime/mspanset.go $(GOROOT_)/src/runtime/mheap.go
	@mkdir -p $(@D)
	$(GO) run ./internal/tools/spansets '$(GOROOT_)' '$(@D)' >/dev/null

# A binary is rebuilt when a Go file, go.mod, go.sum, an embedded file
# or the version stamp changed: bin/.version holds VERSION, COMMIT and
# TAGS and is rewritten only when one of them differs (a new commit, a
# tree that became dirty).
SOURCES   := $(shell find . -name '*.go' ! -name '*_test.go' ! -path './.git/*' ! -path './dist/*' ! -path './bin/*') go.mod go.sum custom/osmanager.toml
STAMP     := bin/.version
STAMPTEXT := $(VERSION) $(COMMIT) $(TAGS)
ifneq ($(STAMPTEXT),$(shell cat $(STAMP) 2>/dev/null))
$(shell mkdir -p bin && echo '$(STAMPTEXT)' > $(STAMP))
endif

bin/%: $(SOURCES) $(STAMP) $(SPANSETS)
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -overlay '$(CURDIR)/$(SPANSETS)' -tags '$(TAGS)' $(if $(filter $*,$(NOINLINE)),-gcflags=all=-l,$(GCFLAGS_$*)) -ldflags '$(LDFLAGS)' -o $@ ./cmd/$*

# MCBIN=PATH on the command line stages a luoyun built elsewhere (tests).
bin/multicall/luoyun: $(SOURCES) $(STAMP) $(SPANSETS)
	@mkdir -p $(@D)
	CGO_ENABLED=0 $(GO) build -trimpath -overlay '$(CURDIR)/$(SPANSETS)' -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $@ ./cmd/luoyun
	for c in $(CMDS); do ln -sfn luoyun "$(@D)/$$c" || exit 1; done

$(STAMP): ;

test: fmt-check vet unit ## gofmt check, go vet, go test -race ./...

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet ./...
	$(GO) vet -tags '$(TAGS)' ./...

unit: build ## go test -race ./... (browser, netns and VM tests skip with a message when their tools are missing), then the end-to-end test on the one-binary flavour
	CGO_ENABLED=1 LUOYUN_BIN=$(CURDIR)/bin $(GO) test -tags '$(TAGS)' $(TESTFLAGS) ./...
	$(MAKE) -s --no-print-directory $(MCBIN)
	CGO_ENABLED=1 LUOYUN_BIN=$(CURDIR)/$(MCDIR) $(GO) test -tags '$(TAGS)' $(TESTFLAGS) -run '^(TestEndToEnd.*|TestInitEntryPoints|TestMulticall.*)$$' ./integration

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

# stage_tree DIR: lay the new tree out in the (empty) directory DIR. Every
# path is quoted: DESTDIR, DISTDIR and the source may hold spaces.
define stage_tree
	install -d -m 0755 "$(1)" "$(1)/bin" "$(1)/log" "$(1)/init" "$(1)/run"
	install -d -m 0700 "$(1)/conf"
	$(if $(filter 1,$(MULTICALL)),install -m 0755 "$(MCBIN)" "$(1)/bin/luoyun" && \
	  for c in $(CMDS); do ln -s luoyun "$(1)/bin/$$c" || exit 1; done, \
	  $(if $(BINS),install -m 0755 $(foreach b,$(BINS),"$(b)") "$(1)/bin/"))
	for f in osmanager.sh install.sh uninstall.sh upgrade.sh; do \
	  install -m 0755 "$$f" "$(1)/$$f" || exit 1; done
	if [ -n "$$(ls -A init 2>/dev/null)" ]; then cp -R init/. "$(1)/init/"; fi
	cp -R custom build "$(1)/"
	find "$(1)/custom" "$(1)/build" -name .keep -delete
endef

install: build ## lay out or upgrade the tree $(PREFIX) inside the image root $(DESTDIR) (upgrade.sh --root: links followed as in a chroot, swapped in one step, old parts to a printed backup, all else kept); MULTICALL=1: bin/ is one binary and five links
	@stage=$$(mktemp -d "$${TMPDIR:-/tmp}/luoyun-stage.XXXXXX") && \
	trap 'rm -rf "$$stage"' EXIT && \
	$(MAKE) -s --no-print-directory stage STAGE="$$stage/tree" && \
	sh "$$stage/tree/upgrade.sh" --root "$(if $(DESTDIR),$(DESTDIR),/)" "$(PREFIX)"

stage: # internal: lay the tree out in the new directory STAGE
	@[ -n "$(STAGE)" ] && [ ! -e "$(STAGE)" ] || { echo "make stage: STAGE must name a new directory" >&2; exit 2; }
	@$(call stage_tree,$(STAGE))

dist: build ## build dist/luoyun-osmanager-VERSION.tar.gz of the tree (upgrade: unpack elsewhere, run its LuoYun/upgrade.sh --root IMG, or upgrade.sh DEST)
	rm -rf "$(DISTDIR)/stage"
	$(MAKE) -s --no-print-directory stage STAGE="$(DISTDIR)/stage$(PREFIX)"
	tar -C "$(DISTDIR)/stage" --owner=0 --group=0 -czf "$(DISTDIR)/luoyun-osmanager-$(VERSION).tar.gz" ".$(PREFIX)"
	rm -rf "$(DISTDIR)/stage"
	@echo "$(DISTDIR)/luoyun-osmanager-$(VERSION).tar.gz"

demo: ## run the whole chain in a sandbox against the controller simulator, loopback only (Ctrl-C stops it)
	@echo "demo: make build"
	@$(MAKE) --no-print-directory -s build
	@scripts/demo.sh

clean: ## remove build outputs
	rm -rf bin "$(DISTDIR)"

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12
