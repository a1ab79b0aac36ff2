#!/bin/sh
# npm run setup: everything `bitcrawl crawl --once` needs on a fresh machine: the npm packages
# (npm ci) and redis-server (apt on Debian/Ubuntu, brew on macOS; elsewhere it prints the line
# to run). The crawl stores into embedded ClickHouse (chdb, an npm package): no server needed.
set -eu
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund

have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/sbin/redis-server ] || [ -x /usr/local/sbin/redis-server ]; }
if have_redis; then
  echo "setup: redis-server is installed ($(command -v redis-server || echo /usr/sbin/redis-server))"
  exit 0
fi

sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
case "$(uname -s)" in
  Darwin)
    if command -v brew >/dev/null 2>&1; then
      brew install redis
    else
      echo "setup: install Homebrew (https://brew.sh), then run: brew install redis" >&2
      exit 1
    fi
    ;;
  Linux)
    if command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing redis-server with apt-get"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server
    elif command -v dnf >/dev/null 2>&1; then
      echo "setup: redis-server is missing; run: $sudo dnf install -y redis" >&2
      exit 1
    else
      echo "setup: redis-server is missing; install it with your package manager (the package is usually called redis or redis-server)" >&2
      exit 1
    fi
    ;;
  *)
    echo "setup: redis-server is missing; install Redis 6 or newer so that redis-server is on PATH" >&2
    exit 1
    ;;
esac
have_redis && echo "setup: redis-server is installed; next: npx bitcrawl crawl --once"
