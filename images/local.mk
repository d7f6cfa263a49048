# baltic-mkimage: a role's image from the dom0's own kernel and busybox,
# with images/mkrole and its helpers installed beside it.
sbin_SCRIPTS = images/baltic-mkimage
imagesdir = $(pkgdatadir)/images
dist_images_SCRIPTS = images/mkrole images/extract-vmlinux images/role-init
dist_images_DATA = images/lib.sh
CLEANFILES += images/baltic-mkimage
EXTRA_DIST += images/baltic-mkimage.in images/README.md images/mkhost \
	images/fetch-debs images/dom0-init
images/baltic-mkimage: $(srcdir)/images/baltic-mkimage.in Makefile
	$(AM_V_GEN)$(MKDIR_P) images && \
	sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' -e 's|@bindir[@]|$(bindir)|g' \
	    $(srcdir)/images/baltic-mkimage.in > $@.tmp && \
	chmod +x $@.tmp && mv $@.tmp $@

# A role's image built from a Debian kernel (the dom0's own, or the
# image cache's) and checked; skipped where there is none.
TESTS += tests/system/mkimage.sh
EXTRA_DIST += tests/system/mkimage.sh
dist_man_MANS += man/baltic-mkimage.8
