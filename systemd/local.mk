# balticd.service, with the installed balticd's path.
systemdsystemunit_DATA = systemd/balticd.service
CLEANFILES += systemd/balticd.service
EXTRA_DIST += systemd/balticd.service.in
systemd/balticd.service: $(srcdir)/systemd/balticd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    $(srcdir)/systemd/balticd.service.in > $@.tmp && mv $@.tmp $@

# The unit verifies; balticd run with a fake NOTIFY_SOCKET says READY=1
# and stores its descriptors, and a second one gets them back.
TESTS += tests/system/systemd.sh
EXTRA_DIST += tests/system/systemd.sh tests/system/sd-notify.py
