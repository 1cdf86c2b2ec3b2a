# OpenCHAMI Virtual BMC — developer entry points. `make demo` and `make test` do all set-up on a fresh Debian 12
# machine that has the .NET 10 SDK (Debian packages are installed with apt-get when missing).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

SOLUTION      := OpenChami.VirtualBmc.sln
SERVER        := src/OpenChami.VirtualBmc.Server
DEMO_CONFIG   := examples/demo/host.yaml
RESULTS       := TestResults
# Debian packages the build, the demo and the tests need. xorriso and python3-yaml: the unit tier reads the NoCloud
# seed back with an ISO 9660 implementation other than ours and with PyYAML, the YAML parser cloud-init uses.
DEB_PACKAGES  := libvirt0 ovmf libvirt-clients libssh-4 openssh-client sshpass ca-certificates curl jq xorriso python3-yaml

.PHONY: help deps build demo test package package-test bench clean

help:
	@echo "make demo   run the service on the demo config (libvirt test driver, fixture node) in the foreground"
	@echo "make test   run every test and print 'N passed, N failed, N skipped'"
	@echo "make build  build the solution (Release)"
	@echo "make package  build the .deb and .rpm (packaging/README.md)"
	@echo "make bench  benchmark the Release build over HTTPS with wrk, print the table (bench/README.md)"
	@echo "make deps   install the Debian packages and restore NuGet packages"

deps:
	@command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK (dotnet) is not installed" >&2; exit 1; }
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	dotnet restore $(SOLUTION) --verbosity quiet

build: deps
	dotnet build $(SOLUTION) -c Release --no-restore --verbosity quiet -nologo

# The demo node's fake sysfs tree (dense GPU/HSN fixture), written once; `make clean` removes it (and .demo/state).
.demo/sysfs:
	dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release --no-restore -- .demo/sysfs

# The demo catalog's base image (examples/demo/images.yaml pins its checksum); usable slots get overlays on it.
.demo/images/ubuntu-hpc-base.img:
	dotnet run --project tools/OpenChami.VirtualBmc.DemoFixture -c Release --no-restore -- --base-image $@

# A small bootable-format ISO the demo's image server offers for InsertMedia (README's curl lines).
.demo/www/demo-boot.iso:
	mkdir -p .demo/www/demo-boot
	echo "OpenCHAMI Virtual BMC demo virtual media" > .demo/www/demo-boot/README.TXT
	xorriso -as mkisofs -quiet -V DEMOBOOT -o $@ .demo/www/demo-boot

# The demo also serves .demo/www on http://127.0.0.1:8099 (an image server for virtual media) while it runs.
demo: deps .demo/sysfs .demo/images/ubuntu-hpc-base.img .demo/www/demo-boot.iso
	dotnet build $(SERVER) -c Release --no-restore --verbosity quiet -nologo
	dotnet $(SERVER)/bin/Release/net10.0/openchami-vbmc.dll validate --config $(DEMO_CONFIG) || true
	python3 -m http.server 8099 --bind 127.0.0.1 --directory .demo/www >/dev/null 2>&1 & images=$$!; \
	trap 'kill $$images 2>/dev/null' EXIT; \
	dotnet $(SERVER)/bin/Release/net10.0/openchami-vbmc.dll serve --config $(DEMO_CONFIG)

# Every tier: unit/in-process, real libvirtd + QEMU, real clients (tests/run-all.sh says what each is).
test: deps
	bash tests/run-all.sh $(RESULTS)

package: deps
	bash packaging/build-deb.sh
	VBMC_REUSE_PUBLISH=1 bash packaging/build-rpm.sh

# Installs the .deb on this machine, checks it, removes it (root).
package-test: package
	bash packaging/test-deb.sh

# Release build over HTTPS on loopback driven by wrk and a cold Go client; prints one table (bench/README.md). About 5 minutes.
bench: deps
	bash bench/run.sh

clean:
	rm -rf $(RESULTS) .demo artifacts
	dotnet clean $(SOLUTION) --verbosity quiet -nologo
