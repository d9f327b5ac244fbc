# Build, test and package ntphealth. Needs Go only: nfpm, which builds the
# .deb, is a Go module (deploy/debpkg), fetched through the module proxy.
#
#   make build                 bin/ntphealth and bin/ntphealthd for this machine
#   make test                  the test suite: .ci/test, else scripts/test.sh (the
#                              README's test command), else go test ./...
#   make deb                   dist/ntphealth_<version>_<arch>.deb
#   make deb GOARCH=arm64      ... for another architecture (GOARCH=arm: armhf, GOARM=7)
#   make deb VERSION=v1.2.3    ... with a given version (default: git describe)
#   make dist                  every release artifact, into dist/ (DIST=DIR elsewhere):
#                              ntphealth-<version>-linux-<arch>.tar.gz for amd64, arm64,
#                              armv6 and armv7 (binaries, units, example config, README),
#                              ntphealth_<debversion>_<debarch>.deb for amd64, arm64 and
#                              armhf (GOARM=6: every Raspberry Pi and Debian's armhf),
#                              and SHA256SUMS; <version> is VERSION without its "v"
#   make clean

GO      ?= go
# Releases use a toolchain with the standard library's security fixes that
# the machine's Go 1.26.8 lacks (see scripts/vulncheck.sh); the go command
# fetches it from the module proxy. `make build RELEASE_TOOLCHAIN=local` skips it.
RELEASE_TOOLCHAIN ?= go1.27.3
build deb dist dist-binaries: export GOTOOLCHAIN = $(RELEASE_TOOLCHAIN)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.0.0)
# Asked once: every artifact of one `make dist` carries the same version, even
# while others edit the work tree.
VERSION := $(VERSION)
GOARCH  ?= $(shell $(GO) env GOARCH)
GOARM   ?= 7
# nfpm names 32-bit ARM by its GOARM level (arm7 is Debian's armhf).
DEBARCH := $(if $(filter arm,$(GOARCH)),arm$(GOARM),$(GOARCH))
LDFLAGS := -s -w -X main.version=$(VERSION)
DIST    := dist
# Two builds of ./cmd/ntphealth: ntphealth, the command, is the lean one
# (cmd/ntphealth/lean.go: the one-shot check alone, without the daemon's
# dependencies, and net/http without HTTP/2, which one push per process never
# uses); it hands `ntphealth run` over to ntphealthd, the complete program,
# which it finds beside itself or in ../libexec/ntphealth/ (the .deb).
LEAN_TAGS := lean,nethttpomithttp2
# ntphealthd, too, speaks HTTP/1.1 only: its pushes and its server (status
# page, /metrics, /health) need nothing of HTTP/2, whose code would be 0.5 MB
# of the binary and 0.8 MiB of the daemon's RSS (bench/daemon.sh).
DAEMON_TAGS := nethttpomithttp2

.PHONY: all build test deb dist dist-binaries clean toolchain-note

# Say, before the go command fetches it, that a second toolchain is used.
toolchain-note:
	@if [ "$(RELEASE_TOOLCHAIN)" != local ] && [ "$$(GOTOOLCHAIN=local $(GO) env GOVERSION)" != "$(RELEASE_TOOLCHAIN)" ]; then \
		echo "make: building with $(RELEASE_TOOLCHAIN), not $$(GOTOOLCHAIN=local $(GO) env GOVERSION): it has the standard library's security fixes"; \
		echo "make: (scripts/vulncheck.sh); the go command fetches it once from the module proxy. RELEASE_TOOLCHAIN=local skips it."; \
	fi

all: build

build: toolchain-note
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o bin/ntphealth ./cmd/ntphealth
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(DAEMON_TAGS) -ldflags '$(LDFLAGS)' -o bin/ntphealthd ./cmd/ntphealth

test:
	@if [ -e .ci/test ]; then bash .ci/test; \
	elif [ -e scripts/test.sh ]; then bash scripts/test.sh; \
	else $(GO) test ./...; fi

# Static binaries for the target, then the package around them.
deb: toolchain-note
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) GOARM=$(GOARM) \
		$(GO) build -trimpath -tags $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o $(DIST)/linux_$(DEBARCH)/ntphealth ./cmd/ntphealth
	CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) GOARM=$(GOARM) \
		$(GO) build -trimpath -tags $(DAEMON_TAGS) -ldflags '$(LDFLAGS)' -o $(DIST)/linux_$(DEBARCH)/ntphealthd ./cmd/ntphealth
	env -u GOOS -u GOARCH -u GOARM $(GO) run ./deploy/debpkg -binary $(DIST)/linux_$(DEBARCH)/ntphealth \
		-daemon $(DIST)/linux_$(DEBARCH)/ntphealthd -version '$(VERSION)' -arch $(DEBARCH) -out $(DIST)

