/*
 * test-farm-check.c: the checker, one case per class of error with its
 * exact message and place; instances; the run-time helpers
 * (farm_expr_provides, farm_ref_needs, farm_expr_refers_to,
 * farm_check_expr); farm_load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "farm/farm.h"

#define P \
	"interface IA { Get(k: string) -> string }\n" \
	"interface IB { Put(k: string, v: bytes) }\n" \
	"role A { image \"a\"; exports IA }\n" \
	"role B { image \"b\"; exports IB; imports IA }\n"
#define F(body) P "farm f {\n" body "}\n"

struct check_case {
	const char	*name;
	const char	*src;
	const char	*diags;
};

static const struct check_case cases[] = {
	{ "unknown interface",
	  "interface IPayment { Pay() }\n"
	  "role A { image \"a\"; exports IPaymnet }\n",
	  "t.farm:2:29: error: unknown interface 'IPaymnet' (did you mean "
	  "'IPayment'?)\n" },
	{ "unknown role",
	  F("\ta = vm Nope\n\texport a.IA\n"),
	  "t.farm:6:9: error: unknown role 'Nope'\n" },
	{ "unknown binding",
	  F("\talpha = vm A\n\tb = vm B { IA = alhpa }\n\texport b.IB\n"),
	  "t.farm:6:2: warning: binding 'alpha' is never used nor exported\n"
	  "t.farm:7:18: error: unknown binding 'alhpa' in farm 'f' (did you "
	  "mean 'alpha'?)\n" },
	{ "role used as binding",
	  F("\ta = A\n\texport a.IA\n"),
	  "t.farm:6:6: error: 'A' is a role, not a binding (write 'vm A' for "
	  "an instance of it)\n" },
	{ "unknown import name",
	  F("\ta = vm A\n\tb = vm B { IA = a, IQ = a }\n\texport b.IB\n"),
	  "t.farm:7:21: error: unknown interface 'IQ'\n" },
	{ "unknown type",
	  "interface I { P(x: strin) }\n",
	  "t.farm:1:20: error: unknown type 'strin' (expected string, int, "
	  "bool or bytes)\n" },
	{ "syntax error",
	  F("\ta = vm A\n\texport a IA\n"),
	  "t.farm:7:11: error: expected '.' and an interface name (export "
	  "binding.Interface), found 'IA'\n" },
	{ "duplicate interface",
	  "interface I { P() }\n\ninterface I { Q() }\n",
	  "t.farm:3:11: error: interface 'I' is already defined on line 1\n" },
	{ "duplicate op",
	  "interface I {\n\tP()\n\tP(x: int)\n}\n",
	  "t.farm:3:2: error: operation 'P' is already defined in interface "
	  "'I' on line 2\n" },
	{ "duplicate param",
	  "interface I { P(x: int, x: string) }\n",
	  "t.farm:1:25: error: parameter 'x' of 'P' is already declared on "
	  "line 1\n" },
	{ "duplicate role",
	  P "role A { image \"a\"; exports IA }\n",
	  "t.farm:5:6: error: role 'A' is already defined on line 3\n" },
	{ "duplicate farm",
	  P "farm f { a = vm A; export a.IA }\n"
	  "farm f { a = vm A; export a.IA }\n",
	  "t.farm:6:6: error: farm 'f' is already defined on line 5\n" },
	{ "duplicate binding",
	  F("\ta = vm A\n\ta = vm A\n\texport a.IA\n"),
	  "t.farm:7:2: error: binding 'a' is already defined on line 6\n" },
	{ "duplicate export",
	  F("\ta = vm A\n\tb = vm A\n\texport a.IA\n\texport b.IA\n"),
	  "t.farm:9:11: error: IA is already exported by farm 'f' on line 8\n" },
	{ "duplicate wire",
	  F("\ta = vm A\n\tb = vm B { IA = a, IA = a }\n\texport b.IB\n"),
	  "t.farm:7:21: error: import 'IA' is wired twice (first on line 7)\n" },
	{ "duplicate address",
	  F("\ta = vm A\n\tb = vm B { IA = a }\n"
	    "\texport a.IA at \"h:1\" insecure\n"
	    "\texport b.IB at \"h:1\" insecure\n"),
	  "t.farm:9:17: error: address \"h:1\" is already used by the export "
	  "on line 8\n" },
	{ "import unbound",
	  F("\tb = vm B\n\texport b.IB\n"),
	  "t.farm:6:6: error: vm B leaves import IA unbound (add { IA = ... "
	  "})\n" },
	{ "wire not imported",
	  F("\ta = vm A\n\tc = vm A { IA = a }\n\texport c.IA\n"),
	  "t.farm:7:13: error: role 'A' does not import IA, so it cannot be "
	  "wired\n" },
	{ "bound to the wrong interface",
	  F("\tx = vm B { IA = y }\n\ty = vm B { IA = x }\n\texport x.IB\n"),
	  "t.farm:6:18: error: 'y' is bound to IA but provides only IB\n"
	  "t.farm:7:18: error: 'x' is bound to IA but provides only IB\n" },
	{ "or branch",
	  F("\ta = vm A\n\tb = vm B { IA = or(a, vm B { IA = a }) }\n"
	    "\texport b.IB\n"),
	  "t.farm:7:24: error: branch 2 of or, vm B, does not provide IA (it "
	  "provides only IB)\n" },
	{ "par branch",
	  F("\ta = vm A\n\tb = vm B { IA = par(remote IB \"http://h:1\", a) }"
	    "\n\texport b.IB\n"),
	  "t.farm:7:22: error: branch 1 of par, remote IB, does not provide "
	  "IA (it provides only IB)\n" },
	{ "no common interface",
	  F("\ta = vm A\n\tb = or(a, vm B { IA = a })\n\texport a.IA\n"),
	  "t.farm:7:2: warning: binding 'b' is never used nor exported\n"
	  "t.farm:7:6: error: the branches of or provide no common "
	  "interface\n" },
	{ "export not provided",
	  F("\ta = vm A\n\texport a.IB\n"),
	  "t.farm:7:11: error: cannot export a.IB: 'a' provides only IA\n" },
	{ "refers to itself",
	  F("\ta = ref a\n\tb = vm B { IA = a }\n\texport b.IB\n"),
	  "t.farm:6:2: error: binding 'a' refers to itself\n" },
	{ "cycle",
	  F("\ta = b\n\tb = or(c, vm A)\n\tc = ref a\n"
	    "\td = vm B { IA = a }\n\texport d.IB\n"),
	  "t.farm:6:2: error: binding 'a' refers to itself (a -> b -> c -> "
	  "a)\n" },
	{ "cycle through a vm is fine",
	  F("\ta = vm B { IA = b }\n\tb = vm A\n\tc = vm B { IA = b }\n"
	    "\texport a.IB\n\texport c.IA\n"),
	  "t.farm:10:11: error: cannot export c.IA: 'c' provides only IB\n" },
	{ "role exports nothing",
	  P "role C { image \"c\"; imports IA }\n",
	  "t.farm:5:6: error: role 'C' exports no interface: nothing could "
	  "call its instances\n" },
	{ "role without image",
	  "interface I { P() }\nrole R { exports I }\n",
	  "t.farm:2:6: error: role 'R' has no image (add: image "
	  "\"directory\")\n" },
	{ "memory range",
	  "interface I { P() }\nrole R { image \"r\"; memory 8; exports I }\n",
	  "t.farm:2:28: error: memory 8 MiB is out of range (16 to "
	  "1048576)\n" },
	{ "vcpus range",
	  "interface I { P() }\nrole R { image \"r\"; vcpus 0; exports I }\n",
	  "t.farm:2:27: error: vcpus 0 is out of range (1 to 128)\n" },
	{ "bad address",
	  F("\ta = vm A\n\texport a.IA at \"host:0\"\n"),
	  "t.farm:7:17: error: bad address \"host:0\": port out of range (1 "
	  "to 65535) (expected \"host:port\")\n" },
	{ "bad url",
	  F("\tp = remote IA \"ftp://h:1\"\n\tb = vm B { IA = p }\n"
	    "\texport b.IB\n"),
	  "t.farm:6:16: error: bad URL \"ftp://h:1\": only http:// and "
	  "https:// URLs are supported (expected "
	  "\"http[s]://host:port[/path]\")\n" },
	{ "or without branches",
	  F("\ta = or()\n\texport a.IA\n"),
	  "t.farm:6:6: error: or() has no branch (it needs at least two)\n" },
	{ "or with one branch",
	  F("\ta = or(vm A)\n\texport a.IB\n"),
	  "t.farm:6:6: warning: or with a single branch is just that branch\n"
	  "t.farm:6:9: error: branch 1 of or, vm A, does not provide IB (it "
	  "provides only IA)\n" },
	{ "hedged par with one branch",
	  F("\ta = par hedge p95(vm A)\n"
	    "\tb = vm B { IA = par hedge 5(vm A, vm A) }\n"
	    "\texport a.IA\n\texport b.IB\n"),
	  "t.farm:6:10: error: a hedged par needs two branches or more: "
	  "there is nothing to hedge with\n" },
	{ "unused binding",
	  F("\ta = vm A\n\tb = vm A\n\texport a.IA\n"),
	  "t.farm:7:2: warning: binding 'b' is never used nor exported\n" },
	{ "bad host pin, and an unknown role pinned",
	  F("\ta = vm A on \"xen_b!\"\n"
	    "\tb = vm Q on \"xen-b\" { IA = a }\n\texport b.IB\n"),
	  "t.farm:6:14: error: bad host after 'on': '!' is not a letter, a "
	  "digit, '.', '_' or '-'\n"
	  "t.farm:7:9: error: unknown role 'Q'\n" },
	{ "unknown policy",
	  F("\ta = or quick(vm A, vm A)\n\texport a.IA\n"),
	  "t.farm:6:9: error: unknown or policy 'quick' (expected random, "
	  "roundrobin, leastout or failover)\n" },
	{ "no cascade after an unknown role",
	  F("\ta = vm Q\n\tb = vm B { IA = or(a, vm A) }\n"
	    "\tc = vm B { IA = a }\n\texport a.IA\n\texport b.IB\n"
	    "\texport c.IB at \"h:2\" insecure\n"),
	  "t.farm:6:9: error: unknown role 'Q'\n"
	  "t.farm:11:11: error: IB is already exported by farm 'f' on line "
	  "10\n" },
	{ "no cascade after a syntax error",
	  F("\ta = vm A {\n\tb = vm B { IA = a }\n\texport b.IB\n"),
	  "t.farm:6:11: error: missing '}' to close the wires of vm A\n" },
	{ "all problems in one run",
	  "interface I { P(x: int, x: int) }\n"
	  "role R { exports J }\n"
	  "farm f { a = vm S; export b.I at \"nope\" }\n",
	  "t.farm:1:25: error: parameter 'x' of 'P' is already declared on "
	  "line 1\n"
	  "t.farm:2:18: error: unknown interface 'J'\n"
	  "t.farm:3:10: warning: binding 'a' is never used nor exported\n"
	  "t.farm:3:17: error: unknown role 'S'\n"
	  "t.farm:3:27: error: unknown binding 'b' in farm 'f'\n"
	  "t.farm:3:34: error: bad address \"nope\": missing ':port' "
	  "(expected \"host:port\")\n" },
};

static char *
diags_str(const struct farm_diags *d)
{
	char	*buf = farm_diags_str(d);

	assert_non_null(buf);
	return buf;
}

static struct farm_file *
load_str(const char *src, struct farm_diags *d)
{
	struct farm_file	*ff;

	ff = farm_parse("t.farm", src, strlen(src), d);
	farm_check(ff, d);
	return ff;
}

static void
test_case(void **state)
{
	const struct check_case	*c = *state;
	struct farm_diags	 d;
	struct farm_file	*ff;
	char			*out;
	size_t			 nerr, rc;

	farm_diags_init(&d);
	ff = farm_parse("t.farm", c->src, strlen(c->src), &d);
	nerr = d.nerrors;
	rc = farm_check(ff, &d);
	assert_int_equal(rc, d.nerrors - nerr);
	out = diags_str(&d);
	assert_string_equal(out, c->diags);
	free(out);
	farm_file_free(ff);
	farm_diags_dispose(&d);
}

static const char good[] = P
    "interface IC { Run(n: int) -> int }\n"
    "role C { image \"c\"; exports IC; imports IA, IB }\n"
    "farm f {\n"
    "\ta = vm A\n"
    "\tp = ref or leastout(a, vm A, remote IA \"http://h:80\")\n"
    "\tb = par(vm B { IA = p }, vm B { IA = a })\n"
    "\tc = vm C { IA = p, IB = b }\n"
    "\tspare = vm A\n"
    "\texport c.IC at \"127.0.0.1:8080\"\n"
    "\texport spare.IA\n"
    "}\n";

static void
test_instances(void **state)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	struct farm		*f;
	static const char	*names[] = {
		"f-a", "f-p", "f-b-1", "f-b-2", "f-c", "f-spare"
	};
	size_t			 i;

	farm_diags_init(&d);
	ff = load_str(good, &d);
	assert_int_equal(d.n, 0);
	f = &ff->farms[0];
	assert_int_equal(f->ninstances, 6);
	for (i = 0; i < 6; i++)
		assert_string_equal(f->instances[i].name, names[i]);
	assert_int_equal(f->instances[0].index, 0);
	assert_int_equal(f->instances[1].index, 0);
	assert_int_equal(f->instances[2].index, 1);
	assert_int_equal(f->instances[3].index, 2);
	assert_ptr_equal(f->instances[2].binding, &f->bindings[2]);
	assert_string_equal(f->instances[2].role->name, "B");
	assert_ptr_equal(f->instances[2].vm->u.vm.inst, &f->instances[2]);
	assert_int_equal(f->bindings[0].uses, 2);
	assert_int_equal(f->bindings[1].uses, 2);
	assert_int_equal(f->bindings[4].uses, 1);
	farm_file_free(ff);
	farm_diags_dispose(&d);
}

/* A vm's `on` pin reaches its instance; an unpinned one has none. */
static void
test_instances_on(void **state)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	struct farm		*f;

	farm_diags_init(&d);
	ff = load_str(F("\ta = vm A on \"xen-b\"\n"
	    "\tb = par(vm B on \"ssd\" { IA = a }, vm B { IA = a })\n"
	    "\texport b.IB\n"), &d);
	assert_int_equal(d.n, 0);
	f = &ff->farms[0];
	assert_int_equal(f->ninstances, 3);
	assert_string_equal(f->instances[0].on, "xen-b");
	assert_ptr_equal(f->instances[0].on, f->bindings[0].expr->u.vm.on);
	assert_string_equal(f->instances[1].name, "f-b-1");
	assert_string_equal(f->instances[1].on, "ssd");
	assert_null(f->instances[2].on);
	farm_file_free(ff);
	farm_diags_dispose(&d);
}

