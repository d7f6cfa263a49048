/*
 * here.c: which exports this host serves.  Without a cluster, all; in
 * one (cluster.h), an export at an address on the host that has the
 * address.
 */
#include <stdbool.h>
#include <string.h>

#include "daemon/daemon.h"

/* An export at an address is served by the host whose link address
 * (host_addr, "ip:port") has the same IP; one at a wildcard address by
 * every host. */
bool
export_served_by(const char *host_addr, const struct farm_export *fe)
{
	const char	*ip, *colon;
	size_t		 len;

	if (fe->addr == NULL || (colon = strrchr(fe->addr, ':')) == NULL)
		return true;
	ip = fe->addr;
	len = (size_t)(colon - ip);
	if ((len == 7 && memcmp(ip, "0.0.0.0", 7) == 0) ||
	    (len == 4 && memcmp(ip, "[::]", 4) == 0))
		return true;
	colon = strrchr(host_addr, ':');
	return colon != NULL && (size_t)(colon - host_addr) == len &&
	    memcmp(host_addr, ip, len) == 0;
}

bool
export_here(struct daemon *d, const struct farm_export *fe)
{
	return d->host_addr == NULL || export_served_by(d->host_addr, fe);
}
