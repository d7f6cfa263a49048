/*
 * test-farm-parse.c: the syntax tree the parser builds, its defaults,
 * syntax errors with recovery, and farm_expr_str.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "farm/farm.h"

static char *
diags_str(const struct farm_diags *d)
{
	char	*buf = farm_diags_str(d);

	assert_non_null(buf);
	return buf;
}

/* Parse only; assert the printed diagnostics.  Caller frees. */
static struct farm_file *
parse(const char *path, const char *src, const char *diags)
{
	struct farm_diags	 d;
	struct farm_file	*ff;
	char			*out;

	farm_diags_init(&d);
	ff = farm_parse(path, src, strlen(src), &d);
	assert_non_null(ff);
	out = diags_str(&d);
	assert_string_equal(out, diags);
	free(out);
	farm_diags_dispose(&d);
	return ff;
}

static const char eop[] =
    "# eop\n"
    "interface IPayment { Authorize(order: string) -> string }\n"
    "interface IStore {\n"
    "\tidempotent Get(k: string) -> bytes timeout 500\n"
    "\tPut(k: string, v: bytes, ttl: int); Ping()\n"
    "\tOk(b: bool) -> bool\n"
    "}\n"
    "role Entry {\n"
    "\timage \"roles/entry\"\n"
    "\tmemory 64; vcpus 2\n"
    "\ttype pvh; on_crash preserve\n"
    "\texports IPayment\n"
    "\timports IStore, IPayment\n"
    "}\n"
    "role Store { image \"/abs/store\"; exports IStore }\n"
    "farm eop {\n"
    "\tpay = remote IPayment \"http://127.0.0.1:9090/p\"\n"
    "\tst = ref or roundrobin(vm Store, vm Store,\n"
    "\t\tpar(vm Store, vm Store))\n"
    "\te = vm Entry { IStore = st, IPayment = pay }\n"
    "\texport e.IPayment at \"127.0.0.1:8080\"\n"
    "\texport st.IStore\n"
    "}\n";

