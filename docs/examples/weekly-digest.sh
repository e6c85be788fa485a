#!/bin/sh
# Build, check and push the weekly digest, then commit the ledger so that next
# week's `--new-only` knows what went out. For cron on a Linux machine; run it
# from the clone of the repository that holds your posts and digest.toml (see
# docs/scheduling.md for the crontab line). Stops at the first failure.
set -eu

# One run at a time: hold a lock on this script for as long as it runs (flock
# is in util-linux). A second run started meanwhile refuses and exits 1.
exec 9<"$0"
if ! flock -n 9; then
    echo "weekly-digest: another run is still going; not starting a second one" >&2
    exit 1
fi

# The API key comes from a file only you can read (chmod 600), never from the
# repository or the crontab: it holds lines like  MAILCHIMP_API_KEY=…
secrets="${DIGEST_ENV_FILE:-$HOME/.config/digest/env}"
if [ -f "$secrets" ]; then
    set -a
    . "$secrets"
    set +a
fi
: "${MAILCHIMP_API_KEY:?is not set; put it in $secrets}"

git pull --ff-only --quiet # this week's posts and the ledger as last committed

# A fresh output folder: whatever is in it afterwards was built by this run.
out=dist/weekly
rm -rf "$out"
digest build --new-only --strict --out "$out"
if [ ! -f "$out/digest.json" ]; then
    echo "weekly-digest: nothing new this week; nothing sent"
    exit 0
fi
digest check --strict "$out"

status=0
digest export --to mailchimp --push "$out" || status=$?

# Commit the ledger whatever the push said: a push that went out is recorded.
if [ -n "$(git status --porcelain -- digest-ledger.jsonl)" ]; then
    git add digest-ledger.jsonl
    git commit --quiet -m "digest: record this week's issue in the ledger"
    git push --quiet
fi
exit "$status"