static void
test_provides_and_needs(void **state)
{
	struct farm_diags	  d;
	struct farm_file	 *ff;
	struct farm		 *f;
	struct farm_iface	 *ia, *ib, *ic, **v;
	struct farm_binding	 *p, *b, *c;

	farm_diags_init(&d);
	ff = load_str(good, &d);
	f = &ff->farms[0];
	ia = farm_find_iface(ff, "IA");
	ib = farm_find_iface(ff, "IB");
	ic = farm_find_iface(ff, "IC");
	p = farm_find_binding(f, "p");
	b = farm_find_binding(f, "b");
	c = farm_find_binding(f, "c");
	assert_true(farm_expr_provides(p->expr, ia));
	assert_false(farm_expr_provides(p->expr, ib));
	assert_true(farm_expr_provides(b->expr, ib));
	assert_true(farm_expr_provides(c->expr, ic));
	assert_false(farm_expr_provides(c->expr, ia));
	assert_int_equal(farm_ref_needs(f, p, &v), 1);
	assert_ptr_equal(v[0], ia);
	free(v);
	assert_int_equal(farm_ref_needs(f, farm_find_binding(f, "spare"), &v),
	    1);
	free(v);
	assert_int_equal(farm_ref_needs(f, c, &v), 1);
	assert_ptr_equal(v[0], ic);
	free(v);
	assert_true(farm_expr_refers_to(p->expr, farm_find_binding(f, "a")));
	assert_false(farm_expr_refers_to(c->expr, p));	/* through a vm */
	farm_file_free(ff);
	farm_diags_dispose(&d);
}