static void
test_tree(void **state)
{
	struct farm_file	*ff;
	struct farm_iface	*i;
	struct farm_op		*op;
	struct farm_role	*r;
	struct farm		*f;
	struct farm_expr	*e;

	ff = parse("/etc/baltic/eop.farm", eop, "");
	assert_string_equal(ff->path, "/etc/baltic/eop.farm");
	assert_string_equal(ff->dir, "/etc/baltic");
	assert_int_equal(ff->nifaces, 2);
	i = farm_find_iface(ff, "IStore");
	assert_non_null(i);
	assert_int_equal(i->loc.line, 3);
	assert_int_equal(i->loc.col, 11);
	assert_int_equal(i->nops, 4);
	op = farm_find_op(i, "Get");
	assert_true(op->idempotent);
	assert_int_equal(op->timeout_ms, 500);
	assert_int_equal(op->result, FARM_T_BYTES);
	assert_int_equal(op->nparams, 1);
	op = farm_find_op(i, "Put");
	assert_false(op->idempotent);
	assert_int_equal(op->result, FARM_T_VOID);
	assert_int_equal(op->nparams, 3);
	assert_string_equal(op->params[2].name, "ttl");
	assert_int_equal(op->params[2].type, FARM_T_INT);
	assert_int_equal(op->params[2].loc.col, 27);
	assert_int_equal(farm_find_op(i, "Ping")->nparams, 0);
	assert_int_equal(farm_find_op(i, "Ok")->result, FARM_T_BOOL);
	assert_null(farm_find_op(i, "Nope"));

	assert_int_equal(ff->nroles, 2);
	r = &ff->roles[0];
	assert_string_equal(r->image, "roles/entry");
	assert_string_equal(r->image_path, "/etc/baltic/roles/entry");
	assert_int_equal(r->memory, 64);
	assert_int_equal(r->vcpus, 2);
	assert_int_equal(r->type, FARM_DOM_PVH);
	assert_int_equal(r->on_crash, FARM_CRASH_PRESERVE);
	assert_int_equal(r->nexports, 1);
	assert_int_equal(r->nimports, 2);
	assert_string_equal(r->imports[1].name, "IPayment");
	r = &ff->roles[1];
	assert_string_equal(r->image_path, "/abs/store");
	assert_int_equal(r->memory, 128);
	assert_int_equal(r->vcpus, 1);
	assert_int_equal(r->type, FARM_DOM_PV);
	assert_int_equal(r->on_crash, FARM_CRASH_RESTART);

	f = farm_find_farm(ff, "eop");
	assert_non_null(f);
	assert_int_equal(f->nbindings, 3);
	e = farm_find_binding(f, "pay")->expr;
	assert_int_equal(e->kind, FARM_E_REMOTE);
	assert_string_equal(e->u.remote.url, "http://127.0.0.1:9090/p");
	assert_int_equal(e->u.remote.url_loc.col, 24);
	e = farm_find_binding(f, "st")->expr;
	assert_int_equal(e->kind, FARM_E_REF);
	e = e->u.ref.target;
	assert_int_equal(e->kind, FARM_E_OR);
	assert_int_equal(e->u.comb.policy, FARM_OR_ROUNDROBIN);
	assert_int_equal(e->u.comb.nbranches, 3);
	assert_int_equal(e->u.comb.branches[2]->kind, FARM_E_PAR);
	assert_int_equal(e->u.comb.branches[2]->loc.line, 19);
	e = farm_find_binding(f, "e")->expr;
	assert_int_equal(e->kind, FARM_E_VM);
	assert_string_equal(e->u.vm.role, "Entry");
	assert_int_equal(e->u.vm.nwires, 2);
	assert_string_equal(e->u.vm.wires[1].import, "IPayment");
	assert_int_equal(e->u.vm.wires[1].expr->kind, FARM_E_NAME);
	assert_int_equal(f->nexports, 2);
	assert_string_equal(f->exports[0].addr, "127.0.0.1:8080");
	assert_null(f->exports[1].addr);
	assert_string_equal(f->exports[1].binding, "st");
	assert_string_equal(f->exports[1].iface, "IStore");
	assert_null(farm_find_binding(f, "zz"));
	assert_null(farm_find_farm(ff, "zz"));
	farm_file_free(ff);
}

static void
test_relative_path(void **state)
{
	struct farm_file	*ff;

	ff = parse("a.farm", "interface I { P() }\nrole R { image \"img\"; "
	    "exports I }\n", "");
	assert_string_equal(ff->dir, ".");
	assert_string_equal(ff->roles[0].image_path, "img");
	farm_file_free(ff);
	ff = parse("x/y/a.farm", "role R { image \"img\" }", "");
	assert_string_equal(ff->roles[0].image_path, "x/y/img");
	farm_file_free(ff);
}

static void
test_recovery(void **state)
{
	struct farm_file	*ff;

	/* Each broken statement is reported once; the rest is parsed. */
	ff = parse("t.farm",
	    "interface I { A(x: int) -> ; B() }\n"
	    "role R { image \"r\"; memory; exports I }\n"
	    "farm f {\n"
	    "\ta = or(vm R vm R)\n"
	    "\tb = vm R\n"
	    "\tc = vm R {\n"
	    "\texport b.I\n"
	    "}\n",
	    "t.farm:1:28: error: expected a type (string, int, bool or "
	    "bytes), found ';'\n"
	    "t.farm:2:27: error: expected a number after 'memory', found "
	    "';'\n"
	    "t.farm:4:14: error: expected ',' or ')' in or(...), found 'vm'\n"
	    "t.farm:6:11: error: missing '}' to close the wires of vm R\n");
	assert_int_equal(ff->ifaces[0].nops, 2);
	assert_int_equal(ff->roles[0].nexports, 1);
	assert_int_equal(ff->farms[0].nbindings, 3);
	assert_null(ff->farms[0].bindings[0].expr);
	assert_non_null(ff->farms[0].bindings[1].expr);
	assert_null(ff->farms[0].bindings[2].expr);
	assert_int_equal(ff->farms[0].nexports, 1);
	assert_true(ff->farms[0].incomplete);
	farm_file_free(ff);
}

