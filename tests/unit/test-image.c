/*
 * test-image.c: a moved partition's image (daemon/cluster-image.c)
 * between two hosts in one process: two daemons, each with its farm and
 * its partition, joined by a link (two channels over a socketpair).  The
 * backend is faked: its suspend writes a known image, its restore reads
 * what arrived.  The image comes whole and in order; anything else (an
 * abort, a gap, the wrong host, a link gone) starts the partition
 * afresh on the target, never twice.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "backend/backend.h"
#include "chan.h"
#include "daemon/cluster-int.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"
#include "farm/farm.h"
#include "log.h"
#include "proto.h"

#define IMAGE_BYTES	(3u * 1024 * 1024 + 12345)	/* many frames */

/* One host: its daemon, its farm, its partition of instance "p". */
struct host {
	const char		*name;
	struct daemon		 d;
	struct farm_run		 f;
	struct part		 p;
	struct chan		*link;		/* to the other host */
	struct host		*other;
};

static struct farm_role		 role;
static struct farm_instance	 inst;
static struct host		 h1, h2;
static struct event_base	*base;
static char			 dir[] = "/tmp/test-image.XXXXXX";
static struct {
	int	suspends, restores, destroys, fresh;
	size_t	restored_len;
	int	restored_ok;		/* the bytes are the suspend's */
	int	fail_suspend;
} rec;

static uint8_t
pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 13));
}

/* ---- fakes of what cluster-image.c calls ------------------------------ */

uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static struct host *
host_of(struct daemon *d)
{
	return d == &h1.d ? &h1 : &h2;
}

struct chan *
peer_chan(struct daemon *d, const char *host)
{
	struct host	*h = host_of(d);

	return strcmp(host, h->other->name) == 0 ? h->link : NULL;
}

struct farm_run *
farm_run_find(struct daemon *d, const char *name)
{
	return strcmp(name, "f") == 0 ? &host_of(d)->f : NULL;
}

struct part *
farm_run_part(struct farm_run *f, const char *name)
{
	return strcmp(name, "p") == 0 ? &host_of(f->d)->p : NULL;
}

int
farm_run_save(struct farm_run *f)
{
	return 0;
}

void
cluster_start_part(struct part *p)
{
	rec.fresh++;
}

static void
fake_done(evutil_socket_t fd, short ev, void *arg)
{
	void	**a = arg;

	((backend_done_fn *)a[0])(a[1], rec.fail_suspend ? -1 : 0,
	    rec.fail_suspend ? "libxl: suspend failed" : NULL);
	free(a);
}

/* Suspend: the image written, the domain gone, done told from the loop. */
static int
fake_suspend(void *ctx, struct part *p, const char *file,
    backend_done_fn *done, void *arg, char **err_r)
{
	uint8_t	*buf;
	void	**a;
	size_t	 i;
	int	 fd;

	rec.suspends++;
	assert_non_null(buf = malloc(IMAGE_BYTES));
	for (i = 0; i < IMAGE_BYTES; i++)
		buf[i] = pattern(i);
	assert_true((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600))
	    != -1);
	assert_int_equal(write(fd, buf, IMAGE_BYTES), IMAGE_BYTES);
	close(fd);
	free(buf);
	if (!rec.fail_suspend)
		p->domid = -1;
	assert_non_null(a = calloc(2, sizeof *a));
	a[0] = (void *)done;
	a[1] = arg;
	event_base_once(base, -1, EV_TIMEOUT, fake_done, a, NULL);
	return 0;
}

static int
fake_restore(void *ctx, struct part *p, const char *file, char **err_r)
{
	uint8_t	 b[65536];
	ssize_t	 n;
	size_t	 i, off = 0;
	int	 fd, same = 1;

	rec.restores++;
	assert_true((fd = open(file, O_RDONLY)) != -1);
	while ((n = read(fd, b, sizeof b)) > 0) {
		for (i = 0; i < (size_t)n; i++)
			if (b[i] != pattern(off + i))
				same = 0;
		off += (size_t)n;
	}
	close(fd);
	rec.restored_len = off;
	rec.restored_ok = same;
	return 0;
}

static void
fake_destroy(void *ctx, struct part *p, backend_done_fn *done, void *arg)
{
	rec.destroys++;
	p->domid = -1;
	p->state = PART_DEAD;
}

static const struct backend_ops fake_backend = {
	.name = "fake",
	.suspend_moves = true,
	.suspend = fake_suspend,
	.restore = fake_restore,
	.destroy = fake_destroy,
};

/* ---- the link ----------------------------------------------------------- */

static void
link_frame(struct chan *c, const struct baltic_hdr *h, const uint8_t *body,
    void *arg)
{
	struct host		*to = arg;
	struct proto_image_view	 v;
	const char		*why;

	assert_int_equal(h->type, BALTIC_MSG_IMAGE);
	assert_int_equal(proto_parse_image(body, h->len, &v, &why), 0);
	part_image_in(&to->d, to->other->name, &v);
}

static int	ready;

static void
link_ready(struct chan *c, void *arg)
{
	ready++;
}

static void
link_close(struct chan *c, const char *why, void *arg)
{
}

static const struct chan_cbs link_cbs = {
	.on_frame = link_frame,
	.on_ready = link_ready,
	.on_close = link_close,
};

/* The loop run until *what reaches want, for 5 s at most. */
static void
run_until(int *what, int want)
{
	uint64_t	end = now_us() + 5000000;

	while (*what < want && now_us() < end)
		if (event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK) != 0 ||
		    *what < want)
			usleep(500);
	assert_true(*what >= want);
}

