/*
 * test-xen-backend.c: the parts of the xen backend that run without a
 * hypervisor.  libxl's osevent hooks are driven by a real libevent loop
 * and the calls they make back into libxl are caught with the linker's
 * --wrap (see tests/unit/xen.mk); the vchan transport refuses a channel
 * to ourselves; init fails with a clear message off a dom0.  The backend
 * is linked in whole (tests/unit/xen.mk); its insides are reached
 * through backend/xen.h, and balticd's side is stubbed below.
 */
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include <libxl.h>

#include "backend/backend.h"
#include "backend/xen-state.h"
#include "chan.h"
#include "chan-vchan.h"
#include "daemon/daemon.h"
#include "log.h"

/* ---- what balticd would provide ---------------------------------------- */

void
part_attach(struct part *p, struct chan *c)
{
	fail_msg("part_attach called");
}

void
part_detach(struct part *p, const char *why)
{
}

void
part_died(struct part *p, const char *why)
{
	fail_msg("part_died called: %s", why);
}

const struct chan_cbs *
part_chan_cbs(void)
{
	static const struct chan_cbs cbs;

	return &cbs;
}

void
part_started(struct part *p)
{
}

/* ---- libxl's side of the hooks, caught ---------------------------------- */

void	__wrap_libxl_osevent_occurred_fd(libxl_ctx *, void *, int, short,
	    short);
void	__wrap_libxl_osevent_occurred_timeout(libxl_ctx *, void *);

static struct {
	int	 fd_calls, timeout_calls;
	void	*for_libxl;
	int	 fd;
	short	 events, revents;
} seen;

void
__wrap_libxl_osevent_occurred_fd(libxl_ctx *ctx, void *for_libxl, int fd,
    short events, short revents)
{
	seen.fd_calls++;
	seen.for_libxl = for_libxl;
	seen.fd = fd;
	seen.events = events;
	seen.revents = revents;
}

void
__wrap_libxl_osevent_occurred_timeout(libxl_ctx *ctx, void *for_libxl)
{
	seen.timeout_calls++;
	seen.for_libxl = for_libxl;
}

static struct daemon	d;
static struct xen	x;

static int
setup(void **state)
{
	memset(&seen, 0, sizeof seen);
	memset(&d, 0, sizeof d);
	memset(&x, 0, sizeof x);
	d.base = event_base_new();
	x.d = &d;
	TAILQ_INIT(&x.parts);
	return d.base == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	event_base_free(d.base);
	return 0;
}