static void
test_missing_paren(void **state)
{
	struct farm_file	*ff;

	ff = parse("t.farm", "farm f {\n\ta = par(x, y\n\tb = z\n}\n",
	    "t.farm:2:9: error: missing ')' to close par(\n");
	assert_int_equal(ff->farms[0].nbindings, 2);
	assert_string_equal(ff->farms[0].bindings[1].name, "b");
	farm_file_free(ff);
}

static void
test_top_level_junk(void **state)
{
	struct farm_file	*ff;

	ff = parse("t.farm", "garbage here\nmore garbage\n{ x }\n"
	    "interface I { P() }\n",
	    "t.farm:1:1: error: expected 'interface', 'role' or 'farm', "
	    "found 'garbage'\n");
	assert_int_equal(ff->nifaces, 1);
	farm_file_free(ff);
}

static void
test_empty(void **state)
{
	struct farm_file	*ff;

	ff = parse("t.farm", "", "");
	assert_int_equal(ff->nifaces + ff->nroles + ff->nfarms, 0);
	farm_file_free(ff);
	ff = parse("t.farm", "\n# nothing\n;;\n", "");
	farm_file_free(ff);
	ff = parse("t.farm", "farm", "t.farm:1:5: error: expected a farm "
	    "name after 'farm', found end of file\n");
	farm_file_free(ff);
}

static void
test_expr_str(void **state)
{
	struct farm_file	*ff;
	char			*s;

	ff = parse("t.farm", "farm f { a = ref or failover(x, vm R { I = "
	    "par(y, remote I \"http://h:1\") }, (z)) }", "");
	s = farm_expr_str(ff->farms[0].bindings[0].expr);
	assert_string_equal(s, "ref or failover(x, vm R { I = par(y, remote "
	    "I \"http://h:1\") }, z)");
	free(s);
	farm_file_free(ff);
}

static void
test_policies(void **state)
{
	struct farm_file	*ff;
	struct farm		*f;

	ff = parse("t.farm", "farm f { a = or(x, y); b = or random(x, y)\n"
	    "c = or leastout(x, y); d = or failover(x, y); e = or fast(x, y) "
	    "}",
	    "t.farm:2:54: error: unknown or policy 'fast' (expected random, "
	    "roundrobin, leastout or failover)\n");
	f = &ff->farms[0];
	assert_int_equal(f->bindings[0].expr->u.comb.policy, FARM_OR_RANDOM);
	assert_int_equal(f->bindings[1].expr->u.comb.policy, FARM_OR_RANDOM);
	assert_int_equal(f->bindings[2].expr->u.comb.policy,
	    FARM_OR_LEASTOUT);
	assert_int_equal(f->bindings[3].expr->u.comb.policy,
	    FARM_OR_FAILOVER);
	assert_string_equal(farm_policy_name(FARM_OR_ROUNDROBIN),
	    "roundrobin");
	assert_string_equal(farm_vtype_name(FARM_T_BYTES), "bytes");
	farm_file_free(ff);
}

/* `par hedge MS` and `par hedge pN`: parsed, printed back, bad values
 * reported where they are. */
