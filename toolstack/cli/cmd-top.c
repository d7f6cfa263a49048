/*
 * cmd-top.c: baltic top [-b] [-d SECONDS] [-n ITERATIONS] [--json] [FARM]
 * The farms live, in the style of xentop: a full-screen view redrawn
 * every interval (q quits), or with -b plain frames on stdout for
 * scripts, or with --json balticd's counters once.  The frames are
 * top-rows.c's.
 */
#include <curses.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/baltic.h"
#include "cli/client.h"
#include "cli/top.h"

#define TOP_DELAY_MAX	3600	/* seconds */

struct top_opts {
	int		 batch;		/* -b */
	int		 json;		/* --json */
	double		 delay;		/* -d, seconds */
	long		 iterations;	/* -n; 0: until stopped */
	const char	*farm;
};

/* Ask balticd for its counters: the answer (caller frees), or NULL
 * with *rc_r the exit code (the reason printed). */
static yajl_val
top_ask(const struct top_opts *o, int *rc_r)
{
	yajl_gen	g = client_req(CTL_CMD_STATS);
	yajl_val	v = NULL;

	if (o->farm != NULL)
		client_kv(g, CTL_K_FARM, o->farm);
	if ((*rc_r = client_run(g, 1, &v)) != BALTIC_EXIT_OK) {
		yajl_tree_free(v);
		return NULL;
	}
	return v;
}

static int
top_json(const struct top_opts *o)
{
	const unsigned char	*buf;
	yajl_gen		 g;
	yajl_val		 v;
	size_t			 len;
	int			 rc;

	if ((v = top_ask(o, &rc)) == NULL)
		return rc;
	g = yajl_gen_alloc(NULL);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	client_gen_val(g, v);
	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
	yajl_gen_free(g);
	yajl_tree_free(v);
	return BALTIC_EXIT_OK;
}

static void
top_sleep(double secs)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* One sample into cur (the one before kept in prev); 0, or an exit
 * code. */
static int
top_take(const struct top_opts *o, struct top_sample *cur,
    struct top_sample *prev, int *have_prev)
{
	yajl_val	v;
	int		rc;

	if ((v = top_ask(o, &rc)) == NULL)
		return rc;
	top_sample_dispose(prev);
	*prev = *cur;
	*have_prev = cur->rows != NULL || cur->uptime_us > 0;
	rc = top_sample_read(cur, v) == 0 ? 0 : BALTIC_EXIT_FAIL;
	yajl_tree_free(v);
	return rc;
}

static void
emit_stdout(void *arg, const char *line)
{
	puts(line);
}

static int
top_batch(const struct top_opts *o)
{
	struct top_sample	cur, prev;
	long			i;
	int			have_prev = 0, rc = 0;

	memset(&cur, 0, sizeof cur);
	memset(&prev, 0, sizeof prev);
	for (i = 0; o->iterations == 0 || i < o->iterations; i++) {
		if (i > 0)
			top_sleep(o->delay);
		if ((rc = top_take(o, &cur, &prev, &have_prev)) != 0)
			break;
		if (i > 0)
			putchar('\n');
		top_frame(&cur, have_prev ? &prev : NULL, 1023, emit_stdout,
		    NULL);
		fflush(stdout);
	}
	top_sample_dispose(&cur);
	top_sample_dispose(&prev);
	return rc;
}

/* Curses: one line a call, from the top; the rest of the screen is
 * cleared. */
struct top_screen {
	int	y, rows;
};

static void
emit_curses(void *arg, const char *line)
{
	struct top_screen	*s = arg;

	if (s->y >= s->rows)
		return;
	if (s->y == 1)
		attron(A_REVERSE);
	mvaddstr(s->y, 0, line);
	if (s->y == 1)
		attroff(A_REVERSE);
	s->y++;
}

static int
top_curses(const struct top_opts *o)
{
	struct top_sample	cur, prev;
	struct top_screen	scr;
	long			i;
	int			have_prev = 0, rc = 0, ch = 0, cols;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "baltic: top: not a terminal; -b prints plain "
		    "frames\n");
		return BALTIC_EXIT_USAGE;
	}
	memset(&cur, 0, sizeof cur);
	memset(&prev, 0, sizeof prev);
	if (initscr() == NULL) {
		fprintf(stderr, "baltic: top: cannot start curses\n");
		return BALTIC_EXIT_FAIL;
	}
	cbreak();
	noecho();
	curs_set(0);
	timeout((int)(o->delay * 1000));
	for (i = 0; ch != 'q' && (o->iterations == 0 || i < o->iterations);
	    i++) {
		if ((rc = top_take(o, &cur, &prev, &have_prev)) != 0)
			break;
		erase();
		getmaxyx(stdscr, scr.rows, cols);
		scr.y = 0;
		/* one column short: a full line would wrap */
		top_frame(&cur, have_prev ? &prev : NULL, (size_t)(cols > 1 ?
		    cols - 1 : 79), emit_curses, &scr);
		refresh();
		ch = getch();	/* the interval, or a key */
	}
	endwin();
	top_sample_dispose(&cur);
	top_sample_dispose(&prev);
	return rc;
}

/* -d: seconds, over 0 and at most TOP_DELAY_MAX. */
static int
top_delay_arg(const char *arg, double *delay_r)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(d) ||
	    d <= 0 || d > TOP_DELAY_MAX) {
		fprintf(stderr, "baltic: top: -d %s: seconds expected, over 0 "
		    "and at most %d\n", arg, TOP_DELAY_MAX);
		return -1;
	}
	*delay_r = d;
	return 0;
}

int
cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "batch", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct top_opts	 o = { .delay = 1 };
	char		*end;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "bd:jn:", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			o.batch = 1;
			break;
		case 'd':
			if (top_delay_arg(optarg, &o.delay) == -1)
				return cmd_usage(argv[0]);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'n':
			errno = 0;
			o.iterations = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    o.iterations < 1) {
				fprintf(stderr, "baltic: top: -n %s: a number "
				    "of frames expected, at least 1\n", optarg);
				return cmd_usage(argv[0]);
			}
			break;
		default:
			return cmd_usage(argv[0]);
		}
	}
	if (argc - optind > 1)
		return cmd_usage(argv[0]);
	if (argc - optind == 1)
		o.farm = argv[optind];
	if (o.json)
		return top_json(&o);
	return o.batch ? top_batch(&o) : top_curses(&o);
}
