# SPDX-License-Identifier: GPL-2.0
#
# make install / make uninstall (included by the userspace Makefile).
#
#   make install   [DESTDIR=/stage] [PREFIX=/usr/local]
#   make uninstall [DESTDIR=/stage] [PREFIX=/usr/local]   removes exactly
#                  the files install writes (and the folders it made, if empty)
#
# Where things go (each directory can be overridden: libexecdir=, unitdir=, ...):
#   libexecdir  $(PREFIX)/lib/chipkey  chipkey-boot: run by init, not by users
#   unitdir     $(PREFIX)/lib/systemd/system   chipkey-load.service chipkey-recover.service
# The units are written from their .in with the directories above.

PREFIX ?= /usr/local
bindir ?= $(PREFIX)/bin
libexecdir ?= $(PREFIX)/lib/chipkey
unitdir ?= $(PREFIX)/lib/systemd/system
docdir ?= $(PREFIX)/share/doc/chipkey
INSTALL ?= install
D := $(DESTDIR)

INST_UNITS := chipkey-load.service chipkey-recover.service
SUBST = sed -e 's|@bindir@|$(bindir)|g' -e 's|@libexecdir@|$(libexecdir)|g' -e 's|@docdir@|$(docdir)|g'

INST_FILES = $(addprefix $(D)$(unitdir)/,$(INST_UNITS)) $(D)$(libexecdir)/chipkey-boot
INST_DIRS = $(D)$(libexecdir)

.PHONY: install uninstall install-boot
install: install-boot
install-boot:
	$(INSTALL) -d $(D)$(unitdir) $(D)$(libexecdir)
	$(INSTALL) -m 0755 boot/chipkey-boot $(D)$(libexecdir)/chipkey-boot
	for u in $(INST_UNITS); do \
		$(SUBST) boot/$$u.in >$(D)$(unitdir)/$$u.tmp && chmod 0644 $(D)$(unitdir)/$$u.tmp && \
		mv $(D)$(unitdir)/$$u.tmp $(D)$(unitdir)/$$u || exit 1; done

uninstall:
	rm -f $(INST_FILES)
	for d in $(INST_DIRS); do rmdir $$d 2>/dev/null || :; done

# The tests of boot/ and of the installed tree (make check runs them).
CHECK_FOLDERS += boot
.PHONY: check-boot
check-boot:
	@$(RUN) boot/tests/test-units.sh
