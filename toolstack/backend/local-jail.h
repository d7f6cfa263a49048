/*
 * local-jail.h: what confines a partition of the local backend, as a
 * guest's domain confines it on Xen.  Each agent (and every handler it
 * runs) gets a user and group of its own, from a range kept for
 * partitions, and mount, network and IPC namespaces of its own whose
 * root holds only the host's system files (read-only), the role's
 * image directory (read-only), the agent's own directory (read-only)
 * and the partition's directory with its two sockets.  Not balticd's
 * run or state directory, not the other roles, not the network.
 */
#ifndef BALTIC_LOCAL_JAIL_H
#define BALTIC_LOCAL_JAIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/* The uids (and gids: the same numbers) partitions run as. */
#define JAIL_UID_FIRST	2000000000u
#define JAIL_UID_COUNT	65536u

/* What the forked child needs to build the jail: host paths, seen at
 * the same place inside. */
struct jail {
	uid_t		 uid;
	gid_t		 gid;
	const char	*root;		/* an existing directory of ours the
					 * jail's root is mounted on: the
					 * run directory */
	const char	*role_dir;	/* read-only */
	const char	*agent_dir;	/* read-only: the agent, baltic-call */
	const char	*part_dir;	/* read-write: the sockets */
};

/*
 * Whether this host can jail partitions, tried by building a jail on
 * root (as jail_enter would) in a child: true, or false with the reason
 * in why ("balticd is not root").
 */
bool	jail_available(const char *root, char *why, size_t whylen);

/*
 * A uid of the range that no process on the host runs as and that is
 * not in used[nused] (partitions whose agent has not dropped to theirs
 * yet); (uid_t)-1 if the range is full.  Successive calls start further
 * on, so a uid just freed is not handed out again at once.
 */
uid_t	jail_pick_uid(const uid_t *used, size_t nused);

/* Whether uid is one of the partitions' range. */
bool	jail_uid_ours(uid_t uid);

/*
 * In the forked child, before exec: enter the jail described by j and
 * become its user, for good.  0, or -1 with the failed step on stderr
 * (the child must then exit: it is half-built).
 */
int	jail_enter(const struct jail *j);

/* The real uid and gid process pid runs as: 0, or -1. */
int	jail_proc_ids(pid_t pid, uid_t *uid_r, gid_t *gid_r);

/* SIGKILL every process running as uid (a handler that left the agent's
 * process group).  Does nothing for a uid not of the range. */
void	jail_kill_uid(uid_t uid);

/*
 * Remove dir and everything below it without following a symbolic link
 * (the partition could write there): 0, or -1 with errno.
 */
int	jail_rmtree(const char *dir);

#endif /* BALTIC_LOCAL_JAIL_H */
