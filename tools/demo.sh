#!/bin/sh
# `make demo`: the order pipeline on a database file. Its worker process is
# killed while charging the payment; the run is resumed from the file; then
# the durable tool shows the run (operations tree, history table), draws the
# timeline SVG, and the last lines say what to try next.
#
# usage: tools/demo.sh BUILD DB    (writes DB, DB.ledger and DB's name with .svg)
set -e
BUILD=$1 DB=$2
SVG=${DB%.db}.svg
DURABLE=$BUILD/durable
"$BUILD/examples/order_workflow" "$DB" --kill-at charge-payment --brief
printf '\n$ durable show %s order-1001\n' "$DB"
"$DURABLE" show "$DB" order-1001
printf '\n$ durable history %s order-1001\n' "$DB"
"$DURABLE" history "$DB" order-1001
printf '\n$ durable timeline %s order-1001 -o %s\n' "$DB" "$SVG"
"$DURABLE" timeline "$DB" order-1001 -o "$SVG"
cat <<NEXT

Next, try:
  sqlite3 -header -column $DB "SELECT name, type, status, attempt, duration_ms FROM operations_view WHERE type <> 'EXECUTION' ORDER BY duration_ms DESC LIMIT 5"
  $DURABLE show $DB order-1001
  $DURABLE timeline $DB order-1001 -o $SVG    # then open $SVG in a browser
NEXT
