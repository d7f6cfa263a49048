# Unit tests (cmocka).  One fragment per area.
CMOCKA_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
include $(srcdir)/tests/unit/farm.mk
include $(srcdir)/tests/unit/proto.mk
include $(srcdir)/tests/unit/translate.mk
include $(srcdir)/tests/unit/http.mk
include $(srcdir)/tests/unit/router.mk
include $(srcdir)/tests/unit/partition.mk
include $(srcdir)/tests/unit/xen.mk
include $(srcdir)/tests/unit/top.mk
include $(srcdir)/tests/unit/place.mk
