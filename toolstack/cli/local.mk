# The `baltic` command: one file per command, a thin client of balticd.
bin_PROGRAMS += toolstack/baltic
toolstack_baltic_SOURCES = toolstack/ctl.h \
	toolstack/cli/baltic.h toolstack/cli/baltic.c \
	toolstack/cli/client.h toolstack/cli/client.c $(BALTIC_UTIL_SOURCES) \
	toolstack/cli/cmd-check.c toolstack/cli/cmd-compile.c \
	toolstack/cli/cmd-create.c toolstack/cli/cmd-apply.c toolstack/cli/cmd-list.c \
	toolstack/cli/cmd-call.c toolstack/cli/cmd-set.c \
	toolstack/cli/cmd-destroy.c toolstack/cli/cmd-cut.c \
	toolstack/cli/cmd-move.c \
	toolstack/cli/cmd-paste.c toolstack/cli/cmd-partition.c \
	toolstack/cli/top.h toolstack/cli/cmd-top.c toolstack/cli/top-rows.c
toolstack_baltic_CFLAGS = $(AM_CFLAGS) $(XENLIGHT_CFLAGS) $(YAJL_CFLAGS) \
	$(NCURSES_CFLAGS)
toolstack_baltic_LDADD = $(BALTIC_TOOLSTACK_LIBS) $(XENLIGHT_LIBS) \
	$(YAJL_LIBS) $(LIBEVENT_LIBS) $(NCURSES_LIBS)

# Its manual page.
dist_man_MANS += man/baltic.1
