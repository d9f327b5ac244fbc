# Build, test and package ntphealth. Needs Go only: nfpm, which builds the
# .deb, is a Go module (deploy/debpkg), fetched through the module proxy.
#
#   make build                 bin/ntphealth for this machine
#   make test                  the test suite: .ci/test, else scripts/test.sh (the
#                              README's test command), else go test ./...
#   make deb                   dist/ntphealth_<version>_<arch>.deb
#   make deb GOARCH=arm64      ... for another architecture (GOARCH=arm: armhf, GOARM=7)
#   make deb VERSION=v1.2.3    ... with a given version (default: git describe)
#   make clean

GO      ?= go
# Releases use a toolchain with the standard library's security fixes that
# the machine's Go 1.26.8 lacks (see scripts/vulncheck.sh); the go command
# fetches it from the module proxy. `make build RELEASE_TOOLCHAIN=local` skips it.
RELEASE_TOOLCHAIN ?= go1.27.3
build deb: export GOTOOLCHAIN = $(RELEASE_TOOLCHAIN)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0)
GOARCH  ?= $(shell $(GO) env GOARCH)
GOARM   ?= 7
# nfpm names 32-bit ARM by its GOARM level (arm7 is Debian's armhf).
DEBARCH := $(if $(filter arm,$(GOARCH)),arm$(GOARM),$(GOARCH))
LDFLAGS := -s -w -X main.version=$(VERSION)
DIST    := dist

.PHONY: all build test deb clean toolchain-note

# Say, before the go command fetches it, that a second toolchain is used.
toolchain-note:
	@if [ "$(RELEASE_TOOLCHAIN)" != local ] && [ "$$(GOTOOLCHAIN=local $(GO) env GOVERSION)" != "$(RELEASE_TOOLCHAIN)" ]; then \
		echo "make: building with $(RELEASE_TOOLCHAIN), not $$(GOTOOLCHAIN=local $(GO) env GOVERSION): it has the standard library's security fixes"; \
		echo "make: (scripts/vulncheck.sh); the go command fetches it once from the module proxy. RELEASE_TOOLCHAIN=local skips it."; \
	fi

all: build

build: toolchain-note
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ntphealth ./cmd/ntphealth

test:
	@if [ -e .ci/test ]; then bash .ci/test; \
	elif [ -e scripts/test.sh ]; then bash scripts/test.sh; \
	else $(GO) test ./...; fi

# A static binary for the target, then the package around it.
deb: toolchain-note
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) GOARM=$(GOARM) \
		$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux_$(DEBARCH)/ntphealth ./cmd/ntphealth
	env -u GOOS -u GOARCH -u GOARM $(GO) run ./deploy/debpkg -binary $(DIST)/linux_$(DEBARCH)/ntphealth \
		-version '$(VERSION)' -arch $(DEBARCH) -out $(DIST)

clean:
	rm -rf bin $(DIST)