static void
test_parse_expr(void **state)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	struct farm		*f;
	struct farm_iface	*need[1];
	struct farm_expr	*e;
	char			*out;

	farm_diags_init(&d);
	ff = load_str(good, &d);
	f = &ff->farms[0];
	need[0] = farm_find_iface(ff, "IA");

	e = farm_check_expr(ff, f, "or failover(a, spare)", need, 1, &d);
	assert_non_null(e);
	assert_int_equal(d.n, 0);
	assert_true(farm_expr_provides(e, need[0]));
	assert_false(farm_expr_refers_to(e, farm_find_binding(f, "p")));
	farm_expr_free(e);
	e = farm_check_expr(ff, f, "remote IA \"http://10.0.0.1:81/x\"", need,
	    1, &d);
	assert_non_null(e);
	farm_expr_free(e);
	assert_int_equal(farm_find_binding(f, "a")->uses, 2);
	/* baltic set keeps a ref's text: a hedged par reads back the same */
	e = farm_check_expr(ff, f, "par hedge p90 (a, spare)", need, 1, &d);
	assert_non_null(e);
	assert_int_equal(d.n, 0);
	out = farm_expr_str(e);
	assert_string_equal(out, "par hedge p90(a, spare)");
	free(out);
	farm_expr_free(e);

	e = farm_check_expr(ff, f, "or(a, b)", need, 1, &d);
	assert_null(e);
	e = farm_check_expr(ff, f, "vm A", need, 1, &d);
	assert_null(e);
	e = farm_check_expr(ff, f, "aa", need, 1, &d);
	assert_null(e);
	e = farm_check_expr(ff, f, "a b", need, 1, &d);
	assert_null(e);
	out = diags_str(&d);
	assert_string_equal(out,
	    "<set>:1:1: error: 'vm' cannot be used here: a new instance needs "
	    "'baltic create'\n"
	    "<set>:1:1: error: unknown binding 'aa' in farm 'f'\n"
	    "<set>:1:3: error: expected end of the expression, found 'b'\n"
	    "<set>:1:7: error: branch 2 of or, 'b', does not provide IA (it "
	    "provides only IB)\n");
	free(out);
	farm_file_free(ff);
	farm_diags_dispose(&d);
}

