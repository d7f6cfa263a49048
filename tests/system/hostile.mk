# Hostile guests: an agent that breaks the protocol on purpose, and the
# system test that sets it loose next to well-behaved partitions.  It
# links the agent's vchan offer (guest-agent/xen-offer.c) for its xen mode
# (tests/xen/dom0.d/85-hostile.sh runs it as a PV guest's agent).
check_PROGRAMS += tests/handlers/hostile
tests_handlers_hostile_SOURCES = tests/handlers/hostile.c \
	guest-agent/xen-offer.h guest-agent/xen-offer.c
tests_handlers_hostile_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/guest-agent
tests_handlers_hostile_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(XENVCHAN_CFLAGS) $(XENSTORE_CFLAGS)
tests_handlers_hostile_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS) \
	$(XENVCHAN_LIBS) $(XENSTORE_LIBS)
TESTS += tests/system/hostile.sh
EXTRA_DIST += tests/system/hostile.sh
