/*
 * here.c: which exports this host serves.  Without a cluster, all; in
 * one (cluster.h), an export at an address on the host that has the
 * address.
 */
#include <stdbool.h>
#include <string.h>

#include "daemon/daemon.h"

/* An export at an address is served by the host whose link address has
 * the same IP; one at a wildcard address by every host. */
bool
export_here(struct daemon *d, const struct farm_export *fe)
{
	const char	*ip, *colon;
	size_t		 len;

	if (d->host_addr == NULL || fe->addr == NULL)
		return true;
	if ((colon = strrchr(fe->addr, ':')) == NULL)
		return true;
	ip = fe->addr;
	len = (size_t)(colon - ip);
	if ((len == 7 && memcmp(ip, "0.0.0.0", 7) == 0) ||
	    (len == 4 && memcmp(ip, "[::]", 4) == 0))
		return true;
	colon = strrchr(d->host_addr, ':');
	return colon != NULL && (size_t)(colon - d->host_addr) == len &&
	    memcmp(d->host_addr, ip, len) == 0;
}
