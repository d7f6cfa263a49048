/*
 * test-xen-backend.c: the parts of the xen backend that run without a
 * hypervisor.  libxl's osevent hooks are driven by a real libevent loop
 * and the calls they make back into libxl are caught with the linker's
 * --wrap (see tests/unit/xen.mk), as are the domain builds the build
 * queue hands to libxl; the vchan transport refuses a channel
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

/* The builds handed to libxl: counted, refused when asked. */
int	__wrap_libxl_domain_create_new(libxl_ctx *, libxl_domain_config *,
	    uint32_t *, const libxl_asyncop_how *,
	    const libxl_asyncprogress_how *);
int	__wrap_libxl_domain_create_restore(libxl_ctx *,
	    libxl_domain_config *, uint32_t *, int, int,
	    const libxl_domain_restore_params *, const libxl_asyncop_how *,
	    const libxl_asyncprogress_how *);

static struct {
	int	creates, restores, refuse;
} built;

int
__wrap_libxl_domain_create_new(libxl_ctx *ctx, libxl_domain_config *dc,
    uint32_t *domid, const libxl_asyncop_how *how,
    const libxl_asyncprogress_how *console)
{
	built.creates++;
	return built.refuse ? ERROR_FAIL : 0;
}

int
__wrap_libxl_domain_create_restore(libxl_ctx *ctx, libxl_domain_config *dc,
    uint32_t *domid, int fd, int send_back_fd,
    const libxl_domain_restore_params *params, const libxl_asyncop_how *how,
    const libxl_asyncprogress_how *console)
{
	built.restores++;
	return built.refuse ? ERROR_FAIL : 0;
}

static struct daemon	d;
static struct xen	x;

static int
setup(void **state)
{
	memset(&seen, 0, sizeof seen);
	memset(&built, 0, sizeof built);
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

/* ---- the build queue ---------------------------------------------------- */

static struct xcreate *
fake_xcreate(struct part *p, struct xpart *xp, const char *name)
{
	struct xcreate	*xc;

	assert_non_null(xc = calloc(1, sizeof *xc));
	xc->x = &x;
	xc->p = p;
	xc->restore_fd = -1;
	libxl_domain_config_init(&xc->dc);
	libxl_domain_restore_params_init(&xc->params);
	memset(p, 0, sizeof *p);
	memset(xp, 0, sizeof *xp);
	p->name = (char *)name;
	p->bdata = xp;
	xp->creating = xc;
	return xc;
}

/* The loop turned until libxl got n builds in all, 1 s at most. */
static void
builds_until(int n)
{
	int	i;

	for (i = 0; i < 1000 && built.creates + built.restores < n; i++) {
		usleep(1000);
		loop_once();
	}
}

/* BALTIC_XEN_BUILDS slots (else dom0's vCPUs); builds beyond them wait in
 * order and start as each ends; one destroyed while it waits never
 * reaches libxl; one libxl refuses at once is refused to the caller. */
static void
test_build_queue(void **state)
{
	struct part	 p[5];
	struct xpart	 xp[5];
	struct xcreate	*xc[5];
	char		*err = NULL;
	int		 i;

	setenv("BALTIC_XEN_BUILDS", "0", 1);
	xen_build_init(&x);
	assert_true(x.builds_max >= 1);	/* refused: the vCPUs */
	setenv("BALTIC_XEN_BUILDS", "2", 1);
	xen_build_init(&x);
	unsetenv("BALTIC_XEN_BUILDS");
	assert_int_equal(x.builds_max, 2);

	for (i = 0; i < 4; i++) {
		xc[i] = fake_xcreate(&p[i], &xp[i], "g");
		if (i == 3)
			xc[i]->restore_fd = dup(0);	/* a paste */
		assert_int_equal(xen_build(&x, xc[i], &err), 0);
	}
	assert_int_equal(built.creates, 2);
	assert_int_equal(x.builds, 2);
	assert_true(xc[2]->queued);
	assert_true(xc[3]->queued);

	/* The first ends (its partition destroyed meanwhile, so nothing to
	 * start): the third is built, the paste still waits. */
	xc[0]->p = NULL;
	xen_create_done(NULL, ERROR_FAIL, xc[0]);
	builds_until(3);
	assert_int_equal(built.creates, 3);
	assert_int_equal(x.builds, 2);
	assert_false(xc[2]->queued);
	assert_true(xc[3]->queued);

	/* Destroyed while it waits: out of the queue, never built; one libxl
	 * has is not the queue's. */
	assert_false(xen_build_unqueue(&x, xc[1]));
	assert_true(xen_build_unqueue(&x, xc[3]));
	xc[1]->p = NULL;
	xen_create_done(NULL, ERROR_FAIL, xc[1]);
	xc[2]->p = NULL;
	xen_create_done(NULL, ERROR_FAIL, xc[2]);
	for (i = 0; i < 1000 && x.builds > 0; i++) {
		usleep(1000);
		loop_once();
	}
	assert_int_equal(x.builds, 0);
	assert_int_equal(built.restores, 0);

	/* A slot free and libxl refuses: said at once, no slot held. */
	built.refuse = 1;
	xc[4] = fake_xcreate(&p[4], &xp[4], "h");
	assert_int_equal(xen_build(&x, xc[4], &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "libxl: create failed"));
	assert_int_equal(x.builds, 0);
	free(err);
	xcreate_free(xc[4]);
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
		cmocka_unit_test_setup_teardown(test_build_queue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_init_off_dom0, setup,
		    teardown),
	};

	log_init("test-xen-backend", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
