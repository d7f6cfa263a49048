/*
 * translate.c: a checked farm instance to the domain that runs it, and
 * that domain written as an xl config (xl.cfg(5)).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf, open_memstream */
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "farm/farm.h"
#include "log.h"
#include "compile/translate.h"

/*
 * Under emulated SVM (Xen in QEMU/TCG) a PVH guest hangs on RDTSCP; xl
 * and libxl both take this, and hiding rdtscp costs a real host little.
 */
#define PVH_CPUID	"host,rdtscp=0"
/* A disk in xl-disk-configuration syntax: its letter, its file. */
#define DOMCFG_DISK_FMT	"format=raw, vdev=xvd%c, access=rw, target=%s"

const char *
domcfg_action_name(enum domcfg_action a)
{
	switch (a) {
	case DOMCFG_DESTROY:
		return "destroy";
	case DOMCFG_RESTART:
		return "restart";
	case DOMCFG_PRESERVE:
		return "preserve";
	}
	return "destroy";
}

void
domcfg_init(struct domcfg *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->type = FARM_DOM_PV;
	cfg->on_poweroff = DOMCFG_DESTROY;
	cfg->on_reboot = DOMCFG_RESTART;
	cfg->on_crash = DOMCFG_RESTART;
}

void
domcfg_dispose(struct domcfg *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->ndisks; i++)
		free(cfg->disks[i]);
	free(cfg->disks);
	for (i = 0; i < cfg->nbridges; i++)
		free(cfg->bridges[i]);
	free(cfg->bridges);
	cfg->disks = cfg->bridges = NULL;
	cfg->ndisks = cfg->nbridges = 0;
	free(cfg->name);
	free(cfg->kernel);
	free(cfg->ramdisk);
	free(cfg->extra);
	free(cfg->cpuid);
	cfg->name = cfg->kernel = cfg->ramdisk = cfg->extra = cfg->cpuid =
	    NULL;
}

static enum domcfg_action
crash_action(enum farm_on_crash c)
{
	switch (c) {
	case FARM_CRASH_DESTROY:
		return DOMCFG_DESTROY;
	case FARM_CRASH_RESTART:
		return DOMCFG_RESTART;
	case FARM_CRASH_PRESERVE:
		return DOMCFG_PRESERVE;
	}
	return DOMCFG_RESTART;
}

/* p made absolute, symbolic links resolved when it exists.  Caller
 * frees; NULL on allocation failure. */
static char *
absolute(const char *p)
{
	char	cwd[PATH_MAX], *abs = NULL;

	if ((abs = realpath(p, NULL)) != NULL)
		return abs;
	if (p[0] == '/')
		return strdup(p);
	if (getcwd(cwd, sizeof cwd) == NULL)
		return NULL;
	if (asprintf(&abs, "%s/%s", cwd, p) == -1)
		return NULL;
	return abs;
}

char *
translate_image_dir(const struct farm_role *role)
{
	const char	*p;

	p = role->image_path != NULL ? role->image_path : role->image;
	return p != NULL ? absolute(p) : NULL;
}

/* The role's disks (absolute) and vifs' bridges into out.  0, or -1. */
static int
translate_devices(const struct farm_role *role, struct domcfg *out)
{
	size_t	i;

	if ((role->ndisks > 0 && (out->disks = calloc(role->ndisks,
	    sizeof *out->disks)) == NULL) ||
	    (role->nvifs > 0 && (out->bridges = calloc(role->nvifs,
	    sizeof *out->bridges)) == NULL))
		return -1;
	for (i = 0; i < role->ndisks; i++, out->ndisks++)
		if ((out->disks[i] = absolute(role->disks[i].path != NULL ?
		    role->disks[i].path : role->disks[i].spec)) == NULL)
			return -1;
	for (i = 0; i < role->nvifs; i++, out->nbridges++)
		if ((out->bridges[i] = strdup(role->vifs[i].spec)) == NULL)
			return -1;
	return 0;
}

/*
 * Name cfg's domain name instead of its instance's (a replacement that
 * runs next to the partition it replaces): the domain's name and the
 * guest's baltic.instance.  0, or -1 out of memory.
 */
int
domcfg_rename(struct domcfg *cfg, const char *farm, const char *name)
{
	char	*n = NULL, *extra = NULL;

	if ((n = strdup(name)) == NULL || asprintf(&extra,
	    "console=hvc0 baltic.farm=%s baltic.instance=%s", farm, name)
	    == -1) {
		free(n);
		return -1;
	}
	free(cfg->name);
	free(cfg->extra);
	cfg->name = n;
	cfg->extra = extra;
	return 0;
}

