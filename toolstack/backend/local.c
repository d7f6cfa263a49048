/*
 * backend-local.c: partitions as processes.  Each partition is a
 * baltic-agent in its own process group; its channel is a Unix stream
 * socket that balticd listens on (<run>/<farm>/<instance>.chan, mode
 * 0600) and the agent connects to, re-connecting if balticd restarts.
 * Cut stops the process group (SIGSTOP), paste continues it.
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
#include "chan.h"
#include "daemon/daemon.h"
#include "log.h"
#include "util/util.h"

struct local {
	struct daemon	*d;
	struct event	*sigchld;
};

/* Per partition. */
struct lpart {
	int		 lfd;		/* listening socket */
	struct event	*lev;
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

static int
local_init(struct daemon *d, void **ctx_r, char **err_r)
{
	struct local	*l;

	if ((l = calloc(1, sizeof *l)) == NULL)
		fatal("%s", __func__);
	l->d = d;
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
	free(l);
}

static void
local_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct part	*p = arg;
	struct chan	*c;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK))
	    == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("%s: accept", p->name);
		return;
	}
	/* Only the agent runs as us: others cannot reach a 0600 socket. */
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
		snprintf(lp->chan_path, sizeof lp->chan_path, "%s/%s/%s.chan",
		    p->farm->d->run_dir, p->farm->name, p->name);
		snprintf(lp->agent_path, sizeof lp->agent_path,
		    "%s/%s/%s.agent", p->farm->d->run_dir, p->farm->name,
		    p->name);
		snprintf(lp->log_path, sizeof lp->log_path, "%s/%s/%s.log",
		    p->farm->d->run_dir, p->farm->name, p->name);
		p->bdata = lp;
	}
	return lp;
}

/* Listen on the partition's channel socket (again, after a restart). */
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
	if (mkdir(p->farm->d->run_dir, 0700) == -1 && errno != EEXIST)
		return errf(err_r, "mkdir %s: %s", p->farm->d->run_dir,
		    strerror(errno));
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return errf(err_r, "mkdir %s: %s", dir, strerror(errno));
	if ((fd = unix_listen(lp->chan_path, 4, err_r)) == -1)
		return -1;
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

static int
local_create(void *ctx, struct part *p, char **err_r)
{
	struct local	*l = ctx;
	struct lpart	*lp;
	const char	*image = p->inst->role->image_path;
	pid_t		 pid;
	int		 fd;

	if (lpart_listen(p, err_r) == -1)
		return -1;
	lp = p->bdata;
	if (access(l->d->agent_path, X_OK) == -1)
		return errf(err_r, "agent %s: %s", l->d->agent_path,
		    strerror(errno));
	switch (pid = fork()) {
	case -1:
		return errf(err_r, "fork: %s", strerror(errno));
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
		signal(SIGPIPE, SIG_DFL);
		local_child_path(l->d->agent_path);
		execl(l->d->agent_path, "baltic-agent", "-c", lp->chan_path,
		    "-d", image, "-s", lp->agent_path, "-n", p->name,
		    (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", l->d->agent_path,
		    strerror(errno));
		_exit(127);
	default:
		setpgid(pid, pid);
		break;
	}
	p->pid = pid;
	return 0;
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
	if (unlink_files) {
		unlink(lp->chan_path);
		unlink(lp->agent_path);
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
local_destroy(void *ctx, struct part *p)
{
	int	 i, status;
	pid_t	 pid = p->pid;

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
	p->pid = 0;
	p->state = PART_DEAD;
	local_unlisten(p, true);
}

static int
local_suspend(void *ctx, struct part *p, const char *file, char **err_r)
{
	FILE	*fp;

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
	char	path[64], exe[PATH_MAX];
	ssize_t	r;

	if (p->pid <= 0 || kill(p->pid, 0) == -1)
		return errf(err_r, "process %d is gone", (int)p->pid);
	snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
	if ((r = readlink(path, exe, sizeof exe - 1)) == -1)
		return errf(err_r, "%s: %s", path, strerror(errno));
	exe[r] = '\0';
	if (strstr(exe, "baltic-agent") == NULL)
		return errf(err_r, "process %d is %s, not an agent",
		    (int)p->pid, exe);
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
};
