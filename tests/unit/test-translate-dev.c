/*
 * test-translate-dev.c: a role's disks and vifs, as baltic compile
 * writes them for xl and as balticd gives them to libxl: xl's own parser
 * (libxlutil) reads the xl config back, and each disk it reads is the
 * libxl_device_disk domcfg_to_libxl makes, each vif the bridge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <libxlutil.h>

#include "farm/farm.h"
#include "compile/translate.h"

static void
devices_cfg(struct domcfg *cfg)
{
	domcfg_init(cfg);
	cfg->name = strdup("f-a");
	cfg->kernel = strdup("/r/build/vmlinux");
	cfg->ramdisk = strdup("/r/build/initrd.cpio");
	cfg->extra = strdup("console=hvc0");
	cfg->memory = 64;
	cfg->vcpus = 2;
	cfg->ndisks = 2;
	cfg->disks = calloc(2, sizeof *cfg->disks);
	cfg->disks[0] = strdup("/srv/a.img");
	cfg->disks[1] = strdup("/srv/dir with space/b.img");
	cfg->nbridges = 2;
	cfg->bridges = calloc(2, sizeof *cfg->bridges);
	cfg->bridges[0] = strdup("xenbr0");
	cfg->bridges[1] = strdup("br-int.1");
}

static void
test_devices_xl_and_libxl(void **state)
{
	struct domcfg		 cfg;
	libxl_domain_config	 dc;
	libxl_device_disk	 disk;
	XLU_Config		*xlu;
	XLU_ConfigList		*list;
	const char		*item;
	char			*text;
	int			 n, i;

	(void)state;
	devices_cfg(&cfg);
	libxl_domain_config_init(&dc);
	assert_int_equal(domcfg_to_libxl(NULL, &cfg, &dc), 0);
	assert_int_equal(dc.num_disks, 2);
	assert_int_equal(dc.num_nics, 2);

	assert_non_null(text = domcfg_xl_string(&cfg));
	assert_non_null(xlu = xlu_cfg_init(stderr, "test.cfg"));
	assert_int_equal(xlu_cfg_readdata(xlu, text, (int)strlen(text)), 0);
	assert_int_equal(xlu_cfg_get_list(xlu, "disk", &list, &n, 0), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		item = xlu_cfg_get_listitem(list, i);
		libxl_device_disk_init(&disk);
		assert_int_equal(xlu_disk_parse(xlu, 1, &item, &disk), 0);
		assert_string_equal(disk.pdev_path, dc.disks[i].pdev_path);
		assert_string_equal(disk.pdev_path, cfg.disks[i]);
		assert_string_equal(disk.vdev, dc.disks[i].vdev);
		assert_int_equal(disk.format, dc.disks[i].format);
		assert_int_equal(disk.readwrite, dc.disks[i].readwrite);
		assert_int_equal(disk.is_cdrom, dc.disks[i].is_cdrom);
		libxl_device_disk_dispose(&disk);
	}
	assert_string_equal(dc.disks[1].vdev, "xvdb");
	assert_int_equal(xlu_cfg_get_list(xlu, "vif", &list, &n, 0), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		char want[64];

		snprintf(want, sizeof want, "bridge=%s", cfg.bridges[i]);
		assert_string_equal(xlu_cfg_get_listitem(list, i), want);
		assert_string_equal(dc.nics[i].bridge, cfg.bridges[i]);
		assert_int_equal(dc.nics[i].devid, i);
	}
	xlu_cfg_destroy(xlu);
	free(text);
	libxl_domain_config_dispose(&dc);
	domcfg_dispose(&cfg);
	assert_null(cfg.disks);
	assert_int_equal(cfg.nbridges, 0);
}

/* No devices: no disk or vif line at all, as before there were any. */
static void
test_no_devices(void **state)
{
	struct domcfg	 cfg;
	char		*text;

	(void)state;
	devices_cfg(&cfg);
	domcfg_dispose(&cfg);
	devices_cfg(&cfg);
	while (cfg.ndisks > 0)
		free(cfg.disks[--cfg.ndisks]);
	while (cfg.nbridges > 0)
		free(cfg.bridges[--cfg.nbridges]);
	assert_non_null(text = domcfg_xl_string(&cfg));
	assert_null(strstr(text, "\ndisk ="));
	assert_null(strstr(text, "\nvif ="));
	free(text);
	domcfg_dispose(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices_xl_and_libxl),
		cmocka_unit_test(test_no_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
