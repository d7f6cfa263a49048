/*
 * backend-local.c: partitions as processes.  Each partition is a
 * baltic-agent in its own process group; its channel is a Unix stream
 * socket that balticd listens on (<run>/<farm>/<instance>/chan, mode
 * 0600) and the agent connects to, re-connecting if balticd restarts.
 * Cut stops the process group (SIGSTOP), paste continues it.
 *
 * When balticd is root, each agent runs jailed (local-jail.h): a user
 * of its own, which owns the partition's directory and channel, and
 * namespaces in which it sees only those, its role and the system.
 * balticd takes a channel only from the partition's user.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <event2/event.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/local-jail.h"
#include "chan.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

struct local {
	struct daemon	*d;
	struct event	*sigchld;
	bool		 isolate;	/* agents run jailed */
	char		*agent_dir;	/* the agent's, symbolic links
					 * resolved: shown in the jail */
};

/* Per partition. */
struct lpart {
	int		 lfd;		/* listening socket */
	struct event	*lev;
	uid_t		 uid;		/* the agent's: balticd's, or in
					 * the jail's range */
	gid_t		 gid;
	char		 dir[PATH_MAX];	/* the agent's sockets */
	char		 chan_path[PATH_MAX];
	char		 agent_path[PATH_MAX];
	char		 log_path[PATH_MAX];
};

static void
local_sigchld(evutil_socket_t sig, short ev, void *arg)
{
	struct local	*l = arg;
	struct farm_run	*f;
	struct part	*p;
	pid_t		 pid;
	int		 status;
	char		 why[64];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(f, &l->d->farms, entry)
			TAILQ_FOREACH(p, &f->parts, entry)
				if (p->pid == pid)
					goto found;
		continue;
found:
		if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "agent killed by signal %d",
			    WTERMSIG(status));
		else
			snprintf(why, sizeof why, "agent exited with status %d",
			    WEXITSTATUS(status));
		part_died(p, why);
	}
}

/*
 * Whether agents run jailed: unless BALTIC_LOCAL_ISOLATE is 0, when
 * this host can build a jail (balticd root, namespaces allowed); a log
 * line says when they do not.
 */
static bool
local_isolate(struct daemon *d)
{
	const char	*env = getenv("BALTIC_LOCAL_ISOLATE");
	char		 why[256];

	if (env != NULL && strcmp(env, "0") == 0) {
		log_notice("local partitions are not isolated: "
		    "BALTIC_LOCAL_ISOLATE=0");
		return false;
	}
	if (!jail_available(d->run_dir, why, sizeof why)) {
		log_notice("local partitions are not isolated: %s", why);
		return false;
	}
	log_info("local partitions are isolated: each runs as a user of "
	    "its own, in namespaces of its own");
	return true;
}

static int
local_init(struct daemon *d, void **ctx_r, char **err_r)
{
	struct local	*l;
	char		*slash;

	if ((l = calloc(1, sizeof *l)) == NULL)
		fatal("%s", __func__);
	l->d = d;
	l->isolate = local_isolate(d);
	if ((l->agent_dir = realpath(d->agent_path, NULL)) != NULL &&
	    (slash = strrchr(l->agent_dir, '/')) != NULL)
		*(slash == l->agent_dir ? slash + 1 : slash) = '\0';
	l->sigchld = evsignal_new(d->base, SIGCHLD, local_sigchld, l);
	if (l->sigchld == NULL || evsignal_add(l->sigchld, NULL) == -1) {
		free(l);
		return errf(err_r, "cannot watch SIGCHLD");
	}
	*ctx_r = l;
	return 0;
}

static void
local_fini(void *ctx)
{
	struct local	*l = ctx;

	if (l == NULL)
		return;
	if (l->sigchld != NULL)
		event_free(l->sigchld);
	free(l->agent_dir);
	free(l);
}