static void
test_hedge(void **state)
{
	struct farm_file	*ff;
	struct farm		*f;
	char			*s;

	ff = parse("t.farm", "farm f { a = par hedge 10(x, y)\n"
	    "b = par hedge p95 (x, y, z); c = par(x, y) }", "");
	f = &ff->farms[0];
	assert_int_equal(f->bindings[0].expr->u.comb.hedge_ms, 10);
	assert_int_equal(f->bindings[0].expr->u.comb.hedge_pct, 0);
	assert_int_equal(f->bindings[1].expr->u.comb.hedge_pct, 95);
	assert_int_equal(f->bindings[1].expr->u.comb.hedge_loc.line, 2);
	assert_int_equal(f->bindings[1].expr->u.comb.hedge_loc.col, 9);
	assert_int_equal(f->bindings[2].expr->u.comb.hedge_loc.line, 0);
	s = farm_expr_str(f->bindings[0].expr);
	assert_string_equal(s, "par hedge 10(x, y)");
	free(s);
	s = farm_expr_str(f->bindings[1].expr);
	assert_string_equal(s, "par hedge p95(x, y, z)");
	free(s);
	farm_file_free(ff);

	ff = parse("t.farm", "farm f { a = par hedge 0(x, y)\n"
	    "b = par hedge p100(x, y); c = par hedge p9x(x, y)\n"
	    "d = par hedge 60001(x, y); e = or hedge 5(x, y) }",
	    "t.farm:1:24: error: hedge 0 ms is out of range (1 to 60000)\n"
	    "t.farm:2:15: error: hedge percentile 'p100' is not one of p50 "
	    "to p99\n"
	    "t.farm:2:41: error: hedge percentile 'p9x' is not one of p50 "
	    "to p99\n"
	    "t.farm:3:15: error: hedge 60001 ms is out of range (1 to "
	    "60000)\n"
	    "t.farm:3:35: error: 'hedge' is for par: an or sends a call to "
	    "one branch at a time\n");
	assert_int_equal(ff->farms[0].nbindings, 5);
	farm_file_free(ff);
	ff = parse("t.farm", "farm f { a = par hedge fast(x, y) }",
	    "t.farm:1:24: error: expected a delay in milliseconds or a "
	    "percentile (p95) after 'hedge', found 'fast'\n");
	farm_file_free(ff);
}

/* `vm Role on "HOST"`: the pin before the wires, printed back; a bad
 * host is reported at its string, a missing one where it should be. */
static void
test_vm_on(void **state)
{
	struct farm_file	*ff;
	struct farm_expr	*e;
	char			*s;

	ff = parse("t.farm", "farm f { a = vm A on \"xen-b\"\n"
	    "b = vm B on \"rack.2_x\" { I = a }; c = vm C }", "");
	e = ff->farms[0].bindings[0].expr;
	assert_string_equal(e->u.vm.on, "xen-b");
	assert_int_equal(e->u.vm.on_loc.line, 1);
	assert_int_equal(e->u.vm.on_loc.col, 22);
	e = ff->farms[0].bindings[1].expr;
	assert_string_equal(e->u.vm.on, "rack.2_x");
	assert_int_equal(e->u.vm.nwires, 1);
	s = farm_expr_str(e);
	assert_string_equal(s, "vm B on \"rack.2_x\" { I = a }");
	free(s);
	assert_null(ff->farms[0].bindings[2].expr->u.vm.on);
	farm_file_free(ff);

	ff = parse("t.farm", "farm f { a = vm A on \"\"; b = vm A on \"-x\"\n"
	    "c = vm A on \"xen b\"; d = vm A on \"x\\ty\"\n"
	    "e = vm A on \"0123456789012345678901234567890123456789"
	    "01234567890123456789012x\" }",
	    "t.farm:1:22: error: bad host after 'on': it is empty\n"
	    "t.farm:1:38: error: bad host after 'on': it starts with '-', "
	    "not a letter or a digit\n"
	    "t.farm:2:13: error: bad host after 'on': ' ' is not a letter, a "
	    "digit, '.', '_' or '-'\n"
	    "t.farm:2:34: error: bad host after 'on': byte 0x09 is not a "
	    "letter, a digit, '.', '_' or '-'\n"
	    "t.farm:3:13: error: bad host after 'on': it is longer than 63 "
	    "bytes\n");
	assert_int_equal(ff->farms[0].nbindings, 5);
	farm_file_free(ff);

	ff = parse("t.farm", "farm f { a = vm A on xen; b = vm A on }",
	    "t.farm:1:22: error: expected a quoted host name or host label "
	    "after 'on', found 'xen'\n"
	    "t.farm:1:39: error: expected a quoted host name or host label "
	    "after 'on', found '}'\n");
	farm_file_free(ff);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_missing_paren),
		cmocka_unit_test(test_top_level_junk),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_expr_str),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_hedge),
		cmocka_unit_test(test_vm_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