# Release artifacts. Each platform's binaries are built once and go into its
# tarball and, for amd64, arm64 and armv6, into a .deb: the armhf package
# holds the GOARM=6 binaries, which run on every Raspberry Pi (the Pi Zero and
# Pi 1 are ARMv6, which Debian's ARMv7 armhf baseline excludes) and on any
# armhf system. Files are stamped with SOURCE_DATE_EPOCH (default: the last
# commit's time), tarballs made with sorted names, owner root and no gzip
# timestamp, so the same commit gives the same bytes.
DIST_ARCHES  := amd64 arm64 armv6 armv7
DIST_VERSION := $(patsubst v%,%,$(VERSION))
DIST_DEBS    := amd64:amd64 arm64:arm64 armv6:arm6
ifndef SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
endif
dist dist-binaries: export SOURCE_DATE_EPOCH := $(SOURCE_DATE_EPOCH)

# $(DIST)/build/linux-<arch>/ntphealth and ntphealthd for each of
# DIST_ARCHES (armv6 and armv7 are GOARCH=arm with GOARM=6 and 7).
dist-binaries: toolchain-note
	@set -e; for a in $(DIST_ARCHES); do \
		case $$a in armv*) goarch=arm goarm=$${a#armv} ;; *) goarch=$$a goarm= ;; esac; \
		echo "go build linux/$$a -> $(DIST)/build/linux-$$a/ntphealth, ntphealthd"; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$goarch GOARM=$$goarm \
			$(GO) build -trimpath -tags $(LEAN_TAGS) -ldflags '$(LDFLAGS)' -o $(DIST)/build/linux-$$a/ntphealth ./cmd/ntphealth; \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$goarch GOARM=$$goarm \
			$(GO) build -trimpath -tags $(DAEMON_TAGS) -ldflags '$(LDFLAGS)' -o $(DIST)/build/linux-$$a/ntphealthd ./cmd/ntphealth; \
	done

dist: dist-binaries
	@set -e; for a in $(DIST_ARCHES); do \
		n=ntphealth-$(DIST_VERSION)-linux-$$a; s=$(DIST)/build/$$n; \
		rm -rf $$s; install -d -m 755 $$s $$s/systemd; \
		install -m 755 $(DIST)/build/linux-$$a/ntphealth $(DIST)/build/linux-$$a/ntphealthd $$s/; \
		install -m 644 README.md deploy/ntphealth.yaml $$s/; \
		install -m 644 deploy/systemd/ntphealth.service deploy/systemd/ntphealth-check.service \
			deploy/systemd/ntphealth-check.timer $$s/systemd/; \
		install -d -m 755 $$s/prometheus/tests $$s/grafana; \
		install -m 644 deploy/prometheus/ntphealth.rules.yml $$s/prometheus/; \
		install -m 644 deploy/prometheus/tests/ntphealth.rules.test.yml $$s/prometheus/tests/; \
		install -m 644 deploy/grafana/ntphealth.json $$s/grafana/; \
		tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$$SOURCE_DATE_EPOCH \
			-I 'gzip -9n' -cf $(DIST)/$$n.tar.gz -C $(DIST)/build $$n; \
		echo "$(DIST)/$$n.tar.gz"; \
	done
	env -u GOOS -u GOARCH -u GOARM $(GO) build -o $(DIST)/build/debpkg ./deploy/debpkg
	@set -e; : > $(DIST)/build/files; \
	for a in $(DIST_ARCHES); do echo ntphealth-$(DIST_VERSION)-linux-$$a.tar.gz >> $(DIST)/build/files; done; \
	for p in $(DIST_DEBS); do \
		deb=$$($(DIST)/build/debpkg -binary $(DIST)/build/linux-$${p%%:*}/ntphealth \
			-daemon $(DIST)/build/linux-$${p%%:*}/ntphealthd -version '$(VERSION)' -arch $${p#*:} -out $(DIST)); \
		echo "$$deb"; basename "$$deb" >> $(DIST)/build/files; \
	done; \
	(cd $(DIST) && sha256sum $$(cat build/files) > SHA256SUMS); \
	rm -rf $(DIST)/build; \
	echo "$(DIST)/SHA256SUMS"

clean:
	rm -rf bin $(DIST)
