#!/bin/bash
# The README's first command runs this demo: it must pass in make check
# too (orders answered, ref rewired, nothing left after destroy).
exec "$top_srcdir/examples/eop/demo.sh" "$top_builddir"
