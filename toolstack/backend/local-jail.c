/*
 * local-jail.c: the confinement of a local partition (local-jail.h).
 *
 * balticd's child that becomes the agent builds the jail while it is
 * still root, in namespaces of its own: it opens every directory the
 * jail shows (O_PATH, so each is resolved on the host before anything
 * is hidden), mounts a small tmpfs over the run directory as the new
 * root, binds each directory at its own path inside, adds /dev's
 * harmless nodes, a /proc that shows only the partition's own processes
 * and a /tmp of its own, pivots into it and drops to the partition's
 * uid for good (no capabilities, no supplementary group, no new
 * privileges on exec).  Paths stay the same inside and out, so the
 * agent's command line and sockets read the same from either side.
 */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/local-jail.h"
#include "util/util.h"

#define JAIL_NS		(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC)
#define JAIL_ROOT_OPTS	"mode=0755,size=1m"	/* directories only */
#define JAIL_TMP_OPTS	"mode=1777,size=64m"
#define JAIL_RMTREE_DEPTH 32

enum jail_how {
	JAIL_RO,	/* a directory, read-only */
	JAIL_RW,	/* a directory, read-write, nothing to execute */
	JAIL_DEV,	/* a device node */
};

/* One thing the jail shows, at its host path. */
struct jail_bind {
	const char	*path;
	enum jail_how	 how;
	bool		 optional;	/* absent on some hosts */
	int		 fd;		/* O_PATH, opened on the host */
	char		 link[PATH_MAX]; /* or a symbolic link to this */
};

/* The host's system files: programs, libraries, configuration (what
 * any local user may read already), and the devices anyone may open. */
static const struct {
	const char	*path;
	enum jail_how	 how;
	bool		 optional;
} jail_system[] = {
	{ "/usr", JAIL_RO, false }, { "/etc", JAIL_RO, false },
	{ "/bin", JAIL_RO, true }, { "/sbin", JAIL_RO, true },
	{ "/lib", JAIL_RO, true }, { "/lib32", JAIL_RO, true },
	{ "/lib64", JAIL_RO, true }, { "/libx32", JAIL_RO, true },
	{ "/dev/null", JAIL_DEV, false }, { "/dev/zero", JAIL_DEV, false },
	{ "/dev/full", JAIL_DEV, true }, { "/dev/random", JAIL_DEV, false },
	{ "/dev/urandom", JAIL_DEV, false },
};
#define JAIL_NSYSTEM	(sizeof jail_system / sizeof jail_system[0])
#define JAIL_NBINDS	(JAIL_NSYSTEM + 3)

/* /dev's links, as a devtmpfs has them. */
static const char *const jail_devlinks[][2] = {
	{ "/dev/fd", "/proc/self/fd" },
	{ "/dev/stdin", "/proc/self/fd/0" },
	{ "/dev/stdout", "/proc/self/fd/1" },
	{ "/dev/stderr", "/proc/self/fd/2" },
};

/* Report the step that failed, for the agent's log; always -1. */
static int
jail_fail(const char *step, const char *path)
{
	int	e = errno;

	fprintf(stderr, "jail: %s %s: %s\n", step, path, strerror(e));
	errno = e;
	return -1;
}

bool
jail_uid_ours(uid_t uid)
{
	return uid >= JAIL_UID_FIRST && uid - JAIL_UID_FIRST < JAIL_UID_COUNT;
}

