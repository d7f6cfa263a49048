# libbaltic: the code both dom0 and the guest agent link -- the wire
# protocol, the framed channel, logging.  Owned by the protocol work.
noinst_LIBRARIES += libbaltic/libbaltic.a
libbaltic_libbaltic_a_SOURCES = \
	libbaltic/proto.h libbaltic/proto.c libbaltic/proto-buf.c \
	libbaltic/chan.h libbaltic/chan.c libbaltic/chan-fd.c \
	libbaltic/log.h libbaltic/log.c \
	libbaltic/chan-vchan.h libbaltic/chan-vchan.c
# chan-vchan.o is pulled only by programs that use it (balticd, the
# agent); they link $(XENVCHAN_LIBS).
libbaltic_libbaltic_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(XENVCHAN_CFLAGS)
