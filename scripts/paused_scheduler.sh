#!/bin/bash
# Usage: scripts/paused_scheduler.sh BINARY PORT
# The scheduler SIGSTOPped for 15 s mid-round (default heartbeat timeout 10 s), then continued.
BIN=$1; PORT=$2; D=/tmp/sigstop-$PORT; rm -rf $D
$BIN scheduler --bind tcp://127.0.0.1:$PORT --workers 3 --rounds 4 --model mnist-2nn --data synthetic --run-dir $D > $D.out 2>&1 &
S=$!
sleep 1
for i in 0 1 2; do $BIN worker --connect tcp://127.0.0.1:$PORT --id w$i --data synthetic --slow 2 --trace-dir $D/traces > /dev/null 2>&1 & done
while [ ! -s $D/metrics.jsonl ]; do sleep 0.2; done
sleep 0.5
echo "$(date +%T) SIGSTOP scheduler after round 1"; kill -STOP $S; sleep 15; kill -CONT $S; echo "$(date +%T) SIGCONT"
wait $S; echo "scheduler exit $?"
cat $D.out
python3 -c "
import json
for l in open('$D/metrics.jsonl'): r = json.loads(l); print('round', r['round'], 'received', r['received'], 'of', r['sampled'], 'contributors', r['contributors'])"
grep -c '"silent worker"' $D/traces/scheduler.trace.jsonl | sed 's/^/silent-worker records: /'
for i in 0 1 2; do grep '"d":"s"' $D/traces/w$i.trace.jsonl | grep -c '"m":"register"' | sed "s/^/w$i registrations sent: /"; done
pkill -f "connect tcp://127.0.0.1:$PORT"
