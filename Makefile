# SPDX-License-Identifier: GPL-2.0
#
# chipkey top-level build.
#
#   make                 module (kmod/*.ko) and all userspace (build/)
#   make modules         only the kernel modules; KDIR=... picks the kernel
#   make userspace       libchipkey and every program (userspace/Makefile)
#   make check           every test: native (ASan/UBSan), lint, VM; ends with
#                        "N passed, N failed, N skipped"
#   make vm-check        only the VM selftests (QEMU, TCG), x86-64 and arm64
#   make vm-check-debug  the VM selftests on a KASAN/lockdep/UBSAN/kmemleak kernel
#   make fuzz            every fuzz target (fuzz/README.md) FUZZ_SECONDS each
#                        (default 60); make check runs them a few seconds each
#   make stress          long runs, not in make check: the kernel abuse program
#                        with N=1000000 in the VM, the fuzz targets FUZZ_SECONDS each
#   make bench           benchmarks (not tests)
#   make demo            the end-to-end demo (README: main job)
#   make install         userspace, units, man pages, docs [DESTDIR=] [PREFIX=/usr/local]
#   make uninstall       removes what install wrote (userspace/install.mk)
#   make dkms-check      dkms add/build/install/remove for every kernel whose
#                        headers are installed (dkms.conf; root; in make check)

# Kernel to build the module against.  Default: the running kernel's build
# tree if it has one, otherwise the newest Debian amd64 headers installed.
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
export KDIR

.PHONY: install uninstall dkms-check
.PHONY: all modules userspace selftests check vm-check vm-check-debug native-check lint fuzz bench demo clean print-kdir

all: modules userspace

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: install linux-headers-amd64 or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace all

selftests: userspace
	$(MAKE) -C selftests

check: all
	./scripts/check.sh

native-check: userspace
	./scripts/check.sh native

lint:
	./scripts/check.sh lint

vm-check: all selftests
	./scripts/check.sh vm arm64

# The VM suite on a debug kernel (KASAN, lockdep, UBSAN, kmemleak), built
# from linux-source-6.1 on first use (about 6-9 minutes on 2 cores) and kept
# in build/qemu/x86_64-debug/kernel (selftests/qemu/run.sh, DEBUG_KERNEL=yes).
vm-check-debug: all selftests
	./scripts/check.sh vm-debug

# clang + libFuzzer + ASan/UBSan, in build/fuzz/ (userspace/Makefile SAN=fuzz)
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) -C userspace fuzz-run FUZZ_SECONDS=$(FUZZ_SECONDS)

stress: all selftests
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/check.sh stress
.PHONY: stress

bench: all selftests
	$(MAKE) -C bench all-benches

demo: all
	./scripts/demo.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	$(MAKE) -C selftests clean
	rm -rf build

install: userspace
	$(MAKE) -C userspace install
uninstall:
	$(MAKE) -C userspace uninstall
dkms-check:
	./scripts/test-dkms.sh

print-kdir:
	@echo $(KDIR)