static void
local_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct part	*p = arg;
	struct lpart	*lp = p->bdata;
	struct chan	*c;
	struct ucred	 cr;
	socklen_t	 len = sizeof cr;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK))
	    == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: accept", p->name);
		return;
	}
	/* Only the agent's user can reach the 0600 socket; say so twice. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.uid != lp->uid) {
		log_warnx("%s: channel refused: the peer is not the "
		    "partition's user %u", p->name, (unsigned)lp->uid);
		close(fd);
		return;
	}
	if ((c = chan_new_fd(p->farm->d->base, fd, part_chan_cbs(), p))
	    == NULL) {
		close(fd);
		return;
	}
	part_attach(p, c);
}

static struct lpart *
lpart_get(struct part *p)
{
	struct lpart	*lp = p->bdata;

	if (lp == NULL) {
		if ((lp = calloc(1, sizeof *lp)) == NULL)
			fatal("%s", __func__);
		lp->lfd = -1;
		lp->uid = geteuid();
		lp->gid = getegid();
		snprintf(lp->dir, sizeof lp->dir, "%s/%s/%s",
		    p->farm->d->run_dir, p->farm->name, p->name);
		snprintf(lp->chan_path, sizeof lp->chan_path, "%s/%s/%s/chan",
		    p->farm->d->run_dir, p->farm->name, p->name);
		snprintf(lp->agent_path, sizeof lp->agent_path,
		    "%s/%s/%s/agent", p->farm->d->run_dir, p->farm->name,
		    p->name);
		snprintf(lp->log_path, sizeof lp->log_path, "%s/%s/%s.log",
		    p->farm->d->run_dir, p->farm->name, p->name);
		p->bdata = lp;
	}
	return lp;
}

/* mkdir path (mode 0700) unless it exists, and give it to uid:gid. */
static int
local_mkdir(const char *path, uid_t uid, gid_t gid, char **err_r)
{
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return errf(err_r, "mkdir %s: %s", path, strerror(errno));
	if (uid != geteuid() && chown(path, uid, gid) == -1)
		return errf(err_r, "chown %s: %s", path, strerror(errno));
	return 0;
}

/*
 * Listen on the partition's channel socket (again, after a restart), in
 * the partition's directory; both belong to the agent's user.
 */
