/*
 * exec.c: per-call handlers, qrexec-style.  services/<Iface>.<Op> runs
 * once per call in its own process group: the argument on stdin, the
 * result on stdout, exit 0 for success; otherwise stderr (trimmed,
 * capped) is the error text.  All three pipes are non-blocking on the
 * loop; the child is reaped by the SIGCHLD event, which then drains what
 * the pipes still hold and answers.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "agent.h"
#include "log.h"

extern char	**environ;

/*
 * The environment of a handler: ours, with BALTIC_AGENT_SOCKET,
 * BALTIC_INSTANCE and (if call_id is not 0) BALTIC_CALL_ID set.  Caller
 * frees with agent_envp_free.
 */
char **
agent_envp(uint32_t call_id)
{
	char	**envp = NULL;
	size_t	  n = 0, i, j = 0;

	while (environ[n] != NULL)
		n++;
	envp = calloc(n + 4, sizeof *envp);
	if (envp == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "BALTIC_AGENT_SOCKET=", 20) == 0 ||
		    strncmp(environ[i], "BALTIC_INSTANCE=", 16) == 0 ||
		    strncmp(environ[i], "BALTIC_CALL_ID=", 15) == 0)
			continue;
		if ((envp[j++] = strdup(environ[i])) == NULL)
			goto fail;
	}
	if (asprintf(&envp[j++], "BALTIC_AGENT_SOCKET=%s",
	    agent->local_path) == -1)
		goto fail;
	if (asprintf(&envp[j++], "BALTIC_INSTANCE=%s", agent->instance) == -1)
		goto fail;
	if (call_id != 0 && asprintf(&envp[j++], "BALTIC_CALL_ID=%u",
	    call_id) == -1)
		goto fail;
	return envp;
fail:
	envp[j > 0 ? j - 1 : 0] = NULL;
	agent_envp_free(envp);
	return NULL;
}

void
agent_envp_free(char **envp)
{
	size_t	i;

	if (envp == NULL)
		return;
	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/* Start path in a new process group with the given descriptors as 0, 1
 * and 2 (err_fd -1: inherit ours).  0 with *pid_r, or -1. */
int
agent_spawn(const char *path, int in_fd, int out_fd, int err_fd,
    uint32_t call_id, pid_t *pid_r)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 attr;
	sigset_t			 def, none;
	char				*argv[2];
	char				**envp = NULL;
	int				 r, rc = -1;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	envp = agent_envp(call_id);
	if (envp == NULL)
		goto out;
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (err_fd != -1)
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	argv[0] = (char *)path;
	argv[1] = NULL;
	r = posix_spawn(pid_r, path, &fa, &attr, argv, envp);
	if (r != 0) {
		errno = r;
		log_warn("spawn %s", path);
		goto out;
	}
	rc = 0;
out:
	agent_envp_free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

static void
close_ev(int *fd, struct event **ev)
{
	if (*ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (*fd != -1) {
		close(*fd);
		*fd = -1;
	}
}

/* Close the pipes and free the buffers; idempotent. */
void
exec_dispose(struct ecall *ec)
{
	close_ev(&ec->in_fd, &ec->in_ev);
	close_ev(&ec->out_fd, &ec->out_ev);
	close_ev(&ec->err_fd, &ec->err_ev);
	if (ec->in_buf != NULL)
		evbuffer_free(ec->in_buf);
	if (ec->out_buf != NULL)
		evbuffer_free(ec->out_buf);
	if (ec->err_buf != NULL)
		evbuffer_free(ec->err_buf);
	ec->in_buf = ec->out_buf = ec->err_buf = NULL;
}

/* SIGKILL the call's process group; the reaper collects it later. */
void
exec_kill(struct ecall *ec)
{
	if (ec->pid > 0 && !ec->exited)
		killpg(ec->pid, SIGKILL);
}

/* Largest result payload dom0's channel can carry (while it is away, the
 * last one's: the answer waits for the next). */
static size_t
result_cap(void)
{
	uint32_t	frame = agent->frame;

	if (agent->dom0 != NULL && chan_is_ready(agent->dom0))
		frame = chan_max_frame(agent->dom0);
	if (frame == 0)
		return 0;
	return frame - BALTIC_HDR_LEN - BALTIC_RESULT_LEN;
}

/* Read what the pipe holds now; 1 at EOF or error (fd closed). */
static int
drain_pipe(struct ecall *ec, int *fd, struct event **ev, struct evbuffer *b,
    size_t cap)
{
	char	buf[16384];
	ssize_t	r;
	size_t	have, room;

	for (;;) {
		r = read(*fd, buf, sizeof buf);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return 0;
		if (r <= 0)
			break;
		have = evbuffer_get_length(b);
		room = have < cap ? cap - have : 0;
		if ((size_t)r > room) {
			if (b == ec->out_buf && !ec->too_big) {
				ec->too_big = 1;
				exec_kill(ec);
			}
			r = (ssize_t)room;
		}
		if (r > 0)
			evbuffer_add(b, buf, (size_t)r);
	}
	close_ev(fd, ev);
	return 1;
}

/* The answer, once the child has exited and its pipes are drained. */
static void
exec_finish(struct ecall *ec)
{
	char	 msg[AGENT_ERRTEXT_MAX + 64];
	char	*p;
	size_t	 len, s;

	if (ec->too_big) {
		agent_answer(ec, BALTIC_E_HANDLER,
		    "result larger than the frame size", 33);
		return;
	}
	if (WIFEXITED(ec->wstatus) && WEXITSTATUS(ec->wstatus) == 0) {
		len = evbuffer_get_length(ec->out_buf);
		agent_answer(ec, BALTIC_OK, evbuffer_pullup(ec->out_buf, -1),
		    len);
		return;
	}
	/* stderr, trimmed of surrounding white space, else the status. */
	len = evbuffer_get_length(ec->err_buf);
	p = (char *)evbuffer_pullup(ec->err_buf, -1);
	s = 0;
	while (s < len && (p[s] == ' ' || p[s] == '\n' || p[s] == '\t' ||
	    p[s] == '\r'))
		s++;
	while (len > s && (p[len - 1] == ' ' || p[len - 1] == '\n' ||
	    p[len - 1] == '\t' || p[len - 1] == '\r'))
		len--;
	if (len > s) {
		agent_answer(ec, BALTIC_E_HANDLER, p + s, len - s);
		return;
	}
	if (WIFEXITED(ec->wstatus))
		snprintf(msg, sizeof msg, "%s.%s exited with status %d",
		    ec->iface, ec->op, WEXITSTATUS(ec->wstatus));
	else
		snprintf(msg, sizeof msg, "%s.%s killed by signal %d",
		    ec->iface, ec->op, WTERMSIG(ec->wstatus));
	agent_answer(ec, BALTIC_E_HANDLER, msg, strlen(msg));
}

static void
exec_stdout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ecall	*ec = arg;

	drain_pipe(ec, &ec->out_fd, &ec->out_ev, ec->out_buf, result_cap());
}

static void
exec_stderr_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ecall	*ec = arg;

	drain_pipe(ec, &ec->err_fd, &ec->err_ev, ec->err_buf, AGENT_ERRTEXT_MAX);
}