static void
loop_once(void)
{
	event_base_loop(d.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Turn the loop until libxl was called n times in all, 1 s at most. */
static void
loop_until(int n)
{
	int	i;

	for (i = 0; i < 1000 && seen.fd_calls < n; i++) {
		usleep(1000);
		loop_once();
	}
}

/* A registered fd that becomes readable is reported to libxl with the
 * poll bits it asked for; modified to no events, it is silent. */
static void
test_fd_hooks(void **state)
{
	const libxl_osevent_hooks	*h = &xen_osevent_hooks;
	void				*reg = NULL;
	int				 p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(h->fd_register(&x, p[0], &reg, POLLIN,
	    (void *)0x1234), 0);
	assert_non_null(reg);
	loop_once();
	assert_int_equal(seen.fd_calls, 0);

	assert_int_equal(write(p[1], "x", 1), 1);
	loop_once();
	assert_int_equal(seen.fd_calls, 1);
	assert_ptr_equal(seen.for_libxl, (void *)0x1234);
	assert_int_equal(seen.fd, p[0]);
	assert_int_equal(seen.events, POLLIN);
	assert_int_equal(seen.revents, POLLIN);

	assert_int_equal(h->fd_modify(&x, p[0], &reg, 0), 0);
	loop_once();
	assert_int_equal(seen.fd_calls, 1);

	assert_int_equal(h->fd_modify(&x, p[0], &reg, POLLIN | POLLOUT), 0);
	loop_once();
	assert_int_equal(seen.fd_calls, 2);
	assert_int_equal(seen.revents & POLLIN, POLLIN);

	h->fd_deregister(&x, p[0], reg);
	loop_once();
	assert_int_equal(seen.fd_calls, 2);
	close(p[0]);
	close(p[1]);
}

/* A regular file (a restore stream) is ready on every turn, as poll(2)
 * would say, though epoll cannot watch it. */
static void
test_fd_regular_file(void **state)
{
	const libxl_osevent_hooks	*h = &xen_osevent_hooks;
	void				*reg = NULL;
	char				 path[] = "/tmp/test-xen-backend.XXXXXX";
	int				 fd;

	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	assert_int_equal(h->fd_register(&x, fd, &reg, POLLIN, (void *)0x55),
	    0);
	loop_until(seen.fd_calls + 1);
	assert_int_equal(seen.fd_calls, 1);
	assert_int_equal(seen.revents, POLLIN);
	loop_until(seen.fd_calls + 1);
	assert_int_equal(seen.fd_calls, 2);
	assert_int_equal(h->fd_modify(&x, fd, &reg, 0), 0);
	loop_until(seen.fd_calls + 1);
	assert_int_equal(seen.fd_calls, 2);
	h->fd_deregister(&x, fd, reg);
	close(fd);
}

/* A timeout fires once, from the loop, at its absolute time. */
static void
test_timeout_fires(void **state)
{
	const libxl_osevent_hooks	*h = &xen_osevent_hooks;
	void				*reg = NULL;
	struct timeval			 abs, now, d10 = { 0, 10000 };

	gettimeofday(&now, NULL);
	timeradd(&now, &d10, &abs);
	assert_int_equal(h->timeout_register(&x, &reg, abs, (void *)0x77),
	    0);
	loop_once();
	assert_int_equal(seen.timeout_calls, 0);
	usleep(20000);
	loop_once();
	assert_int_equal(seen.timeout_calls, 1);
	assert_ptr_equal(seen.for_libxl, (void *)0x77);
	usleep(20000);
	loop_once();
	assert_int_equal(seen.timeout_calls, 1);
}

/* modify(abs = {0,0}) means "now": a far timeout fires at once, once. */
static void
test_timeout_modify_now(void **state)
{
	const libxl_osevent_hooks	*h = &xen_osevent_hooks;
	void				*reg = NULL;
	struct timeval			 abs, zero = { 0, 0 };

	gettimeofday(&abs, NULL);
	abs.tv_sec += 60;
	assert_int_equal(h->timeout_register(&x, &reg, abs, (void *)0x88),
	    0);
	loop_once();
	assert_int_equal(seen.timeout_calls, 0);
	assert_int_equal(h->timeout_modify(&x, &reg, zero), 0);
	assert_int_equal(h->timeout_modify(&x, &reg, zero), 0);
	assert_int_equal(seen.timeout_calls, 0);	/* never from inside */
	loop_once();
	assert_int_equal(seen.timeout_calls, 1);
	assert_ptr_equal(seen.for_libxl, (void *)0x88);
	loop_once();
	assert_int_equal(seen.timeout_calls, 1);
}

/* A past time fires on the next loop turn. */
static void
test_timeout_past(void **state)
{
	const libxl_osevent_hooks	*h = &xen_osevent_hooks;
	void				*reg = NULL;
	struct timeval			 abs = { 1, 0 };

	assert_int_equal(h->timeout_register(&x, &reg, abs, (void *)0x99),
	    0);
	loop_once();
	assert_int_equal(seen.timeout_calls, 1);
}

/* Never a vchan from a domain to itself. */
static void
test_vchan_self(void **state)
{
	errno = 0;
	assert_null(chan_vchan_client(NULL, 0, 0, "/local/domain/0/x"));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(chan_vchan_server(NULL, 5, 5, "/local/domain/5/x", 4096,
	    4096));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(chan_vchan_client(NULL, 0, -1, "/local/domain/0/x"));
	assert_int_equal(errno, EINVAL);
}

/* Off a dom0, init says why (skipped on a real dom0). */
static void
test_init_off_dom0(void **state)
{
	void	*ctx = NULL;
	char	*err = NULL;

	if (access("/dev/xen/privcmd", F_OK) == 0 ||
	    access("/proc/xen/privcmd", F_OK) == 0)
		skip();
	assert_int_equal(backend_xen.init(&d, &ctx, &err), -1);
	assert_non_null(err);
	assert_string_equal(err, "libxl_ctx_alloc failed: is this a Xen "
	    "dom0?");
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fd_hooks, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fd_regular_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_fires, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_modify_now, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_past, setup,
		    teardown),
		cmocka_unit_test(test_vchan_self),
		cmocka_unit_test_setup_teardown(test_init_off_dom0, setup,
		    teardown),
	};

	log_init("test-xen-backend", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
