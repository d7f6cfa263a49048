# eop-par: examples/eop/par.farm (payment behind `par`) answers
# SubmitOrder; destroyed after.
# boot: fresh
. /test/lib.sh
need_balticd eop-par
eop_check par 18504