/* Feed the argument; a child that exits without reading it is fine. */
static void
exec_stdin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ecall	*ec = arg;
	int		 r;

	while (evbuffer_get_length(ec->in_buf) > 0) {
		r = evbuffer_write(ec->in_buf, ec->in_fd);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return;
		if (r <= 0)
			break;
	}
	close_ev(&ec->in_fd, &ec->in_ev);
}

/* 1 if pid was a per-call handler (now answered), else 0. */
int
exec_reaped(pid_t pid, int wstatus)
{
	struct ecall	*ec;

	TAILQ_FOREACH(ec, &agent->calls, entry) {
		if (ec->kind == ECALL_EXEC && ec->pid == pid)
			break;
	}
	if (ec == NULL)
		return 0;
	ec->exited = 1;
	ec->wstatus = wstatus;
	if (ec->out_fd != -1)
		drain_pipe(ec, &ec->out_fd, &ec->out_ev, ec->out_buf,
		    result_cap());
	if (ec->err_fd != -1)
		drain_pipe(ec, &ec->err_fd, &ec->err_ev, ec->err_buf,
		    AGENT_ERRTEXT_MAX);
	/* Stragglers the handler left in its group do not hold us up. */
	killpg(pid, SIGKILL);
	exec_finish(ec);
	return 1;
}

static int
pipe_nb(int p[2], int parent_end)
{
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	return fcntl(p[parent_end], F_SETFL, O_NONBLOCK);
}

/* Start a per-call handler for x: 0, or -1 (x untouched but for fds,
 * which exec_dispose closes). */
int
exec_start(struct ecall *ec, const char *path, const uint8_t *arg,
    size_t arglen)
{
	int	in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int	rc = -1;

	ec->in_buf = evbuffer_new();
	ec->out_buf = evbuffer_new();
	ec->err_buf = evbuffer_new();
	if (ec->in_buf == NULL || ec->out_buf == NULL || ec->err_buf == NULL)
		goto out;
	if (pipe_nb(in, 1) == -1 || pipe_nb(out, 0) == -1 ||
	    pipe_nb(err, 0) == -1)
		goto out;
	if (agent_spawn(path, in[0], out[1], err[1], ec->id, &ec->pid) == -1)
		goto out;
	ec->in_fd = in[1];
	ec->out_fd = out[0];
	ec->err_fd = err[0];
	in[1] = out[0] = err[0] = -1;
	ec->out_ev = event_new(agent->base, ec->out_fd, EV_READ | EV_PERSIST,
	    exec_stdout_cb, ec);
	ec->err_ev = event_new(agent->base, ec->err_fd, EV_READ | EV_PERSIST,
	    exec_stderr_cb, ec);
	if (ec->out_ev == NULL || ec->err_ev == NULL ||
	    event_add(ec->out_ev, NULL) == -1 || event_add(ec->err_ev, NULL) == -1)
		goto kill;
	if (arglen == 0)
		close_ev(&ec->in_fd, &ec->in_ev);
	else {
		if (evbuffer_add(ec->in_buf, arg, arglen) == -1)
			goto kill;
		ec->in_ev = event_new(agent->base, ec->in_fd,
		    EV_WRITE | EV_PERSIST, exec_stdin_cb, ec);
		if (ec->in_ev == NULL || event_add(ec->in_ev, NULL) == -1)
			goto kill;
	}
	rc = 0;
	goto out;
kill:
	exec_kill(ec);
out:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (out[0] != -1)
		close(out[0]);
	if (out[1] != -1)
		close(out[1]);
	if (err[0] != -1)
		close(err[0]);
	if (err[1] != -1)
		close(err[1]);
	return rc;
}
