# eop-par: examples/eop/par.farm (payment behind `par`) answers
# SubmitOrder; destroyed after.
. /test/lib.sh
need_balticd eop-par
eop_check par 18504
