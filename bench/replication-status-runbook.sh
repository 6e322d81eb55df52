#!/usr/bin/env bash
# "Is replication working?" the way a runbook asks the aws CLI, for the bench's verification section
# (bench/VerifyBench.psm1): list every key of the bucket with its time (all pages), keep the COUNT newest, then read each
# one's x-amz-replication-status with head-object, one aws process per object, PARALLEL of them at once (1: one after
# another; more: xargs -P). Prints "key<TAB>status" per object (status None where the header is absent).
#   replication-status-runbook.sh AWS BUCKET COUNT PARALLEL ENDPOINT
# The credentials and region come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION).
set -euo pipefail
aws=$1 bucket=$2 count=$3 parallel=$4 endpoint=$5
export AWS_CLI="$aws" BUCKET="$bucket" ENDPOINT="$endpoint"

# JSON output: the CLI merges every page before the query sorts them (with --output text it would apply the query to
# each page on its own, and keep the newest of every page).
keys=$("$aws" s3api list-objects-v2 --bucket "$bucket" --endpoint-url "$endpoint" --output json \
    --query "sort_by(Contents, &LastModified)[-${count}:].Key" | jq -r '.[]')

head_one() {
    printf '%s\t%s\n' "$1" "$("$AWS_CLI" s3api head-object --bucket "$BUCKET" --key "$1" --endpoint-url "$ENDPOINT" --query ReplicationStatus --output text)"
}
export -f head_one

if [ "$parallel" -le 1 ]; then
    while IFS= read -r key; do head_one "$key"; done <<< "$keys"
else
    printf '%s\n' "$keys" | xargs -d '\n' -n 1 -P "$parallel" bash -c 'head_one "$1"' _
fi