static int
lpart_listen(struct part *p, char **err_r)
{
	struct lpart		*lp = lpart_get(p);
	char			 dir[PATH_MAX];
	int			 fd;

	if (lp->lfd != -1)
		return 0;
	snprintf(dir, sizeof dir, "%s/%s", p->farm->d->run_dir,
	    p->farm->name);
	if (local_mkdir(p->farm->d->run_dir, geteuid(), getegid(),
	    err_r) == -1 ||
	    local_mkdir(dir, geteuid(), getegid(), err_r) == -1 ||
	    local_mkdir(lp->dir, lp->uid, lp->gid, err_r) == -1)
		return -1;
	if ((fd = unix_listen(lp->chan_path, 4, err_r)) == -1)
		return -1;
	/* Not through a link the partition may have put there since. */
	if (lp->uid != geteuid() && lchown(lp->chan_path, lp->uid, lp->gid)
	    == -1) {
		close(fd);
		return errf(err_r, "chown %s: %s", lp->chan_path,
		    strerror(errno));
	}
	lp->lfd = fd;
	lp->lev = event_new(p->farm->d->base, fd, EV_READ | EV_PERSIST,
	    local_accept, p);
	if (lp->lev == NULL || event_add(lp->lev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	return 0;
}

/*
 * In the child: the role's handlers find baltic-call (installed next to
 * baltic-agent) on their PATH, as they do in a guest image.
 */
static void
local_child_path(const char *agent)
{
	const char	*old = getenv("PATH");
	char		*dir, *slash, *path;

	if ((dir = strdup(agent)) == NULL)
		return;
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (asprintf(&path, "%s:%s", dir, old != NULL ? old :
		    "/usr/bin:/bin") != -1)
			setenv("PATH", path, 1);
	}
	free(dir);
}

/*
 * A user for the partition p, of the jail's range: none that another
 * partition has (its agent may not have become it yet) or a process
 * runs as.
 */
static int
local_pick_uid(struct local *l, struct part *p, char **err_r)
{
	struct lpart	*lp = p->bdata, *olp;
	struct farm_run	*f;
	struct part	*q;
	uid_t		*used = NULL;
	size_t		 n = 0, cap = 0;
	int		 rc = -1;

	TAILQ_FOREACH(f, &l->d->farms, entry)
		TAILQ_FOREACH(q, &f->parts, entry) {
			if (q == p || (olp = q->bdata) == NULL)
				continue;
			if (n == cap && (used = reallocarray(used,
			    cap = cap * 2 + 16, sizeof *used)) == NULL)
				fatal("%s", __func__);
			used[n++] = olp->uid;
		}
	if ((lp->uid = jail_pick_uid(used, n)) == (uid_t)-1) {
		errf(err_r, "no user left for the partition (%u in use)",
		    JAIL_UID_COUNT);
		goto out;
	}
	lp->gid = (gid_t)lp->uid;
	rc = 0;
out:
	free(used);
	return rc;
}

/*
 * What the child needs to jail partition p; *role_r holds the role's
 * directory, symbolic links and ".." resolved, as the agent must name
 * it where only that directory is shown (caller frees): 0, or -1.
 */
static int
local_jail(struct local *l, struct part *p, struct jail *j,
    char **role_r, char **err_r)
{
	struct lpart	*lp = p->bdata;
	const char	*image = p->inst->role->image_path;
	struct stat	 sb;

	if (l->agent_dir == NULL)
		return errf(err_r, "agent %s: cannot resolve its directory",
		    l->d->agent_path);
	if (stat(l->agent_dir, &sb) == -1 || !(sb.st_mode & S_IXOTH) ||
	    stat(l->d->agent_path, &sb) == -1 || !(sb.st_mode & S_IXOTH))
		return errf(err_r, "agent %s: the partitions' users cannot "
		    "run it (it and its directory must be executable by "
		    "all)", l->d->agent_path);
	if ((*role_r = realpath(image, NULL)) == NULL)
		return errf(err_r, "role image %s: %s", image,
		    strerror(errno));
	*j = (struct jail){ lp->uid, lp->gid, l->d->run_dir, *role_r,
	    l->agent_dir, lp->dir };
	return 0;
}

static int
local_create(void *ctx, struct part *p, char **err_r)
{
	struct local	*l = ctx;
	struct lpart	*lp = lpart_get(p);
	struct jail	 j;
	const char	*image = p->inst->role->image_path;
	char		*role = NULL;
	pid_t		 pid;
	int		 fd, rc = -1;

	memset(&j, 0, sizeof j);
	if (access(l->d->agent_path, X_OK) == -1) {
		errf(err_r, "agent %s: %s", l->d->agent_path,
		    strerror(errno));
		goto out;
	}
	/* Restarted after a crash: its user is kept (its directory and
	 * sockets are that user's), and what the dead agent left running
	 * as it goes first, as a domain's processes go with it. */
	if (l->isolate && jail_uid_ours(lp->uid))
		jail_kill_uid(lp->uid);
	else if (l->isolate && local_pick_uid(l, p, err_r) == -1)
		goto out;
	if (l->isolate && local_jail(l, p, &j, &role, err_r) == -1)
		goto out;
	if (lpart_listen(p, err_r) == -1)
		goto out;
	switch (pid = fork_child()) {
	case -1:
		errf(err_r, "fork: %s", strerror(errno));
		goto out;
	case 0:
		setpgid(0, 0);
		if ((fd = open(lp->log_path, O_WRONLY | O_CREAT | O_APPEND,
		    0600)) != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		local_child_path(l->d->agent_path);
		if (l->isolate && jail_enter(&j) == -1)
			_exit(127);
		execl(l->d->agent_path, "baltic-agent", "-c", lp->chan_path,
		    "-d", role != NULL ? role : image, "-s", lp->agent_path,
		    "-n", p->name, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", l->d->agent_path,
		    strerror(errno));
		_exit(127);
	default:
		setpgid(pid, pid);
		break;
	}
	p->pid = pid;
	rc = 0;
out:
	free(role);
	return rc;
}

/* Close the channel's listening socket; remove its files if asked. */
static void
local_unlisten(struct part *p, bool unlink_files)
{
	struct lpart	*lp = p->bdata;

	if (lp == NULL)
		return;
	if (lp->lev != NULL)
		event_free(lp->lev);
	if (lp->lfd != -1)
		close(lp->lfd);
	/* The directory holds what the partition wrote there, too. */
	if (unlink_files) {
		if (jail_rmtree(lp->dir) == -1)
			log_warn("%s: remove %s", p->name, lp->dir);
		unlink(lp->log_path);
	}
	free(lp);
	p->bdata = NULL;
}

/* balticd exits: the agent keeps running and re-connects later. */
static void
local_forget(void *ctx, struct part *p)
{
	local_unlisten(p, false);
}

/*
 * Stop the agent and its handlers: SIGTERM to its process group (and
 * SIGCONT, should it be cut), then SIGKILL if it lingers past 2 s.
 */
static void
local_destroy(void *ctx, struct part *p, backend_done_fn *done, void *arg)
{
	struct local	*l = ctx;
	struct lpart	*lp = p->bdata;
	int		 i, status;
	pid_t		 pid = p->pid;

	part_detach(p, "destroyed");
	if (pid > 0) {
		kill(-pid, SIGTERM);
		kill(-pid, SIGCONT);
		for (i = 0; i < 200; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid ||
			    (kill(pid, 0) == -1 && errno == ESRCH))
				break;
			usleep(10000);
		}
		if (i == 200) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		kill(-pid, SIGKILL);	/* handlers left in the group */
	}
	if (lp != NULL)
		jail_kill_uid(lp->uid);	/* and those that left it */
	p->pid = 0;
	p->state = PART_DEAD;
	local_unlisten(p, true);
	backend_done_later(l->d->base, done, arg, 0, NULL);
}

/* SIGSTOP is the whole cut: done is told at once, from the loop. */
static int
local_suspend(void *ctx, struct part *p, const char *file,
    backend_done_fn *done, void *arg, char **err_r)
{
	struct local	*l = ctx;
	FILE		*fp;

	if (p->pid <= 0)
		return errf(err_r, "%s is not running", p->name);
	if ((fp = fopen(file, "we")) == NULL)
		return errf(err_r, "%s: %s", file, strerror(errno));
	fprintf(fp, "baltic-local-cut 1\nfarm %s\ninstance %s\npid %d\n",
	    p->farm->name, p->name, (int)p->pid);
	if (fclose(fp) != 0)
		return errf(err_r, "%s: %s", file, strerror(errno));
	if (kill(-p->pid, SIGSTOP) == -1)
		return errf(err_r, "stop %d: %s", (int)p->pid,
		    strerror(errno));
	backend_done_later(l->d->base, done, arg, 0, NULL);
	return 0;
}

static int
local_restore(void *ctx, struct part *p, const char *file, char **err_r)
{
	FILE	*fp;
	char	 farm[128], inst[128];
	int	 pid = 0;

	if ((fp = fopen(file, "re")) == NULL)
		return errf(err_r, "%s: %s", file, strerror(errno));
	if (fscanf(fp, "baltic-local-cut 1\nfarm %127s\ninstance %127s\n"
	    "pid %d", farm, inst, &pid) != 3 ||
	    strcmp(farm, p->farm->name) != 0 || strcmp(inst, p->name) != 0) {
		fclose(fp);
		return errf(err_r, "%s: not a cut of %s/%s", file,
		    p->farm->name, p->name);
	}
	fclose(fp);
	if (pid != p->pid || kill(-pid, SIGCONT) == -1)
		return errf(err_r, "%s: process %d is gone", p->name, pid);
	return 0;	/* FILE stays, as `xl restore` leaves its file */
}

static int
local_reattach(void *ctx, struct part *p, char **err_r)
{
	struct lpart	*lp;
	char		 path[64], exe[PATH_MAX];
	ssize_t		 r;

	if (p->pid <= 0 || kill(p->pid, 0) == -1)
		return errf(err_r, "process %d is gone", (int)p->pid);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
	if ((r = readlink(path, exe, sizeof exe - 1)) == -1)
		return errf(err_r, "%s: %s", path, strerror(errno));
	exe[r] = '\0';
	if (strstr(exe, "baltic-agent") == NULL)
		return errf(err_r, "process %d is %s, not an agent",
		    (int)p->pid, exe);
	lp = lpart_get(p);
	if (jail_proc_ids(p->pid, &lp->uid, &lp->gid) == -1)
		return errf(err_r, "process %d: cannot read its user",
		    (int)p->pid);
	return lpart_listen(p, err_r);
}

/*
 * A local partition's usage: its agent's CPU time with that of the
 * handlers it has waited for (utime, stime, cutime, cstime of
 * /proc/PID/stat, read after the command name, which may hold any
 * byte), and the agent's resident memory (/proc/PID/statm).
 */
static int
local_usage(void *ctx, const struct part *p, struct part_usage *u)
{
	char			 path[64], buf[1024], *s;
	unsigned long long	 t[4], rss;
	long			 tck = sysconf(_SC_CLK_TCK);
	size_t			 n;
	FILE			*fp;
	int			 ok;

	if (p->pid <= 0 || tck <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* after ")": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt, then the four times */
	if ((s = strrchr(buf, ')')) == NULL || sscanf(s + 1, " %*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &t[0],
	    &t[1], &t[2], &t[3]) != 4)
		return -1;
	u->cpu_ns = (t[0] + t[1] + t[2] + t[3]) * (1000000000ull /
	    (unsigned long long)tck);
	snprintf(path, sizeof path, "/proc/%d/statm", (int)p->pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	ok = fscanf(fp, "%*u %llu", &rss) == 1;
	fclose(fp);
	if (!ok)
		return -1;
	u->memory_kb = rss * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024;
	return 0;
}

/* The memory free for new partitions: the kernel's MemAvailable (what
 * can be had without swapping), in MiB. */
static int
local_free_mb(void *ctx, int64_t *mb_r)
{
	char		 line[128];
	long long	 kb = -1;
	FILE		*fp;

	if ((fp = fopen("/proc/meminfo", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1)
			break;
	fclose(fp);
	if (kb < 0)
		return -1;
	*mb_r = kb / 1024;
	return 0;
}

const struct backend_ops backend_local = {
	.name = "local",
	.create_timeout_ms = 30000,
	.init = local_init,
	.fini = local_fini,
	.create = local_create,
	.destroy = local_destroy,
	.suspend = local_suspend,
	.restore = local_restore,
	.reattach = local_reattach,
	.forget = local_forget,
	.usage = local_usage,
	.free_mb = local_free_mb,
};
