# guest-agent: baltic-agent (runs in every partition) and baltic-call
# (how a role's handler calls its imports).  No libxl here.
bin_PROGRAMS += guest-agent/baltic-agent guest-agent/baltic-call
guest_agent_baltic_agent_SOURCES = guest-agent/agent.c
guest_agent_baltic_agent_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(XENVCHAN_CFLAGS) $(XENSTORE_CFLAGS)
guest_agent_baltic_agent_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS) \
	$(XENVCHAN_LIBS) $(XENSTORE_LIBS)
guest_agent_baltic_call_SOURCES = guest-agent/baltic-call.c
guest_agent_baltic_call_LDADD = libbaltic/libbaltic.a
