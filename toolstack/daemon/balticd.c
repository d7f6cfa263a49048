/*
 * balticd.c: the dom0 daemon.  One libevent loop runs the control
 * socket, the exports, the channels of every partition and the health
 * checks.  Stopping balticd (SIGTERM), or killing it, leaves the
 * partitions running; a new balticd re-attaches to them from the store,
 * and takes back from the descriptor keeper (keep.h) the exports'
 * sockets and the calls that were in flight.  `balticd -K PATH` is that
 * keeper (balticd starts it; `baltic-keeper` in ps).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "chan.h"
#include "ctl.h"
#include "cluster/record.h"
#include "daemon/cluster.h"
#include "daemon/daemon.h"
#include "daemon/obs/obs-prom.h"
#include "keep/keep.h"
#include "log.h"


static const struct {
	const struct backend_ops	*backend;
	const struct store_ops		*store;
} backends[] = {
	{ &backend_local, &store_dir },
#ifdef BALTIC_HAVE_XEN_BACKEND
	{ &backend_xen, &store_xs },
#endif
};

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr, "usage: balticd [-dv] [-b local|xen] [-a AGENT] "
	    "[-C CREATE_TIMEOUT_MS] [-S STATEDIR] [-R RUNDIR] [-s SOCKET] "
	    "[-t TIMEOUT_MS] [--metrics HOST:PORT]\n"
	    "       [--host NAME --cluster-cert FILE --cluster-key FILE "
	    "--cluster-ca FILE\n"
	    "        [--peer-listen IP:PORT] [--peer NAME=IP:PORT ...]\n"
	    "        [--cluster URL,... [--capacity MB] [--labels L,...] "
	    "[--cluster-prefix P]\n"
	    "        [--cluster-ttl SECONDS]]]\n");
	exit(BALTIC_EXIT_USAGE);
}

/* A timeout option's value: milliseconds, not 0. */
static unsigned
timeout_arg(const char *arg)
{
	unsigned	ms = (unsigned)strtoul(arg, NULL, 10);

	if (ms == 0)
		usage();
	return ms;
}

/* The backend a Xen administrator expects: xen in a control domain. */
static const char *
default_backend(void)
{
	FILE	*fp;
	char	 buf[256];
	int	 xen = 0;

	if ((fp = fopen("/proc/xen/capabilities", "re")) != NULL) {
		if (fgets(buf, sizeof buf, fp) != NULL &&
		    strstr(buf, "control_d") != NULL)
			xen = 1;
		fclose(fp);
	}
	return xen ? "xen" : "local";
}

static const char *
env_or(const char *name, const char *dflt)
{
	const char	*v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon	*d = arg;

	log_info("signal %d: exiting; partitions keep running", (int)sig);
	event_base_loopbreak(d->base);
}

static void
on_ping(evutil_socket_t fd, short ev, void *arg)
{
	part_ping_all(arg);
}

/* The agent next to this binary in a build tree, else the installed one. */
static char *
find_agent(const char *argv0)
{
	char	 self[PATH_MAX], path[PATH_MAX + 64], *slash;
	ssize_t	 r;

	if ((r = readlink("/proc/self/exe", self, sizeof self - 1)) > 0) {
		self[r] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(path, sizeof path,
			    "%s/../guest-agent/baltic-agent", self);
			if (access(path, X_OK) == 0)
				return realpath(path, NULL);
			snprintf(path, sizeof path, "%s/baltic-agent", self);
			if (access(path, X_OK) == 0)
				return strdup(path);
			snprintf(path, sizeof path, "%s/../bin/baltic-agent",
			    self);
			if (access(path, X_OK) == 0)
				return realpath(path, NULL);
		}
	}
	return strdup("baltic-agent");
}

/* The command line, as far as it is not the daemon's own settings. */
struct options {
	const char	*bname;		/* -b; NULL: default_backend() */
	const char	*sock;		/* -s, else $BALTIC_SOCKET; NULL: in
					 * the run directory */
	const char	*metrics;	/* --metrics, else $BALTIC_METRICS;
					 * NULL: none */
	int		 foreground;	/* -d */
	int		 verbose;	/* -v, counted */
	/* A cluster (--host): its links' settings, the static peers
	 * (--peer NAME=ADDR:PORT). */
	const char	*peer_listen;
	const char	*cert, *key, *ca;
	char		**peers;
	size_t		 npeers;
	struct cluster_opts cluster;	/* --cluster...; etcd NULL: none */
};

