#!/usr/bin/env bash
# A test in no language in particular: the three calls any test makes to
# fakegraf, with curl. Run it under fakegraf, from this folder:
#
#   fakegraf run udp://127.0.0.1:0 --data-format influx --http 127.0.0.1:0 -- bash metrics-test.sh
#
# It exits non-zero, which fails fakegraf run, when what it expects does not
# arrive or fakegraf finds a mistake.
set -euo pipefail

# 1. Where to send, and where to ask: fakegraf run put both in the
# environment (FAKEGRAF_ADDR is the listener as a URL; FAKEGRAF_HOST and
# FAKEGRAF_PORT its parts; FAKEGRAF_API the HTTP API).
echo "sending to $FAKEGRAF_ADDR, asking $FAKEGRAF_API"
# The program under test goes here. This one is bash writing a datagram,
# its timestamp in nanoseconds as line protocol wants.
printf 'order_price,shop=eu-1 price=9.99 %s\n' "$(date +%s%N)" >"/dev/udp/$FAKEGRAF_HOST/$FAKEGRAF_PORT"

# 2. Wait until what the test expects has arrived (the --expect syntax), or
# 5 s have passed: "ok" says which.
answer=$(curl -sS -H 'Content-Type: application/json' \
  -d '{"expect": ["at-least 1 order_price,shop=eu-1 price:float"], "timeout": "5s"}' \
  "$FAKEGRAF_API/api/v1/wait")
echo "$answer"
[[ $answer == '{"ok":true,'* ]]

# 3. The mistakes fakegraf found, each with its fix: none, here.
findings=$(curl -sS "$FAKEGRAF_API/api/v1/findings")
echo "$findings"
[[ $findings == '{"matched":0,'* ]]
