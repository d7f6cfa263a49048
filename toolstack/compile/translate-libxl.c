/*
 * translate-libxl.c: a struct domcfg as the libxl_domain_config that
 * libxl_domain_create_new() takes, filled the way xl's parse_config_data()
 * fills it for the same xl config, so that `baltic compile` output and
 * what balticd creates are one domain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxl.h>
#include <libxl_utils.h>

#include "farm/farm.h"
#include "compile/translate.h"

static libxl_action_on_shutdown
libxl_action(enum domcfg_action a)
{
	switch (a) {
	case DOMCFG_DESTROY:
		return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	case DOMCFG_RESTART:
		return LIBXL_ACTION_ON_SHUTDOWN_RESTART;
	case DOMCFG_PRESERVE:
		return LIBXL_ACTION_ON_SHUTDOWN_PRESERVE;
	}
	return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
}

/*
 * xl's string form of cpuid: "host" then comma-separated name=value
 * settings, each one given to libxl_cpuid_parse_config().
 */
static int
parse_cpuid(libxl_cpuid_policy_list *cpuid, const char *spec)
{
	char	*buf = NULL, *p, *save = NULL;
	int	 rc = ERROR_INVAL;

	if ((buf = strdup(spec)) == NULL) {
		rc = ERROR_NOMEM;
		goto out;
	}
	p = strtok_r(buf, ",", &save);
	if (p == NULL || strcmp(p, "host") != 0)
		goto out;
	while ((p = strtok_r(NULL, ",", &save)) != NULL) {
		if (libxl_cpuid_parse_config(cpuid, p) != 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* The disks and vifs, as xl's parse_disk_config() and parse_nic_config()
 * make them of DOMCFG_DISK_FMT and "bridge=NAME". */
static int
devices_to_libxl(const struct domcfg *cfg, libxl_domain_config *d_config)
{
	libxl_device_disk	*disk;
	libxl_device_nic	*nic;
	char			 vdev[8];
	size_t			 i;

	if (cfg->ndisks > 0 && (d_config->disks = calloc(cfg->ndisks,
	    sizeof *d_config->disks)) == NULL)
		return ERROR_NOMEM;
	for (i = 0; i < cfg->ndisks; i++) {
		disk = &d_config->disks[d_config->num_disks++];
		libxl_device_disk_init(disk);
		snprintf(vdev, sizeof vdev, "xvd%c", (int)('a' + i));
		if ((disk->pdev_path = strdup(cfg->disks[i])) == NULL ||
		    (disk->vdev = strdup(vdev)) == NULL)
			return ERROR_NOMEM;
		disk->format = LIBXL_DISK_FORMAT_RAW;
		disk->readwrite = 1;
	}
	if (cfg->nbridges > 0 && (d_config->nics = calloc(cfg->nbridges,
	    sizeof *d_config->nics)) == NULL)
		return ERROR_NOMEM;
	for (i = 0; i < cfg->nbridges; i++) {
		nic = &d_config->nics[d_config->num_nics++];
		libxl_device_nic_init(nic);
		nic->devid = (libxl_devid)i;
		if ((nic->bridge = strdup(cfg->bridges[i])) == NULL)
			return ERROR_NOMEM;
	}
	return 0;
}

int
domcfg_to_libxl(libxl_ctx *ctx, const struct domcfg *cfg,
    libxl_domain_config *d_config)
{
	libxl_domain_create_info	*c_info = &d_config->c_info;
	libxl_domain_build_info		*b_info = &d_config->b_info;
	libxl_domain_type		 type;
	unsigned			 i;
	int				 rc;

	if (cfg->name == NULL || cfg->kernel == NULL || cfg->vcpus == 0 ||
	    cfg->memory == 0)
		return ERROR_INVAL;
	type = cfg->type == FARM_DOM_PVH ? LIBXL_DOMAIN_TYPE_PVH :
	    LIBXL_DOMAIN_TYPE_PV;
	c_info->type = type;
	libxl_domain_build_info_init_type(b_info, type);

	if ((c_info->name = strdup(cfg->name)) == NULL ||
	    (b_info->kernel = strdup(cfg->kernel)) == NULL ||
	    (cfg->ramdisk != NULL &&
	    (b_info->ramdisk = strdup(cfg->ramdisk)) == NULL) ||
	    (cfg->extra != NULL &&
	    (b_info->cmdline = strdup(cfg->extra)) == NULL))
		return ERROR_NOMEM;

	b_info->max_memkb = (uint64_t)cfg->memory * 1024;
	b_info->target_memkb = b_info->max_memkb;
	b_info->max_vcpus = (int)cfg->vcpus;
	if (ctx != NULL) {
		rc = libxl_cpu_bitmap_alloc(ctx, &b_info->avail_vcpus,
		    (int)cfg->vcpus);
		if (rc != 0)
			return rc;
		libxl_bitmap_set_none(&b_info->avail_vcpus);
		for (i = 0; i < cfg->vcpus; i++)
			libxl_bitmap_set(&b_info->avail_vcpus, (int)i);
	}
	if (cfg->cpuid != NULL &&
	    (rc = parse_cpuid(&b_info->cpuid, cfg->cpuid)) != 0)
		return rc;

	if ((rc = devices_to_libxl(cfg, d_config)) != 0)
		return rc;
	d_config->on_poweroff = libxl_action(cfg->on_poweroff);
	d_config->on_reboot = libxl_action(cfg->on_reboot);
	d_config->on_crash = libxl_action(cfg->on_crash);
	return 0;
}
