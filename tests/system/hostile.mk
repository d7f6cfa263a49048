# Hostile guests: an agent that breaks the protocol on purpose, and the
# system test that sets it loose next to well-behaved partitions.
check_PROGRAMS += tests/handlers/hostile
tests_handlers_hostile_SOURCES = tests/handlers/hostile.c
tests_handlers_hostile_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_handlers_hostile_LDADD = libbaltic/libbaltic.a $(LIBEVENT_LIBS)
TESTS += tests/system/hostile.sh
EXTRA_DIST += tests/system/hostile.sh
