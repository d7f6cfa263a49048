# guest-agent: baltic-agent (runs in every partition) and baltic-call
# (how a role's handler calls its imports).  No libxl here.
bin_PROGRAMS += guest-agent/baltic-agent guest-agent/baltic-call
guest_agent_baltic_agent_SOURCES = guest-agent/agent.h guest-agent/agent.c \
	guest-agent/late.c guest-agent/exec.c guest-agent/persist.c guest-agent/local.c \
	guest-agent/xen.c guest-agent/xen-offer.h guest-agent/xen-offer.c
guest_agent_baltic_agent_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(XENVCHAN_CFLAGS) $(XENSTORE_CFLAGS)
guest_agent_baltic_agent_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS) \
	$(XENVCHAN_LIBS) $(XENSTORE_LIBS)
# baltic-call links only proto.o of libbaltic: no libevent.
guest_agent_baltic_call_SOURCES = guest-agent/baltic-call.c
guest_agent_baltic_call_LDADD = libbaltic/libbaltic.a
EXTRA_DIST += guest-agent/XENSTORE.md
dist_man_MANS += man/baltic-agent.8 man/baltic-call.1

# Test handlers and a fake dom0 for the agent's own test (tests/handlers).
check_PROGRAMS += tests/handlers/persist tests/handlers/fake-dom0
tests_handlers_persist_SOURCES = tests/handlers/persist.c
tests_handlers_persist_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_handlers_persist_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS)
tests_handlers_fake_dom0_SOURCES = tests/handlers/fake-dom0.c
tests_handlers_fake_dom0_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_handlers_fake_dom0_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS)
TESTS += tests/handlers/agent-test.sh
EXTRA_DIST += tests/handlers/agent-test.sh