int
translate_instance(const struct farm_file *file, const struct farm *f,
    const struct farm_instance *inst, struct domcfg *out)
{
	const struct farm_role	*role = inst->role;
	char			*dir = NULL;
	int			 rc = -1;

	(void)file;
	if (role == NULL) {
		log_warnx("%s: instance %s has no role (farm not checked?)",
		    f->name, inst->name);
		goto out;
	}
	if ((dir = translate_image_dir(role)) == NULL) {
		log_warnx("%s: role %s has no image", inst->name, role->name);
		goto out;
	}
	if (role->memory == 0 || role->vcpus == 0) {
		log_warnx("%s: role %s has no memory or no vcpus", inst->name,
		    role->name);
		goto out;
	}
	if (domcfg_rename(out, f->name, inst->name) == -1 ||
	    asprintf(&out->kernel, "%s/build/vmlinux", dir) == -1 ||
	    asprintf(&out->ramdisk, "%s/build/initrd.cpio", dir) == -1) {
		log_warn("%s", inst->name);
		goto out;
	}
	out->type = role->type;
	if (out->type == FARM_DOM_PVH &&
	    (out->cpuid = strdup(PVH_CPUID)) == NULL) {
		log_warn("%s", inst->name);
		goto out;
	}
	if (translate_devices(role, out) == -1) {
		log_warn("%s", inst->name);
		goto out;
	}
	out->memory = role->memory;
	out->vcpus = role->vcpus;
	out->on_poweroff = DOMCFG_DESTROY;
	out->on_reboot = DOMCFG_RESTART;
	out->on_crash = crash_action(role->on_crash);
	rc = 0;
out:
	free(dir);
	return rc;
}

/*
 * A string in libxlutil's quoting: backslash before '"' and '\\', and
 * \t \n \r.  Other control bytes are refused (EINVAL): libxlutil 4.17
 * drops octal escapes and rejects hexadecimal ones, and no name or path
 * of ours needs them.
 */
static int
write_quoted(FILE *out, const char *s)
{
	const unsigned char	*p;
	int			 esc;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') ||
		    *p == 0x7f) {
			errno = EINVAL;
			return -1;
		}
	}
	if (fputc('"', out) == EOF)
		return -1;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
		case '\\':
			esc = *p;
			break;
		case '\t':
			esc = 't';
			break;
		case '\n':
			esc = 'n';
			break;
		case '\r':
			esc = 'r';
			break;
		default:
			esc = 0;
			break;
		}
		if (esc != 0) {
			if (fprintf(out, "\\%c", esc) < 0)
				return -1;
		} else if (fputc(*p, out) == EOF)
			return -1;
	}
	if (fputc('"', out) == EOF)
		return -1;
	return 0;
}

static int
write_str(FILE *out, const char *key, const char *value)
{
	if (fprintf(out, "%s = ", key) < 0 || write_quoted(out, value) == -1 ||
	    fputc('\n', out) == EOF)
		return -1;
	return 0;
}

/* key = [ "fmt(0, v[0])", ... ]: fmt has a %s for the value and may
 * have a %c before it, the letter of the index (xvda, xvdb...). */
static int
write_list(FILE *out, const char *key, const char *fmt, char **v, size_t n)
{
	char	*item;
	size_t	 i;
	int	 r;

	if (n == 0)
		return 0;
	if (fprintf(out, "%s = [ ", key) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strstr(fmt, "%c") != NULL)
			r = asprintf(&item, fmt, (int)('a' + i), v[i]);
		else
			r = asprintf(&item, fmt, v[i]);
		if (r == -1)
			return -1;
		r = write_quoted(out, item);
		free(item);
		if (r == -1 || (i + 1 < n && fputs(", ", out) == EOF))
			return -1;
	}
	return fputs(" ]\n", out) == EOF ? -1 : 0;
}

int
domcfg_write_xl(const struct domcfg *cfg, FILE *out)
{
	if (cfg->name == NULL || cfg->kernel == NULL || cfg->ramdisk == NULL ||
	    cfg->extra == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (write_str(out, "name", cfg->name) == -1 ||
	    write_str(out, "type", cfg->type == FARM_DOM_PVH ? "pvh" : "pv") ==
	    -1 ||
	    write_str(out, "kernel", cfg->kernel) == -1 ||
	    write_str(out, "ramdisk", cfg->ramdisk) == -1 ||
	    write_str(out, "extra", cfg->extra) == -1)
		return -1;
	if (fprintf(out, "memory = %u\nmaxmem = %u\nvcpus = %u\n",
	    cfg->memory, cfg->memory, cfg->vcpus) < 0)
		return -1;
	if (write_str(out, "on_poweroff",
	    domcfg_action_name(cfg->on_poweroff)) == -1 ||
	    write_str(out, "on_reboot", domcfg_action_name(cfg->on_reboot)) ==
	    -1 ||
	    write_str(out, "on_crash", domcfg_action_name(cfg->on_crash)) == -1)
		return -1;
	if (cfg->cpuid != NULL && write_str(out, "cpuid", cfg->cpuid) == -1)
		return -1;
	if (write_list(out, "disk", DOMCFG_DISK_FMT, cfg->disks,
	    cfg->ndisks) == -1 ||
	    write_list(out, "vif", "bridge=%s", cfg->bridges,
	    cfg->nbridges) == -1)
		return -1;
	if (fflush(out) == EOF)
		return -1;
	return 0;
}

char *
domcfg_xl_string(const struct domcfg *cfg)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 r;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;
	r = domcfg_write_xl(cfg, f);
	if (fclose(f) == EOF)
		r = -1;
	if (r == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}