static void
test_load(void **state)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	char			 path[] = "/tmp/test-farm-XXXXXX";
	int			 fd;
	char			*out;

	farm_diags_init(&d);
	assert_null(farm_load("/nonexistent/x.farm", &d));
	assert_int_equal(d.nerrors, 1);
	out = diags_str(&d);
	assert_string_equal(out, "error: cannot open /nonexistent/x.farm: "
	    "No such file or directory\n");
	free(out);
	farm_diags_dispose(&d);

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	farm_diags_init(&d);
	ff = farm_load(path, &d);
	assert_non_null(ff);
	assert_int_equal(d.n, 0);
	assert_string_equal(ff->roles[0].image_path, "/tmp/a");
	farm_file_free(ff);
	farm_diags_dispose(&d);
	unlink(path);
}

static void
test_diag_order(void **state)
{
	struct farm_diags	d;
	struct farm_loc		a = { "x", 2, 1 }, b = { "x", 1, 9 };
	char			*out;

	farm_diags_init(&d);
	farm_diag(&d, &a, FARM_WARNING, "second %d", 2);
	farm_diag(&d, &b, FARM_ERROR, "first");
	farm_diag(&d, &a, FARM_ERROR, "third");
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.nwarnings, 1);
	out = diags_str(&d);
	assert_string_equal(out, "x:1:9: error: first\n"
	    "x:2:1: warning: second 2\nx:2:1: error: third\n");
	free(out);
	farm_diags_dispose(&d);
	farm_diags_dispose(&d);
}

int
main(void)
{
	struct CMUnitTest	 fixed[] = {
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_instances_on),
		cmocka_unit_test(test_provides_and_needs),
		cmocka_unit_test(test_parse_expr),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_diag_order),
	};
	size_t			 ncases = sizeof cases / sizeof cases[0];
	size_t			 nfixed = sizeof fixed / sizeof fixed[0], i;
	struct CMUnitTest	*tests;
	int			 rc;

	tests = calloc(ncases + nfixed, sizeof *tests);
	assert_non_null(tests);
	for (i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	memcpy(tests + ncases, fixed, sizeof fixed);
	rc = _cmocka_run_group_tests("farm-check", tests, ncases + nfixed,
	    NULL, NULL);
	free(tests);
	return rc;
}
