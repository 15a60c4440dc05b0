# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall (included by the userspace Makefile; the top
# Makefile's install and uninstall call these).
#
#   make install   [DESTDIR=/stage] [PREFIX=/usr/local]
#   make uninstall [DESTDIR=/stage] [PREFIX=/usr/local]   removes exactly
#                  the files install writes (and the folders it made, if empty)
#
# Where things go (each directory can be overridden: bindir=, unitdir=, ...):
#   bindir      $(PREFIX)/bin          chipkey chipkey-emu chipkey-fuse: run by users
#   sbindir     $(PREFIX)/sbin         chipkey-agent chipkey-spp chipkey-pubdb
#                                      chipkey-pubdb-put chipkey-factory: daemons
#                                      and factory tools run by root or a service
#                                      account, man section 8
#   libexecdir  $(PREFIX)/lib/chipkey  chipkey-boot, chipkey-load: run by init,
#                                      not by users
#   libdir      $(PREFIX)/lib          libchipkey.a, libchipkey.so.1.0.0 (soname
#                                      libchipkey.so.1), libchipkey.so
#   includedir  $(PREFIX)/include      libchipkey.h, linux/chipkey.h (the UAPI
#                                      header, which libchipkey.h includes)
#   pkgconfigdir $(libdir)/pkgconfig   chipkey.pc
#   unitdir     $(PREFIX)/lib/systemd/system   chipkey-{load,recover,enroll-device}.service
#   docdir      $(PREFIX)/share/doc/chipkey    README.md, docs/*.md
#   mandir      $(PREFIX)/share/man    ../man/*.1 *.8
# Installed files hold no path of the build tree: programs and libraries are
# installed with their debug sections stripped (strip --strip-debug), the units and
# chipkey.pc are written from their .in with the directories above.

PREFIX ?= /usr/local
bindir ?= $(PREFIX)/bin
sbindir ?= $(PREFIX)/sbin
libexecdir ?= $(PREFIX)/lib/chipkey
unitdir ?= $(PREFIX)/lib/systemd/system
docdir ?= $(PREFIX)/share/doc/chipkey
libdir ?= $(PREFIX)/lib
includedir ?= $(PREFIX)/include
pkgconfigdir ?= $(libdir)/pkgconfig
mandir ?= $(PREFIX)/share/man
STRIP ?= strip
INSTALL ?= install
D := $(DESTDIR)

INST_UNITS := chipkey-load.service chipkey-recover.service chipkey-enroll-device.service
SUBST = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sbindir@|$(sbindir)|g' \
	-e 's|@libexecdir@|$(libexecdir)|g' -e 's|@docdir@|$(docdir)|g' \
	-e 's|@prefix@|$(PREFIX)|g' -e 's|@libdir@|$(libdir)|g' \
	-e 's|@includedir@|$(includedir)|g' -e 's|@version@|$(SOVERSION)|g'

# ---- libchipkey as a shared library: its own position-independent objects
# (the static archive and every program keep the objects they had), only the
# chipkey_* API exported (lib/libchipkey.map).
SOMAJOR := 1
SOVERSION := $(SOMAJOR).0.0
LIBCHIPKEY_SO := $(LIBDIR)/libchipkey.so.$(SOVERSION)
$(OBJ)-pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<
$(LIBCHIPKEY_SO): $(call objs,$(call srcs,lib),-pic) lib/libchipkey.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SANFLAGS) $(LDFLAGS) -shared -Wl,-soname,libchipkey.so.$(SOMAJOR) \
		-Wl,--version-script,lib/libchipkey.map -Wl,--no-undefined -o $@ \
		$(filter %.o,$^) -lpthread
ifeq ($(SAN),)
all: $(LIBCHIPKEY_SO)
endif
-include $(shell find $(OBJ)-pic -name '*.d' 2>/dev/null)

INST_BIN := chipkey chipkey-emu chipkey-fuse
INST_SBIN := chipkey-agent chipkey-spp chipkey-pubdb chipkey-pubdb-put chipkey-factory chipkey-service \
	chipkey-enroll