/* One more value of a repeatable option. */
static void
opt_add(char ***v, size_t *n, char *arg)
{
	char	**nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof *nv)) == NULL)
		fatal("%s", __func__);
	nv[(*n)++] = arg;
	*v = nv;
}

/* The settings before the command line: built-in defaults and the
 * environment's BALTIC_* variables. */
static void
init_defaults(struct daemon *d, struct options *o, const char *argv0)
{
	memset(d, 0, sizeof *d);
	memset(o, 0, sizeof *o);
	d->started_us = now_us();
	TAILQ_INIT(&d->farms);
	TAILQ_INIT(&d->adopted);
	d->ctl_fd = -1;
	d->save_farm = farm_run_save;
	d->replace_part = farm_run_replace;
	d->vm_ops = &part_node_ops;
	d->remote_ops = &remote_node_ops;
	d->peer_ops = &peer_node_ops;
	d->self_path = realpath("/proc/self/exe", NULL);
	d->default_timeout_ms = BALTIC_DEFAULT_TIMEOUT_MS;
	d->state_dir = strdup(env_or("BALTIC_STATE_DIR", "/var/lib/baltic"));
	d->run_dir = strdup(env_or("BALTIC_RUN_DIR", CTL_RUN_DIR));
	d->agent_path = getenv("BALTIC_AGENT") != NULL ?
	    strdup(getenv("BALTIC_AGENT")) : find_agent(argv0);
	o->sock = getenv("BALTIC_SOCKET");
	o->metrics = env_or("BALTIC_METRICS", NULL);
}

/* The options of a cluster (--host and after): true if ch is one. */
static bool
cluster_option(struct daemon *d, struct options *o, int ch)
{
	char	*end;
	long	 n;

	switch (ch) {
	case 'H':
		free(d->host_name);
		if ((d->host_name = strdup(optarg)) == NULL)
			fatal("%s", __func__);
		break;
	case 'L':
		o->peer_listen = optarg;
		break;
	case 'P':
		opt_add(&o->peers, &o->npeers, optarg);
		break;
	case 'c':
		o->cert = o->cluster.cert = optarg;
		break;
	case 'k':
		o->key = o->cluster.key = optarg;
		break;
	case 'A':
		o->ca = o->cluster.ca = optarg;
		break;
	case 'E':
		o->cluster.etcd = optarg;
		break;
	case 'X':
		o->cluster.prefix = optarg;
		break;
	case 'm':
		if ((o->cluster.capacity_mb = strtoll(optarg, NULL,
		    10)) <= 0)
			usage();
		break;
	case 'l':
		o->cluster.labels = optarg;
		break;
	case 'T':
		errno = 0;
		n = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || n < 2 ||
		    n > CLUSTER_LEASE_TTL_MAX_S) {
			fprintf(stderr, "balticd: --cluster-ttl %s: 2 to %d "
			    "seconds\n", optarg, CLUSTER_LEASE_TTL_MAX_S);
			usage();
		}
		o->cluster.lease_ttl_s = (int)n;
		break;
	default:
		return false;
	}
	return true;
}