/* root followed by path, in buf: 0, or -1 (ENAMETOOLONG). */
static int
jail_path(char *buf, size_t len, const char *root, const char *path)
{
	if ((size_t)snprintf(buf, len, "%s%s", root, path) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * Make path under root (a directory, or an empty file to bind a device
 * on), with the directories that lead to it.  Every name below root was
 * made by us: no link to follow out of it.
 */
static int
jail_mkpath(const char *root, const char *path, bool dir)
{
	char	 full[PATH_MAX], *s;
	int	 fd;

	if (jail_path(full, sizeof full, root, path) == -1)
		return -1;
	for (s = full + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(full, 0755) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (dir)
		return mkdir(full, 0755) == -1 && errno != EEXIST ? -1 : 0;
	if ((fd = open(full, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	close(fd);
	return 0;
}

/* The flags of the mount fd is on that a bind of it must keep (a
 * container's root may not clear them). */
static unsigned long
jail_kept_flags(int fd)
{
	static const struct {
		unsigned long	st, ms;
	} kept[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID },
		{ ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	struct statvfs	sv;
	unsigned long	fl = 0;
	size_t		i;

	if (fstatvfs(fd, &sv) == -1)
		return 0;
	for (i = 0; i < sizeof kept / sizeof kept[0]; i++)
		if (sv.f_flag & kept[i].st)
			fl |= kept[i].ms;
	return fl;
}

static void
jail_add(struct jail_bind *b, const char *path, enum jail_how how,
    bool optional)
{
	b->path = path;
	b->how = how;
	b->optional = optional;
	b->fd = -1;
	b->link[0] = '\0';
}

/* Shorter paths first: an ancestor before its descendants. */
static int
jail_bind_cmp(const void *a, const void *b)
{
	size_t	la = strlen(((const struct jail_bind *)a)->path);
	size_t	lb = strlen(((const struct jail_bind *)b)->path);

	return la < lb ? -1 : la > lb;
}

/* Open b on the host, or note the link it is: 0, or -1. */
static int
jail_open(struct jail_bind *b)
{
	struct stat	sb;
	ssize_t		r;

	if (lstat(b->path, &sb) == -1)
		return b->optional && errno == ENOENT ? 0 :
		    jail_fail("find", b->path);
	if (S_ISLNK(sb.st_mode)) {
		if ((r = readlink(b->path, b->link, sizeof b->link - 1)) == -1)
			return jail_fail("readlink", b->path);
		b->link[r] = '\0';
		return 0;
	}
	if ((b->fd = open(b->path, O_PATH | O_CLOEXEC)) == -1)
		return jail_fail("open", b->path);
	return 0;
}

/* Show b at its own path under root. */
static int
jail_bind(const char *root, const struct jail_bind *b)
{
	char		 dst[PATH_MAX], src[32];
	unsigned long	 fl;

	if (b->fd == -1)
		return 0;
	if (jail_path(dst, sizeof dst, root, b->path) == -1 ||
	    jail_mkpath(root, b->path, b->how != JAIL_DEV) == -1)
		return jail_fail("make", dst);
	snprintf(src, sizeof src, "/proc/self/fd/%d", b->fd);
	if (mount(src, dst, NULL, MS_BIND, NULL) == -1)
		return jail_fail("bind", b->path);
	if (b->how == JAIL_DEV)
		return 0;
	fl = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV |
	    jail_kept_flags(b->fd);
	fl |= b->how == JAIL_RO ? MS_RDONLY : MS_NOEXEC;
	if (mount(NULL, dst, NULL, fl, NULL) == -1)
		return jail_fail("restrict", b->path);
	return 0;
}

/* A symbolic link under root, unless something is there already. */
static int
jail_link(const char *root, const char *path, const char *to)
{
	char	dst[PATH_MAX];

	if (jail_path(dst, sizeof dst, root, path) == -1 ||
	    (symlink(to, dst) == -1 && errno != EEXIST))
		return jail_fail("link", path);
	return 0;
}

/* A fresh filesystem of type at path under root, with opts, or (a
 * kernel that does not know them) opts_old. */
static int
jail_mount(const char *root, const char *path, const char *type,
    unsigned long fl, const char *opts, const char *opts_old)
{
	char	dst[PATH_MAX];

	if (jail_path(dst, sizeof dst, root, path) == -1 ||
	    jail_mkpath(root, path, true) == -1)
		return jail_fail("make", path);
	if (mount(type, dst, type, fl, opts) == -1 && (errno != EINVAL ||
	    mount(type, dst, type, fl, opts_old) == -1))
		return jail_fail("mount", path);
	return 0;
}

/* Everything under root: the binds, links, /tmp and /proc. */
static int
jail_fill(const char *root, struct jail_bind *b, size_t nb)
{
	size_t		i;
	unsigned long	fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	/* /tmp first: what is bound below it (a test's roles) goes in. */
	if (jail_mount(root, "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
	    JAIL_TMP_OPTS, JAIL_TMP_OPTS) == -1)
		return -1;
	for (i = 0; i < nb; i++)
		if (jail_bind(root, &b[i]) == -1)
			return -1;
	/* Links last: none may lead a path made above out of root. */
	for (i = 0; i < nb; i++)
		if (b[i].link[0] != '\0' &&
		    jail_link(root, b[i].path, b[i].link) == -1)
			return -1;
	for (i = 0; i < sizeof jail_devlinks / sizeof jail_devlinks[0]; i++)
		if (jail_link(root, jail_devlinks[i][0],
		    jail_devlinks[i][1]) == -1)
			return -1;
	/* Only the partition's processes: a per-mount option since Linux
	 * 5.8; before, a /proc's options are the host's: give none. */
	return jail_mount(root, "/proc", "proc", fl, "hidepid=invisible",
	    NULL);
}

int
jail_enter(const struct jail *j)
{
	struct jail_bind	 b[JAIL_NBINDS];
	const char		*own[3] = { j->role_dir, j->agent_dir,
				    j->part_dir };
	size_t			 i, nb = 0;
	int			 rc = -1;

	for (i = 0; i < JAIL_NSYSTEM; i++)
		jail_add(&b[nb++], jail_system[i].path, jail_system[i].how,
		    jail_system[i].optional);
	for (i = 0; i < 3; i++)
		if (own[i] != NULL)
			jail_add(&b[nb++], own[i], i == 2 ? JAIL_RW : JAIL_RO,
			    false);
	/* A directory before what is below it, which it would hide. */
	qsort(b, nb, sizeof b[0], jail_bind_cmp);
	if (unshare(JAIL_NS) == -1) {
		jail_fail("unshare", "namespaces");
		goto out;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		jail_fail("make private", "/");
		goto out;
	}
	for (i = 0; i < nb; i++)
		if (jail_open(&b[i]) == -1)
			goto out;
	if (mount("tmpfs", j->root, "tmpfs", MS_NOSUID | MS_NODEV,
	    JAIL_ROOT_OPTS) == -1) {
		jail_fail("mount root on", j->root);
		goto out;
	}
	if (jail_fill(j->root, b, nb) == -1)
		goto out;
	if (mount(NULL, j->root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
	    MS_NOSUID | MS_NODEV, NULL) == -1) {
		jail_fail("read-only", j->root);
		goto out;
	}
	if (chdir(j->root) == -1 ||
	    syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 || chdir("/") == -1) {
		jail_fail("pivot to", j->root);
		goto out;
	}
	if (setgroups(0, NULL) == -1 ||
	    setresgid(j->gid, j->gid, j->gid) == -1 ||
	    setresuid(j->uid, j->uid, j->uid) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		jail_fail("become", "the partition's user");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < nb; i++)
		if (b[i].fd != -1)
			close(b[i].fd);
	return rc;
}

bool
jail_available(const char *root, char *why, size_t whylen)
{
	struct jail	 probe = { JAIL_UID_FIRST, JAIL_UID_FIRST, root,
			    NULL, NULL, NULL };
	int		 pfd[2], status = -1;
	ssize_t		 r;
	pid_t		 pid;

	if (geteuid() != 0) {
		snprintf(why, whylen, "balticd is not root");
		return false;
	}
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return false;
	}
	/* Build a jail with nothing of a partition's in it, and see. */
	if ((pid = fork_child()) == 0) {
		dup2(pfd[1], STDERR_FILENO);
		_exit(jail_enter(&probe) == 0 ? 0 : 1);
	}
	close(pfd[1]);
	r = pid == -1 ? -1 : read(pfd[0], why, whylen - 1);
	close(pfd[0]);
	if (pid == -1) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return false;
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	why[r > 0 ? r : 0] = '\0';
	why[strcspn(why, "\n")] = '\0';
	if (why[0] == '\0')
		snprintf(why, whylen, "the jail could not be built");
	return false;
}

/* Whether a name in /proc is a process's (all digits). */
static bool
jail_is_pid(const char *name)
{
	if (*name == '\0')
		return false;
	for (; *name != '\0'; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

/*
 * Call fn for every process on the host that runs as a uid of the
 * range (its /proc directory's owner: the effective uid).
 */
static void
jail_each_proc(void (*fn)(pid_t, uid_t, void *), void *arg)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 sb;

	if ((dp = opendir("/proc")) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (!jail_is_pid(de->d_name) ||
		    fstatat(dirfd(dp), de->d_name, &sb, 0) == -1 ||
		    !jail_uid_ours(sb.st_uid))
			continue;
		fn((pid_t)strtol(de->d_name, NULL, 10), sb.st_uid, arg);
	}
	closedir(dp);
}

static void
jail_mark(pid_t pid, uid_t uid, void *arg)
{
	uint8_t		*taken = arg;
	uint32_t	 off = uid - JAIL_UID_FIRST;

	taken[off / 8] |= 1u << (off % 8);
}

uid_t
jail_pick_uid(const uid_t *used, size_t nused)
{
	static uint32_t	 next;
	uint8_t		*taken;
	uint32_t	 k, off;
	size_t		 i;
	uid_t		 uid = (uid_t)-1;

	if ((taken = calloc(JAIL_UID_COUNT / 8, 1)) == NULL)
		return uid;
	for (i = 0; i < nused; i++)
		if (jail_uid_ours(used[i]))
			jail_mark(0, used[i], taken);
	jail_each_proc(jail_mark, taken);
	/* Two balticds (test runs) start far apart. */
	if (next == 0)
		next = (uint32_t)getpid() * 64 % JAIL_UID_COUNT;
	for (k = 0; k < JAIL_UID_COUNT; k++) {
		off = (next + k) % JAIL_UID_COUNT;
		if (!(taken[off / 8] & (1u << (off % 8)))) {
			uid = JAIL_UID_FIRST + off;
			next = (off + 1) % JAIL_UID_COUNT;
			break;
		}
	}
	free(taken);
	return uid;
}

int
jail_proc_ids(pid_t pid, uid_t *uid_r, gid_t *gid_r)
{
	char		 path[64], line[256];
	FILE		*fp;
	unsigned long	 v;
	int		 found = 0;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "Uid: %lu", &v) == 1) {
			*uid_r = (uid_t)v;
			found |= 1;
		} else if (sscanf(line, "Gid: %lu", &v) == 1) {
			*gid_r = (gid_t)v;
			found |= 2;
		}
	}
	fclose(fp);
	return found == 3 ? 0 : -1;
}

static void
jail_kill_one(pid_t pid, uid_t uid, void *arg)
{
	if (uid == *(const uid_t *)arg)
		kill(pid, SIGKILL);
}

void
jail_kill_uid(uid_t uid)
{
	if (jail_uid_ours(uid))
		jail_each_proc(jail_kill_one, &uid);
}

/* Empty the directory dfd (which this closes), depth levels down. */
static int
jail_rmtree_at(int dfd, int depth)
{
	DIR		*dp;
	struct dirent	*de;
	int		 fd, rc = 0;

	if (depth > JAIL_RMTREE_DEPTH || (dp = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(dp), de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR) {
			rc = -1;
			continue;
		}
		if ((fd = openat(dirfd(dp), de->d_name, O_RDONLY |
		    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
		    jail_rmtree_at(fd, depth + 1) == -1 ||
		    unlinkat(dirfd(dp), de->d_name, AT_REMOVEDIR) == -1)
			rc = -1;
	}
	closedir(dp);
	return rc;
}

int
jail_rmtree(const char *dir)
{
	int	fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	if (jail_rmtree_at(fd, 0) == -1)
		return -1;
	return rmdir(dir) == -1 && errno != ENOENT ? -1 : 0;
}
