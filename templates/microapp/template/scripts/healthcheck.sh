#!/usr/bin/env bash
# Wait until URL answers 200 on its health path; fail after a number of tries.
# Usage: scripts/healthcheck.sh URL [TRIES] [SECONDS_BETWEEN]
set -euo pipefail

url="${1:?usage: healthcheck.sh URL [TRIES] [SECONDS_BETWEEN]}"
tries="${2:-10}"
pause="${3:-6}"

for attempt in $(seq 1 "$tries"); do
  status="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 "$url" || true)"
  if [ "$status" = "200" ]; then
    echo "healthy: $url answered 200 (try $attempt of $tries)"
    exit 0
  fi
  echo "not healthy yet: $url answered ${status:-nothing} (try $attempt of $tries)"
  sleep "$pause"
done
echo "unhealthy: $url never answered 200" >&2
exit 1