/* The options over the defaults; usage() on a bad one or an operand. */
static void
parse_options(struct daemon *d, struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "metrics", required_argument, NULL, 'M' },
		{ "host", required_argument, NULL, 'H' },
		{ "peer-listen", required_argument, NULL, 'L' },
		{ "peer", required_argument, NULL, 'P' },
		{ "cluster-cert", required_argument, NULL, 'c' },
		{ "cluster-key", required_argument, NULL, 'k' },
		{ "cluster-ca", required_argument, NULL, 'A' },
		{ "cluster", required_argument, NULL, 'E' },
		{ "cluster-prefix", required_argument, NULL, 'X' },
		{ "capacity", required_argument, NULL, 'm' },
		{ "labels", required_argument, NULL, 'l' },
		{ "cluster-ttl", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	while ((ch = getopt_long(argc, argv, "a:b:C:dR:S:s:t:vh", longopts,
	    NULL)) != -1) {
		if (cluster_option(d, o, ch))
			continue;
		switch (ch) {
		case 'M':
			o->metrics = optarg;
			break;
		case 'a':
			free(d->agent_path);
			d->agent_path = realpath(optarg, NULL);
			if (d->agent_path == NULL)
				fatal("%s", optarg);
			break;
		case 'b':
			o->bname = optarg;
			break;
		case 'C':
			d->create_timeout_ms = timeout_arg(optarg);
			break;
		case 'd':
			o->foreground = 1;
			break;
		case 'R':
			free(d->run_dir);
			d->run_dir = strdup(optarg);
			break;
		case 'S':
			free(d->state_dir);
			d->state_dir = strdup(optarg);
			break;
		case 's':
			o->sock = optarg;
			break;
		case 't':
			d->default_timeout_ms = timeout_arg(optarg);
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (d->host_name == NULL && (o->peer_listen != NULL ||
	    o->npeers > 0))
		fatalx("--peer-listen and --peer need --host");
	if (d->host_name != NULL &&
	    !record_name_ok(d->host_name, strlen(d->host_name)))
		fatalx("--host %s: not a host name (1 to %d letters, digits, "
		    "'.', '_' or '-', the first a letter or a digit)",
		    d->host_name, RECORD_NAME_MAX);
}

/* With --host: the links' TLS and the peers given; exits on a bad
 * one. */
static void
start_cluster(struct daemon *d, struct options *o)
{
	char	*err = NULL, *eq;
	size_t	 i;

	if (d->host_name == NULL)
		return;
	if (o->peer_listen != NULL &&
	    (d->host_addr = strdup(o->peer_listen)) == NULL)
		fatal("%s", __func__);
	if (peer_init(d, o->peer_listen, o->cert, o->key, o->ca, &err) == -1)
		fatalx("%s", err != NULL ? err : "out of memory");
	for (i = 0; i < o->npeers; i++) {
		if ((eq = strchr(o->peers[i], '=')) == NULL)
			fatalx("--peer %s: NAME=IP:PORT expected",
			    o->peers[i]);
		*eq = '\0';
		if (peer_set(d, o->peers[i], eq + 1) == -1)
			fatalx("--peer %s=%s refused", o->peers[i], eq + 1);
		*eq = '=';
	}
	free(o->peers);
	o->peers = NULL;
	log_info("host %s in a cluster of %zu", d->host_name, o->npeers + 1);
}

/* The backend named (NULL: the default) and its state store; exits if
 * it is not built in.  -C, if not given, is the backend's. */
static void
choose_backend(struct daemon *d, const char *bname)
{
	size_t	i;

	if (bname == NULL)
		bname = default_backend();
	for (i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strcmp(backends[i].backend->name, bname) == 0)
			break;
	if (i == sizeof backends / sizeof backends[0])
		fatalx("backend %s is not built in", bname);
	d->backend = backends[i].backend;
	if (d->create_timeout_ms == 0)
		d->create_timeout_ms = d->backend->create_timeout_ms;
	d->store = backends[i].store;
}

/*
 * One balticd per run directory, so one per host with the default: an
 * flock on CTL_LOCK there, taken before the state or the control socket
 * is touched and held for life (a daemon() child inherits it; the
 * keeper and the agents do not: close-on-exec).  A second balticd says
 * whose it is, on stderr, and exits 1; it unlinks nothing.
 */
static int
lock_run_dir(const char *run_dir)
{
	char	path[PATH_MAX], pid[32];
	ssize_t	n;
	int	fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", run_dir, CTL_LOCK) >=
	    sizeof path)
		fatalx("run directory path too long: %s", run_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		fatal("%s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK)
		fatal("flock %s", path);
	n = pread(fd, pid, sizeof pid - 1, 0);
	pid[n > 0 ? n : 0] = '\0';
	pid[strcspn(pid, "\n")] = '\0';
	fprintf(stderr, "balticd already running (pid %s)\n",
	    pid[0] != '\0' ? pid : "unknown");
	exit(BALTIC_EXIT_FAIL);
}

/*
 * balticd exits: the lock file goes, still locked (a balticd that opened
 * it meanwhile finds it taken; the next one makes a new one).
 */
static void
unlock_run_dir(const char *run_dir, int fd)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", run_dir, CTL_LOCK);
	unlink(path);
	close(fd);
}

/* The lock says who holds it (after daemon(): the child's pid). */
static void
lock_note_pid(int fd)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("cannot write the lock's pid");
}

/* Detached unless foreground, with the event base, the backend, the
 * state store, the farms re-attached and the control socket listening;
 * exits on any failure. */
static void
start(struct daemon *d, struct options *o, const char *sock,
    const char *metrics)
{
	char			*err = NULL;

	if (!o->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if (!o->foreground)
		log_to_syslog();
	lock_note_pid(d->lock_fd);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * No epoll changelist: balticd closes descriptors the keeper holds
	 * duplicates of, and a deferred EPOLL_CTL_DEL for a descriptor closed
	 * in the same loop turn leaves the shared file registered; its later
	 * events then reach whatever new socket took the number (a client's
	 * hang-up seen on another client's connection).
	 */
	if ((d->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	journal_init(d);
	/* A bad metrics address stops balticd before it touches a farm. */
	if (metrics != NULL && obs_http_listen(d, metrics, &err) == -1)
		fatalx("%s", err != NULL ? err : "metrics: out of memory");
	/* The backend first: it says best why a host cannot run it. */
	if (d->backend->init(d, &d->bctx, &err) == -1)
		fatalx("backend %s: %s", d->backend->name, err);
	if (d->store->open(d, &d->sctx, &err) == -1)
		fatalx("state store: %s", err);
	/* Before the farms: their partitions on other hosts need it.  In
	 * a cluster the farms come back once etcd has said what they are
	 * (cluster.c); the control socket answers meanwhile. */
	start_cluster(d, o);
	if (o->cluster.etcd != NULL) {
		if (cluster_open(d, &o->cluster, &err) == -1)
			fatalx("%s", err != NULL ? err : "out of memory");
	} else
		daemon_restore(d);
	if (control_listen(d, sock) == -1)
		fatalx("cannot listen on %s", sock);
	keep_sd_notify("READY=1");	/* Type=notify: the socket is up */
}

/* The loop, with the health checks, until SIGTERM or SIGINT; then the
 * control socket is closed and removed. */
static void
serve(struct daemon *d, const char *sock)
{
	struct event	*sigterm, *sigint;
	struct timeval	 tv = { 0,
			    BALTIC_PING_MS * 1000 / BALTIC_PING_SLICES };

	sigterm = evsignal_new(d->base, SIGTERM, on_signal, d);
	sigint = evsignal_new(d->base, SIGINT, on_signal, d);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	d->ping_ev = event_new(d->base, -1, EV_PERSIST, on_ping, d);
	evtimer_add(d->ping_ev, &tv);
	log_info("backend %s, state in %s, control socket %s",
	    d->backend->name, d->state_dir, sock);

	event_base_dispatch(d->base);

	keep_sd_notify("STOPPING=1");
	control_close(d);
	obs_http_close(d);
	unlink(sock);
	event_free(sigterm);
	event_free(sigint);
	event_free(d->ping_ev);
}

/* Frees the daemon after its loop; the partitions keep running. */
static void
shut_down(struct daemon *d)
{
	/* The keeper keeps the exports' sockets and calls in flight for the
	 * next balticd, as after a kill; it quits if there are no farms. */
	d->exiting = true;
	d->keep->exiting = true;
	keep_done(d->keep, TAILQ_EMPTY(&d->farms));
	peer_fini(d);
	while (!TAILQ_EMPTY(&d->farms)) {
		struct farm_run *f = TAILQ_FIRST(&d->farms);

		TAILQ_REMOVE(&d->farms, f, entry);
		farm_run_free(f);
	}
	cluster_close(d);
	d->backend->fini(d->bctx);
	d->store->close(d->sctx);
	event_free(d->journal_ev);
	event_base_free(d->base);
	unlock_run_dir(d->run_dir, d->lock_fd);
	free(d->state_dir);
	free(d->run_dir);
	free(d->agent_path);
	free(d->self_path);
	free(d->host_name);
	free(d->host_addr);
}

int
main(int argc, char **argv)
{
	static struct keep_client keep;
	struct daemon	 d;
	struct options	 o;
	char		 sockbuf[PATH_MAX];

	/* The descriptor keeper is this binary too (keep.h). */
	if (argc == 3 && strcmp(argv[1], "-K") == 0)
		return keeper_main(3, argv[2]);

	init_defaults(&d, &o, argv[0]);
	parse_options(&d, &o, argc, argv);
	log_init("balticd", o.verbose);
	chan_heap_tune();
	if (o.metrics != NULL) {	/* said now, not after daemon() */
		char		*host, *err = NULL;
		unsigned	 port;

		if (obs_http_addr_check(o.metrics, &host, &port, &err) == -1)
			fatalx("%s", err != NULL ? err : "out of memory");
		free(host);
	}
	choose_backend(&d, o.bname);
	if (o.sock == NULL) {
		snprintf(sockbuf, sizeof sockbuf, "%s/%s", d.run_dir,
		    CTL_SOCK);
		o.sock = sockbuf;
	}
	if (mkdir(d.run_dir, 0700) == -1 && errno != EEXIST)
		fatal("mkdir %s", d.run_dir);
	d.lock_fd = lock_run_dir(d.run_dir);
	keep_client_init(&keep, d.run_dir, d.self_path);
	d.keep = &keep;

	start(&d, &o, o.sock, o.metrics);
	serve(&d, o.sock);
	shut_down(&d);
	return 0;
}