static void
host_init(struct host *h, const char *name, struct host *other)
{
	memset(h, 0, sizeof *h);
	h->name = name;
	h->other = other;
	h->d.base = base;
	h->d.run_dir = dir;
	h->d.backend = &fake_backend;
	h->d.host_name = (char *)name;
	h->f.name = "f";
	h->f.d = &h->d;
	h->p.name = "p";
	h->p.farm = &h->f;
	h->p.inst = &inst;
	h->p.domid = -1;
	h->p.state = PART_STARTING;
}

static int
setup(void **state)
{
	int	sv[2];

	memset(&rec, 0, sizeof rec);
	assert_non_null(base = event_base_new());
	role.memory = 0;		/* the slack only: 64 MiB */
	inst.role = &role;
	host_init(&h1, "h1", &h2);
	host_init(&h2, "h2", &h1);
	h1.p.domid = 7;			/* runs on h1 */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	h1.link = chan_new_fd(base, sv[0], &link_cbs, &h1);
	h2.link = chan_new_fd(base, sv[1], &link_cbs, &h2);
	chan_set_link(h1.link);
	chan_set_link(h2.link);
	ready = 0;
	run_until(&ready, 2);
	return 0;
}

static int
teardown(void **state)
{
	part_image_free(&h1.p);
	part_image_free(&h2.p);
	free(h1.p.why);			/* what baltic list says of it */
	free(h2.p.why);
	chan_free(h1.link);
	chan_free(h2.link);
	event_base_free(base);
	return 0;
}

/* h1 drains p and sends it; h2 waits for it and restores it. */
static void
test_moved_whole(void **state)
{
	assert_true(part_image_await(&h2.p, "h1"));
	assert_non_null(h2.p.image);
	assert_true(part_image_leaves(&h1.p, "h2"));
	part_image_send(&h1.p);
	part_image_send(&h1.p);		/* once, however often asked */
	run_until(&rec.restores, 1);
	assert_int_equal(rec.suspends, 1);
	assert_int_equal(rec.restored_len, IMAGE_BYTES);
	assert_true(rec.restored_ok);
	assert_int_equal(rec.fresh, 0);
	/* h1's partition is gone; h2's waits for its domain (restoring). */
	assert_int_equal(rec.destroys, 1);
	assert_null(h1.p.image);
	assert_non_null(h2.p.image);
	/* A late frame for it now is dropped, not written. */
	chan_send_image(h1.link, "f", "p", BALTIC_IMAGE_DATA, 0, "x", 1);
	chan_send_image(h1.link, "f", "p", BALTIC_IMAGE_END, 1, NULL, 0);
	run_until(&rec.restores, 1);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(rec.restores, 1);
}

/* The suspend failed on h1: it says so, and h2 starts p afresh. */
static void
test_suspend_fails(void **state)
{
	rec.fail_suspend = 1;
	assert_true(part_image_await(&h2.p, "h1"));
	assert_true(part_image_leaves(&h1.p, "h2"));
	part_image_send(&h1.p);
	run_until(&rec.fresh, 1);
	assert_int_equal(rec.restores, 0);
	assert_null(h2.p.image);
	assert_int_equal(rec.destroys, 1);	/* h1's copy goes too */
}

/* A partition that does not run on the host it leaves: an abort at
 * once, and h2 starts it afresh. */
static void
test_not_running(void **state)
{
	h1.p.domid = -1;
	assert_true(part_image_await(&h2.p, "h1"));
	assert_false(part_image_leaves(&h1.p, "h2"));
	run_until(&rec.fresh, 1);
	assert_int_equal(rec.suspends, 0);
}

/* What h2 refuses: another host's image, one with a gap, one larger
 * than the partition's memory allows.  Each starts p afresh once. */
static void
test_refused(void **state)
{
	struct proto_image_view	 v;
	static uint8_t		 chunk[1024];

	memset(&v, 0, sizeof v);
	v.farm = "f";
	v.part = "p";
	v.kind = BALTIC_IMAGE_DATA;
	v.data = chunk;
	v.len = sizeof chunk;

	assert_true(part_image_await(&h2.p, "h1"));
	part_image_in(&h2.d, "h3", &v);		/* not from h1: dropped */
	assert_non_null(h2.p.image);
	part_image_in(&h2.d, "h1", &v);
	v.offset = 5 * sizeof chunk;		/* a gap */
	part_image_in(&h2.d, "h1", &v);
	assert_null(h2.p.image);
	assert_int_equal(rec.fresh, 1);

	assert_true(part_image_await(&h2.p, "h1"));
	v.offset = 0;
	part_image_in(&h2.d, "h1", &v);
	v.offset = sizeof chunk;
	v.len = (size_t)65 << 20;		/* past 64 MiB */
	part_image_in(&h2.d, "h1", &v);
	assert_null(h2.p.image);
	assert_int_equal(rec.fresh, 2);

	/* An END with nothing before it. */
	assert_true(part_image_await(&h2.p, "h1"));
	v.kind = BALTIC_IMAGE_END;
	v.offset = 0;
	v.len = 0;
	part_image_in(&h2.d, "h1", &v);
	assert_int_equal(rec.fresh, 3);
	assert_int_equal(rec.restores, 0);

	/* No link to the host it came from: no wait at all. */
	assert_false(part_image_await(&h2.p, "h9"));
	assert_false(part_image_await(&h2.p, CLUSTER_NOWHERE));
}

/* The link goes down mid-way: h2 starts p afresh within a second. */
static void
test_link_lost(void **state)
{
	assert_true(part_image_await(&h2.p, "h1"));
	chan_free(h2.link);
	h2.link = NULL;
	run_until(&rec.fresh, 1);
	assert_null(h2.p.image);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_moved_whole, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_suspend_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_running, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_link_lost, setup,
		    teardown),
	};
	int	rc;

	log_init("test-image", 0);
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
