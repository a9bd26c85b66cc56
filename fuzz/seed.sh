#!/bin/sh
# Seed each fuzz target's corpus (fuzz/corpus/<target>/, not committed) from the
# repository's fixtures: one small file per line or page.
set -eu
cd "$(dirname "$0")"
root=..
for t in catalog_page nginx_log_format nginx_line json_line preset_lines; do
    mkdir -p "corpus/$t"
done
cp "$root/catalog/api-error-codes.zh.md" corpus/catalog_page/embedded.md
printf '## Heading {#id}\n| name | status | description |\n|---|---|---|\n| A_B | 400 | x |\n' \
    > corpus/catalog_page/small.md
split_lines() { # file target prefix count
    i=0
    head -n "$4" "$1" | while IFS= read -r line; do
        i=$((i + 1))
        printf '%s\n' "$line" > "corpus/$2/$3-$i"
    done
}
split_lines "$root/fixtures/sample.log" nginx_line sample 40
split_lines "$root/fixtures/sample.jsonl" json_line sample 40
for f in "$root"/fixtures/gateways/*.log; do
    split_lines "$f" preset_lines "$(basename "$f" .log)" 3
    split_lines "$f" json_line "$(basename "$f" .log)" 2
done
# nginx_log_format: a format string on the first line, lines to parse after it.
gateway='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time "$upstream_http_x_error_code"'
{ printf '%s\n' "$gateway"; head -n 3 "$root/fixtures/sample.log"; } > corpus/nginx_log_format/gateway
printf '%s\n%s\n' '$time_iso8601 $status ${upstream_http_x_error_code}|$resp_body' \
    '2026-11-26T08:00:00Z 403 INVALID_API_KEY|{"reason":"X"}' > corpus/nginx_log_format/braces
echo "seeded: $(find corpus -type f | wc -l) files"