INST_DOCS := $(TOP)/README.md $(wildcard $(TOP)/docs/*.md)
INST_MAN1 := $(notdir $(wildcard $(TOP)/man/*.1))
INST_MAN8 := $(notdir $(wildcard $(TOP)/man/*.8))

INST_FILES = $(addprefix $(D)$(unitdir)/,$(INST_UNITS)) $(D)$(libexecdir)/chipkey-boot \
	$(D)$(libexecdir)/chipkey-load \
	$(addprefix $(D)$(bindir)/,$(INST_BIN)) $(addprefix $(D)$(sbindir)/,$(INST_SBIN)) \
	$(addprefix $(D)$(libdir)/,libchipkey.a libchipkey.so.$(SOVERSION) \
		libchipkey.so.$(SOMAJOR) libchipkey.so) \
	$(D)$(includedir)/libchipkey.h $(D)$(includedir)/linux/chipkey.h \
	$(D)$(pkgconfigdir)/chipkey.pc $(addprefix $(D)$(docdir)/,$(notdir $(INST_DOCS))) \
	$(addprefix $(D)$(mandir)/man1/,$(INST_MAN1)) $(addprefix $(D)$(mandir)/man8/,$(INST_MAN8))
INST_DIRS = $(D)$(libexecdir) $(D)$(docdir) $(D)$(includedir)/linux

.PHONY: install uninstall install-boot install-programs install-lib install-docs install-man
install: install-boot install-programs install-lib install-docs install-man
install-programs: $(addprefix $(BIN)/,$(INST_BIN) $(INST_SBIN))
	$(INSTALL) -d $(D)$(bindir) $(D)$(sbindir)
	for p in $(INST_BIN); do $(INSTALL) -m 0755 $(BIN)/$$p $(D)$(bindir)/$$p || exit 1; done
	for p in $(INST_SBIN); do $(INSTALL) -m 0755 $(BIN)/$$p $(D)$(sbindir)/$$p || exit 1; done
	cd $(D)$(bindir) && $(STRIP) --strip-debug $(INST_BIN)
	cd $(D)$(sbindir) && $(STRIP) --strip-debug $(INST_SBIN)
install-lib: $(LIBCHIPKEY) $(LIBCHIPKEY_SO)
	$(INSTALL) -d $(D)$(libdir) $(D)$(includedir)/linux $(D)$(pkgconfigdir)
	$(INSTALL) -m 0644 $(LIBCHIPKEY) $(D)$(libdir)/libchipkey.a
	$(INSTALL) -m 0755 $(LIBCHIPKEY_SO) $(D)$(libdir)/libchipkey.so.$(SOVERSION)
	$(STRIP) --strip-debug $(D)$(libdir)/libchipkey.a $(D)$(libdir)/libchipkey.so.$(SOVERSION)
	ln -sf libchipkey.so.$(SOVERSION) $(D)$(libdir)/libchipkey.so.$(SOMAJOR)
	ln -sf libchipkey.so.$(SOMAJOR) $(D)$(libdir)/libchipkey.so
	$(INSTALL) -m 0644 lib/libchipkey.h $(D)$(includedir)/libchipkey.h
	$(INSTALL) -m 0644 $(TOP)/include/uapi/linux/chipkey.h $(D)$(includedir)/linux/chipkey.h
	$(SUBST) $(TOP)/chipkey.pc.in >$(D)$(pkgconfigdir)/chipkey.pc
install-docs:
	$(INSTALL) -d $(D)$(docdir)
	$(INSTALL) -m 0644 $(INST_DOCS) $(D)$(docdir)/
install-man:
	$(INSTALL) -d $(D)$(mandir)/man1 $(D)$(mandir)/man8
	$(INSTALL) -m 0644 $(addprefix $(TOP)/man/,$(INST_MAN1)) $(D)$(mandir)/man1/
	$(INSTALL) -m 0644 $(addprefix $(TOP)/man/,$(INST_MAN8)) $(D)$(mandir)/man8/
install-boot: $(BIN)/chipkey-load
	$(INSTALL) -d $(D)$(unitdir) $(D)$(libexecdir)
	$(INSTALL) -m 0755 boot/chipkey-boot $(D)$(libexecdir)/chipkey-boot
	$(INSTALL) -m 0755 $(BIN)/chipkey-load $(D)$(libexecdir)/chipkey-load
	$(STRIP) --strip-debug $(D)$(libexecdir)/chipkey-load
	for u in $(INST_UNITS); do \
		$(SUBST) boot/$$u.in >$(D)$(unitdir)/$$u.tmp && chmod 0644 $(D)$(unitdir)/$$u.tmp && \
		mv $(D)$(unitdir)/$$u.tmp $(D)$(unitdir)/$$u || exit 1; done

uninstall:
	rm -f $(INST_FILES)
	for d in $(INST_DIRS); do rmdir $$d 2>/dev/null || :; done

# The tests of boot/ and of the installed tree (make check runs them).
CHECK_FOLDERS += boot man
.PHONY: check-boot check-man
check-boot:
	@$(RUN) boot/tests/test-units.sh boot/tests/test-sandbox.sh boot/tests/test-install.sh \
		boot/tests/test-load.sh
# the man pages against the --help of the programs (../man/tests)
check-man:
	@$(RUN) "$(TOP)/man/tests/test-man.sh $(TOP)/build/bin"
